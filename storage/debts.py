"""Coins members owe after refunds: append-only movements, each tied to the journal entry that moved
the `refund_debt` system account by the same amount."""

from __future__ import annotations

import sqlite3

from storage.rows import only_row

DEBT_ACCOUNT = "refund_debt"  # the system account migration 011 seeds for refund debt


def owed(conn: sqlite3.Connection, guild_id: int, user_id: int) -> int:
    row = conn.execute(
        "SELECT COALESCE(SUM(coins), 0) FROM coin_debts WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    ).fetchone()
    return int(row[0])


def repaid_by(conn: sqlite3.Connection, entry_id: int) -> int:
    """Debt the entry `entry_id` paid (0 if none)."""
    row = only_row(
        conn.execute(
            "SELECT COALESCE(-SUM(coins), 0) FROM coin_debts WHERE entry_id = ? AND coins < 0", (entry_id,)
        )
    )
    return int(row[0])


def record(conn: sqlite3.Connection, entry_id: int, guild_id: int, user_id: int, coins: int) -> None:
    """Debt taken on (`coins` > 0) or paid (`coins` < 0) by the entry `entry_id`."""
    conn.execute(
        "INSERT INTO coin_debts (entry_id, guild_id, user_id, coins) VALUES (?, ?, ?, ?)",
        (entry_id, guild_id, user_id, coins),
    )


def debt_discrepancies(conn: sqlite3.Connection, debt_account: str = DEBT_ACCOUNT) -> list[str]:
    """Where the debt movements and the `debt_account` postings disagree (so the debt would not equal
    the refunds not yet recovered), or a member's debt went negative."""
    problems = []
    for entry_id, posted, recorded in conn.execute(
        "WITH posted AS (SELECT entry_id, SUM(amount) AS coins FROM postings"
        "  WHERE system_account = ? AND asset = 'coins' GROUP BY entry_id),"
        " recorded AS (SELECT entry_id, SUM(coins) AS coins FROM coin_debts GROUP BY entry_id)"
        " SELECT p.entry_id, p.coins, COALESCE(r.coins, 0) FROM posted p"
        "  LEFT JOIN recorded r ON r.entry_id = p.entry_id WHERE p.coins <> -COALESCE(r.coins, 0)"
        " UNION ALL"
        " SELECT r.entry_id, 0, r.coins FROM recorded r"
        "  LEFT JOIN posted p ON p.entry_id = r.entry_id WHERE p.entry_id IS NULL",
        (debt_account,),
    ):
        problems.append(
            f"entry {entry_id}: moves {posted} coins in {debt_account} but records {recorded} coins of debt"
        )
    for guild_id, user_id, coins in conn.execute(
        "SELECT guild_id, user_id, SUM(coins) FROM coin_debts GROUP BY guild_id, user_id HAVING SUM(coins) < 0"
    ):
        problems.append(f"guild {guild_id} user {user_id}: debt is negative ({coins})")
    return problems

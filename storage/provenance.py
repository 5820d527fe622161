"""Where members' coins came from, for moderators deciding a cash-out."""

from __future__ import annotations

import sqlite3


def credited_by_kind(
    conn: sqlite3.Connection, guild_id: int, user_ids: list[int], kinds: tuple[str, ...]
) -> list[sqlite3.Row]:
    """(user_id, kind, coins) credited to each member by entries of `kinds`: what reached the wallet
    plus what paid the member's refund debt."""
    users, names = ",".join("?" * len(user_ids)), ",".join("?" * len(kinds))
    return conn.execute(
        "SELECT user_id, kind, SUM(coins) AS coins FROM ("
        "  SELECT p.user_id, e.kind, p.amount AS coins FROM postings p JOIN journal_entries e ON e.id = p.entry_id"
        f"  WHERE p.guild_id = ? AND p.asset = 'coins' AND p.amount > 0 AND p.user_id IN ({users})"
        f"  AND e.kind IN ({names})"
        "  UNION ALL"
        "  SELECT d.user_id, e.kind, -d.coins FROM coin_debts d JOIN journal_entries e ON e.id = d.entry_id"
        f"  WHERE d.guild_id = ? AND d.coins < 0 AND d.user_id IN ({users}) AND e.kind IN ({names})"
        ") GROUP BY user_id, kind",
        (guild_id, *user_ids, *kinds, guild_id, *user_ids, *kinds),
    ).fetchall()


def refunded_coins(conn: sqlite3.Connection, guild_id: int, user_ids: list[int]) -> list[sqlite3.Row]:
    """(user_id, coins) of each member's Discord purchases that were refunded."""
    users = ",".join("?" * len(user_ids))
    return conn.execute(
        "SELECT user_id, SUM(coins) AS coins FROM entitlement_purchases"
        f" WHERE guild_id = ? AND refund_entry_id IS NOT NULL AND user_id IN ({users}) GROUP BY user_id",
        (guild_id, *user_ids),
    ).fetchall()

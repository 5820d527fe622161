"""Deals on coin packages and the quotes members were shown."""

from __future__ import annotations

import sqlite3

from storage.rows import first_row, inserted_id, only_row


def package_sizes(conn: sqlite3.Connection, guild_id: int) -> list[int]:
    return [
        int(r[0])
        for r in conn.execute(
            "SELECT DISTINCT coins FROM coin_packages WHERE guild_id = ? AND active = 1 ORDER BY coins",
            (guild_id,),
        )
    ]


def active(conn: sqlite3.Connection, guild_id: int, now: int) -> list[sqlite3.Row]:
    """The guild's deals running at `now`, by package size."""
    return conn.execute(
        "SELECT * FROM deals WHERE guild_id = ? AND starts_at <= ? AND ends_at > ? ORDER BY package_coins",
        (guild_id, now, now),
    ).fetchall()


def active_for(conn: sqlite3.Connection, guild_id: int, package_coins: int, now: int) -> sqlite3.Row | None:
    return first_row(
        conn.execute(
            "SELECT * FROM deals WHERE guild_id = ? AND package_coins = ? AND starts_at <= ? AND ends_at > ?",
            (guild_id, package_coins, now, now),
        )
    )


def start(
    conn: sqlite3.Connection,
    guild_id: int,
    package_coins: int,
    bonus_percent: int,
    starts_at: int,
    ends_at: int,
    created_by: int,
) -> int:
    cursor = conn.execute(
        "INSERT INTO deals (guild_id, package_coins, bonus_percent, starts_at, ends_at, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, package_coins, bonus_percent, starts_at, ends_at, created_by),
    )
    return inserted_id(cursor)


def end(conn: sqlite3.Connection, deal_id: int, now: int, ended_by: int) -> bool:
    cursor = conn.execute(
        "UPDATE deals SET ends_at = ?, ended_by = ? WHERE id = ? AND ends_at > ?",
        (now, ended_by, deal_id, now),
    )
    return cursor.rowcount == 1


def deal(conn: sqlite3.Connection, deal_id: int) -> sqlite3.Row | None:
    return first_row(conn.execute("SELECT * FROM deals WHERE id = ?", (deal_id,)))


def add_quote(
    conn: sqlite3.Connection,
    purchase_key: str,
    guild_id: int,
    user_id: int,
    package_coins: int,
    deal_id: int,
    bonus_coins: int,
    now: int,
) -> None:
    """Record the deal shown for a purchase key; a key quoted before keeps its first quote."""
    conn.execute(
        "INSERT INTO deal_quotes (purchase_key, guild_id, user_id, package_coins, deal_id, bonus_coins,"
        " quoted_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (purchase_key) DO NOTHING",
        (purchase_key, guild_id, user_id, package_coins, deal_id, bonus_coins, now),
    )


def quote(conn: sqlite3.Connection, purchase_key: str) -> sqlite3.Row | None:
    return first_row(
        conn.execute(
            "SELECT q.*, d.bonus_percent, d.ends_at FROM deal_quotes q JOIN deals d ON d.id = q.deal_id"
            " WHERE q.purchase_key = ?",
            (purchase_key,),
        )
    )


def mark_credited(conn: sqlite3.Connection, purchase_key: str, bonus_entry_id: int) -> bool:
    """The quote's bonus was credited (by entry `bonus_entry_id`); False if it had been already."""
    cursor = conn.execute(
        "UPDATE deal_quotes SET bonus_entry_id = ? WHERE purchase_key = ? AND bonus_entry_id IS NULL",
        (bonus_entry_id, purchase_key),
    )
    return cursor.rowcount == 1


def latest_open_quote(
    conn: sqlite3.Connection, guild_id: int, user_id: int, package_coins: int, since: int
) -> sqlite3.Row | None:
    """The member's latest unused quote for the package made at `since` or later."""
    return first_row(
        conn.execute(
            "SELECT q.*, d.bonus_percent, d.ends_at FROM deal_quotes q JOIN deals d ON d.id = q.deal_id"
            " WHERE q.guild_id = ? AND q.user_id = ? AND q.package_coins = ? AND q.bonus_entry_id IS NULL"
            " AND q.quoted_at >= ? ORDER BY q.quoted_at DESC LIMIT 1",
            (guild_id, user_id, package_coins, since),
        )
    )


def bonus_coins_of(conn: sqlite3.Connection, bonus_entry_id: int) -> int:
    """The coins the quote credited by `bonus_entry_id` gave."""
    return int(
        only_row(
            conn.execute(
                "SELECT COALESCE(SUM(bonus_coins), 0) FROM deal_quotes WHERE bonus_entry_id = ?",
                (bonus_entry_id,),
            )
        )[0]
    )

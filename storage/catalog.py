"""The gift catalog of each guild."""

from __future__ import annotations

import sqlite3

from storage.rows import first_row, inserted_id

COLUMNS = "id, guild_id, name, emoji, coins, active"


def seed_defaults(conn: sqlite3.Connection, guild_id: int, now: int) -> None:
    """Copy the default catalog into a new guild."""
    conn.execute(
        "INSERT INTO gifts (guild_id, name, name_key, emoji, coins, created_at)"
        " SELECT ?, name, lower(name), emoji, coins, ? FROM default_gifts ORDER BY position"
        " ON CONFLICT (guild_id, name_key) DO NOTHING",
        (guild_id, now),
    )


def gifts(conn: sqlite3.Connection, guild_id: int, include_retired: bool = False) -> list[sqlite3.Row]:
    where = "" if include_retired else " AND active = 1"
    return conn.execute(
        f"SELECT {COLUMNS} FROM gifts WHERE guild_id = ?{where} ORDER BY active DESC, coins, name_key",
        (guild_id,),
    ).fetchall()


def gift_by_key(conn: sqlite3.Connection, guild_id: int, name_key: str) -> sqlite3.Row | None:
    return first_row(
        conn.execute(f"SELECT {COLUMNS} FROM gifts WHERE guild_id = ? AND name_key = ?", (guild_id, name_key))
    )


def gift_by_id(conn: sqlite3.Connection, guild_id: int, gift_id: int) -> sqlite3.Row | None:
    return first_row(
        conn.execute(f"SELECT {COLUMNS} FROM gifts WHERE guild_id = ? AND id = ?", (guild_id, gift_id))
    )


def add_gift(
    conn: sqlite3.Connection, guild_id: int, name: str, name_key: str, emoji: str, coins: int, now: int
) -> int:
    return inserted_id(
        conn.execute(
            "INSERT INTO gifts (guild_id, name, name_key, emoji, coins, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, name, name_key, emoji, coins, now),
        )
    )


def update_gift(conn: sqlite3.Connection, gift_id: int, *, coins: int, emoji: str, active: bool) -> None:
    conn.execute(
        "UPDATE gifts SET coins = ?, emoji = ?, active = ? WHERE id = ?", (coins, emoji, int(active), gift_id)
    )

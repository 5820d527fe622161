"""Wallet rows: cached balances (changed only through storage.ledger) and the member's region."""

from __future__ import annotations

import sqlite3

from storage.rows import first_row


def wallet(conn: sqlite3.Connection, guild_id: int, user_id: int) -> sqlite3.Row | None:
    return first_row(
        conn.execute(
            "SELECT guild_id, user_id, coins, diamonds, region FROM wallets WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
    )


def set_region(conn: sqlite3.Connection, guild_id: int, user_id: int, region: str) -> None:
    conn.execute(
        "INSERT INTO wallets (guild_id, user_id, region) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id, user_id) DO UPDATE SET region = excluded.region",
        (guild_id, user_id, region),
    )


def coins(conn: sqlite3.Connection, guild_id: int, user_id: int) -> int:
    """The member's coin balance (0 for a member without a wallet yet)."""
    row = conn.execute(
        "SELECT coins FROM wallets WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    ).fetchone()
    return row[0] if row else 0

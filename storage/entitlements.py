"""Discord entitlements of coin SKUs the bot has seen, and where each member last opened the shop."""

from __future__ import annotations

import sqlite3

from storage.rows import first_row

CREDITED, CONSUMED, VOID = "credited", "consumed", "void"


def purchase(conn: sqlite3.Connection, entitlement_id: int) -> sqlite3.Row | None:
    return first_row(
        conn.execute("SELECT * FROM entitlement_purchases WHERE entitlement_id = ?", (entitlement_id,))
    )


def insert(
    conn: sqlite3.Connection,
    *,
    entitlement_id: int,
    guild_id: int | None,
    user_id: int,
    sku_id: int,
    coins: int,
    test: bool,
    state: str,
    credit_entry_id: int | None,
    now: int,
) -> None:
    conn.execute(
        "INSERT INTO entitlement_purchases (entitlement_id, guild_id, user_id, sku_id, coins, test, state,"
        " credit_entry_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (entitlement_id, guild_id, user_id, sku_id, coins, int(test), state, credit_entry_id, now),
    )


def mark_consumed(conn: sqlite3.Connection, entitlement_id: int, now: int) -> None:
    conn.execute(
        "UPDATE entitlement_purchases SET state = ?, consumed_at = ? WHERE entitlement_id = ? AND state = ?",
        (CONSUMED, now, entitlement_id, CREDITED),
    )


def set_refund(conn: sqlite3.Connection, entitlement_id: int, entry_id: int) -> None:
    conn.execute(
        "UPDATE entitlement_purchases SET refund_entry_id = ? WHERE entitlement_id = ?",
        (entry_id, entitlement_id),
    )


def record_visit(conn: sqlite3.Connection, user_id: int, guild_id: int, now: int) -> None:
    conn.execute(
        "INSERT INTO shop_visits (user_id, guild_id, visited_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET guild_id = excluded.guild_id, visited_at = excluded.visited_at",
        (user_id, guild_id, now),
    )


def last_shop_guild(conn: sqlite3.Connection, user_id: int) -> int | None:
    row = conn.execute("SELECT guild_id FROM shop_visits WHERE user_id = ?", (user_id,)).fetchone()
    return int(row[0]) if row else None

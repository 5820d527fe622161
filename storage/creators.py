"""Creators registered in a guild, with their thank-you settings."""

from __future__ import annotations

import sqlite3

from storage.rows import first_row


def creator(conn: sqlite3.Connection, guild_id: int, user_id: int) -> sqlite3.Row | None:
    """The creator's row if they are registered (not removed)."""
    return first_row(
        conn.execute(
            "SELECT * FROM creators WHERE guild_id = ? AND user_id = ? AND removed_at IS NULL",
            (guild_id, user_id),
        )
    )


def register(conn: sqlite3.Connection, guild_id: int, user_id: int, now: int) -> bool:
    """Register (or re-register after a removal); False if already registered."""
    if creator(conn, guild_id, user_id) is not None:
        return False
    conn.execute(
        "INSERT INTO creators (guild_id, user_id, registered_at) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id, user_id) DO UPDATE SET registered_at = excluded.registered_at,"
        " removed_at = NULL",
        (guild_id, user_id, now),
    )
    return True


def remove(conn: sqlite3.Connection, guild_id: int, user_id: int, now: int) -> bool:
    return (
        conn.execute(
            "UPDATE creators SET removed_at = ? WHERE guild_id = ? AND user_id = ? AND removed_at IS NULL",
            (now, guild_id, user_id),
        ).rowcount
        == 1
    )


def set_thanks(conn: sqlite3.Connection, guild_id: int, user_id: int, template: str | None) -> bool:
    return (
        conn.execute(
            "UPDATE creators SET thanks_template = ? WHERE guild_id = ? AND user_id = ? AND removed_at IS NULL",
            (template, guild_id, user_id),
        ).rowcount
        == 1
    )


def set_threshold(conn: sqlite3.Connection, guild_id: int, user_id: int, coins: int) -> bool:
    return (
        conn.execute(
            "UPDATE creators SET shoutout_threshold = ? WHERE guild_id = ? AND user_id = ?"
            " AND removed_at IS NULL",
            (coins, guild_id, user_id),
        ).rowcount
        == 1
    )

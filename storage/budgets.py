"""Budget limits, budget preferences (guard mode, reminders) and the gift spending they are checked against."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from storage.rows import first_row


def member_spending(
    conn: sqlite3.Connection, guild_id: int, user_id: int, start: int, end: int, kinds: Sequence[str]
) -> int:
    """Coins the member spent in [start, end) (microseconds UTC) in entries of the given `kinds` (the
    caller says which kinds are spending). An entry a moderator reversed does not count: the member
    got the coins back."""
    if not kinds:
        return 0
    marks = ", ".join("?" * len(kinds))
    row = conn.execute(
        "SELECT COALESCE(-SUM(p.amount), 0) FROM postings p JOIN journal_entries e ON e.id = p.entry_id"
        " WHERE p.guild_id = ? AND p.user_id = ? AND p.asset = 'coins' AND p.amount < 0"
        f" AND e.kind IN ({marks}) AND e.created_at >= ? AND e.created_at < ?"
        " AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.reverses_entry_id = e.id)",
        (guild_id, user_id, *kinds, start, end),
    ).fetchone()
    return int(row[0])


def limits(conn: sqlite3.Connection, guild_id: int, user_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT period, coins, pending_coins, pending_at FROM budget_limits WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    ).fetchall()


def save_limit(
    conn: sqlite3.Connection,
    guild_id: int,
    user_id: int,
    period: str,
    coins: int | None,
    pending_coins: int | None,
    pending_at: int | None,
    now: int,
) -> None:
    """Store the limit in force and the pending change; neither left: the row goes."""
    if coins is None and pending_at is None:
        conn.execute(
            "DELETE FROM budget_limits WHERE guild_id = ? AND user_id = ? AND period = ?",
            (guild_id, user_id, period),
        )
        return
    conn.execute(
        "INSERT INTO budget_limits (guild_id, user_id, period, coins, pending_coins, pending_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id, period) DO UPDATE SET"
        " coins = excluded.coins, pending_coins = excluded.pending_coins,"
        " pending_at = excluded.pending_at, updated_at = excluded.updated_at",
        (guild_id, user_id, period, coins, pending_coins, pending_at, now),
    )


def member_settings(conn: sqlite3.Connection, guild_id: int, user_id: int) -> sqlite3.Row | None:
    return first_row(
        conn.execute("SELECT * FROM budget_settings WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    )


def guild_timezone(conn: sqlite3.Connection, guild_id: int) -> str | None:
    row = conn.execute("SELECT timezone FROM guild_settings WHERE guild_id = ?", (guild_id,)).fetchone()
    return row[0] if row else None


def set_mode(
    conn: sqlite3.Connection,
    guild_id: int,
    user_id: int,
    mode: str,
    now: int,
    pending_mode: str | None = None,
    pending_at: int | None = None,
) -> None:
    """Store the guard mode in force and the switch still waiting (None: none)."""
    conn.execute(
        "INSERT INTO budget_settings (guild_id, user_id, mode, pending_mode, pending_mode_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET mode = excluded.mode,"
        " pending_mode = excluded.pending_mode, pending_mode_at = excluded.pending_mode_at,"
        " updated_at = excluded.updated_at",
        (guild_id, user_id, mode, pending_mode, pending_at, now),
    )


def set_pending_timezone(
    conn: sqlite3.Connection, guild_id: int, user_id: int, timezone: str | None, at: int | None
) -> None:
    """The time zone the member's days switch to at `at` (None: no switch waiting); the row exists."""
    conn.execute(
        "UPDATE budget_settings SET pending_timezone = ?, pending_timezone_at = ?"
        " WHERE guild_id = ? AND user_id = ?",
        (timezone, at, guild_id, user_id),
    )


def set_reminders(
    conn: sqlite3.Connection,
    guild_id: int,
    user_id: int,
    enabled: bool,
    minute: int,
    timezone: str | None,
    last_reminded_date: str | None,
    now: int,
) -> None:
    """Store the reminder preference; (re)enabling clears a pause."""
    conn.execute(
        "INSERT INTO budget_settings (guild_id, user_id, reminders_enabled, reminder_minute, timezone,"
        " last_reminded_date, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (guild_id, user_id) DO UPDATE SET reminders_enabled = excluded.reminders_enabled,"
        " reminder_minute = excluded.reminder_minute, timezone = excluded.timezone,"
        " last_reminded_date = excluded.last_reminded_date, reminders_paused_at = NULL,"
        " updated_at = excluded.updated_at",
        (guild_id, user_id, int(enabled), minute, timezone, last_reminded_date, now),
    )


def active_reminders(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every enabled, unpaused reminder with the guild's time zone (for members without their own)."""
    return conn.execute(
        "SELECT b.guild_id, b.user_id, b.reminder_minute, b.timezone, b.pending_timezone,"
        " b.pending_timezone_at, b.last_reminded_date, g.timezone AS guild_timezone"
        " FROM budget_settings b LEFT JOIN guild_settings g ON g.guild_id = b.guild_id"
        " WHERE b.reminders_enabled = 1 AND b.reminders_paused_at IS NULL"
    ).fetchall()


def claim_reminder(conn: sqlite3.Connection, guild_id: int, user_id: int, local_date: str) -> bool:
    """Mark the member reminded for `local_date` unless they already were for it (or a later day)."""
    return (
        conn.execute(
            "UPDATE budget_settings SET last_reminded_date = ?"
            " WHERE guild_id = ? AND user_id = ? AND reminders_enabled = 1 AND reminders_paused_at IS NULL"
            " AND (last_reminded_date IS NULL OR last_reminded_date < ?)",
            (local_date, guild_id, user_id, local_date),
        ).rowcount
        == 1
    )


def pause_reminders(conn: sqlite3.Connection, guild_id: int, user_id: int, now: int) -> None:
    conn.execute(
        "UPDATE budget_settings SET reminders_paused_at = ? WHERE guild_id = ? AND user_id = ?",
        (now, guild_id, user_id),
    )


def pause_server_reminders(conn: sqlite3.Connection, guild_id: int, now: int) -> int:
    """Pause every running reminder of the guild (the bot left it); how many were paused."""
    return conn.execute(
        "UPDATE budget_settings SET reminders_paused_at = ?"
        " WHERE guild_id = ? AND reminders_enabled = 1 AND reminders_paused_at IS NULL",
        (now, guild_id),
    ).rowcount

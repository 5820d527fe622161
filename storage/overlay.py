"""Stream overlays: secret keys, settings, goals, the per-creator alert log, last-seen times."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

SETTING_COLUMNS = ("min_coins", "duration_s", "tts", "tts_min_coins", "sound", "delay_s")
WIDGETS = ("alerts", "goal", "top")


def _row(cursor: sqlite3.Cursor) -> sqlite3.Row | None:
    row: sqlite3.Row | None = cursor.fetchone()
    return row


def _number(cursor: sqlite3.Cursor) -> int:
    value: int | None = cursor.fetchone()[0]
    return value or 0


# --- keys ------------------------------------------------------------------------------------------


def key_of(conn: sqlite3.Connection, guild_id: int, creator_id: int) -> sqlite3.Row | None:
    return _row(
        conn.execute(
            "SELECT * FROM overlay_keys WHERE guild_id = ? AND creator_id = ?", (guild_id, creator_id)
        )
    )


def key_by_digest(conn: sqlite3.Connection, digest: str) -> sqlite3.Row | None:
    return _row(conn.execute("SELECT * FROM overlay_keys WHERE digest = ?", (digest,)))


def put_key(
    conn: sqlite3.Connection, guild_id: int, creator_id: int, secret: str, digest: str, now: int
) -> None:
    """Create or replace the creator's key (a rotation makes the old secret unknown at once)."""
    conn.execute(
        "INSERT INTO overlay_keys (guild_id, creator_id, secret, digest, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (guild_id, creator_id) DO UPDATE SET secret = excluded.secret,"
        " digest = excluded.digest, created_at = excluded.created_at",
        (guild_id, creator_id, secret, digest, now),
    )


# --- settings and goals ----------------------------------------------------------------------------


def settings(conn: sqlite3.Connection, guild_id: int, creator_id: int) -> sqlite3.Row:
    """The creator's overlay settings (the defaults when never changed)."""
    row = _row(
        conn.execute(
            "SELECT * FROM overlay_settings WHERE guild_id = ? AND creator_id = ?", (guild_id, creator_id)
        )
    )
    if row is not None:
        return row
    defaults = _row(
        conn.execute(
            "SELECT ? AS guild_id, ? AS creator_id, 1 AS min_coins, 5 AS duration_s, 0 AS tts,"
            " 100 AS tts_min_coins, 1 AS sound, 0 AS delay_s",
            (guild_id, creator_id),
        )
    )
    assert defaults is not None  # a SELECT without FROM always returns its row
    return defaults


def update_settings(
    conn: sqlite3.Connection, guild_id: int, creator_id: int, changes: dict[str, int]
) -> None:
    unknown = set(changes) - set(SETTING_COLUMNS)
    if unknown:
        raise ValueError(f"unknown overlay settings {sorted(unknown)}")
    conn.execute(
        "INSERT INTO overlay_settings (guild_id, creator_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (guild_id, creator_id),
    )
    for column, value in changes.items():  # column names come from SETTING_COLUMNS, never from input
        conn.execute(
            f"UPDATE overlay_settings SET {column} = ? WHERE guild_id = ? AND creator_id = ?",
            (value, guild_id, creator_id),
        )


def goal(conn: sqlite3.Connection, guild_id: int, creator_id: int) -> sqlite3.Row | None:
    return _row(
        conn.execute(
            "SELECT * FROM overlay_goals WHERE guild_id = ? AND creator_id = ?", (guild_id, creator_id)
        )
    )


def set_goal(
    conn: sqlite3.Connection, guild_id: int, creator_id: int, coins: int, title: str | None, now: int
) -> None:
    conn.execute(
        "INSERT INTO overlay_goals (guild_id, creator_id, coins, title, set_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (guild_id, creator_id) DO UPDATE SET coins = excluded.coins, title = excluded.title,"
        " set_at = excluded.set_at",
        (guild_id, creator_id, coins, title, now),
    )


# --- the alert log ---------------------------------------------------------------------------------


def add_test_alert(
    conn: sqlite3.Connection,
    guild_id: int,
    creator_id: int,
    sender_id: int,
    gift_name: str,
    emoji: str,
    count: int,
    coins: int,
    message: str | None,
    now: int,
) -> int:
    cursor = conn.execute(
        "INSERT INTO overlay_alerts (guild_id, creator_id, kind, sender_id, gift_name, emoji, count, coins,"
        " message, created_at, show_at) VALUES (?, ?, 'test', ?, ?, ?, ?, ?, ?, ?, ?)",
        (guild_id, creator_id, sender_id, gift_name, emoji, count, coins, message, now, now),
    )
    return cursor.lastrowid or 0


def alerts_after(
    conn: sqlite3.Connection, guild_id: int, creator_id: int, after_id: int, since: int, limit: int
) -> list[sqlite3.Row]:
    """Alerts with an id above `after_id` created at or after `since`, oldest first."""
    rows: list[sqlite3.Row] = conn.execute(
        "SELECT * FROM overlay_alerts WHERE guild_id = ? AND creator_id = ? AND id > ? AND created_at >= ?"
        " ORDER BY id LIMIT ?",
        (guild_id, creator_id, after_id, since, limit),
    ).fetchall()
    return rows


def last_alert_id(conn: sqlite3.Connection, guild_id: int, creator_id: int) -> int:
    return _number(
        conn.execute(
            "SELECT MAX(id) FROM overlay_alerts WHERE guild_id = ? AND creator_id = ?", (guild_id, creator_id)
        )
    )


def first_held_id(conn: sqlite3.Connection, guild_id: int, creator_id: int, now: int) -> int | None:
    """The lowest id still held back by a delay, or None."""
    row = _row(
        conn.execute(
            "SELECT MIN(id) FROM overlay_alerts WHERE guild_id = ? AND creator_id = ? AND show_at > ?",
            (guild_id, creator_id, now),
        )
    )
    value: int | None = row[0] if row is not None else None
    return value


def alert_of_entry(conn: sqlite3.Connection, entry_id: int) -> sqlite3.Row | None:
    return _row(conn.execute("SELECT * FROM overlay_alerts WHERE entry_id = ?", (entry_id,)))


def hide_message(conn: sqlite3.Connection, alert_id: int) -> bool:
    return (
        conn.execute(
            "UPDATE overlay_alerts SET message_hidden = 1 WHERE id = ? AND message_hidden = 0", (alert_id,)
        ).rowcount
        == 1
    )


def waiting_count(conn: sqlite3.Connection, guild_id: int, creator_id: int, now: int) -> int:
    """Alerts held back by the creator's delay."""
    return _number(
        conn.execute(
            "SELECT COUNT(*) FROM overlay_alerts WHERE guild_id = ? AND creator_id = ? AND show_at > ?",
            (guild_id, creator_id, now),
        )
    )


def prune_alerts(conn: sqlite3.Connection, before: int) -> int:
    deleted: int = conn.execute("DELETE FROM overlay_alerts WHERE created_at < ?", (before,)).rowcount
    return deleted


# --- widgets ---------------------------------------------------------------------------------------


def session_coins(conn: sqlite3.Connection, session_id: int) -> int:
    return _number(
        conn.execute(
            "SELECT COALESCE(SUM(count * unit_price), 0) FROM standing_gifts WHERE live_session_id = ?",
            (session_id,),
        )
    )


# --- last seen -------------------------------------------------------------------------------------


def mark_seen(
    conn: sqlite3.Connection, guild_id: int, creator_id: int, widgets: Sequence[str], now: int
) -> None:
    conn.executemany(
        "INSERT INTO overlay_seen (guild_id, creator_id, widget, last_seen_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (guild_id, creator_id, widget) DO UPDATE SET last_seen_at = excluded.last_seen_at",
        [(guild_id, creator_id, widget, now) for widget in widgets],
    )


def last_seen(conn: sqlite3.Connection, guild_id: int, creator_id: int) -> list[sqlite3.Row]:
    rows: list[sqlite3.Row] = conn.execute(
        "SELECT widget, last_seen_at FROM overlay_seen WHERE guild_id = ? AND creator_id = ? ORDER BY widget",
        (guild_id, creator_id),
    ).fetchall()
    return rows

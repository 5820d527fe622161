"""Which live sessions auto-live started (and so may end)."""

from __future__ import annotations

import sqlite3


def mark(conn: sqlite3.Connection, session_id: int) -> None:
    conn.execute(
        "INSERT INTO auto_live_sessions (session_id) VALUES (?) ON CONFLICT DO NOTHING", (session_id,)
    )


def is_auto(conn: sqlite3.Connection, session_id: int) -> bool:
    row = conn.execute("SELECT 1 FROM auto_live_sessions WHERE session_id = ?", (session_id,)).fetchone()
    return row is not None


def open_sessions(conn: sqlite3.Connection, guild_id: int) -> list[tuple[int, int]]:
    """(session id, creator id) of the guild's open sessions that auto-live started."""
    rows = conn.execute(
        "SELECT s.id, s.creator_id FROM live_sessions s JOIN auto_live_sessions a ON a.session_id = s.id"
        " WHERE s.guild_id = ? AND s.ended_at IS NULL ORDER BY s.id",
        (guild_id,),
    ).fetchall()
    return [(int(row[0]), int(row[1])) for row in rows]

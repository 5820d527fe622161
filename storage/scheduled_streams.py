"""Streams announced ahead as Discord scheduled events, and the live sessions they became."""

from __future__ import annotations

import sqlite3

from storage.rows import first_row, inserted_id


def add(
    conn: sqlite3.Connection,
    guild_id: int,
    creator_id: int,
    event_id: int,
    title: str,
    channel_id: int | None,
    starts_at: int,
    now: int,
) -> int:
    cursor = conn.execute(
        "INSERT INTO scheduled_streams (guild_id, creator_id, event_id, title, channel_id, starts_at,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (guild_id, creator_id, event_id, title, channel_id, starts_at, now),
    )
    return inserted_id(cursor)


def stream(conn: sqlite3.Connection, stream_id: int) -> sqlite3.Row | None:
    return first_row(conn.execute("SELECT * FROM scheduled_streams WHERE id = ?", (stream_id,)))


def open_for(conn: sqlite3.Connection, guild_id: int, creator_id: int) -> sqlite3.Row | None:
    """The creator's scheduled or running stream, if any."""
    return first_row(
        conn.execute(
            "SELECT * FROM scheduled_streams WHERE guild_id = ? AND creator_id = ?"
            " AND status IN ('scheduled', 'live')",
            (guild_id, creator_id),
        )
    )


def by_event(conn: sqlite3.Connection, guild_id: int, event_id: int) -> sqlite3.Row | None:
    return first_row(
        conn.execute(
            "SELECT * FROM scheduled_streams WHERE guild_id = ? AND event_id = ?", (guild_id, event_id)
        )
    )


def by_session(conn: sqlite3.Connection, session_id: int) -> sqlite3.Row | None:
    return first_row(
        conn.execute(
            "SELECT * FROM scheduled_streams WHERE session_id = ? AND status = 'live'", (session_id,)
        )
    )


def due(conn: sqlite3.Connection, now: int) -> list[sqlite3.Row]:
    """Scheduled streams whose time has come, oldest first."""
    return conn.execute(
        "SELECT * FROM scheduled_streams WHERE status = 'scheduled' AND starts_at <= ? ORDER BY starts_at",
        (now,),
    ).fetchall()


def mark_live(conn: sqlite3.Connection, stream_id: int, session_id: int) -> bool:
    cursor = conn.execute(
        "UPDATE scheduled_streams SET status = 'live', session_id = ? WHERE id = ? AND status = 'scheduled'",
        (session_id, stream_id),
    )
    return cursor.rowcount == 1


def close(conn: sqlite3.Connection, stream_id: int, status: str) -> bool:
    """Mark a scheduled or running stream 'ended' or 'cancelled'; False if it was closed already."""
    cursor = conn.execute(
        "UPDATE scheduled_streams SET status = ? WHERE id = ? AND status IN ('scheduled', 'live')",
        (status, stream_id),
    )
    return cursor.rowcount == 1

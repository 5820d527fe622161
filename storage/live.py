"""Live sessions of creators and what they received."""

from __future__ import annotations

import sqlite3

from storage.rows import first_row, inserted_id, only_row


def open_session(conn: sqlite3.Connection, guild_id: int, creator_id: int) -> sqlite3.Row | None:
    return first_row(
        conn.execute(
            "SELECT * FROM live_sessions WHERE guild_id = ? AND creator_id = ? AND ended_at IS NULL",
            (guild_id, creator_id),
        )
    )


def start(
    conn: sqlite3.Connection,
    guild_id: int,
    creator_id: int,
    title: str | None,
    now: int,
    channel_id: int | None = None,
) -> int:
    return inserted_id(
        conn.execute(
            "INSERT INTO live_sessions (guild_id, creator_id, title, started_at, channel_id)"
            " VALUES (?, ?, ?, ?, ?)",
            (guild_id, creator_id, title, now, channel_id),
        )
    )


def end(conn: sqlite3.Connection, session_id: int, now: int) -> bool:
    return (
        conn.execute(
            "UPDATE live_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL", (now, session_id)
        ).rowcount
        == 1
    )


def session(conn: sqlite3.Connection, session_id: int) -> sqlite3.Row | None:
    return first_row(conn.execute("SELECT * FROM live_sessions WHERE id = ?", (session_id,)))


def totals(conn: sqlite3.Connection, session_id: int) -> sqlite3.Row:
    """Sends, gifts (units) and coins received during the session."""
    return only_row(
        conn.execute(
            "SELECT COUNT(*) AS sends, COALESCE(SUM(count), 0) AS gifts,"
            " COALESCE(SUM(count * unit_price), 0) AS coins, COUNT(DISTINCT sender_id) AS senders"
            " FROM standing_gifts WHERE live_session_id = ?",
            (session_id,),
        )
    )


def top_gifters(conn: sqlite3.Connection, session_id: int, limit: int = 3) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT e.sender_id, SUM(e.count * e.unit_price) AS coins, COALESCE(MAX(p.hide_amounts), 0) AS hidden"
        " FROM standing_gifts e LEFT JOIN member_prefs p ON p.guild_id = e.guild_id AND p.user_id = e.sender_id"
        " WHERE e.live_session_id = ? GROUP BY e.sender_id ORDER BY coins DESC, MIN(e.entry_id) LIMIT ?",
        (session_id, limit),
    ).fetchall()


def breakdown(conn: sqlite3.Connection, session_id: int) -> list[sqlite3.Row]:
    """Per gift: how many and how many coins (the name as the gift is called now)."""
    return conn.execute(
        "SELECT g.name, g.emoji, SUM(e.count) AS count, SUM(e.count * e.unit_price) AS coins"
        " FROM standing_gifts e JOIN gifts g ON g.id = e.gift_id WHERE e.live_session_id = ?"
        " GROUP BY e.gift_id ORDER BY coins DESC, g.name_key",
        (session_id,),
    ).fetchall()

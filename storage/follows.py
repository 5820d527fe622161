"""Members following creators, their go-live DM settings, and the queue of go-live DMs to send."""

from __future__ import annotations

import sqlite3

from storage.rows import first_row, only_row


def follow(conn: sqlite3.Connection, guild_id: int, creator_id: int, follower_id: int, now: int) -> bool:
    """False if the member already follows the creator."""
    cursor = conn.execute(
        "INSERT INTO follows (guild_id, creator_id, follower_id, followed_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (guild_id, creator_id, follower_id, now),
    )
    return cursor.rowcount == 1


def unfollow(conn: sqlite3.Connection, guild_id: int, creator_id: int, follower_id: int) -> bool:
    cursor = conn.execute(
        "DELETE FROM follows WHERE guild_id = ? AND creator_id = ? AND follower_id = ?",
        (guild_id, creator_id, follower_id),
    )
    conn.execute(
        "DELETE FROM live_notifications WHERE guild_id = ? AND creator_id = ? AND follower_id = ?",
        (guild_id, creator_id, follower_id),
    )
    return cursor.rowcount == 1


def following(conn: sqlite3.Connection, guild_id: int, follower_id: int) -> list[sqlite3.Row]:
    """The creators the member follows, oldest follow first, and whether each is live now."""
    return conn.execute(
        "SELECT f.creator_id, f.followed_at, f.last_notified_at, l.id IS NOT NULL AS live FROM follows f"
        " LEFT JOIN live_sessions l ON l.guild_id = f.guild_id AND l.creator_id = f.creator_id"
        "  AND l.ended_at IS NULL"
        " WHERE f.guild_id = ? AND f.follower_id = ? ORDER BY f.followed_at, f.creator_id",
        (guild_id, follower_id),
    ).fetchall()


def following_count(conn: sqlite3.Connection, guild_id: int, follower_id: int) -> int:
    return int(
        only_row(
            conn.execute(
                "SELECT COUNT(*) FROM follows WHERE guild_id = ? AND follower_id = ?", (guild_id, follower_id)
            )
        )[0]
    )


def follower_count(conn: sqlite3.Connection, guild_id: int, creator_id: int) -> int:
    return int(
        only_row(
            conn.execute(
                "SELECT COUNT(*) FROM follows WHERE guild_id = ? AND creator_id = ?", (guild_id, creator_id)
            )
        )[0]
    )


def settings(conn: sqlite3.Connection, guild_id: int, user_id: int) -> sqlite3.Row | None:
    return first_row(
        conn.execute(
            "SELECT * FROM follower_settings WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
    )


def set_quiet_hours(
    conn: sqlite3.Connection, guild_id: int, user_id: int, quiet_from: int | None, quiet_to: int | None
) -> None:
    conn.execute(
        "INSERT INTO follower_settings (guild_id, user_id, quiet_from, quiet_to) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (guild_id, user_id) DO UPDATE SET quiet_from = excluded.quiet_from,"
        " quiet_to = excluded.quiet_to",
        (guild_id, user_id, quiet_from, quiet_to),
    )


def set_notifications(conn: sqlite3.Connection, guild_id: int, user_id: int, enabled: bool) -> None:
    """Turn go-live DMs on (which also lifts a pause) or off."""
    conn.execute(
        "INSERT INTO follower_settings (guild_id, user_id, notifications) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id, user_id) DO UPDATE SET notifications = excluded.notifications,"
        " paused_at = NULL",
        (guild_id, user_id, int(enabled)),
    )


def pause(conn: sqlite3.Connection, guild_id: int, user_id: int, now: int) -> None:
    """The member's DMs are closed: no go-live DMs until they turn them on again."""
    conn.execute(
        "INSERT INTO follower_settings (guild_id, user_id, paused_at) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id, user_id) DO UPDATE SET paused_at = excluded.paused_at",
        (guild_id, user_id, now),
    )
    conn.execute("DELETE FROM live_notifications WHERE guild_id = ? AND follower_id = ?", (guild_id, user_id))


def queue_followers(
    conn: sqlite3.Connection, guild_id: int, creator_id: int, session_id: int, now: int
) -> int:
    """Queue a go-live DM for every follower of the creator who wants them; returns how many."""
    cursor = conn.execute(
        "INSERT INTO live_notifications (guild_id, session_id, creator_id, follower_id, queued_at)"
        " SELECT f.guild_id, ?, f.creator_id, f.follower_id, ? FROM follows f"
        " LEFT JOIN follower_settings s ON s.guild_id = f.guild_id AND s.user_id = f.follower_id"
        " WHERE f.guild_id = ? AND f.creator_id = ?"
        " AND COALESCE(s.notifications, 1) = 1 AND s.paused_at IS NULL"
        " ORDER BY f.followed_at ON CONFLICT DO NOTHING",
        (session_id, now, guild_id, creator_id),
    )
    return cursor.rowcount


def next_queued(conn: sqlite3.Connection, limit: int, now: int) -> list[sqlite3.Row]:
    """The oldest queued DMs, with what deciding and writing them needs (the follower's own time zone
    as in force at `now`)."""
    return conn.execute(
        "SELECT n.id, n.guild_id, n.session_id, n.creator_id, n.follower_id,"
        " l.title, l.channel_id, l.ended_at,"
        " f.last_notified_at, f.follower_id IS NOT NULL AS following,"
        " s.quiet_from, s.quiet_to, COALESCE(s.notifications, 1) AS notifications, s.paused_at,"
        " CASE WHEN b.pending_timezone_at <= ? THEN b.pending_timezone ELSE b.timezone END AS timezone,"
        " g.timezone AS guild_timezone"
        " FROM live_notifications n JOIN live_sessions l ON l.id = n.session_id"
        " LEFT JOIN follows f ON f.guild_id = n.guild_id AND f.creator_id = n.creator_id"
        "  AND f.follower_id = n.follower_id"
        " LEFT JOIN follower_settings s ON s.guild_id = n.guild_id AND s.user_id = n.follower_id"
        " LEFT JOIN budget_settings b ON b.guild_id = n.guild_id AND b.user_id = n.follower_id"
        " LEFT JOIN guild_settings g ON g.guild_id = n.guild_id"
        " ORDER BY n.id LIMIT ?",
        (now, limit),
    ).fetchall()


def take(conn: sqlite3.Connection, notification_id: int) -> bool:
    """Remove a queued DM; False if it was already gone (unfollowed, paused)."""
    return conn.execute("DELETE FROM live_notifications WHERE id = ?", (notification_id,)).rowcount == 1


def claim_notification(
    conn: sqlite3.Connection, guild_id: int, creator_id: int, follower_id: int, now: int, not_since: int
) -> bool:
    """Record a go-live DM about to be sent, unless one went out after `not_since` (at most one per
    creator per follower in a window)."""
    cursor = conn.execute(
        "UPDATE follows SET last_notified_at = ? WHERE guild_id = ? AND creator_id = ? AND follower_id = ?"
        " AND (last_notified_at IS NULL OR last_notified_at <= ?)",
        (now, guild_id, creator_id, follower_id, not_since),
    )
    return cursor.rowcount == 1


def queued_count(conn: sqlite3.Connection) -> int:
    return int(only_row(conn.execute("SELECT COUNT(*) FROM live_notifications"))[0])

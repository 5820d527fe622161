"""Leaderboards from the ledger's gift entries, and members' privacy choice."""

from __future__ import annotations

import sqlite3

# `who` is one of these column names (never user input).
ROLES = ("sender_id", "creator_id")


def top(
    conn: sqlite3.Connection, guild_id: int, who: str, since: int | None, limit: int
) -> list[sqlite3.Row]:
    """Members ranked by coins of gifts sent (`sender_id`) or received (`creator_id`) since `since`,
    with their competition rank (ties share a rank) and their privacy choice."""
    if who not in ROLES:
        raise ValueError(who)
    return conn.execute(
        f"WITH totals AS (SELECT {who} AS user_id, SUM(count * unit_price) AS coins FROM standing_gifts"
        f"  WHERE guild_id = ? AND created_at >= ? GROUP BY {who})"
        " SELECT t.user_id, t.coins, RANK() OVER (ORDER BY t.coins DESC) AS rank,"
        " COALESCE(p.hide_amounts, 0) AS hidden"
        " FROM totals t LEFT JOIN member_prefs p ON p.guild_id = ? AND p.user_id = t.user_id"
        " ORDER BY t.coins DESC, t.user_id LIMIT ?",
        (guild_id, since if since is not None else -(2**62), guild_id, limit),
    ).fetchall()


def rank_of(
    conn: sqlite3.Connection, guild_id: int, who: str, since: int | None, user_id: int
) -> sqlite3.Row | None:
    """The member's own total and rank, or None if they have none in the period."""
    if who not in ROLES:
        raise ValueError(who)
    start = since if since is not None else -(2**62)
    own = conn.execute(
        f"SELECT SUM(count * unit_price) FROM standing_gifts WHERE guild_id = ? AND created_at >= ? AND {who} = ?",
        (guild_id, start, user_id),
    ).fetchone()[0]
    if not own:
        return None
    return conn.execute(
        f"SELECT ? AS user_id, ? AS coins, 1 + (SELECT COUNT(*) FROM (SELECT SUM(count * unit_price) AS c"
        f"  FROM standing_gifts WHERE guild_id = ? AND created_at >= ? GROUP BY {who}) WHERE c > ?) AS rank,"
        " COALESCE((SELECT hide_amounts FROM member_prefs WHERE guild_id = ? AND user_id = ?), 0) AS hidden",
        (user_id, own, guild_id, start, own, guild_id, user_id),
    ).fetchone()


def set_hidden(conn: sqlite3.Connection, guild_id: int, user_id: int, hidden: bool) -> None:
    conn.execute(
        "INSERT INTO member_prefs (guild_id, user_id, hide_amounts) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id, user_id) DO UPDATE SET hide_amounts = excluded.hide_amounts",
        (guild_id, user_id, int(hidden)),
    )

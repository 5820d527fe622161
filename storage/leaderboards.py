"""Leaderboards from the ledger's gift entries, and members' privacy choice."""

from __future__ import annotations

import sqlite3

from storage.rows import first_row

# `who` is one of these column names (never user input); all-time boards read gift_totals' role.
ROLES = {"sender_id": "sender", "creator_id": "creator"}


def top(
    conn: sqlite3.Connection, guild_id: int, who: str, since: int | None, limit: int
) -> list[sqlite3.Row]:
    """Members ranked by coins of gifts sent (`sender_id`) or received (`creator_id`) since `since`
    (None: all time), with their competition rank (ties share a rank) and their privacy choice."""
    if who not in ROLES:
        raise ValueError(who)
    if since is None:  # running totals: one row per member, however long the history
        return conn.execute(
            "SELECT t.user_id, t.coins, RANK() OVER (ORDER BY t.coins DESC) AS rank,"
            " COALESCE(p.hide_amounts, 0) AS hidden"
            " FROM gift_totals t LEFT JOIN member_prefs p ON p.guild_id = t.guild_id AND p.user_id = t.user_id"
            " WHERE t.guild_id = ? AND t.role = ? AND t.coins > 0"
            " ORDER BY t.coins DESC, t.user_id LIMIT ?",
            (guild_id, ROLES[who], limit),
        ).fetchall()
    return conn.execute(
        f"WITH totals AS (SELECT {who} AS user_id, SUM(count * unit_price) AS coins FROM standing_gifts"
        f"  WHERE guild_id = ? AND created_at >= ? GROUP BY {who})"
        " SELECT t.user_id, t.coins, RANK() OVER (ORDER BY t.coins DESC) AS rank,"
        " COALESCE(p.hide_amounts, 0) AS hidden"
        " FROM totals t LEFT JOIN member_prefs p ON p.guild_id = ? AND p.user_id = t.user_id"
        " ORDER BY t.coins DESC, t.user_id LIMIT ?",
        (guild_id, since, guild_id, limit),
    ).fetchall()


def rank_of(
    conn: sqlite3.Connection, guild_id: int, who: str, since: int | None, user_id: int
) -> sqlite3.Row | None:
    """The member's own total and rank, or None if they have none in the period."""
    if who not in ROLES:
        raise ValueError(who)
    if since is None:
        return first_row(
            conn.execute(
                "SELECT t.user_id, t.coins,"
                " 1 + (SELECT COUNT(*) FROM gift_totals o"
                "      WHERE o.guild_id = t.guild_id AND o.role = t.role AND o.coins > t.coins) AS rank,"
                " COALESCE(p.hide_amounts, 0) AS hidden"
                " FROM gift_totals t LEFT JOIN member_prefs p ON p.guild_id = t.guild_id AND p.user_id = t.user_id"
                " WHERE t.guild_id = ? AND t.role = ? AND t.user_id = ? AND t.coins > 0",
                (guild_id, ROLES[who], user_id),
            )
        )
    own = conn.execute(
        f"SELECT SUM(count * unit_price) FROM standing_gifts WHERE guild_id = ? AND created_at >= ? AND {who} = ?",
        (guild_id, since, user_id),
    ).fetchone()[0]
    if not own:
        return None
    return first_row(
        conn.execute(
            f"SELECT ? AS user_id, ? AS coins, 1 + (SELECT COUNT(*) FROM (SELECT SUM(count * unit_price) AS c"
            f"  FROM standing_gifts WHERE guild_id = ? AND created_at >= ? GROUP BY {who}) WHERE c > ?) AS rank,"
            " COALESCE((SELECT hide_amounts FROM member_prefs WHERE guild_id = ? AND user_id = ?), 0) AS hidden",
            (user_id, own, guild_id, since, own, guild_id, user_id),
        )
    )


def set_hidden(conn: sqlite3.Connection, guild_id: int, user_id: int, hidden: bool) -> None:
    conn.execute(
        "INSERT INTO member_prefs (guild_id, user_id, hide_amounts) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id, user_id) DO UPDATE SET hide_amounts = excluded.hide_amounts",
        (guild_id, user_id, int(hidden)),
    )

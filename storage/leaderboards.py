"""Leaderboards from totals kept with the ledger's gift entries, and members' privacy choice."""

from __future__ import annotations

import sqlite3

# `who` is one of these column names (never user input); all-time boards read gift_totals' role.
ROLES = {"sender_id": "sender", "creator_id": "creator"}


# A period board: ("day" | "week", local date of its first day as days since 1970-01-01); None: all time.
Period = tuple[str, int] | None
DAY_US = 86_400_000_000


def top(conn: sqlite3.Connection, guild_id: int, who: str, period: Period, limit: int) -> list[sqlite3.Row]:
    """Members ranked by coins of gifts sent (`sender_id`) or received (`creator_id`) in `period`, with
    their competition rank (ties share a rank) and their privacy choice. Reads kept totals only (one
    row per member of the period), and of those only the top: read off the end of a rank index."""
    if who not in ROLES:
        raise ValueError(who)
    if period is None:  # running totals: one row per member, however long the history
        board = "gift_totals WHERE guild_id = ? AND role = ?"
        params: tuple[object, ...] = (guild_id, ROLES[who])
    else:
        board = "gift_period_totals WHERE guild_id = ? AND role = ? AND span = ? AND start_day = ?"
        params = (guild_id, ROLES[who], *period)
    # The first `limit` by coins plus everyone tied with the last of them, so that ranks and order are
    # those of the whole board without ranking the whole board: two short ranges of the rank index.
    return conn.execute(
        f"WITH head AS (SELECT user_id, coins FROM {board} AND coins >= MAX(1, COALESCE("
        f"  (SELECT coins FROM {board} AND coins > 0 ORDER BY coins DESC LIMIT 1 OFFSET ?), 1)))"
        " SELECT h.user_id, h.coins, RANK() OVER (ORDER BY h.coins DESC) AS rank,"
        " COALESCE(p.hide_amounts, 0) AS hidden"
        " FROM head h LEFT JOIN member_prefs p ON p.guild_id = ? AND p.user_id = h.user_id"
        " ORDER BY h.coins DESC, h.user_id LIMIT ?",
        (*params, *params, limit - 1, guild_id, limit),
    ).fetchall()


def rank_of(
    conn: sqlite3.Connection, guild_id: int, who: str, period: Period, user_id: int
) -> sqlite3.Row | None:
    """The member's own total and rank, or None if they have none in the period."""
    if who not in ROLES:
        raise ValueError(who)
    if period is None:
        own: sqlite3.Row | None = conn.execute(
            "SELECT t.user_id, t.coins,"
            " 1 + (SELECT COUNT(*) FROM gift_totals o"
            "      WHERE o.guild_id = t.guild_id AND o.role = t.role AND o.coins > t.coins) AS rank,"
            " COALESCE(p.hide_amounts, 0) AS hidden"
            " FROM gift_totals t LEFT JOIN member_prefs p ON p.guild_id = t.guild_id AND p.user_id = t.user_id"
            " WHERE t.guild_id = ? AND t.role = ? AND t.user_id = ? AND t.coins > 0",
            (guild_id, ROLES[who], user_id),
        ).fetchone()
        return own
    span, start_day = period
    row: sqlite3.Row | None = conn.execute(
        "SELECT t.user_id, t.coins,"
        " 1 + (SELECT COUNT(*) FROM gift_period_totals o WHERE o.guild_id = t.guild_id AND o.role = t.role"
        "      AND o.span = t.span AND o.start_day = t.start_day AND o.coins > t.coins) AS rank,"
        " COALESCE(p.hide_amounts, 0) AS hidden"
        " FROM gift_period_totals t LEFT JOIN member_prefs p ON p.guild_id = t.guild_id AND p.user_id = t.user_id"
        " WHERE t.guild_id = ? AND t.role = ? AND t.span = ? AND t.start_day = ? AND t.user_id = ?"
        " AND t.coins > 0",
        (guild_id, ROLES[who], span, start_day, user_id),
    ).fetchone()
    return row


def period_zone(conn: sqlite3.Connection, guild_id: int) -> str:
    """The time zone the guild's day and week totals are keyed by (UTC until first rebuilt)."""
    row = conn.execute("SELECT timezone FROM period_zones WHERE guild_id = ?", (guild_id,)).fetchone()
    return str(row[0]) if row is not None else "UTC"


# The local day of a standing gift under the guild's kept offsets (shared by rebuild and audit).
LOCAL_DAY = (
    "(g.created_at + COALESCE((SELECT o.offset_us FROM period_zone_offsets o"
    " WHERE o.guild_id = g.guild_id AND o.since <= g.created_at ORDER BY o.since DESC LIMIT 1), 0))"
    f" / {DAY_US}"
)


def rebuild_periods(
    conn: sqlite3.Connection, guild_id: int, zone: str, offsets: list[tuple[int, int]]
) -> None:
    """Key the guild's day and week totals by `zone` from now on: its UTC offsets as (since, offset)
    in microseconds, and every total recomputed from the standing gifts in set-based passes."""
    conn.execute("DELETE FROM period_zone_offsets WHERE guild_id = ?", (guild_id,))
    conn.executemany(
        "INSERT INTO period_zone_offsets (guild_id, since, offset_us) VALUES (?, ?, ?)",
        [(guild_id, since, offset) for since, offset in offsets],
    )
    conn.execute(
        "INSERT INTO period_zones (guild_id, timezone) VALUES (?, ?)"
        " ON CONFLICT (guild_id) DO UPDATE SET timezone = excluded.timezone",
        (guild_id, zone),
    )
    conn.execute("DELETE FROM gift_period_totals WHERE guild_id = ?", (guild_id,))
    # Days from the gifts (each gift's local day looked up once per role), then weeks from the days.
    for role, who in (("sender", "sender_id"), ("creator", "creator_id")):
        conn.execute(
            "INSERT INTO gift_period_totals (guild_id, role, span, start_day, user_id, coins)"
            f" SELECT g.guild_id, ?, 'day', {LOCAL_DAY} AS day, g.{who}, SUM(g.count * g.unit_price)"
            f" FROM standing_gifts g WHERE g.guild_id = ? GROUP BY day, g.{who}",
            (role, guild_id),
        )
    conn.execute(
        "INSERT INTO gift_period_totals (guild_id, role, span, start_day, user_id, coins)"
        " SELECT guild_id, role, 'week', start_day - (start_day + 3) % 7 AS week, user_id, SUM(coins)"
        " FROM gift_period_totals WHERE guild_id = ? AND span = 'day' GROUP BY role, week, user_id",
        (guild_id,),
    )


def set_hidden(conn: sqlite3.Connection, guild_id: int, user_id: int, hidden: bool) -> None:
    conn.execute(
        "INSERT INTO member_prefs (guild_id, user_id, hide_amounts) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id, user_id) DO UPDATE SET hide_amounts = excluded.hide_amounts",
        (guild_id, user_id, int(hidden)),
    )

"""Read models for statements, earnings and corrections: a member's entries with their details,
a creator's gift income, recent entries of a guild."""

from __future__ import annotations

import sqlite3

from storage.rows import first_row

_NOT_REVERSED = "NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.reverses_entry_id = e.id)"


def member_timezone(conn: sqlite3.Connection, guild_id: int, user_id: int, now: int) -> str:
    """The member's own time zone in force at `now` (set with the budget reminders; a new one waits out
    a cooling-off), else the guild's, else UTC."""
    row = conn.execute(
        "SELECT COALESCE("
        " (SELECT CASE WHEN pending_timezone_at <= ? THEN pending_timezone ELSE timezone END"
        "  FROM budget_settings WHERE guild_id = ? AND user_id = ?),"
        " (SELECT timezone FROM guild_settings WHERE guild_id = ?), 'UTC')",
        (now, guild_id, user_id, guild_id),
    ).fetchone()
    return str(row[0])


def reversal_of(conn: sqlite3.Connection, entry_id: int) -> sqlite3.Row | None:
    return first_row(conn.execute("SELECT * FROM journal_entries WHERE reverses_entry_id = ?", (entry_id,)))


def member_entries(
    conn: sqlite3.Connection, guild_id: int, user_id: int, start: int | None, end: int | None, limit: int
) -> list[sqlite3.Row]:
    """Every entry that moved the member's coins or diamonds in [start, end) (oldest first), with the
    member's net coins/diamonds and the gift details; plus the settlements of the member's cash-outs
    (which move no wallet of theirs but carry the cash paid)."""
    start = start if start is not None else -(2**62)
    end = end if end is not None else 2**62
    return conn.execute(
        "WITH mine AS ("
        "  SELECT p.entry_id,"
        "   SUM(CASE WHEN p.asset = 'coins' THEN p.amount ELSE 0 END) AS coins,"
        "   SUM(CASE WHEN p.asset = 'diamonds' THEN p.amount ELSE 0 END) AS diamonds"
        "  FROM postings p JOIN journal_entries e ON e.id = p.entry_id"
        "  WHERE p.guild_id = ? AND p.user_id = ? AND e.created_at >= ? AND e.created_at < ?"
        "  GROUP BY p.entry_id"
        "  UNION ALL"
        "  SELECT po.decision_entry_id, 0, 0 FROM payouts po JOIN journal_entries e ON e.id = po.decision_entry_id"
        "  WHERE po.guild_id = ? AND po.creator_id = ? AND po.status = 'approved'"
        "  AND e.created_at >= ? AND e.created_at < ?)"
        " SELECT e.id, e.created_at, e.kind, e.actor_id, e.reference, e.memo, e.money_minor, e.currency,"
        "  e.reverses_entry_id, m.coins, m.diamonds,"
        "  g.gift_name, g.count AS gift_count, g.sender_id, g.creator_id,"
        "  og.gift_name AS reversed_gift_name, og.sender_id AS reversed_sender_id,"
        "  og.creator_id AS reversed_creator_id"
        " FROM mine m JOIN journal_entries e ON e.id = m.entry_id"
        " LEFT JOIN gift_entries g ON g.entry_id = e.id"
        " LEFT JOIN gift_entries og ON og.entry_id = e.reverses_entry_id"
        " ORDER BY e.id LIMIT ?",
        (guild_id, user_id, start, end, guild_id, user_id, start, end, limit),
    ).fetchall()


def gift_income(
    conn: sqlite3.Connection, guild_id: int, creator_id: int, since: int, gift_kind: str
) -> list[sqlite3.Row]:
    """(created_at, diamonds) of each gift (entries of `gift_kind`) the creator received since `since`,
    reversed gifts left out."""
    return conn.execute(
        "SELECT e.created_at, p.amount AS diamonds FROM postings p JOIN journal_entries e ON e.id = p.entry_id"
        " WHERE p.guild_id = ? AND p.user_id = ? AND p.asset = 'diamonds' AND p.amount > 0"
        f" AND e.kind = ? AND e.created_at >= ? AND {_NOT_REVERSED}"
        " ORDER BY e.created_at",
        (guild_id, creator_id, gift_kind, since),
    ).fetchall()


def gift_income_total(conn: sqlite3.Connection, guild_id: int, creator_id: int, gift_kind: str) -> int:
    """All diamonds the creator ever received from gifts (entries of `gift_kind`), reversed gifts left out."""
    row = conn.execute(
        "SELECT COALESCE(SUM(p.amount), 0) FROM postings p JOIN journal_entries e ON e.id = p.entry_id"
        " WHERE p.guild_id = ? AND p.user_id = ? AND p.asset = 'diamonds' AND p.amount > 0"
        f" AND e.kind = ? AND {_NOT_REVERSED}",
        (guild_id, creator_id, gift_kind),
    ).fetchone()
    return int(row[0])


def top_supporters(conn: sqlite3.Connection, guild_id: int, creator_id: int, limit: int) -> list[sqlite3.Row]:
    """Senders ranked by the diamonds their gifts gave the creator (reversed gifts left out)."""
    return conn.execute(
        "SELECT g.sender_id, SUM(p.amount) AS diamonds, COUNT(*) AS gifts"
        " FROM gift_entries g JOIN journal_entries e ON e.id = g.entry_id"
        " JOIN postings p ON p.entry_id = g.entry_id AND p.user_id = g.creator_id AND p.asset = 'diamonds'"
        f" WHERE g.guild_id = ? AND g.creator_id = ? AND {_NOT_REVERSED}"
        " GROUP BY g.sender_id ORDER BY diamonds DESC, MIN(g.entry_id) LIMIT ?",
        (guild_id, creator_id, limit),
    ).fetchall()


def pending_diamonds(conn: sqlite3.Connection, guild_id: int, creator_id: int) -> int:
    row = conn.execute(
        "SELECT COALESCE(SUM(diamonds), 0) FROM payouts"
        " WHERE guild_id = ? AND creator_id = ? AND status = 'pending'",
        (guild_id, creator_id),
    ).fetchone()
    return int(row[0])


def recent_entries(conn: sqlite3.Connection, guild_id: int, limit: int) -> list[sqlite3.Row]:
    """The guild's latest entries (newest first): kind, members involved, the largest member movement
    per asset, and whether the entry was reversed already."""
    return conn.execute(
        "SELECT e.id, e.created_at, e.kind, e.reverses_entry_id,"
        " (SELECT group_concat(DISTINCT p.user_id) FROM postings p WHERE p.entry_id = e.id) AS users,"
        " (SELECT MAX(ABS(p.amount)) FROM postings p WHERE p.entry_id = e.id AND p.asset = 'coins'"
        "   AND p.user_id IS NOT NULL) AS coins,"
        " (SELECT MAX(ABS(p.amount)) FROM postings p WHERE p.entry_id = e.id AND p.asset = 'diamonds'"
        "   AND p.user_id IS NOT NULL) AS diamonds,"
        f" NOT {_NOT_REVERSED} AS reversed"
        " FROM journal_entries e WHERE e.guild_id = ? ORDER BY e.id DESC LIMIT ?",
        (guild_id, limit),
    ).fetchall()

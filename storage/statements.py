"""Read models for statements, earnings and corrections: a member's entries with their details,
a creator's gift income, recent entries of a guild."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Cursor:
    """Where a statement's pages have got to: the last posting and entry read (0, 0 at the start)."""

    posting_id: int = 0
    entry_id: int = 0


_END = 2**62


def member_entries(
    conn: sqlite3.Connection,
    guild_id: int,
    user_id: int,
    start: int | None,
    end: int | None,
    limit: int,
    after: Cursor,
) -> tuple[list[sqlite3.Row], Cursor | None]:
    """One page of the member's statement: of the member's next `limit` postings after `after` (whole
    entries), every entry in [start, end) with the member's net coins/diamonds and the gift details;
    plus the settlements of the member's cash-outs (which move no wallet of theirs but carry the cash
    paid). Oldest first. Returns the cursor of the next page, None after the last.

    A page costs what it reads, however long the history: it walks the member's postings by id on
    their index (a range per asset), never sorting or grouping the whole history."""
    start = start if start is not None else -_END
    end = end if end is not None else _END
    next_ids: list[int] = []
    for asset in ("coins", "diamonds"):
        next_ids += [
            row[0]
            for row in conn.execute(
                "SELECT id FROM postings WHERE guild_id = ? AND user_id = ? AND asset = ? AND id > ?"
                " ORDER BY id LIMIT ?",
                (guild_id, user_id, asset, after.posting_id, limit + 1),
            )
        ]
    next_ids.sort()
    upto: Cursor | None = None
    if len(next_ids) > limit:  # more pages follow: end this one after the last whole entry
        last_entry = conn.execute(
            "SELECT entry_id FROM postings WHERE id = ?", (next_ids[limit - 1],)
        ).fetchone()[0]
        last_posting = conn.execute(
            "SELECT MAX(id) FROM postings WHERE entry_id = ?", (last_entry,)
        ).fetchone()[0]
        upto = Cursor(last_posting, last_entry)
    bound = upto or Cursor(_END, _END)
    rows = conn.execute(
        "WITH mine AS ("
        "  SELECT p.entry_id,"
        "   SUM(CASE WHEN p.asset = 'coins' THEN p.amount ELSE 0 END) AS coins,"
        "   SUM(CASE WHEN p.asset = 'diamonds' THEN p.amount ELSE 0 END) AS diamonds"
        "  FROM postings p JOIN journal_entries e ON e.id = p.entry_id"
        "  WHERE p.guild_id = ? AND p.user_id = ? AND p.asset IN ('coins', 'diamonds')"
        "  AND p.id > ? AND p.id <= ? AND e.created_at >= ? AND e.created_at < ?"
        "  GROUP BY p.entry_id"
        "  UNION ALL"
        "  SELECT po.decision_entry_id, 0, 0 FROM payouts po JOIN journal_entries e ON e.id = po.decision_entry_id"
        "  WHERE po.guild_id = ? AND po.creator_id = ? AND po.status = 'approved'"
        "  AND po.decision_entry_id > ? AND po.decision_entry_id <= ? AND e.created_at >= ? AND e.created_at < ?)"
        " SELECT e.id, e.created_at, e.kind, e.actor_id, e.reference, e.memo, e.money_minor, e.currency,"
        "  e.reverses_entry_id, m.coins, m.diamonds,"
        "  g.gift_name, g.count AS gift_count, g.sender_id, g.creator_id,"
        "  og.gift_name AS reversed_gift_name, og.sender_id AS reversed_sender_id,"
        "  og.creator_id AS reversed_creator_id"
        " FROM mine m JOIN journal_entries e ON e.id = m.entry_id"
        " LEFT JOIN gift_entries g ON g.entry_id = e.id"
        " LEFT JOIN gift_entries og ON og.entry_id = e.reverses_entry_id"
        " ORDER BY e.id",
        (
            guild_id,
            user_id,
            after.posting_id,
            bound.posting_id,
            start,
            end,
            guild_id,
            user_id,
            after.entry_id,
            bound.entry_id,
            start,
            end,
        ),
    ).fetchall()
    return rows, upto


QUARTER_US = 900_000_000


def gift_income(conn: sqlite3.Connection, guild_id: int, creator_id: int, since: int) -> list[sqlite3.Row]:
    """(start, diamonds) of each UTC quarter-hour since `since` (a quarter-hour boundary) in which the
    creator received gifts, from the kept totals (reversed gifts left out); oldest first."""
    return conn.execute(
        f"SELECT quarter * {QUARTER_US} AS start, diamonds FROM creator_income_quarters"
        " WHERE guild_id = ? AND creator_id = ? AND quarter >= ? AND diamonds > 0 ORDER BY quarter",
        (guild_id, creator_id, since // QUARTER_US),
    ).fetchall()


def gift_income_total(conn: sqlite3.Connection, guild_id: int, creator_id: int) -> int:
    """All diamonds the creator ever received from gifts, reversed gifts left out (the running total:
    a gift's diamonds equal its coins)."""
    row = conn.execute(
        "SELECT coins FROM gift_totals WHERE guild_id = ? AND role = 'creator' AND user_id = ?",
        (guild_id, creator_id),
    ).fetchone()
    return int(row[0]) if row is not None else 0


def top_supporters(conn: sqlite3.Connection, guild_id: int, creator_id: int, limit: int) -> list[sqlite3.Row]:
    """Senders ranked by the diamonds their gifts gave the creator (reversed gifts left out), ties to
    who gave first; read from the running totals."""
    return conn.execute(
        "SELECT sender_id, diamonds, gifts FROM supporter_totals"
        " WHERE guild_id = ? AND creator_id = ? AND diamonds > 0"
        " ORDER BY diamonds DESC, first_entry_id LIMIT ?",
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

"""Cash-out requests (payouts) and the guild settings that govern them: fee and cash-out minimum."""

from __future__ import annotations

import sqlite3

from storage.rows import first_row, inserted_id, only_row

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def insert_payout(
    conn: sqlite3.Connection,
    *,
    guild_id: int,
    creator_id: int,
    diamonds: int,
    fee_percent: int,
    region: str,
    currency: str,
    requested_at: int,
    reserve_entry_id: int,
) -> int:
    """A new pending request. The partial UNIQUE index refuses a second pending one per creator
    (sqlite3.IntegrityError)."""
    return inserted_id(
        conn.execute(
            "INSERT INTO payouts (guild_id, creator_id, diamonds, fee_percent, region, currency, requested_at,"
            " reserve_entry_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, creator_id, diamonds, fee_percent, region, currency, requested_at, reserve_entry_id),
        )
    )


def payout(conn: sqlite3.Connection, guild_id: int, payout_id: int) -> sqlite3.Row | None:
    return first_row(
        conn.execute("SELECT * FROM payouts WHERE guild_id = ? AND id = ?", (guild_id, payout_id))
    )


def payout_by_reserve_entry(conn: sqlite3.Connection, entry_id: int) -> sqlite3.Row | None:
    return first_row(conn.execute("SELECT * FROM payouts WHERE reserve_entry_id = ?", (entry_id,)))


def pending_of(conn: sqlite3.Connection, guild_id: int, creator_id: int) -> sqlite3.Row | None:
    return first_row(
        conn.execute(
            "SELECT * FROM payouts WHERE guild_id = ? AND creator_id = ? AND status = 'pending'",
            (guild_id, creator_id),
        )
    )


def pending(conn: sqlite3.Connection, guild_id: int, limit: int) -> list[sqlite3.Row]:
    """Pending requests of the guild, oldest first."""
    return conn.execute(
        "SELECT * FROM payouts WHERE guild_id = ? AND status = 'pending' ORDER BY id LIMIT ?",
        (guild_id, limit),
    ).fetchall()


def of_creator(conn: sqlite3.Connection, guild_id: int, creator_id: int, limit: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM payouts WHERE guild_id = ? AND creator_id = ? ORDER BY id DESC LIMIT ?",
        (guild_id, creator_id, limit),
    ).fetchall()


def decide(
    conn: sqlite3.Connection,
    guild_id: int,
    payout_id: int,
    *,
    status: str,
    decided_at: int,
    decided_by: int,
    reason: str | None,
    money_minor: int | None = None,
    region: str | None = None,
    currency: str | None = None,
    creator_diamonds: int | None = None,
    platform_diamonds: int | None = None,
) -> bool:
    """Move a pending request to `status`; False if it was no longer pending (someone else decided).
    An approval records the cash paid and the region/currency it was computed in."""
    if status not in (APPROVED, REJECTED):
        raise ValueError(f"not a decision: {status!r}")
    return (
        conn.execute(
            "UPDATE payouts SET status = ?, decided_at = ?, decided_by = ?, reason = ?, money_minor = ?,"
            " region = COALESCE(?, region), currency = COALESCE(?, currency),"
            " creator_diamonds = ?, platform_diamonds = ?"
            " WHERE guild_id = ? AND id = ? AND status = 'pending'",
            (
                status,
                decided_at,
                decided_by,
                reason,
                money_minor,
                region,
                currency,
                creator_diamonds,
                platform_diamonds,
                guild_id,
                payout_id,
            ),
        ).rowcount
        == 1
    )


def set_decision_entry(conn: sqlite3.Connection, payout_id: int, entry_id: int) -> None:
    conn.execute("UPDATE payouts SET decision_entry_id = ? WHERE id = ?", (entry_id, payout_id))


def cashout_minimum(conn: sqlite3.Connection, guild_id: int) -> int:
    """The guild's cash-out minimum; the guild must have been set up (`ensure_guild`)."""
    row = only_row(conn.execute("SELECT cashout_minimum FROM guild_settings WHERE guild_id = ?", (guild_id,)))
    return int(row[0])


def fee_percent(conn: sqlite3.Connection, guild_id: int) -> int:
    """The guild's platform fee; the guild must have been set up (`ensure_guild`)."""
    row = only_row(conn.execute("SELECT fee_percent FROM guild_settings WHERE guild_id = ?", (guild_id,)))
    return int(row[0])

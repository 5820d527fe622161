"""Charity campaigns, their donations (details of the ledger's donation entries) and their payouts."""

from __future__ import annotations

import sqlite3

from storage.rows import inserted_id

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def insert_campaign(
    conn: sqlite3.Connection,
    *,
    guild_id: int,
    name: str,
    description: str | None,
    goal: int,
    created_by: int,
    created_at: int,
    ends_at: int,
) -> int:
    """A new running campaign; a running campaign of the same name raises sqlite3.IntegrityError."""
    return inserted_id(
        conn.execute(
            "INSERT INTO charity_campaigns (guild_id, name, name_key, description, goal, created_by, created_at,"
            " ends_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, name, name.casefold(), description, goal, created_by, created_at, ends_at),
        )
    )


def campaign(conn: sqlite3.Connection, guild_id: int, campaign_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM charity_campaigns WHERE guild_id = ? AND id = ?", (guild_id, campaign_id)
    ).fetchone()
    return row


def running(conn: sqlite3.Connection, guild_id: int, limit: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM charity_campaigns WHERE guild_id = ? AND ended_at IS NULL ORDER BY ends_at, id LIMIT ?",
        (guild_id, limit),
    ).fetchall()


def recent(conn: sqlite3.Connection, guild_id: int, limit: int) -> list[sqlite3.Row]:
    """Running campaigns first, then the most recently ended."""
    return conn.execute(
        "SELECT * FROM charity_campaigns WHERE guild_id = ?"
        " ORDER BY ended_at IS NOT NULL, COALESCE(ended_at, ends_at) DESC, id DESC LIMIT ?",
        (guild_id, limit),
    ).fetchall()


def due(conn: sqlite3.Connection, now: int) -> list[sqlite3.Row]:
    """Running campaigns (of every guild) whose end time has come."""
    return conn.execute(
        "SELECT * FROM charity_campaigns WHERE ended_at IS NULL AND ends_at <= ? ORDER BY ends_at, id", (now,)
    ).fetchall()


def end_campaign(
    conn: sqlite3.Connection, guild_id: int, campaign_id: int, ended_at: int, ended_by: int | None
) -> bool:
    """False if it had already ended."""
    cursor = conn.execute(
        "UPDATE charity_campaigns SET ended_at = ?, ended_by = ?"
        " WHERE guild_id = ? AND id = ? AND ended_at IS NULL",
        (ended_at, ended_by, guild_id, campaign_id),
    )
    return cursor.rowcount == 1


def set_board_message(conn: sqlite3.Connection, campaign_id: int, message_id: int) -> None:
    conn.execute("UPDATE charity_campaigns SET board_message_id = ? WHERE id = ?", (message_id, campaign_id))


def record_donation(
    conn: sqlite3.Connection,
    *,
    entry_id: int,
    guild_id: int,
    campaign_id: int,
    donor_id: int,
    coins: int,
    anonymous: bool,
    created_at: int,
) -> None:
    conn.execute(
        "INSERT INTO charity_donations (entry_id, guild_id, campaign_id, donor_id, coins, anonymous, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (entry_id, guild_id, campaign_id, donor_id, coins, int(anonymous), created_at),
    )


def donation(conn: sqlite3.Connection, entry_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM charity_donations WHERE entry_id = ?", (entry_id,)
    ).fetchone()
    return row


def donors(conn: sqlite3.Connection, campaign_id: int) -> int:
    """Distinct members whose donations to the campaign still stand (anonymous ones included)."""
    row = conn.execute(
        "SELECT COUNT(DISTINCT donor_id) FROM standing_donations WHERE campaign_id = ?", (campaign_id,)
    ).fetchone()
    return int(row[0])


def named_donors(conn: sqlite3.Connection, campaign_id: int, limit: int) -> list[sqlite3.Row]:
    """The largest donors who never chose to stay anonymous in this campaign, by coins given."""
    return conn.execute(
        "SELECT donor_id, SUM(coins) AS coins FROM standing_donations WHERE campaign_id = ?"
        " GROUP BY donor_id HAVING MAX(anonymous) = 0 ORDER BY coins DESC, donor_id LIMIT ?",
        (campaign_id, limit),
    ).fetchall()


def campaign_donations(conn: sqlite3.Connection, campaign_id: int) -> list[sqlite3.Row]:
    """Every donation of the campaign, oldest first, with whether a moderator reversed it."""
    return conn.execute(
        "SELECT d.*, EXISTS (SELECT 1 FROM journal_entries r WHERE r.reverses_entry_id = d.entry_id)"
        " AS reversed FROM charity_donations d WHERE d.campaign_id = ? ORDER BY d.entry_id",
        (campaign_id,),
    ).fetchall()


# --- payouts ---------------------------------------------------------------------------------------


def insert_payout(
    conn: sqlite3.Connection,
    *,
    guild_id: int,
    campaign_id: int,
    coins: int,
    fee_percent: int,
    region: str,
    currency: str,
    requested_at: int,
) -> int:
    return inserted_id(
        conn.execute(
            "INSERT INTO charity_payouts (guild_id, campaign_id, coins, fee_percent, region, currency,"
            " requested_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (guild_id, campaign_id, coins, fee_percent, region, currency, requested_at),
        )
    )


def payout_of(conn: sqlite3.Connection, guild_id: int, campaign_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM charity_payouts WHERE guild_id = ? AND campaign_id = ?", (guild_id, campaign_id)
    ).fetchone()
    return row


def pending_payouts(conn: sqlite3.Connection, guild_id: int, limit: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT p.*, c.name FROM charity_payouts p JOIN charity_campaigns c ON c.id = p.campaign_id"
        " WHERE p.guild_id = ? AND p.status = 'pending' ORDER BY p.id LIMIT ?",
        (guild_id, limit),
    ).fetchall()


def decide_payout(
    conn: sqlite3.Connection,
    guild_id: int,
    payout_id: int,
    *,
    status: str,
    decided_at: int,
    decided_by: int,
    reason: str | None,
    money_minor: int | None,
    region: str | None = None,
    currency: str | None = None,
) -> bool:
    """Move a pending payout to `status`; False if someone decided it first."""
    if status not in (APPROVED, REJECTED):
        raise ValueError(f"not a decision: {status!r}")
    cursor = conn.execute(
        "UPDATE charity_payouts SET status = ?, decided_at = ?, decided_by = ?, reason = ?, money_minor = ?,"
        " region = COALESCE(?, region), currency = COALESCE(?, currency)"
        " WHERE guild_id = ? AND id = ? AND status = 'pending'",
        (status, decided_at, decided_by, reason, money_minor, region, currency, guild_id, payout_id),
    )
    return cursor.rowcount == 1


def set_payout_entry(conn: sqlite3.Connection, payout_id: int, entry_id: int) -> None:
    conn.execute("UPDATE charity_payouts SET decision_entry_id = ? WHERE id = ?", (entry_id, payout_id))

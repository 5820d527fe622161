"""Gift details of the journal entries of gifts (the money moves in the ledger's postings)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from storage.rows import first_row


@dataclass(frozen=True)
class GiftDetails:
    entry_id: int
    guild_id: int
    sender_id: int
    creator_id: int
    gift_id: int
    gift_name: str
    count: int
    unit_price: int
    live_session_id: int | None
    created_at: int
    message: str | None = None


def record(conn: sqlite3.Connection, details: GiftDetails) -> None:
    conn.execute(
        "INSERT INTO gift_entries (entry_id, guild_id, sender_id, creator_id, gift_id, gift_name, count,"
        " unit_price, live_session_id, created_at, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            details.entry_id,
            details.guild_id,
            details.sender_id,
            details.creator_id,
            details.gift_id,
            details.gift_name,
            details.count,
            details.unit_price,
            details.live_session_id,
            details.created_at,
            details.message,
        ),
    )


def details(conn: sqlite3.Connection, entry_id: int) -> sqlite3.Row | None:
    return first_row(
        conn.execute(
            "SELECT e.*, g.emoji FROM gift_entries e JOIN gifts g ON g.id = e.gift_id WHERE e.entry_id = ?",
            (entry_id,),
        )
    )

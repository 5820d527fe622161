"""Gift-like spending straight through the ledger, for budget tests that need no catalog or creator:
one journal entry of kind "gift" moving the member's coins to the system account `spent`."""

from __future__ import annotations

import itertools
from datetime import datetime

from bot.clock import to_micros
from storage import Database
from storage.ledger import NewEntry, Posting, post_entry

_keys = itertools.count(1)


async def grant(db: Database, guild_id: int, user_id: int, coins: int, at: datetime) -> int:
    entry = NewEntry(
        guild_id=guild_id, kind="grant", created_at=to_micros(at), idempotency_key=f"t-grant-{next(_keys)}"
    )
    postings = [Posting("coins", coins, user_id=user_id), Posting("coins", -coins, system_account="mint")]
    return await db.write(lambda conn: post_entry(conn, entry, postings))


async def spend(
    db: Database, guild_id: int, user_id: int, coins: int, at: datetime, *, funded: bool = True
) -> int:
    """Spend `coins` on a gift at `at` (granting them first unless `funded` is false)."""
    if funded:
        await grant(db, guild_id, user_id, coins, at)
    entry = NewEntry(
        guild_id=guild_id,
        kind="gift",
        created_at=to_micros(at),
        actor_id=user_id,
        idempotency_key=f"t-gift-{next(_keys)}",
    )
    postings = [Posting("coins", -coins, user_id=user_id), Posting("coins", coins, system_account="spent")]
    return await db.write(lambda conn: post_entry(conn, entry, postings))

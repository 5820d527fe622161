"""Helpers for the gift, catalog, live and leaderboard tests: fund members straight through the
ledger, a recording alerts publisher, balances and the audit."""

from __future__ import annotations

import asyncio
import itertools

from bot.alerts import GiftAlert
from storage import ledger
from storage.ledger import NewEntry, Posting
from storage.ledger_check import find_discrepancies
from tests.support.discord_fakes import GUILD_ID

GUILD = GUILD_ID
_keys = itertools.count(1)


def next_key() -> str:
    return f"k-{next(_keys)}"


async def fund(services, user_id: int, coins: int, guild_id: int = GUILD) -> None:
    """Give a member coins with a balanced mint entry (what a purchase or grant does)."""
    await services.guilds.ensure(guild_id)
    entry = NewEntry(guild_id, "grant", 0, reference="test", idempotency_key=f"fund:{next_key()}")
    postings = [Posting("coins", coins, user_id=user_id), Posting("coins", -coins, system_account="mint")]
    await services.db.write(lambda conn: ledger.post_entry(conn, entry, postings))


async def wallet(services, user_id: int, guild_id: int = GUILD) -> tuple[int, int]:
    view = await services.wallets.balance(guild_id, user_id)
    return view.coins, view.diamonds


async def audit(services) -> list[str]:
    return await services.db.read(find_discrepancies)


async def entry_count(services) -> int:
    return await services.db.read(
        lambda conn: conn.execute("SELECT COUNT(*) FROM journal_entries").fetchone()[0]
    )


class RecordingPublisher:
    """Stands in for the alerts engine: records each alert; answers True (or `posted`)."""

    def __init__(self, posted: bool = True) -> None:
        self.alerts: list[GiftAlert] = []
        self.posted = posted

    def publish(self, alert: GiftAlert) -> asyncio.Future[bool]:
        self.alerts.append(alert)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        future.set_result(self.posted)
        return future


async def send_gift(services, sender: int, creator: int, gift: str = "Rose", count: int = 1, message=None):
    quote = await services.gifts.quote(GUILD, sender, [], gift, creator, count, message)
    return await services.gifts.send(quote, next_key(), confirmed=True)

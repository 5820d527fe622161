"""Helpers for payout/earnings/statement tests: give members coins and creators diamonds through the
real services (a grant, then real gifts through GiftService)."""

from __future__ import annotations

import itertools

from bot.services import Services
from storage.ledger_check import find_discrepancies

GUILD = 800_000_000_000_000_001  # the driver's guild, so service and cog tests share helpers
_keys = itertools.count(1)


def key() -> str:
    return f"test-{next(_keys)}"


async def grant(services: Services, member: int, coins: int, moderator: int = 999) -> int:
    result = await services.corrections.grant(GUILD, moderator, member, coins, "test giveaway", key())
    return result.entry_id


async def gift(
    services: Services,
    sender: int,
    creator: int,
    gift_name: str = "Galaxy",
    count: int = 1,
    *,
    fund: bool = True,
) -> int:
    """`sender` sends `count` × `gift_name` to `creator` (registered on the way); returns the entry id."""
    if await services.creators.get(GUILD, creator) is None:
        await services.creators.register(GUILD, creator)
    if fund:
        item = await services.catalog.find(GUILD, gift_name)
        await grant(services, sender, item.coins * count)
    quote = await services.gifts.quote(GUILD, sender, [], gift_name, creator, count)
    receipt = await services.gifts.send(quote, key(), confirmed=True)
    return receipt.entry_id


async def balances(services: Services, user: int) -> tuple[int, int]:
    view = await services.wallets.balance(GUILD, user)
    return view.coins, view.diamonds


async def system_balance(services: Services, account: str, asset: str = "diamonds") -> int:
    def query(conn):
        row = conn.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM postings WHERE guild_id = ? AND system_account = ? AND asset = ?",
            (GUILD, account, asset),
        ).fetchone()
        return row[0]

    return await services.db.read(query)


async def assert_clean(services: Services) -> None:
    assert await services.db.read(find_discrepancies) == []

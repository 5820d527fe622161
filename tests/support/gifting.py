"""Helpers for payout/earnings/statement tests: give members coins and creators diamonds through the
real services (a grant, then real gifts through GiftService)."""

from __future__ import annotations

import itertools
from pathlib import Path

from bot.economy.entitlements import EntitlementFacts, Settlement
from bot.services import Services
from bot.settings import Settings
from storage import guilds
from storage.audit import find_discrepancies

GUILD = 800_000_000_000_000_001  # the driver's guild, so service and cog tests share helpers
_keys = itertools.count(1)


def cashout_settings(tmp_path: Path) -> Settings:
    """Cash-outs are refused in the sandbox: these tests run without a coin shop (payment mode `none`,
    coins granted) in a server that turned cash-outs on; a diamond is then worth the default region's
    smallest package (70 coins for $0.74), as the cash-out tests expect."""
    return Settings(
        _env_file=None, database_path=tmp_path / "livegifts.db", discord_token=None, payment_provider="none"
    )


# Coin SKUs priced like the brief's US packages (70 coins for $0.74).
US_COIN_SKUS = "1001:70:0.74,1002:350:3.70,1003:700:7.40"
_entitlement_ids = itertools.count(5_000_000)


def discord_settings(tmp_path: Path) -> Settings:
    """Coins bought through Discord (services only: no bot, so no SKU check against Discord)."""
    return Settings(
        _env_file=None,
        database_path=tmp_path / "livegifts.db",
        discord_token=None,
        payment_provider="discord",
        coin_skus=US_COIN_SKUS,
    )


async def buy_on_discord(services: Services, member: int, coins: int, *, test: bool = False) -> Settlement:
    """A Discord purchase of the `coins` package as the ENTITLEMENT_CREATE handler credits it."""
    package = services.payments.package(coins)
    assert package is not None, f"no {coins}-coin SKU"
    facts = EntitlementFacts(next(_entitlement_ids), package.sku_id, member, GUILD, test, False, False)

    async def consume() -> None:
        return None

    return await services.entitlements.settle(facts, consume)


async def open_cashouts(services: Services) -> None:
    """Cash-outs on and diamonds cashable at once (no hold), set directly so that the moderators'
    action log stays as the tests expect."""
    await services.guilds.ensure(GUILD)

    def open_now(conn) -> None:  # noqa: ANN001
        guilds.set_setting(conn, GUILD, "cashouts_enabled", 1)
        guilds.set_setting(conn, GUILD, "cashout_hold_days", 0)

    await services.db.write(open_now)


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

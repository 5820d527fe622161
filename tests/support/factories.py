"""The one module of test factories: fund members, spend, send gifts, read balances, check the ledger.

Funding is one way everywhere: `fund` posts a balanced mint entry of kind "grant" straight through the
ledger (what a purchase or a moderator's grant does, without their side effects). `grant` is the
moderator's audited grant through the service, for tests about grants themselves. Everything runs in
the driver's guild unless a test says otherwise, so service and cog tests share these helpers.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

from bot.clock import to_micros
from bot.economy.entitlements import EntitlementFacts, Settlement
from bot.economy.gifts import GiftReceipt
from bot.services import Services
from bot.settings import Settings
from simulator.discord_payloads import GUILD_ID
from storage import Connection, Database, guilds, ledger
from storage.ledger import NewEntry, Posting
from storage.ledger_check import find_discrepancies

GUILD = GUILD_ID
_keys = itertools.count(1)


def key() -> str:
    """A fresh idempotency key."""
    return f"test-{next(_keys)}"


async def fund(
    target: Services | Database,
    user_id: int,
    coins: int,
    guild_id: int = GUILD,
    *,
    at: datetime | None = None,
) -> int:
    """Give a member `coins` with a balanced mint entry (at `at`, or the epoch); returns the entry id.
    With the services, the guild's settings are created first, as any command would."""
    if isinstance(target, Services):
        await target.guilds.ensure(guild_id)
        db = target.db
    else:
        db = target
    entry = NewEntry(
        guild_id, "grant", to_micros(at) if at is not None else 0, reference="test", idempotency_key=key()
    )
    postings = [Posting("coins", coins, user_id=user_id), Posting("coins", -coins, system_account="mint")]
    return await db.write(lambda conn: ledger.post_entry(conn, entry, postings))


async def spend(
    db: Database, guild_id: int, user_id: int, coins: int, at: datetime, *, funded: bool = True
) -> int:
    """Gift-like spending straight through the ledger, for budget tests that need no catalog or creator:
    an entry of kind "gift" moving `coins` to the system account `spent` at `at` (funded first unless
    `funded` is false)."""
    if funded:
        await fund(db, user_id, coins, guild_id, at=at)
    entry = NewEntry(
        guild_id=guild_id, kind="gift", created_at=to_micros(at), actor_id=user_id, idempotency_key=key()
    )
    postings = [Posting("coins", -coins, user_id=user_id), Posting("coins", coins, system_account="spent")]
    return await db.write(lambda conn: ledger.post_entry(conn, entry, postings))


async def grant(services: Services, member: int, coins: int, moderator: int = 999) -> int:
    """A moderator's audited grant (`/coins grant`) through the service; returns the entry id."""
    result = await services.corrections.grant(GUILD, moderator, member, coins, "test giveaway", key())
    return result.entry_id


async def send_gift(
    services: Services,
    sender: int,
    creator: int,
    gift: str = "Rose",
    count: int = 1,
    message: str | None = None,
) -> GiftReceipt:
    """`sender` sends `count` × `gift` to `creator`, confirmed; the sender must have the coins."""
    quote = await services.gifts.quote(GUILD, sender, [], gift, creator, count, message)
    return await services.gifts.send(quote, key(), confirmed=True)


async def gift(
    services: Services,
    sender: int,
    creator: int,
    gift_name: str = "Galaxy",
    count: int = 1,
    *,
    funded: bool = True,
) -> int:
    """Like `send_gift`, but registers the creator and funds the sender on the way; returns the entry id."""
    if await services.creators.get(GUILD, creator) is None:
        await services.creators.register(GUILD, creator)
    if funded:
        item = await services.catalog.find(GUILD, gift_name)
        await fund(services, sender, item.coins * count)
    receipt = await send_gift(services, sender, creator, gift_name, count)
    return receipt.entry_id


async def wallet(services: Services, user_id: int, guild_id: int = GUILD) -> tuple[int, int]:
    """(coins, diamonds) of a member."""
    view = await services.wallets.balance(guild_id, user_id)
    return view.coins, view.diamonds


async def system_balance(services: Services, account: str, asset: str = "diamonds") -> int:
    def query(conn: Connection) -> int:
        row = conn.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM postings WHERE guild_id = ? AND system_account = ? AND asset = ?",
            (GUILD, account, asset),
        ).fetchone()
        return int(row[0])

    return await services.db.read(query)


async def entry_count(services: Services) -> int:
    return await services.db.read(
        lambda conn: conn.execute("SELECT COUNT(*) FROM journal_entries").fetchone()[0]
    )


async def ledger_problems(services: Services) -> list[str]:
    """What the ledger check (`python -m bot check`) finds; [] when the books are clean."""
    return await services.db.read(find_discrepancies)


async def assert_clean(services: Services) -> None:
    assert await ledger_problems(services) == []


# --- payment modes -------------------------------------------------------------------------------

# Coin SKUs priced like the brief's US packages (70 coins for $0.74).
US_COIN_SKUS = "1001:70:0.74,1002:350:3.70,1003:700:7.40"
_entitlement_ids = itertools.count(5_000_000)


def cashout_settings(tmp_path: Path) -> Settings:
    """Cash-outs are refused in the sandbox: cash-out tests run without a coin shop (payment mode
    `none`, coins granted) in a server that turned cash-outs on (`open_cashouts`); a diamond is then
    worth the default region's smallest package (70 coins for $0.74)."""
    return Settings(
        _env_file=None, database_path=tmp_path / "livegifts.db", discord_token=None, payment_provider="none"
    )


async def open_cashouts(services: Services, guild_id: int = GUILD) -> None:
    """Cash-outs on and diamonds cashable at once (no hold), set directly so that the moderators'
    action log stays as the tests expect."""
    await services.guilds.ensure(guild_id)

    def open_now(conn: Connection) -> None:
        guilds.set_setting(conn, guild_id, "cashouts_enabled", 1)
        guilds.set_setting(conn, guild_id, "cashout_hold_days", 0)

    await services.db.write(open_now)


def discord_settings(tmp_path: Path) -> Settings:
    """Coins bought through Discord, for service tests (no bot, so no SKU check against Discord)."""
    return Settings(
        _env_file=None,
        database_path=tmp_path / "livegifts.db",
        discord_token=None,
        payment_provider="discord",
        coin_skus=US_COIN_SKUS,
    )


def entitlement(
    services: Services,
    member: int,
    coins: int,
    *,
    test: bool = False,
    deleted: bool = False,
    entitlement_id: int | None = None,
) -> EntitlementFacts:
    """A Discord entitlement of the `coins` package, as the cog hands it to the service."""
    package = services.payments.package(coins)
    assert package is not None, f"no {coins}-coin SKU"
    return EntitlementFacts(
        entitlement_id if entitlement_id is not None else next(_entitlement_ids),
        package.sku_id, member, GUILD, test, deleted, False,
    )  # fmt: skip


async def consumed() -> None:
    """Discord's consume, for service tests: nothing to do."""


async def buy_on_discord(services: Services, member: int, coins: int, *, test: bool = False) -> Settlement:
    """A Discord purchase of the `coins` package, credited as the ENTITLEMENT_CREATE handler does."""
    return await services.entitlements.settle(entitlement(services, member, coins, test=test), consumed)

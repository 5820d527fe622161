"""The coin shop: packages in each payment mode, and the sandbox's free test coins, exactly once.

Real purchases are Discord's (the member pays on Discord's premium button; bot/economy/entitlements.py
credits them). Here: what the shop offers in each mode, the shop visit that tells a Discord purchase
which server's wallet it is for, and the sandbox purchase that credits test coins and records no money."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from bot.clock import Clock, to_micros
from bot.economy.deals import DealOffer, DealService, credit_bonus
from bot.economy.debts import credit_coins
from bot.economy.kinds import TEST_PURCHASE, attached_kinds
from bot.economy.payments import ChargeRequest, PaymentMode, PaymentProvider, PaymentSetup
from bot.economy.posting import Replay, find_earlier, post_once
from bot.economy.regions import RegionBook
from bot.errors import Conflict, InvalidAmount, ShopClosed, UnknownPackage
from bot.guild_config import GuildConfigService
from bot.guilds import GuildDirectory
from bot.money import Money, Region
from storage import Connection, Database, entitlements, ledger, regions, wallets
from storage.ledger import NewEntry

SHOP_CLOSED = (
    "This server does not sell coins: moderators hand them out (giveaways, events) with `/coins grant`. "
    "Ask a moderator how to get some."
)
USE_DISCORD_BUTTON = "Coins are bought on Discord's own button: run `/coins buy` and press it."


@dataclass(frozen=True)
class Offer:
    """A package: in the sandbox free test coins at the member's regional list price (not charged); with
    Discord a coin SKU at its USD list price (Discord shows it in the member's currency)."""

    coins: int
    price: Money
    region: Region
    sku_id: int | None = None
    deal: DealOffer | None = None  # bonus coins on top while a deal runs

    def price_text(self) -> str:
        return self.price.format(self.region.locale)


@dataclass(frozen=True)
class PurchaseResult:
    entry_id: int
    coins: int
    price: Money
    balance: int
    replayed: bool
    bonus: int = 0  # deal bonus coins credited with the package


class PurchaseService:
    def __init__(
        self,
        db: Database,
        regions_book: RegionBook,
        guilds: GuildDirectory,
        guild_config: GuildConfigService,
        provider: PaymentProvider,
        payments: PaymentSetup,
        deals: DealService,
        clock: Clock,
    ) -> None:
        self._db = db
        self._deals = deals
        self._regions = regions_book
        self._guilds = guilds
        self._config = guild_config
        self._provider = provider
        self.payments = payments
        self._clock = clock

    @property
    def mode(self) -> PaymentMode:
        return self.payments.mode

    async def packages(self, guild_id: int, user_id: int) -> list[Offer]:
        """What the shop sells the member, each package with its running deal; ShopClosed where nothing
        is sold."""
        if self.mode is PaymentMode.NONE:
            raise ShopClosed(SHOP_CLOSED)
        running = await self._deals.offers(guild_id, user_id)
        if self.mode is PaymentMode.DISCORD:
            usd = self._regions.get("US")
            return [
                Offer(s.coins, s.price, usd, s.sku_id, running.get(s.coins))
                for s in sorted(self.payments.skus, key=lambda s: s.coins)
            ]
        region = await self._regions.member_region(guild_id, user_id)
        rows = await self._db.read(lambda conn: regions.packages(conn, guild_id, region.code))
        return [
            Offer(r["coins"], Money(r["price_minor"], region.currency), region, None, running.get(r["coins"]))
            for r in rows
        ]

    async def offer(
        self,
        guild_id: int,
        user_id: int,
        package_coins: int,
        *,
        role_ids: Collection[int] = (),
        idempotency_key: str | None = None,
    ) -> Offer:
        """The package of `package_coins` coins in the member's region, or UnknownPackage. Refused
        (NotPermitted) when the guild's spender role is set and not among the member's `role_ids`.
        With a key (the purchase's, or the prompt's with Discord purchases), the member has chosen: a
        running deal is fixed for that purchase (its bonus is credited even if the payment completes
        after the end)."""
        if type(package_coins) is not int or package_coins <= 0:
            raise InvalidAmount("A package is a positive number of coins, e.g. 70, 350 or 700.")
        offers = await self.shop(guild_id, user_id, role_ids=role_ids)
        for offer in offers:
            if offer.coins == package_coins:
                if idempotency_key:
                    quoted = await self._deals.quote(guild_id, user_id, offer.coins, _key(idempotency_key))
                    return replace(offer, deal=quoted)
                return offer
        sizes = ", ".join(f"{o.coins:,}" for o in offers) or "none"
        raise UnknownPackage(f"There is no {package_coins:,}-coin package. Packages: {sizes}.")

    async def shop(
        self,
        guild_id: int,
        user_id: int,
        *,
        role_ids: Collection[int] = (),
        idempotency_key: str | None = None,
    ) -> list[Offer]:
        """The packages the member may buy here (the spender role is checked as in `offer`). With Discord
        purchases, opening the shop marks this server as the one the member's next purchase credits, and
        with a key the running deals are fixed for the packages on show (their buttons are the choice)."""
        await self._config.require_spender(guild_id, user_id, role_ids)
        offers = await self.packages(guild_id, user_id)
        if self.mode is PaymentMode.DISCORD:
            await self._visit(guild_id, user_id)
            if idempotency_key:
                offers = [
                    replace(
                        o,
                        deal=await self._deals.quote(
                            guild_id, user_id, o.coins, f"shop:{idempotency_key}:{o.coins}"
                        ),
                    )
                    if o.deal
                    else o
                    for o in offers
                ]
        return offers

    async def purchase(
        self,
        guild_id: int,
        user_id: int,
        package_coins: int,
        idempotency_key: str,
        *,
        role_ids: Collection[int] = (),
        expected_price: Money | None = None,
    ) -> PurchaseResult:
        """The sandbox's purchase: credit one package of free test coins (no money is recorded). Other modes
        refuse (ShopClosed). The same key again returns the first result and credits
        nothing; the same key with different parameters raises IdempotencyConflict. With
        `expected_price` (the price the member confirmed), a different current price (region or
        packages changed meanwhile) raises Conflict instead of charging what they did not see. The spender
        role is checked as in `offer`."""
        if not idempotency_key:
            raise ValueError("a purchase needs an idempotency key")
        if self.mode is not PaymentMode.SANDBOX:
            raise ShopClosed(SHOP_CLOSED if self.mode is PaymentMode.NONE else USE_DISCORD_BUTTON)
        key = _key(idempotency_key)
        fingerprint = f"{guild_id}:{user_id}:{package_coins}"
        earlier = await find_earlier(self._db, TEST_PURCHASE, key, fingerprint)
        if earlier is not None:  # replayed before charging: the provider is never asked twice
            return await self._replay(earlier, guild_id, user_id)
        offer = await self.offer(guild_id, user_id, package_coins, role_ids=role_ids)
        if expected_price is not None and offer.price != expected_price:
            raise Conflict(
                f"The price of the {offer.coins:,}-coin package is now {offer.price_text()}, not what you "
                "confirmed. Nothing was charged; run `/coins buy` again."
            )
        await self._guilds.ensure(guild_id)
        receipt = await self._provider.charge(ChargeRequest(key, guild_id, user_id, offer.coins, offer.price))
        # No money moves in the sandbox: the entry records none; the list price stays in the reference.
        entry = NewEntry(
            guild_id=guild_id,
            kind=TEST_PURCHASE.name,
            created_at=to_micros(self._clock()),
            actor_id=user_id,
            reference=f"package:{offer.region.code}:{offer.coins}:{offer.price.minor}:{offer.price.currency}",
            idempotency_key=key,
            request_fingerprint=fingerprint,
            memo=receipt.reference,
        )

        def credit(conn: Connection) -> tuple[int, int]:
            entry_id = credit_coins(conn, entry, user_id, offer.coins).entry_id
            return entry_id, credit_bonus(
                conn, key, guild_id, user_id, offer.coins, entry_id, entry.created_at
            )

        posted = await post_once(self._db, TEST_PURCHASE, key, fingerprint, credit)
        if isinstance(posted, Replay):  # a concurrent request with the same key committed first
            return await self._replay(posted, guild_id, user_id)
        entry_id, bonus = posted
        balance = await self._db.read(lambda conn: wallets.coins(conn, guild_id, user_id))
        return PurchaseResult(entry_id, offer.coins, offer.price, balance, replayed=False, bonus=bonus)

    async def _visit(self, guild_id: int, user_id: int) -> None:
        now = to_micros(self._clock())

        def visit(conn: Connection) -> None:
            entitlements.record_visit(conn, user_id, guild_id, now)

        await self._db.write(visit)

    async def _replay(self, replay: Replay, guild_id: int, user_id: int) -> PurchaseResult:
        earlier = replay.entry
        _, _, coins, price_minor, currency = earlier["reference"].split(":")

        def read(conn: Connection) -> tuple[int, int]:
            bonus = sum(
                p.amount
                for extra in ledger.attached_entries(
                    conn, guild_id, earlier["id"], attached_kinds(TEST_PURCHASE.name)
                )
                for p in ledger.entry_postings(conn, extra["id"])
                if p.user_id == user_id
            )
            return wallets.coins(conn, guild_id, user_id), bonus

        balance, bonus = await self._db.read(read)
        return PurchaseResult(
            earlier["id"], int(coins), Money(int(price_minor), currency), balance, replayed=True, bonus=bonus
        )


def _key(idempotency_key: str) -> str:
    return f"purchase:{idempotency_key}"

"""Buying coin packages: charge through the payment provider, then mint the coins, exactly once."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.clock import Clock, to_micros
from bot.economy.deals import DealOffer, DealService, credit_bonus
from bot.economy.kinds import COINS, MINT, PURCHASE, attached_kinds
from bot.economy.payments import ChargeRequest, PaymentProvider
from bot.economy.posting import Replay, find_earlier, post, post_once
from bot.economy.regions import RegionBook
from bot.errors import Conflict, InvalidAmount, UnknownPackage
from bot.guild_config import GuildConfigService
from bot.guilds import GuildDirectory
from bot.money import Money, Region
from storage import Connection, Database, ledger, regions, wallets
from storage.ledger import NewEntry, Posting


@dataclass(frozen=True)
class Offer:
    coins: int
    price: Money
    region: Region
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
        deals: DealService,
        clock: Clock,
    ) -> None:
        self._db = db
        self._deals = deals
        self._regions = regions_book
        self._guilds = guilds
        self._config = guild_config
        self._provider = provider
        self._clock = clock

    async def packages(self, guild_id: int, user_id: int) -> list[Offer]:
        """The packages in the member's region, each with its running deal."""
        region = await self._regions.member_region(guild_id, user_id)
        rows = await self._db.read(lambda conn: regions.packages(conn, guild_id, region.code))
        running = await self._deals.offers(guild_id, user_id)
        return [
            Offer(r["coins"], Money(r["price_minor"], region.currency), region, running.get(r["coins"]))
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
        With the `idempotency_key` the purchase will use, the member has chosen: a running deal is
        fixed for that purchase (its bonus is credited even if the payment completes after the end)."""
        if type(package_coins) is not int or package_coins <= 0:
            raise InvalidAmount("A package is a positive number of coins, e.g. 70, 350 or 700.")
        await self._config.require_spender(guild_id, user_id, role_ids)
        offers = await self.packages(guild_id, user_id)
        for offer in offers:
            if offer.coins == package_coins:
                if idempotency_key:
                    quoted = await self._deals.quote(guild_id, user_id, offer.coins, _key(idempotency_key))
                    return Offer(offer.coins, offer.price, offer.region, quoted)
                return offer
        sizes = ", ".join(f"{o.coins:,}" for o in offers) or "none"
        raise UnknownPackage(f"There is no {package_coins:,}-coin package. Packages: {sizes}.")

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
        """Charge for and credit one package. The same key again returns the first result and credits
        nothing; the same key with different parameters raises IdempotencyConflict. With
        `expected_price` (the price the member confirmed), a different current price (region or
        packages changed meanwhile) raises Conflict instead of charging what they did not see. The spender
        role is checked as in `offer`."""
        if not idempotency_key:
            raise ValueError("a purchase needs an idempotency key")
        key = _key(idempotency_key)
        fingerprint = f"{guild_id}:{user_id}:{package_coins}"
        earlier = await find_earlier(self._db, PURCHASE, key, fingerprint)
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
        entry = NewEntry(
            guild_id=guild_id,
            kind=PURCHASE.name,
            created_at=to_micros(self._clock()),
            actor_id=user_id,
            reference=f"package:{offer.region.code}:{offer.coins}",
            idempotency_key=key,
            request_fingerprint=fingerprint,
            money_minor=offer.price.minor,
            currency=offer.price.currency,
            memo=receipt.reference,
        )
        postings = [
            Posting(COINS, offer.coins, user_id=user_id),
            Posting(COINS, -offer.coins, system_account=MINT),
        ]

        def credit(conn: Connection) -> tuple[int, int]:
            entry_id = post(conn, entry, postings)
            return entry_id, credit_bonus(
                conn, key, guild_id, user_id, offer.coins, entry_id, entry.created_at
            )

        posted = await post_once(self._db, PURCHASE, key, fingerprint, credit)
        if isinstance(posted, Replay):  # a concurrent request with the same key committed first
            return await self._replay(posted, guild_id, user_id)
        entry_id, bonus = posted
        balance = await self._db.read(lambda conn: wallets.coins(conn, guild_id, user_id))
        return PurchaseResult(entry_id, offer.coins, offer.price, balance, replayed=False, bonus=bonus)

    async def _replay(self, replay: Replay, guild_id: int, user_id: int) -> PurchaseResult:
        earlier = replay.entry
        coins = int(earlier["reference"].rsplit(":", 1)[1])
        price = Money(earlier["money_minor"], earlier["currency"])

        def read(conn: Connection) -> tuple[int, int]:
            bonus = sum(
                p.amount
                for extra in ledger.attached_entries(
                    conn, guild_id, earlier["id"], attached_kinds(PURCHASE.name)
                )
                for p in ledger.entry_postings(conn, extra["id"])
                if p.user_id == user_id
            )
            return wallets.coins(conn, guild_id, user_id), bonus

        balance, bonus = await self._db.read(read)
        return PurchaseResult(earlier["id"], coins, price, balance, replayed=True, bonus=bonus)


def _key(idempotency_key: str) -> str:
    return f"purchase:{idempotency_key}"

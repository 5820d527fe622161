"""Buying coin packages: charge through the payment provider, then mint the coins, exactly once."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock, to_micros
from bot.economy.payments import ChargeRequest, PaymentProvider
from bot.economy.regions import RegionBook
from bot.errors import Conflict, IdempotencyConflict, InvalidAmount, UnknownPackage
from bot.guilds import GuildDirectory
from bot.money import Money, Region
from storage import Connection, Database, Row, ledger, regions, wallets
from storage.ledger import NewEntry, Posting
from storage.rows import required

MINT = "mint"


@dataclass(frozen=True)
class Offer:
    coins: int
    price: Money
    region: Region

    def price_text(self) -> str:
        return self.price.format(self.region.locale)


@dataclass(frozen=True)
class PurchaseResult:
    entry_id: int
    coins: int
    price: Money
    balance: int
    replayed: bool


class PurchaseService:
    def __init__(
        self,
        db: Database,
        regions_book: RegionBook,
        guilds: GuildDirectory,
        provider: PaymentProvider,
        clock: Clock,
    ) -> None:
        self._db = db
        self._regions = regions_book
        self._guilds = guilds
        self._provider = provider
        self._clock = clock

    async def packages(self, guild_id: int, user_id: int) -> list[Offer]:
        region = await self._regions.member_region(guild_id, user_id)
        rows = await self._db.read(lambda conn: regions.packages(conn, guild_id, region.code))
        return [Offer(r["coins"], Money(r["price_minor"], region.currency), region) for r in rows]

    async def offer(self, guild_id: int, user_id: int, package_coins: int) -> Offer:
        """The package of `package_coins` coins in the member's region, or UnknownPackage."""
        if type(package_coins) is not int or package_coins <= 0:
            raise InvalidAmount("A package is a positive number of coins, e.g. 70, 350 or 700.")
        offers = await self.packages(guild_id, user_id)
        for offer in offers:
            if offer.coins == package_coins:
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
        expected_price: Money | None = None,
    ) -> PurchaseResult:
        """Charge for and credit one package. The same key again returns the first result and credits
        nothing; the same key with different parameters raises IdempotencyConflict. With
        `expected_price` (the price the member confirmed), a different current price (region or
        packages changed meanwhile) raises Conflict instead of charging what they did not see."""
        if not idempotency_key:
            raise ValueError("a purchase needs an idempotency key")
        key = f"purchase:{idempotency_key}"
        fingerprint = f"{guild_id}:{user_id}:{package_coins}"
        earlier = await self._db.read(lambda conn: ledger.entry_by_key(conn, key))
        if earlier is not None:
            return await self._replay(earlier, fingerprint, guild_id, user_id)
        offer = await self.offer(guild_id, user_id, package_coins)
        if expected_price is not None and offer.price != expected_price:
            raise Conflict(
                f"The price of the {offer.coins:,}-coin package is now {offer.price_text()}, not what you "
                "confirmed. Nothing was charged; run `/coins buy` again."
            )
        await self._guilds.ensure(guild_id)
        receipt = await self._provider.charge(ChargeRequest(key, guild_id, user_id, offer.coins, offer.price))
        entry = NewEntry(
            guild_id=guild_id,
            kind="purchase",
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
            Posting("coins", offer.coins, user_id=user_id),
            Posting("coins", -offer.coins, system_account=MINT),
        ]

        def credit(conn: Connection) -> tuple[int, bool]:
            raced = ledger.entry_by_key(conn, key)
            if raced is not None:  # a concurrent request with the same key committed first
                return raced["id"], True
            return ledger.post_entry(conn, entry, postings), False

        entry_id, replayed = await self._db.write(credit)
        if replayed:
            raced = await self._db.read(lambda conn: ledger.entry_by_id(conn, guild_id, entry_id))
            return await self._replay(required(raced, f"entry #{entry_id}"), fingerprint, guild_id, user_id)
        balance = await self._db.read(lambda conn: wallets.coins(conn, guild_id, user_id))
        return PurchaseResult(entry_id, offer.coins, offer.price, balance, replayed=False)

    async def _replay(self, earlier: Row, fingerprint: str, guild_id: int, user_id: int) -> PurchaseResult:
        if earlier["request_fingerprint"] != fingerprint:
            raise IdempotencyConflict(
                "This request was already used for a different purchase; nothing was charged this time."
            )
        coins = int(earlier["reference"].rsplit(":", 1)[1])
        price = Money(earlier["money_minor"], earlier["currency"])
        balance = await self._db.read(lambda conn: wallets.coins(conn, guild_id, user_id))
        return PurchaseResult(earlier["id"], coins, price, balance, replayed=True)

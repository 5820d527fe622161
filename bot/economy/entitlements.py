"""Discord purchases: one entry point credits a coin SKU's entitlement, for the ENTITLEMENT_CREATE event
and for reconciliation alike, and one takes a refunded (deleted) entitlement's coins back.

Crediting is idempotent by entitlement id: the purchase row and the ledger entry are written in one
transaction. The order is credit, commit, consume at Discord, mark consumed: a crash between the commit
and the consume leaves a credited, unconsumed entitlement that the next reconciliation consumes without
crediting it again; consuming first would lose the coins on a crash. Nothing here knows discord.py: the
cog hands in plain `EntitlementFacts` and a `consume` callable."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.clock import Clock, to_micros
from bot.economy.deals import credit_chosen_bonus, take_back_bonus
from bot.economy.debts import claw_back, credit_coins
from bot.economy.kinds import PURCHASE, REFUND, TEST_PURCHASE
from bot.economy.payments import CoinSku, PaymentSetup
from bot.economy.posting import Replay, post_once
from bot.guilds import GuildDirectory
from storage import Connection, Database, Row, action_log, entitlements, wallets
from storage.ledger import NewEntry

log = logging.getLogger(__name__)

Consume = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class EntitlementFacts:
    """What the bot needs of a Discord entitlement."""

    id: int
    sku_id: int
    user_id: int | None
    guild_id: int | None
    test: bool  # a test-mode purchase (type 4): nobody paid
    deleted: bool  # refunded or removed
    consumed: bool


class Outcome(StrEnum):
    CREDITED = "credited"  # coins credited now
    ALREADY_CREDITED = "already credited"  # credited before (consumed now if it was not yet)
    NOT_COINS = "not a coin SKU"
    NO_OWNER = "no user"
    TEST_REFUSED = "test purchase refused"
    NO_SERVER = "no server known"  # left unconsumed: credited once the member opens the shop
    VOID = "deleted before it was credited"
    REFUNDED = "refunded"  # coins taken back now
    ALREADY_REFUNDED = "already refunded"


@dataclass(frozen=True)
class Settlement:
    outcome: Outcome
    entitlement_id: int
    package: CoinSku | None = None
    guild_id: int | None = None
    user_id: int | None = None
    entry_id: int | None = None
    balance: int | None = None
    debt_repaid: int = 0  # of the credited coins, paid the member's refund debt
    taken: int = 0  # refund: coins taken from the wallet
    debt: int = 0  # refund: coins now owed
    test: bool = False  # a test-mode purchase: no money
    bonus: int = 0  # deal bonus coins credited with the purchase, or taken back with its refund
    consumed_now: bool = False  # this call consumed it at Discord (a credit a crash left unconsumed)


class EntitlementService:
    def __init__(self, db: Database, guilds: GuildDirectory, payments: PaymentSetup, clock: Clock) -> None:
        self._db = db
        self._guilds = guilds
        self.payments = payments
        self._clock = clock
        self._busy: dict[int, _Turns] = {}  # entitlement id → callers settling it

    async def settle(self, entitlement: EntitlementFacts, consume: Consume) -> Settlement:
        """Bring the books in line with one entitlement: credit and consume a purchase, or refund a
        deleted one. Safe to call any number of times for the same entitlement, also at once (an event
        and a reconciliation): one settles, the other then finds it settled and never consumes twice."""
        turns = self._busy.setdefault(entitlement.id, _Turns())
        turns.callers += 1
        try:
            async with turns.lock:
                return await self._settle(entitlement, consume)
        finally:
            turns.callers -= 1
            if not turns.callers:
                del self._busy[entitlement.id]

    async def _settle(self, entitlement: EntitlementFacts, consume: Consume) -> Settlement:
        if entitlement.deleted:
            return await self.refund(entitlement)
        package = self.payments.sku(entitlement.sku_id)
        if package is None:
            return Settlement(Outcome.NOT_COINS, entitlement.id)
        if entitlement.user_id is None:
            log.warning("entitlement %s of coin SKU %s has no user; ignored", entitlement.id, package.sku_id)
            return Settlement(Outcome.NO_OWNER, entitlement.id, package)
        if entitlement.test and not self.payments.test_purchases:
            log.warning(
                "test-mode purchase %s by user %s not credited (DISCORD_TEST_PURCHASES is off); left unconsumed",
                entitlement.id, entitlement.user_id,
            )  # fmt: skip
            return Settlement(Outcome.TEST_REFUSED, entitlement.id, package, user_id=entitlement.user_id)
        settlement, state = await self.credit(entitlement, package)
        # `consumed` of the caller's copy may be stale (an earlier call consumed it): the row decides.
        if state == entitlements.CREDITED and await self._consume(entitlement, consume):
            return replace(settlement, consumed_now=True)
        return settlement

    async def credit(self, entitlement: EntitlementFacts, package: CoinSku) -> tuple[Settlement, str | None]:
        """The one credit path of a Discord purchase: `package`'s coins to the member (paying their debt
        first), once per entitlement. Returns the settlement and the purchase row's state afterwards."""
        user_id = entitlement.user_id
        assert user_id is not None
        guild_id = entitlement.guild_id or await self._db.read(
            lambda conn: entitlements.last_shop_guild(conn, user_id)
        )
        if guild_id is None:
            log.warning(
                "entitlement %s: user %s never opened the coin shop in a server; left unconsumed",
                entitlement.id, user_id,
            )  # fmt: skip
            return Settlement(Outcome.NO_SERVER, entitlement.id, package, user_id=user_id), None
        await self._guilds.ensure(guild_id)
        kind = TEST_PURCHASE if entitlement.test else PURCHASE
        key = f"entitlement:{entitlement.id}"
        fingerprint = f"{user_id}:{package.sku_id}"
        now = to_micros(self._clock())

        def credit(conn: Connection) -> Settlement:
            earlier = entitlements.purchase(conn, entitlement.id)
            if earlier is not None:  # credited (or voided) before, maybe under an earlier shop visit
                return _settled(conn, earlier, package)
            entry = NewEntry(
                guild_id=guild_id,
                kind=kind.name,
                created_at=now,
                actor_id=user_id,
                reference=f"entitlement:{entitlement.id}:sku:{package.sku_id}",
                idempotency_key=key,
                request_fingerprint=fingerprint,
                money_minor=None if entitlement.test else package.price.minor,
                currency=None if entitlement.test else package.price.currency,
                memo=f"{package.coins} coins (Discord {'test purchase' if entitlement.test else 'purchase'})",
            )
            credited = credit_coins(conn, entry, user_id, package.coins)
            # The deal the member was shown when choosing the package, if any (an entry of its own).
            bonus = credit_chosen_bonus(conn, guild_id, user_id, package.coins, credited.entry_id, now)
            entitlements.insert(
                conn, entitlement_id=entitlement.id, guild_id=guild_id, user_id=user_id,
                sku_id=package.sku_id, coins=package.coins, test=entitlement.test,
                state=entitlements.CREDITED, credit_entry_id=credited.entry_id, now=now,
            )  # fmt: skip
            return Settlement(
                Outcome.CREDITED, entitlement.id, package, guild_id, user_id, credited.entry_id,
                wallets.coins(conn, guild_id, user_id), debt_repaid=credited.repaid, test=entitlement.test,
                bonus=bonus,
            )  # fmt: skip

        posted = await post_once(self._db, kind, key, fingerprint, credit)

        def settled(conn: Connection) -> tuple[Settlement, str | None]:
            row = entitlements.purchase(conn, entitlement.id)
            if row is None:
                return Settlement(Outcome.NO_SERVER, entitlement.id, package, user_id=user_id), None
            result = _settled(conn, row, package) if isinstance(posted, Replay) else posted
            return result, row["state"]

        return await self._db.read(settled)

    async def refund(self, entitlement: EntitlementFacts) -> Settlement:
        """A deleted entitlement: take back the coins of its purchase (the shortfall becomes debt), once.
        Deleted before it was ever credited, it is recorded void so that a late CREATE never credits it."""
        package = self.payments.sku(entitlement.sku_id)
        if package is None:
            return Settlement(Outcome.NOT_COINS, entitlement.id)
        now = to_micros(self._clock())
        key = f"refund:entitlement:{entitlement.id}"

        def take_back(conn: Connection) -> Settlement:
            row = entitlements.purchase(conn, entitlement.id)
            if row is None:
                if entitlement.user_id is None:
                    return Settlement(Outcome.NO_OWNER, entitlement.id, package)
                entitlements.insert(
                    conn, entitlement_id=entitlement.id, guild_id=entitlement.guild_id,
                    user_id=entitlement.user_id, sku_id=package.sku_id, coins=package.coins,
                    test=entitlement.test, state=entitlements.VOID, credit_entry_id=None, now=now,
                )  # fmt: skip
                return Settlement(Outcome.VOID, entitlement.id, package, user_id=entitlement.user_id)
            if row["state"] == entitlements.VOID or row["refund_entry_id"] is not None:
                return _settled(conn, row, package)
            guild_id, user_id = row["guild_id"], row["user_id"]
            test = bool(row["test"])
            clawback = claw_back(
                conn,
                NewEntry(
                    guild_id=guild_id,
                    kind=REFUND.name,
                    created_at=now,
                    reference=f"entitlement:{entitlement.id}:sku:{package.sku_id}",
                    idempotency_key=key,
                    request_fingerprint=str(entitlement.id),
                    money_minor=None if test else package.price.minor,
                    currency=None if test else package.price.currency,
                    memo=f"Discord refunded {row['coins']} coins (purchase entry #{row['credit_entry_id']})",
                ),
                user_id,
                row["coins"],
            )
            entitlements.set_refund(conn, entitlement.id, clawback.entry_id)
            bonus = take_back_bonus(
                conn, guild_id, user_id, row["credit_entry_id"], now,
                f"Discord refunded the purchase (entry #{row['credit_entry_id']}): its deal bonus goes back",
            )  # fmt: skip
            action_log.record(
                conn, guild_id, now, None, "purchase.refund", action_log.member_target(user_id), None,
                {"coins": row["coins"], "taken": clawback.taken, "debt": clawback.debt,
                 "purchase_entry": row["credit_entry_id"], "entry": clawback.entry_id,
                 "entitlement": str(entitlement.id)},
                "refunded through Discord",
            )  # fmt: skip
            return Settlement(
                Outcome.REFUNDED, entitlement.id, package, guild_id, user_id, clawback.entry_id,
                wallets.coins(conn, guild_id, user_id), taken=clawback.taken, debt=clawback.debt, bonus=bonus,
            )  # fmt: skip

        posted = await post_once(self._db, REFUND, key, str(entitlement.id), take_back)
        if isinstance(posted, Replay):
            return Settlement(Outcome.ALREADY_REFUNDED, entitlement.id, package, user_id=entitlement.user_id)
        return posted

    async def _consume(self, entitlement: EntitlementFacts, consume: Consume) -> bool:
        """Consume at Discord (unless it already is), then record it; True if consumed by this call. A
        failure is left to the next reconciliation, which finds the entitlement credited and unconsumed."""
        consumed_now = not entitlement.consumed
        if consumed_now:
            try:
                await consume()
            except Exception:
                log.warning("could not consume entitlement %s; retried at reconciliation", entitlement.id,
                            exc_info=True)  # fmt: skip
                return False
        now = to_micros(self._clock())
        await self._db.write(lambda conn: entitlements.mark_consumed(conn, entitlement.id, now))
        return consumed_now


@dataclass
class _Turns:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    callers: int = 0


def _settled(conn: Connection, row: Row, package: CoinSku) -> Settlement:
    if row["state"] == entitlements.VOID:
        return Settlement(Outcome.VOID, row["entitlement_id"], package, row["guild_id"], row["user_id"])
    outcome = Outcome.ALREADY_REFUNDED if row["refund_entry_id"] is not None else Outcome.ALREADY_CREDITED
    return Settlement(
        outcome, row["entitlement_id"], package, row["guild_id"], row["user_id"], row["credit_entry_id"],
        wallets.coins(conn, row["guild_id"], row["user_id"]),
    )  # fmt: skip

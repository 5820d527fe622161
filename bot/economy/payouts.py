"""Creator cash-outs, two-phase: a request reserves diamonds in `pending_payout`; a moderator's decision
either settles them (fee share → `platform`, creator share → `paid_out`, with the cash amount computed at
that moment) or releases them back to the creator. Each request is decided exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Protocol

from bot.clock import Clock, from_micros, to_micros
from bot.economy.cashout_rules import CashoutRules
from bot.economy.kinds import (
    CASHOUT_APPROVAL,
    CASHOUT_REJECTION,
    CASHOUT_REQUEST,
    DIAMONDS,
    PAID_OUT,
    PENDING_PAYOUT,
    PLATFORM,
)
from bot.economy.posting import Replay, post, post_once
from bot.economy.regions import RegionBook
from bot.errors import (
    CashoutsOff,
    Conflict,
    InsufficientDiamonds,
    InvalidAmount,
    NotFound,
    NotPermitted,
)
from bot.guilds import GuildDirectory
from bot.money import CoinRate, Money, Region
from bot.text import short_text
from storage import (
    BalanceTooLow,
    Connection,
    ConstraintViolation,
    Database,
    Row,
    action_log,
    payouts,
    wallets,
)
from storage.ledger import NewEntry, Posting
from storage.rows import required

log = logging.getLogger(__name__)

DIAMONDS_MAX = 1_000_000_000
REASON_MAX = 200
PENDING_LIST_MAX = 25
ID_MAX = 2**63 - 1  # SQLite's largest integer


# --- the formula --------------------------------------------------------------------------------


def cash_value(diamonds: int, rate: CoinRate, fee_percent: int) -> Money:
    """What `diamonds` pay out after the fee, in the rate's currency, rounded DOWN to its minor unit.

    A diamond is worth what a coin costs in the region's smallest package (`price_minor` for `coins`
    coins; in the US 74 cents for 70 coins, the base rate): D × price/coins × (1 − fee). Exact
    arithmetic with Fraction; the only rounding is the final floor to a whole minor unit (a cent, a
    paisa; for KRW, which has no minor unit, a whole won)."""
    if type(diamonds) is not int or diamonds < 0:
        raise ValueError(f"diamonds must be a non-negative int, got {diamonds!r}")
    if type(fee_percent) is not int or not 0 <= fee_percent <= 100:
        raise ValueError(f"fee_percent must be an int in 0..100, got {fee_percent!r}")
    exact = Fraction(diamonds * rate.price_minor, rate.coins) * Fraction(100 - fee_percent, 100)
    return Money(exact.numerator // exact.denominator, rate.region.currency)


def split_diamonds(diamonds: int, fee_percent: int) -> tuple[int, int]:
    """(creator share, platform share) in whole diamonds; the creator's share is rounded down."""
    creator = diamonds * (100 - fee_percent) // 100
    return creator, diamonds - creator


# --- values returned to the cogs ---------------------------------------------------------------


@dataclass(frozen=True)
class Payout:
    id: int
    guild_id: int
    creator_id: int
    diamonds: int
    fee_percent: int
    region: Region
    status: str
    requested_at: datetime
    decided_at: datetime | None
    decided_by: int | None
    reason: str | None
    money: Money | None
    reserve_entry_id: int
    decision_entry_id: int | None

    def money_text(self) -> str | None:
        return self.money.format(self.region.locale) if self.money else None


@dataclass(frozen=True)
class CashoutQuote:
    """What a cash-out of `diamonds` would pay now (shown before the creator confirms)."""

    diamonds: int
    held: int
    cashable: int
    fee_percent: int
    minimum: int
    value: Money
    region: Region

    def value_text(self) -> str:
        return self.value.format(self.region.locale)


@dataclass(frozen=True)
class Decision:
    payout: Payout


class PayoutNotifier(Protocol):
    """Tells a creator that their cash-out was decided (a DM in production). Returns False when the
    message could not be delivered (closed DMs); may raise, which is logged and not fatal."""

    async def payout_decided(self, payout: Payout) -> bool: ...


class NoNotifier:
    async def payout_decided(self, payout: Payout) -> bool:
        return False


# --- the service -------------------------------------------------------------------------------


class PayoutService:
    def __init__(
        self,
        db: Database,
        regions_book: RegionBook,
        guilds: GuildDirectory,
        clock: Clock,
        rules: CashoutRules,
        notifier: PayoutNotifier | None = None,
    ) -> None:
        self._db = db
        self._regions = regions_book
        self._guilds = guilds
        self._clock = clock
        self.rules = rules
        self.notifier: PayoutNotifier = notifier or NoNotifier()

    # settings ---------------------------------------------------------------------------------

    async def fee_percent(self, guild_id: int) -> int:
        await self._guilds.ensure(guild_id)
        return await self._db.read(lambda conn: payouts.fee_percent(conn, guild_id))

    async def cashout_minimum(self, guild_id: int) -> int:
        await self._guilds.ensure(guild_id)
        return await self._db.read(lambda conn: payouts.cashout_minimum(conn, guild_id))

    # creators ---------------------------------------------------------------------------------

    async def quote(self, guild_id: int, creator_id: int, diamonds: int) -> CashoutQuote:
        """Validate a cash-out of `diamonds` and price it; raises the refusal the creator should read."""
        _check_diamonds(diamonds)
        await self._guilds.ensure(guild_id)
        now = self._clock()

        def look(conn: Connection) -> CashoutQuote:
            self.rules.require_on(conn, guild_id)
            rate = self.rules.rate_on(conn, guild_id)
            row = wallets.wallet(conn, guild_id, creator_id)
            held = row["diamonds"] if row else 0
            maturity = self.rules.maturity_on(conn, guild_id, creator_id, held, now)
            fee, minimum = payouts.fee_percent(conn, guild_id), payouts.cashout_minimum(conn, guild_id)
            _check_request(
                diamonds, held, maturity.cashable, minimum, payouts.pending_of(conn, guild_id, creator_id)
            )
            return CashoutQuote(
                diamonds, held, maturity.cashable, fee, minimum, cash_value(diamonds, rate, fee), rate.region
            )

        return await self._db.read(look)

    async def request(self, guild_id: int, creator_id: int, diamonds: int, idempotency_key: str) -> Payout:
        """Reserve `diamonds` for a cash-out. The same key again returns the same request."""
        if not idempotency_key:
            raise ValueError("a cash-out request needs an idempotency key")
        _check_diamonds(diamonds)
        await self._guilds.ensure(guild_id)
        key = f"cashout:{idempotency_key}"
        fingerprint = f"{guild_id}:{creator_id}:{diamonds}"
        moment = self._clock()
        now = to_micros(moment)

        def reserve(conn: Connection) -> Row:
            self.rules.require_on(conn, guild_id)
            region = self.rules.rate_on(conn, guild_id).region
            row = wallets.wallet(conn, guild_id, creator_id)
            held = row["diamonds"] if row else 0
            _check_request(
                diamonds,
                held,
                self.rules.maturity_on(conn, guild_id, creator_id, held, moment).cashable,
                payouts.cashout_minimum(conn, guild_id),
                payouts.pending_of(conn, guild_id, creator_id),
            )
            fee = payouts.fee_percent(conn, guild_id)
            try:
                entry_id = post(
                    conn,
                    NewEntry(
                        guild_id=guild_id,
                        kind=CASHOUT_REQUEST.name,
                        created_at=now,
                        actor_id=creator_id,
                        idempotency_key=key,
                        request_fingerprint=fingerprint,
                        memo=f"cash-out request, fee {fee}%",
                    ),
                    [
                        Posting(DIAMONDS, -diamonds, user_id=creator_id),
                        Posting(DIAMONDS, diamonds, system_account=PENDING_PAYOUT),
                    ],
                )
            except BalanceTooLow as error:
                raise _too_few(diamonds, error.available) from None
            payout_id = payouts.insert_payout(
                conn,
                guild_id=guild_id,
                creator_id=creator_id,
                diamonds=diamonds,
                fee_percent=fee,
                region=region.code,
                currency=region.currency,
                requested_at=now,
                reserve_entry_id=entry_id,
            )
            action_log.record(
                conn, guild_id, now, creator_id, "payout.request", action_log.member_target(creator_id),
                None, {"payout": payout_id, "diamonds": diamonds, "fee_percent": fee, "entry": entry_id}, None,
            )  # fmt: skip
            return required(payouts.payout(conn, guild_id, payout_id), f"cash-out #{payout_id}")

        def replay(earlier: Replay) -> Callable[[Connection], Row]:
            entry_id = earlier.entry["id"]
            return lambda conn: required(
                payouts.payout_by_reserve_entry(conn, entry_id), "the cash-out request"
            )

        try:
            posted = await post_once(self._db, CASHOUT_REQUEST, key, fingerprint, reserve)
            row = await self._db.read(replay(posted)) if isinstance(posted, Replay) else posted
        except ConstraintViolation:  # the one-pending index: a concurrent request got in first
            raise Conflict("You already have a cash-out request waiting for a moderator.") from None
        return self._payout(row)

    async def pending_of(self, guild_id: int, creator_id: int) -> Payout | None:
        row = await self._db.read(lambda conn: payouts.pending_of(conn, guild_id, creator_id))
        return self._payout(row) if row else None

    # moderators -------------------------------------------------------------------------------

    async def pending(self, guild_id: int, limit: int = PENDING_LIST_MAX) -> list[Payout]:
        rows = await self._db.read(lambda conn: payouts.pending(conn, guild_id, limit))
        return [self._payout(r) for r in rows]

    async def get(self, guild_id: int, payout_id: int) -> Payout:
        _check_payout_id(payout_id)
        row = await self._db.read(lambda conn: payouts.payout(conn, guild_id, payout_id))
        if row is None:
            raise NotFound(f"There is no cash-out request #{payout_id} in this server.")
        return self._payout(row)

    async def approve(self, guild_id: int, moderator_id: int, payout_id: int) -> Decision:
        """Settle a pending request: fee share to `platform`, the rest to `paid_out`, cash computed now."""
        _check_payout_id(payout_id)
        now = to_micros(self._clock())

        def settle(conn: Connection) -> Row:
            row = _pending_for_decision(conn, guild_id, moderator_id, payout_id)
            refusal = self.rules.refusal_on(conn, guild_id)
            if refusal is not None:
                raise CashoutsOff(
                    f"{refusal} Reject this request instead; its diamonds go back to the creator."
                )
            rate = self.rules.rate_on(conn, guild_id)
            money = cash_value(row["diamonds"], rate, row["fee_percent"])
            creator_share, platform_share = split_diamonds(row["diamonds"], row["fee_percent"])
            if not payouts.decide(
                conn, guild_id, payout_id, status=payouts.APPROVED, decided_at=now, decided_by=moderator_id,
                reason=None, money_minor=money.minor, region=rate.region.code, currency=money.currency,
                creator_diamonds=creator_share, platform_diamonds=platform_share,
            ):  # fmt: skip
                raise _already_decided(conn, guild_id, payout_id)
            postings = [Posting(DIAMONDS, -row["diamonds"], system_account=PENDING_PAYOUT)]
            if creator_share:
                postings.append(Posting(DIAMONDS, creator_share, system_account=PAID_OUT))
            if platform_share:
                postings.append(Posting(DIAMONDS, platform_share, system_account=PLATFORM))
            entry_id = post(
                conn,
                NewEntry(
                    guild_id=guild_id,
                    kind=CASHOUT_APPROVAL.name,
                    created_at=now,
                    actor_id=moderator_id,
                    reference=f"payout:{payout_id}:user:{row['creator_id']}",
                    idempotency_key=f"payout:{payout_id}:decision",
                    money_minor=money.minor,
                    currency=money.currency,
                    memo=f"cash-out #{payout_id} approved, fee {row['fee_percent']}%",
                ),
                postings,
            )
            payouts.set_decision_entry(conn, payout_id, entry_id)
            action_log.record(
                conn, guild_id, now, moderator_id, "payout.approve",
                action_log.member_target(row["creator_id"]), {"payout": payout_id, "status": "pending"},
                {"payout": payout_id, "status": "approved", "diamonds": row["diamonds"],
                 "money_minor": money.minor, "currency": money.currency, "entry": entry_id},
                None,
            )  # fmt: skip
            return required(payouts.payout(conn, guild_id, payout_id), f"cash-out #{payout_id}")

        return await self._decide(settle)

    async def reject(self, guild_id: int, moderator_id: int, payout_id: int, reason: str) -> Decision:
        """Release a pending request's diamonds back to the creator."""
        _check_payout_id(payout_id)
        reason = clean_reason(reason)
        now = to_micros(self._clock())

        def release(conn: Connection) -> Row:
            row = _pending_for_decision(conn, guild_id, moderator_id, payout_id)
            if not payouts.decide(
                conn, guild_id, payout_id, status=payouts.REJECTED, decided_at=now, decided_by=moderator_id,
                reason=reason,
            ):  # fmt: skip
                raise _already_decided(conn, guild_id, payout_id)
            entry_id = post(
                conn,
                NewEntry(
                    guild_id=guild_id,
                    kind=CASHOUT_REJECTION.name,
                    created_at=now,
                    actor_id=moderator_id,
                    reference=f"payout:{payout_id}:user:{row['creator_id']}",
                    idempotency_key=f"payout:{payout_id}:decision",
                    memo=reason,
                ),
                [
                    Posting(DIAMONDS, -row["diamonds"], system_account=PENDING_PAYOUT),
                    Posting(DIAMONDS, row["diamonds"], user_id=row["creator_id"]),
                ],
            )
            payouts.set_decision_entry(conn, payout_id, entry_id)
            action_log.record(
                conn, guild_id, now, moderator_id, "payout.reject",
                action_log.member_target(row["creator_id"]), {"payout": payout_id, "status": "pending"},
                {"payout": payout_id, "status": "rejected", "diamonds": row["diamonds"],
                 "entry": entry_id},
                reason,
            )  # fmt: skip
            return required(payouts.payout(conn, guild_id, payout_id), f"cash-out #{payout_id}")

        return await self._decide(release)

    async def _decide(self, operation: Callable[[Connection], Row]) -> Decision:
        return Decision(self._payout(await self._db.write(operation)))

    async def tell_creator(self, payout: Payout) -> bool:
        """Tell the creator about the decision (a DM); False when that failed. Called after the
        moderator got their answer, so a slow DM never holds up the reply."""
        try:
            return bool(await self.notifier.payout_decided(payout))
        except Exception:
            log.warning(
                "could not tell creator %s about payout #%s", payout.creator_id, payout.id, exc_info=True
            )
            return False

    def _payout(self, row: Row) -> Payout:
        region = self._regions.get(row["region"])
        return Payout(
            id=row["id"],
            guild_id=row["guild_id"],
            creator_id=row["creator_id"],
            diamonds=row["diamonds"],
            fee_percent=row["fee_percent"],
            region=region,
            status=row["status"],
            requested_at=from_micros(row["requested_at"]),
            decided_at=from_micros(row["decided_at"]) if row["decided_at"] is not None else None,
            decided_by=row["decided_by"],
            reason=row["reason"],
            money=Money(row["money_minor"], row["currency"]) if row["money_minor"] is not None else None,
            reserve_entry_id=row["reserve_entry_id"],
            decision_entry_id=row["decision_entry_id"],
        )


# --- helpers -----------------------------------------------------------------------------------


def _check_diamonds(diamonds: int) -> None:
    if type(diamonds) is not int or not 1 <= diamonds <= DIAMONDS_MAX:
        raise InvalidAmount("Choose a positive whole number of diamonds.")


def _check_payout_id(payout_id: int) -> None:
    if type(payout_id) is not int or not 0 < payout_id <= ID_MAX:
        raise NotFound("There is no such cash-out request; pick one from `/payouts pending`.")


def _check_request(diamonds: int, held: int, cashable: int, minimum: int, pending: Row | None) -> None:
    if pending is not None:
        raise Conflict(
            f"You already have a cash-out request (#{pending['id']}, {pending['diamonds']:,} diamonds) "
            "waiting for a moderator. You can make another once it is decided."
        )
    if diamonds < minimum:
        raise InvalidAmount(f"The minimum cash-out in this server is {minimum:,} diamonds.")
    if diamonds > held:
        raise _too_few(diamonds, held)
    if diamonds > cashable:
        raise InsufficientDiamonds(
            f"Only {cashable:,} of your {held:,} diamonds can be cashed out now: diamonds from recent gifts "
            "wait out this server's hold first (`/creator earnings` shows when)."
        )


def _too_few(diamonds: int, held: int) -> InsufficientDiamonds:
    return InsufficientDiamonds(f"You have {held:,} diamonds; you cannot cash out {diamonds:,}.")


def clean_reason(reason: object) -> str:
    """A moderator's reason: required, one line, at most REASON_MAX characters, mentions neutralised."""
    return short_text(reason, REASON_MAX, "The reason")


def _pending_for_decision(conn: Connection, guild_id: int, moderator_id: int, payout_id: int) -> Row:
    row = payouts.payout(conn, guild_id, payout_id)
    if row is None:
        raise NotFound(f"There is no cash-out request #{payout_id} in this server.")
    if row["status"] != payouts.PENDING:
        raise _already_decided(conn, guild_id, payout_id)
    if row["creator_id"] == moderator_id:
        raise NotPermitted("You cannot decide on your own cash-out; another moderator has to.")
    return row


def _already_decided(conn: Connection, guild_id: int, payout_id: int) -> Conflict:
    row = required(payouts.payout(conn, guild_id, payout_id), f"cash-out #{payout_id}")
    return Conflict(
        f"Cash-out #{payout_id} was already {row['status']} by <@{row['decided_by']}>; nothing changed."
    )

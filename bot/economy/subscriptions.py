"""Creator subscriptions paid in coins: a creator offers a monthly price and a role; a member subscribes
(the first period is charged at once), and the scheduler renews each subscription at its period's end.

Each period's charge is one spending entry of kind SUBSCRIPTION (the member's coins to `spent`, as many
diamonds to the creator as a gift of that price would give), posted exactly once per subscription and
period. A renewal refused (too few coins, a blocking budget) starts three days' grace with a DM; the
role goes when the grace ends unfinished. A price change applies from each subscriber's next renewal,
once they were sent a DM about it. Roles follow the ledger: `reconcile_roles` gives the role of every
running subscription and takes away the roles of ended ones (at start and daily).

Discord-free: role changes and DMs go through the injected `MemberRoles` and `DirectMessages`."""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.alerts import Notice, NoticePublisher
from bot.clock import Clock, from_micros, to_micros
from bot.creators import CreatorService, NotACreator
from bot.economy.kinds import COINS, DIAMOND_MINT, DIAMONDS, SPENT, SUBSCRIPTION
from bot.economy.posting import Replay, exactly_once, find_earlier, post
from bot.economy.regions import RegionBook
from bot.errors import Conflict, DomainError, InsufficientCoins, InvalidAmount, NotFound, NotPermitted
from bot.guild_config import GuildConfigService
from bot.money import CoinRate
from bot.reminders import DirectMessages, DirectMessagesClosed
from bot.spending import SpendingGuard
from bot.text import whole_number
from bot.timezones import month_bounds_at, zone_or_utc
from storage import (
    BalanceTooLow,
    Connection,
    ConstraintViolation,
    Database,
    Row,
    action_log,
    creators,
    statements,
    wallets,
)
from storage import subscriptions as rows
from storage.ledger import NewEntry, Posting

log = logging.getLogger(__name__)

PRICE_MAX = 1_000_000
GRACE = timedelta(days=3)
RETRY_EVERY = timedelta(hours=1)
DUE_BATCH = 200


# --- periods -----------------------------------------------------------------------------------------


def period_end(started_at: datetime, zone: ZoneInfo, periods: int) -> datetime:
    """The end of period `periods` (from 1): that many calendar months after `started_at`, at the same
    local wall time in `zone`. A day the month lacks becomes its last day (31 Jan → 28 Feb → 31 Mar),
    and a DST change moves the UTC instant, not the local time."""
    local = started_at.astimezone(zone)
    months = local.month - 1 + periods
    year, month = local.year + months // 12, months % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    wall = datetime(year, month, day, local.hour, local.minute, local.second, tzinfo=zone)
    return wall.astimezone(UTC)


# --- the Discord side, injected ------------------------------------------------------------------------


class MembershipUnknown(Exception):  # noqa: N818 - a state, not a failure
    """Discord cannot say whether the user is a member now (the bot left the server, Discord is down)."""


class MemberRoles(Protocol):
    async def is_member(self, guild_id: int, user_id: int) -> bool:
        """Whether the user is still in the server (asked over REST when not cached); MembershipUnknown
        when Discord cannot say (the renewal is tried again later, nothing is charged meanwhile)."""
        ...

    def role_exists(self, guild_id: int, role_id: int) -> bool:
        """Whether the server still has the role (a role deleted by hand cannot be handed out)."""
        ...

    async def add_role(self, guild_id: int, user_id: int, role_id: int) -> bool:
        """Give the role (nothing to do if the member has it); False if it cannot be done."""
        ...

    async def remove_role(self, guild_id: int, user_id: int, role_id: int) -> bool:
        """Take the role away (nothing to do if the member lacks it or left); False if it cannot be done."""
        ...


@dataclass(frozen=True)
class RoleFacts:
    """What the bot knows about a role a creator picked, gathered by the cog from Discord."""

    role_id: int
    name: str
    is_everyone: bool
    managed: bool  # a bot's, an integration's or the booster role: nobody can hand it out
    bot_can_manage_roles: bool
    below_bot_top_role: bool


# --- values returned to the cogs ---------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    guild_id: int
    creator_id: int
    coins: int
    role_id: int
    active: bool


@dataclass(frozen=True)
class PlanChange:
    plan: Plan
    previous_coins: int | None
    subscribers_told: int  # subscribers sent a DM about a new price


@dataclass(frozen=True)
class Subscription:
    id: int
    guild_id: int
    subscriber_id: int
    creator_id: int
    role_id: int
    price: int  # what the next renewal charges
    pending_price: int | None
    paid_until: datetime
    renews: bool
    status: str
    grace_until: datetime | None
    zone: ZoneInfo


@dataclass(frozen=True)
class SubscriptionQuote:
    guild_id: int
    subscriber_id: int
    creator_id: int
    coins: int
    role_id: int
    rate: CoinRate
    renews_at: datetime
    zone: ZoneInfo
    warning: str | None


@dataclass(frozen=True)
class Subscribed:
    subscription: Subscription
    balance: int
    rate: CoinRate
    role_given: bool
    replayed: bool


@dataclass
class RenewalRun:
    renewed: list[int] = field(default_factory=list)
    in_grace: list[int] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # Discord could not say; tried again later


@dataclass
class Reconciliation:
    given: list[tuple[int, int]] = field(default_factory=list)  # (member, role)
    removed: list[tuple[int, int]] = field(default_factory=list)
    failed: list[tuple[int, int]] = field(default_factory=list)


def _subscription(row: Row) -> Subscription:
    return Subscription(
        id=row["id"],
        guild_id=row["guild_id"],
        subscriber_id=row["subscriber_id"],
        creator_id=row["creator_id"],
        role_id=row["role_id"],
        price=row["price"],
        pending_price=row["pending_price"],
        paid_until=from_micros(row["paid_until"]),
        renews=bool(row["renews"]),
        status=row["status"],
        grace_until=from_micros(row["grace_until"]) if row["grace_until"] is not None else None,
        zone=zone_or_utc(row["timezone"]),
    )


def _plan(row: Row) -> Plan:
    return Plan(row["guild_id"], row["creator_id"], row["coins"], row["role_id"], bool(row["active"]))


def check_role(role: RoleFacts) -> None:
    """Refuse a role the bot cannot hand out, saying how to fix it."""
    if role.is_everyone:
        raise InvalidAmount("Pick a role of its own for your subscribers, not @everyone.")
    if role.managed:
        raise NotPermitted(
            f"The role **{role.name}** belongs to a bot or an integration, so nobody can hand it out. "
            "Create a role for your subscribers (Server Settings → Roles) and pick that one."
        )
    if not role.bot_can_manage_roles:
        raise NotPermitted(
            "I need the **Manage Roles** permission to give subscribers their role. A server admin can "
            "grant it in Server Settings → Roles → my role."
        )
    if not role.below_bot_top_role:
        raise NotPermitted(
            f"I can only hand out roles below my highest role, and **{role.name}** is not. A server admin "
            "can drag my role above it in Server Settings → Roles."
        )


def _when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y} at {local:%H:%M} ({zone.key})"


class SubscriptionService:
    def __init__(
        self,
        db: Database,
        *,
        guild_config: GuildConfigService,
        creators_service: CreatorService,
        regions: RegionBook,
        spending: SpendingGuard,
        alerts: NoticePublisher | None,
        clock: Clock,
    ) -> None:
        self._db = db
        self._config = guild_config
        self._creators = creators_service
        self._regions = regions
        self.spending = spending
        self.alerts = alerts
        self._clock = clock
        # Attached by cogs.subscriptions with the Discord side; without them roles and DMs are skipped.
        self.roles: MemberRoles | None = None
        self.messages: DirectMessages | None = None
        # Called with (guild id, creator id) after a new subscription committed (its overlay alert is in
        # the log then): the overlay's streams read it.
        self.committed: Callable[[int, int], None] | None = None

    # --- creators --------------------------------------------------------------------------------

    async def plan(self, guild_id: int, creator_id: int) -> Plan | None:
        row = await self._db.read(lambda conn: rows.plan(conn, guild_id, creator_id))
        return _plan(row) if row is not None else None

    async def set_plan(self, guild_id: int, creator_id: int, coins: int, role: RoleFacts) -> PlanChange:
        """Offer (or change) a subscription: `coins` per month give `role`. A new price applies to
        running subscriptions from their next renewal, after each subscriber got a DM about it."""
        coins = whole_number(coins, 1, PRICE_MAX, "The price in coins per month")
        check_role(role)
        await self._creators.require(guild_id, creator_id, yourself=True)
        now = to_micros(self._clock())

        def save(conn: Connection) -> PlanChange:
            before = rows.plan(conn, guild_id, creator_id)
            rows.save_plan(conn, guild_id, creator_id, coins, role.role_id, True, now)
            told = rows.announce_price(conn, guild_id, creator_id, coins)
            action_log.record(
                conn, guild_id, now, creator_id, "subscription.plan", action_log.member_target(creator_id),
                {"coins": before["coins"], "role": before["role_id"], "active": before["active"]} if before else None,
                {"coins": coins, "role": role.role_id, "active": 1}, None,
            )  # fmt: skip
            plan_row = rows.plan(conn, guild_id, creator_id)
            assert plan_row is not None
            previous = before["coins"] if before is not None else None
            return PlanChange(_plan(plan_row), previous, told if previous != coins else 0)

        change = await self._db.write(save)
        if change.subscribers_told:
            await self.send_price_notices()
        return change

    async def turn_off(self, guild_id: int, creator_id: int) -> int:
        """No new subscriptions; running ones last to the end of their period. Returns how many run on."""
        now = to_micros(self._clock())

        def stop(conn: Connection) -> int:
            if not rows.set_plan_active(conn, guild_id, creator_id, False, now):
                raise NotFound("You do not offer a subscription. Start one with `/creator subscription set`.")
            stopped = rows.stop_renewing_creator(conn, guild_id, creator_id)
            action_log.record(
                conn, guild_id, now, creator_id, "subscription.off", action_log.member_target(creator_id),
                {"active": 1}, {"active": 0, "running": stopped}, None,
            )  # fmt: skip
            return stopped

        return await self._db.write(stop)

    async def creator_counts(self, guild_id: int, creator_id: int) -> tuple[int, int]:
        """(running subscribers, renewals this month in the creator's time zone)."""
        now = self._clock()

        def look(conn: Connection) -> tuple[int, int]:
            zone = zone_or_utc(statements.member_timezone(conn, guild_id, creator_id, to_micros(now)))
            start, end = month_bounds_at(now, zone)
            return rows.creator_counts(conn, guild_id, creator_id, to_micros(start), to_micros(end))

        return await self._db.read(look)

    # --- members ---------------------------------------------------------------------------------

    async def quote(
        self, guild_id: int, subscriber_id: int, role_ids: Collection[int], creator_id: int
    ) -> SubscriptionQuote:
        """Everything a member confirms before subscribing: price, value, renewal date (raises refusals)."""
        if type(creator_id) is not int or creator_id <= 0:
            raise NotFound("Choose a creator of this server.")
        if creator_id == subscriber_id:
            raise InvalidAmount("You cannot subscribe to yourself.")
        await self._config.require_spender(guild_id, subscriber_id, role_ids)
        await self._creators.require(guild_id, creator_id)
        now = self._clock()

        def look(conn: Connection) -> tuple[Row | None, Row | None, int, str]:
            return (
                rows.plan(conn, guild_id, creator_id),
                rows.running_of(conn, guild_id, subscriber_id, creator_id),
                wallets.coins(conn, guild_id, subscriber_id),
                statements.member_timezone(conn, guild_id, subscriber_id, to_micros(now)),
            )

        plan_row, running, balance, zone_name = await self._db.read(look)
        if plan_row is None or not plan_row["active"]:
            raise NotFound(f"<@{creator_id}> does not offer a subscription right now.")
        if running is not None:
            until = _when(from_micros(running["paid_until"]), zone_or_utc(running["timezone"]))
            raise Conflict(f"You already subscribe to <@{creator_id}> (paid until {until}).")
        if self.roles is not None and not self.roles.role_exists(guild_id, plan_row["role_id"]):
            raise NotFound(
                f"The subscriber role of <@{creator_id}> no longer exists, so nobody can subscribe right now. "
                "Nothing was charged; they can pick a role again with `/creator subscription set`."
            )
        coins = plan_row["coins"]
        if balance < coins:
            raise InsufficientCoins(coins, balance)
        review = await self.spending.review(guild_id, subscriber_id, coins)
        zone = zone_or_utc(zone_name)
        return SubscriptionQuote(
            guild_id=guild_id,
            subscriber_id=subscriber_id,
            creator_id=creator_id,
            coins=coins,
            role_id=plan_row["role_id"],
            rate=await self._regions.member_rate(guild_id, subscriber_id),
            renews_at=period_end(now, zone, 1),
            zone=zone,
            warning=review.warning,
        )

    async def subscribe(self, quote: SubscriptionQuote, idempotency_key: str) -> Subscribed:
        """Charge the first period and start the subscription, once per `idempotency_key`."""
        if not idempotency_key:
            raise ValueError("a subscription needs an idempotency key")
        guild_id, member, creator = quote.guild_id, quote.subscriber_id, quote.creator_id
        key = f"subscription:{idempotency_key}"
        fingerprint = f"{guild_id}:{member}:{creator}:{quote.coins}"
        earlier = await find_earlier(self._db, SUBSCRIPTION, key, fingerprint)
        if earlier is None:  # time passed since the quote: a budget may refuse now (a replay may not)
            await self.spending.review(guild_id, member, quote.coins)
        now = self._clock()
        now_us = to_micros(now)

        def start(conn: Connection) -> Row:
            plan_row = rows.plan(conn, guild_id, creator)
            if plan_row is None or not plan_row["active"]:
                raise NotFound(f"<@{creator}> stopped offering subscriptions. Nothing was charged.")
            if plan_row["coins"] != quote.coins:
                raise Conflict(
                    f"The price changed to {plan_row['coins']:,} coins since you looked. Nothing was charged; "
                    "run `/subscribe` again to see it."
                )
            try:
                subscription_id = rows.insert_subscription(
                    conn, guild_id=guild_id, subscriber_id=member, creator_id=creator,
                    role_id=plan_row["role_id"], timezone=quote.zone.key, started_at=now_us,
                    paid_until=to_micros(period_end(now, quote.zone, 1)), price=quote.coins,
                )  # fmt: skip
            except ConstraintViolation:
                raise Conflict(f"You already subscribe to <@{creator}>. Nothing was charged.") from None
            self._charge(
                conn, guild_id, subscription_id, member, creator, 1, quote.coins, now_us, key, fingerprint
            )
            row = rows.subscription(conn, subscription_id)
            assert row is not None
            return row

        done: Row | Replay
        if earlier is not None:
            done = earlier
        else:
            done = await self._db.write(exactly_once(SUBSCRIPTION, key, fingerprint, start))
        replayed = isinstance(done, Replay)
        if isinstance(done, Replay):
            entry_id = done.entry["id"]

            def first(conn: Connection) -> Row:
                charge = rows.charge_of_entry(conn, entry_id)
                found = rows.subscription(conn, charge["subscription_id"]) if charge is not None else None
                assert found is not None, "a subscription entry always has its charge"
                return found

            row = await self._db.read(first)
        else:
            row = done
        subscription = _subscription(row)
        role_given = False
        if not replayed:
            if self.committed is not None:
                self.committed(guild_id, creator)
            role_given = await self._give_role(subscription)
            await self._shout_out(subscription)
        balance = await self._db.read(lambda conn: wallets.coins(conn, guild_id, member))
        return Subscribed(subscription, balance, quote.rate, role_given, replayed)

    def _charge(
        self,
        conn: Connection,
        guild_id: int,
        subscription_id: int,
        member: int,
        creator: int,
        period: int,
        coins: int,
        now_us: int,
        key: str,
        fingerprint: str,
    ) -> int:
        entry = NewEntry(
            guild_id=guild_id,
            kind=SUBSCRIPTION.name,
            created_at=now_us,
            actor_id=member,
            reference=f"subscription:{subscription_id}",
            idempotency_key=key,
            request_fingerprint=fingerprint,
            memo=f"subscription, month {period}",
        )
        postings = [
            Posting(COINS, -coins, user_id=member),
            Posting(COINS, coins, system_account=SPENT),
            Posting(DIAMONDS, coins, user_id=creator),
            Posting(DIAMONDS, -coins, system_account=DIAMOND_MINT),
        ]
        try:
            entry_id = post(conn, entry, postings, self.spending)
        except BalanceTooLow as low:
            raise InsufficientCoins(low.needed, low.available) from None
        rows.record_charge(
            conn, entry_id=entry_id, subscription_id=subscription_id, guild_id=guild_id, creator_id=creator,
            period=period, coins=coins, created_at=now_us,
        )  # fmt: skip
        return entry_id

    async def unsubscribe(self, guild_id: int, subscriber_id: int, creator_id: int) -> Subscription:
        """No renewal: the role stays until the period ends; nothing is refunded."""
        if type(creator_id) is not int or creator_id <= 0:
            raise NotFound("Choose a creator you subscribe to.")
        now = to_micros(self._clock())

        def stop(conn: Connection) -> Row:
            row = rows.running_of(conn, guild_id, subscriber_id, creator_id)
            if row is None:
                raise NotFound(f"You do not subscribe to <@{creator_id}>.")
            if not row["renews"]:
                raise Conflict(f"Your subscription to <@{creator_id}> already ends; it will not renew.")
            rows.stop_renewing(conn, row["id"])
            action_log.record(
                conn, guild_id, now, subscriber_id, "subscription.cancel", action_log.member_target(creator_id),
                {"subscription": row["id"], "renews": 1}, {"subscription": row["id"], "renews": 0}, None,
            )  # fmt: skip
            updated = rows.subscription(conn, row["id"])
            assert updated is not None
            return updated

        return _subscription(await self._db.write(stop))

    async def mine(self, guild_id: int, subscriber_id: int) -> list[Subscription]:
        found = await self._db.read(lambda conn: rows.of_subscriber(conn, guild_id, subscriber_id))
        return [_subscription(r) for r in found]

    async def rate(self, guild_id: int, user_id: int) -> CoinRate:
        return await self._regions.member_rate(guild_id, user_id)

    # --- the scheduler -----------------------------------------------------------------------------

    async def renew_due(self) -> RenewalRun:
        """Renew, retry or end every subscription whose moment has come (run every minute)."""
        await self.send_price_notices()
        now = self._clock()
        now_us = to_micros(now)
        run = RenewalRun()
        for row in await self._db.read(lambda conn: rows.due(conn, now_us, DUE_BATCH)):
            try:
                await self._settle(row, now, run)
            except MembershipUnknown as unknown:
                log.info("subscription %s waits: %s", row["id"], unknown)
                retry = to_micros(now + RETRY_EVERY)
                await self._db.write(partial(rows.retry_at, subscription_id=row["id"], next_attempt_at=retry))
                run.skipped.append(row["id"])
            except Exception:
                log.exception("could not renew subscription %s", row["id"])
                retry = to_micros(now + RETRY_EVERY)
                await self._db.write(partial(rows.retry_at, subscription_id=row["id"], next_attempt_at=retry))
                run.skipped.append(row["id"])
        return run

    async def _settle(self, row: Row, now: datetime, run: RenewalRun) -> None:
        subscription = _subscription(row)
        now_us = to_micros(now)
        if not subscription.renews:
            await self._end(subscription, now_us, "not renewed")
            await self._tell(subscription, self._ended_text(subscription, "You chose not to renew it."))
            run.ended.append(subscription.id)
            return
        if subscription.grace_until is not None and now >= subscription.grace_until:
            await self._end(subscription, now_us, "renewal failed")
            await self._tell(
                subscription,
                self._ended_text(subscription, "The renewal could not be paid during the three days' grace."),
            )
            run.ended.append(subscription.id)
            return
        if self.roles is not None and not await self.roles.is_member(
            subscription.guild_id, subscription.subscriber_id
        ):
            await self._end(subscription, now_us, "left the server", role_gone=True)
            run.ended.append(subscription.id)  # not charged, and nobody to tell
            return
        period = row["periods"] + 1
        key = f"subscription:{subscription.id}:period:{period}"
        fingerprint = (
            f"{subscription.guild_id}:{subscription.subscriber_id}:{subscription.creator_id}:{period}"
        )
        paid_until = to_micros(period_end(from_micros(row["started_at"]), subscription.zone, period))

        def renew(conn: Connection) -> int:
            if creators.creator(conn, subscription.guild_id, subscription.creator_id) is None:
                raise NotACreator(subscription.creator_id)
            entry_id = self._charge(
                conn, subscription.guild_id, subscription.id, subscription.subscriber_id,
                subscription.creator_id, period, subscription.price, now_us, key, fingerprint,
            )  # fmt: skip
            rows.renewed(conn, subscription.id, period, paid_until)
            return entry_id

        try:
            await self._db.write(exactly_once(SUBSCRIPTION, key, fingerprint, renew))
        except NotACreator:
            await self._end(subscription, now_us, "creator removed")
            await self._tell(
                subscription, self._ended_text(subscription, "The creator is no longer a creator here.")
            )
            run.ended.append(subscription.id)
        except DomainError as refusal:  # too few coins, or a budget in block mode
            await self._refused(subscription, now, refusal.message)
            run.in_grace.append(subscription.id)
        else:
            run.renewed.append(subscription.id)

    async def _refused(self, subscription: Subscription, now: datetime, why: str) -> None:
        first = subscription.grace_until is None
        # Grace counts from the first refused attempt, so time the bot was down does not shorten it.
        grace_until = subscription.grace_until or max(subscription.paid_until, now) + GRACE
        retry = to_micros(min(now + RETRY_EVERY, grace_until))
        if first:
            await self._db.write(
                lambda conn: rows.in_grace(conn, subscription.id, to_micros(grace_until), retry)
            )
            await self._tell(
                subscription,
                f"I could not renew your subscription to <@{subscription.creator_id}> "
                f"({subscription.price:,} coins): {why}\nYou keep the subscriber role for three more days, until "
                f"{_when(grace_until, subscription.zone)}; I will try again every hour. After that the "
                "subscription ends and the role is removed.",
            )
        else:
            await self._db.write(lambda conn: rows.retry_at(conn, subscription.id, retry))

    async def _end(
        self, subscription: Subscription, now_us: int, reason: str, *, role_gone: bool = False
    ) -> None:
        ended = await self._db.write(lambda conn: rows.end(conn, subscription.id, now_us, reason))
        if not ended:
            return
        if role_gone:
            await self._db.write(lambda conn: rows.role_removed(conn, subscription.id))
            return
        await self._take_role(
            subscription.guild_id, subscription.subscriber_id, subscription.role_id, subscription.id
        )

    def _ended_text(self, subscription: Subscription, why: str) -> str:
        return (
            f"Your subscription to <@{subscription.creator_id}> has ended. {why} The subscriber role was removed; "
            "you can subscribe again any time with `/subscribe`."
        )

    async def send_price_notices(self) -> int:
        """Tell subscribers about a price change, then apply it to their next renewal."""
        told = 0
        for row in await self._db.read(lambda conn: rows.price_notices(conn, DUE_BATCH)):
            subscription = _subscription(row)
            price = row["pending_price"]
            await self._tell(
                subscription,
                f"<@{subscription.creator_id}> changed the price of their subscription from "
                f"{subscription.price:,} to {price:,} coins a month. Your next renewal, on "
                f"{_when(subscription.paid_until, subscription.zone)}, costs {price:,} coins. You can stop it "
                f"with `/unsubscribe`.",
            )
            if await self._db.write(partial(rows.apply_price, subscription_id=subscription.id, price=price)):
                told += 1
        return told

    async def reconcile_roles(self) -> Reconciliation:
        """Put back the roles running subscriptions give and remove those of ended ones (at start and
        daily: after a restart, or after someone changed roles by hand)."""
        result = Reconciliation()
        if self.roles is None:
            return result
        guild_ids = await self._db.read(rows.guilds_with_subscriptions)
        for guild_id in guild_ids:
            holders = await self._db.read(partial(rows.holders, guild_id=guild_id))
            entitled = {(r["subscriber_id"], r["role_id"]) for r in holders}
            for member, role_id in sorted(entitled):
                try:
                    done = await self.roles.add_role(guild_id, member, role_id)
                except Exception:
                    log.warning("could not give role %s to %s", role_id, member, exc_info=True)
                    done = False
                (result.given if done else result.failed).append((member, role_id))
            for row in await self._db.read(partial(rows.roles_to_remove, guild_id=guild_id)):
                pair = (row["subscriber_id"], row["role_id"])
                if pair in entitled:  # another running subscription gives the same role
                    await self._db.write(partial(rows.role_removed, subscription_id=row["id"]))
                    continue
                if await self._take_role(guild_id, pair[0], pair[1], row["id"]):
                    result.removed.append(pair)
                else:
                    result.failed.append(pair)
        return result

    # --- Discord effects (never undo a charge) ---------------------------------------------------

    async def _give_role(self, subscription: Subscription) -> bool:
        if self.roles is None:
            return False
        try:
            return await self.roles.add_role(
                subscription.guild_id, subscription.subscriber_id, subscription.role_id
            )
        except Exception:
            log.warning("could not give subscription role to %s", subscription.subscriber_id, exc_info=True)
            return False

    async def _take_role(self, guild_id: int, member: int, role_id: int, subscription_id: int) -> bool:
        """Remove the role unless another running subscription gives it; True once it is gone."""
        if self.roles is None:
            return False

        def still_given(conn: Connection) -> bool:
            return any(
                r["subscriber_id"] == member and r["role_id"] == role_id for r in rows.holders(conn, guild_id)
            )

        if not await self._db.read(still_given):
            try:
                if not await self.roles.remove_role(guild_id, member, role_id):
                    return False
            except Exception:
                log.warning("could not remove role %s from %s", role_id, member, exc_info=True)
                return False
        await self._db.write(lambda conn: rows.role_removed(conn, subscription_id))
        return True

    async def _tell(self, subscription: Subscription, text: str) -> None:
        if self.messages is None:
            return
        try:
            await self.messages.send(subscription.guild_id, subscription.subscriber_id, text)
        except DirectMessagesClosed:
            log.info("DMs closed: subscriber %s not told", subscription.subscriber_id)
        except Exception:
            log.warning("could not DM subscriber %s", subscription.subscriber_id, exc_info=True)

    async def _shout_out(self, subscription: Subscription) -> None:
        if self.alerts is None:
            return
        channel_id = (await self._config.get(subscription.guild_id)).alerts_channel_id
        if channel_id is None:
            return
        text = (
            f"🎉 <@{subscription.subscriber_id}> just subscribed to <@{subscription.creator_id}>. Thank you!"
        )
        try:
            self.alerts.publish_notice(
                Notice(subscription.guild_id, channel_id, text, mention_ids=(subscription.subscriber_id,))
            )
        except Exception:
            log.exception("could not publish the shout-out of subscription %s", subscription.id)

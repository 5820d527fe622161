"""Budgets: daily and monthly spending limits with a cooling-off, and the guard asked before every gift.

"Spent" is summed from the ledger (gift entries) over the member's local day and month. The member's
time zone is the one they gave with `/budget reminders`, else the guild's, else UTC. Day and month
boundaries are local midnights converted to UTC one by one, so a DST day is 23 or 25 hours long.

Tightening (a lower or first limit, block mode) applies at once; loosening waits a 24-hour cooling-off:
a higher limit, a clear, block → warn, and a new time zone while a budget is set (a zone where "today"
began an hour ago would give a fresh daily limit). A pending change is in force from its time on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import Clock, from_micros, to_micros
from bot.economy.kinds import SPENDING_KINDS
from bot.economy.regions import RegionBook
from bot.errors import (
    BudgetExceeded,
    InvalidAmount,
    InvalidOption,
    InvalidTimeOfDay,
    NotFound,
)
from bot.money import CoinRate
from bot.spending import SpendingReview
from bot.text import coin_count
from bot.timezones import canonical_zone_name, day_bounds, local_moment, month_bounds_at
from storage import Connection, Database, Row, budgets

PERIODS = ("daily", "monthly")
MODES = ("warn", "block")
BUDGET_MIN = 1
BUDGET_MAX = 10_000_000
COOLING_OFF = timedelta(hours=24)
COOLING_OFF_US = int(COOLING_OFF.total_seconds()) * 1_000_000
DEFAULT_REMINDER_MINUTE = 9 * 60
DEFAULT_ZONE = "UTC"

_TIME_OF_DAY = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


# --- time zones and local time -------------------------------------------------------------------


def parse_time_of_day(text: str) -> int:
    """'HH:MM' on a 24-hour clock as minutes after midnight, or InvalidTimeOfDay."""
    match = _TIME_OF_DAY.match(text) if isinstance(text, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        shown = text[:20] if isinstance(text, str) else text
        raise InvalidTimeOfDay(
            f"{shown!r} is not a time I understand: use HH:MM on a 24-hour clock, e.g. 09:00 or 21:30."
        )
    return int(match[1]) * 60 + int(match[2])


def time_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class Zone:
    """The zone a member's days are counted in; `source` is "yours", "server" or "default"."""

    name: str
    source: str

    @property
    def info(self) -> ZoneInfo:
        return ZoneInfo(self.name)


def resolve_zone(member_zone: str | None, guild_zone: str | None) -> Zone:
    for name, source in ((member_zone, "yours"), (guild_zone, "server")):
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return Zone(name, source)
    return Zone(DEFAULT_ZONE, "default")


def duration_text(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds()) // 60, 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else "under a minute"


def when_text(moment: datetime, zone: Zone, now: datetime) -> str:
    """E.g. "00:00 on Sun 29 Nov (Europe/London), in 11 h 0 min": a moment in the member's zone."""
    local = moment.astimezone(zone.info)
    year = f" {local.year}" if local.year != now.astimezone(zone.info).year else ""
    return (
        f"{local:%H:%M} on {local:%a} {local.day} {local:%b}{year} ({zone.name}), "
        f"in {duration_text(moment - now)}"
    )


# --- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingChange:
    """A raise (`coins`) or a clear (`coins` None) that takes effect `at`, after the cooling-off."""

    coins: int | None
    at: datetime


@dataclass(frozen=True)
class PendingSetting:
    """A loosening preference change waiting out the cooling-off: the guard mode or the time zone
    (`value`) in force from `at`."""

    value: str
    at: datetime


@dataclass(frozen=True)
class PeriodBudget:
    period: str
    limit: int | None
    spent: int
    starts: datetime
    resets: datetime
    pending: PendingChange | None

    @property
    def left(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.spent, 0)

    @property
    def over(self) -> int:
        return 0 if self.limit is None else max(self.spent - self.limit, 0)

    @property
    def noun(self) -> str:
        return "today" if self.period == "daily" else "this month"


@dataclass(frozen=True)
class ReminderSettings:
    enabled: bool
    minute: int
    timezone: str | None  # the member's own zone in force; None: the guild's
    paused_at: datetime | None
    pending_timezone: PendingSetting | None = None

    @property
    def time(self) -> str:
        return time_text(self.minute)


@dataclass(frozen=True)
class BudgetSnapshot:
    """Everything about a member's budgets at `now`, read in one go."""

    now: datetime
    zone: Zone
    daily: PeriodBudget
    monthly: PeriodBudget
    mode: str
    reminders: ReminderSettings
    spent_yesterday: int
    pending_mode: PendingSetting | None = None

    def period(self, name: str) -> PeriodBudget:
        return self.daily if name == "daily" else self.monthly


@dataclass(frozen=True)
class BudgetOverview:
    snapshot: BudgetSnapshot
    rate: CoinRate


@dataclass(frozen=True)
class ModeChange:
    mode: str  # in force right after the command
    pending: PendingSetting | None  # block → warn waits out the cooling-off


@dataclass(frozen=True)
class LimitChange:
    period: str
    requested: int | None  # None: a clear
    in_force: int | None  # the limit in force right after the command
    immediate: bool
    effective_at: datetime
    now: datetime
    zone: Zone
    rate: CoinRate


# --- validation --------------------------------------------------------------------------------------


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise InvalidOption("The period is `daily` or `monthly`.")
    return period


def check_budget_coins(coins: int) -> int:
    if type(coins) is not int or not BUDGET_MIN <= coins <= BUDGET_MAX:
        raise InvalidAmount(f"A budget is a whole number of coins from {BUDGET_MIN:,} to {BUDGET_MAX:,}.")
    return coins


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise InvalidOption("The mode is `warn` (ask me to confirm) or `block` (refuse the gift).")
    return mode


def check_switch(enabled: bool | str) -> bool:
    if isinstance(enabled, bool):
        return enabled
    if enabled in ("on", "off"):
        return enabled == "on"
    raise InvalidOption("Reminders are `on` or `off`.")


# --- the service -------------------------------------------------------------------------------------


def _in_force(row: Row | None, now: int) -> tuple[int | None, PendingChange | None]:
    """The limit in force at `now` and the change still pending (a due change is in force)."""
    if row is None:
        return None, None
    if row["pending_at"] is not None and row["pending_at"] <= now:
        return row["pending_coins"], None
    pending = None
    if row["pending_at"] is not None:
        pending = PendingChange(row["pending_coins"], from_micros(row["pending_at"]))
    return row["coins"], pending


def _setting_at(
    current: str | None, pending: str | None, pending_at: int | None, now: int
) -> tuple[str | None, PendingSetting | None]:
    if pending is None or pending_at is None:
        return current, None
    if pending_at <= now:
        return pending, None
    return current, PendingSetting(pending, from_micros(pending_at))


def mode_at(settings: Row | None, now: int) -> tuple[str, PendingSetting | None]:
    """The guard mode in force at `now` (microseconds) and the switch still waiting."""
    if settings is None:
        return "warn", None
    mode, pending = _setting_at(settings["mode"], settings["pending_mode"], settings["pending_mode_at"], now)
    return mode or "warn", pending


def timezone_at(settings: Row | None, now: int) -> tuple[str | None, PendingSetting | None]:
    """The member's own time zone in force at `now` (None: the guild's) and the switch still waiting."""
    if settings is None:
        return None, None
    return _setting_at(
        settings["timezone"], settings["pending_timezone"], settings["pending_timezone_at"], now
    )


def _limit_row(conn: Connection, guild_id: int, user_id: int, period: str) -> Row | None:
    return next((r for r in budgets.limits(conn, guild_id, user_id) if r["period"] == period), None)


def _has_budget(conn: Connection, guild_id: int, user_id: int, now: int) -> bool:
    return any(_in_force(row, now) != (None, None) for row in budgets.limits(conn, guild_id, user_id))


def member_zone(conn: Connection, guild_id: int, user_id: int, now: int) -> Zone:
    """The zone a member's local times are read in at `now` (microseconds): their own in force (a new
    one may still wait out its cooling-off), else the guild's, else UTC."""
    zone_name, _ = timezone_at(budgets.member_settings(conn, guild_id, user_id), now)
    return resolve_zone(zone_name, budgets.guild_timezone(conn, guild_id))


def read_snapshot(
    conn: Connection, guild_id: int, user_id: int, now: datetime, *, with_yesterday: bool = True
) -> BudgetSnapshot:
    """A member's budgets at `now` (a plain function on a connection: one thread hop for the caller)."""
    settings = budgets.member_settings(conn, guild_id, user_id)
    now_us = to_micros(now)
    zone_name, pending_zone = timezone_at(settings, now_us)
    mode, pending_mode = mode_at(settings, now_us)
    zone = resolve_zone(zone_name, budgets.guild_timezone(conn, guild_id))
    rows = {r["period"]: r for r in budgets.limits(conn, guild_id, user_id)}
    day_start, day_end = day_bounds(now, zone.info)
    month_start, month_end = month_bounds_at(now, zone.info)

    def period(name: str, start: datetime, end: datetime) -> PeriodBudget:
        limit, pending = _in_force(rows.get(name), now_us)
        spent = budgets.member_spending(
            conn, guild_id, user_id, to_micros(start), to_micros(end), SPENDING_KINDS
        )
        return PeriodBudget(name, limit, spent, start, end, pending)

    spent_yesterday = 0
    if with_yesterday:
        yesterday = day_start.astimezone(zone.info).date() - timedelta(days=1)
        start = local_moment(yesterday, 0, zone.info)
        spent_yesterday = budgets.member_spending(
            conn, guild_id, user_id, to_micros(start), to_micros(day_start), SPENDING_KINDS
        )
    paused = settings["reminders_paused_at"] if settings else None
    reminders = ReminderSettings(
        enabled=bool(settings["reminders_enabled"]) if settings else False,
        minute=settings["reminder_minute"] if settings else DEFAULT_REMINDER_MINUTE,
        timezone=zone_name,
        paused_at=from_micros(paused) if paused is not None else None,
        pending_timezone=pending_zone,
    )
    return BudgetSnapshot(
        now=now,
        zone=zone,
        daily=period("daily", day_start, day_end),
        monthly=period("monthly", month_start, month_end),
        mode=mode,
        reminders=reminders,
        spent_yesterday=spent_yesterday,
        pending_mode=pending_mode,
    )


class BudgetService:
    def __init__(self, db: Database, regions: RegionBook, clock: Clock) -> None:
        self._db = db
        self._regions = regions
        self._clock = clock

    async def snapshot(
        self, guild_id: int, user_id: int, now: datetime | None = None, *, with_yesterday: bool = True
    ) -> BudgetSnapshot:
        moment = now or self._clock()
        return await self._db.read(
            lambda conn: read_snapshot(conn, guild_id, user_id, moment, with_yesterday=with_yesterday)
        )

    async def overview(self, guild_id: int, user_id: int) -> BudgetOverview:
        snapshot = await self.snapshot(guild_id, user_id)
        return BudgetOverview(snapshot, await self._regions.member_rate(guild_id, user_id))

    async def set_limit(self, guild_id: int, user_id: int, period: str, coins: int) -> LimitChange:
        """A first budget or a lower one applies at once; a higher one after the cooling-off."""
        check_period(period)
        check_budget_coins(coins)
        now = self._clock()
        now_us = to_micros(now)

        def change(conn: Connection) -> tuple[int | None, bool, int]:
            in_force, pending = _in_force(_limit_row(conn, guild_id, user_id, period), now_us)
            if in_force is None or coins <= in_force:
                budgets.save_limit(conn, guild_id, user_id, period, coins, None, None, now_us)
                return coins, True, now_us
            at = now_us + COOLING_OFF_US
            if pending is not None and (pending.coins is None or coins <= pending.coins):
                at = to_micros(pending.at)  # no looser than what is already waiting: keep its time
            budgets.save_limit(conn, guild_id, user_id, period, in_force, coins, at, now_us)
            return in_force, False, at

        in_force, immediate, at = await self._db.write(change)
        return await self._limit_change(guild_id, user_id, period, coins, in_force, immediate, at, now)

    async def clear_limit(self, guild_id: int, user_id: int, period: str) -> LimitChange:
        """Clearing a budget is loosening it: it applies after the cooling-off."""
        check_period(period)
        now = self._clock()
        now_us = to_micros(now)

        def change(conn: Connection) -> tuple[int, int]:
            in_force, pending = _in_force(_limit_row(conn, guild_id, user_id, period), now_us)
            if in_force is None:
                raise NotFound(f"You have no {period} budget to clear.")
            at = now_us + COOLING_OFF_US
            if pending is not None and pending.coins is None:
                at = to_micros(pending.at)
            budgets.save_limit(conn, guild_id, user_id, period, in_force, None, at, now_us)
            return in_force, at

        in_force, at = await self._db.write(change)
        return await self._limit_change(guild_id, user_id, period, None, in_force, False, at, now)

    async def _limit_change(
        self,
        guild_id: int,
        user_id: int,
        period: str,
        requested: int | None,
        in_force: int | None,
        immediate: bool,
        at: int,
        now: datetime,
    ) -> LimitChange:
        zone = await self._db.read(lambda conn: member_zone(conn, guild_id, user_id, to_micros(now)))
        rate = await self._regions.member_rate(guild_id, user_id)
        return LimitChange(period, requested, in_force, immediate, from_micros(at), now, zone, rate)

    async def set_mode(self, guild_id: int, user_id: int, mode: str) -> ModeChange:
        """Block applies at once (and cancels a switch to warn); block → warn after the cooling-off."""
        check_mode(mode)
        now_us = to_micros(self._clock())

        def change(conn: Connection) -> ModeChange:
            in_force, pending = mode_at(budgets.member_settings(conn, guild_id, user_id), now_us)
            if mode == "block" or in_force == "warn":
                budgets.set_mode(conn, guild_id, user_id, mode, now_us)
                return ModeChange(mode, None)
            at = to_micros(pending.at) if pending is not None else now_us + COOLING_OFF_US
            budgets.set_mode(conn, guild_id, user_id, in_force, now_us, mode, at)
            return ModeChange(in_force, PendingSetting(mode, from_micros(at)))

        return await self._db.write(change)

    async def set_reminders(
        self,
        guild_id: int,
        user_id: int,
        enabled: bool | str,
        time_of_day: str | None = None,
        timezone: str | None = None,
    ) -> tuple[ReminderSettings, Zone]:
        """Turn the daily reminder on or off, optionally at a new time or in a new zone. Turning it on
        after today's time has passed starts tomorrow; turning it on again lifts a pause. A new zone
        also moves the member's days: with a budget set it waits out the cooling-off."""
        on = check_switch(enabled)
        minute = parse_time_of_day(time_of_day) if time_of_day is not None else None
        zone_name = canonical_zone_name(timezone) if timezone is not None else None
        now = self._clock()
        now_us = to_micros(now)

        def change(conn: Connection) -> tuple[ReminderSettings, Zone]:
            row = budgets.member_settings(conn, guild_id, user_id)
            new_minute = minute if minute is not None else (row["reminder_minute"] if row else None)
            new_minute = DEFAULT_REMINDER_MINUTE if new_minute is None else new_minute
            new_zone, pending = timezone_at(row, now_us)
            guild_zone = budgets.guild_timezone(conn, guild_id)
            if zone_name is not None and zone_name == resolve_zone(new_zone, guild_zone).name:
                # The zone the days are counted in already, said again: nothing moves, so at once, and
                # a switch still waiting is called off.
                new_zone, pending = zone_name, None
            elif zone_name is not None and _has_budget(conn, guild_id, user_id, now_us):
                keep = pending is not None and pending.value == zone_name
                at = pending.at if pending is not None and keep else from_micros(now_us + COOLING_OFF_US)
                pending = PendingSetting(zone_name, at)
            elif zone_name is not None:  # no budget to dodge: at once
                new_zone, pending = zone_name, None
            zone = resolve_zone(new_zone, guild_zone)
            last = row["last_reminded_date"] if row else None
            today = now.astimezone(zone.info).date()
            if now >= local_moment(today, new_minute, zone.info) and (
                last is None or last < today.isoformat()
            ):
                last = today.isoformat()  # today's time has passed: the first reminder is tomorrow's
            budgets.set_reminders(conn, guild_id, user_id, on, new_minute, new_zone, last, now_us)
            budgets.set_pending_timezone(
                conn,
                guild_id,
                user_id,
                pending.value if pending is not None else None,
                to_micros(pending.at) if pending is not None else None,
            )
            return ReminderSettings(on, new_minute, new_zone, None, pending), zone

        return await self._db.write(change)

    async def review_spending(self, guild_id: int, user_id: int, coins: int) -> SpendingReview:
        if type(coins) is not int or coins <= 0:
            raise InvalidAmount("A gift costs a positive whole number of coins.")
        now = self._clock()
        return await self._db.read(lambda conn: self.judge(conn, guild_id, user_id, coins, now))

    def judge(
        self, conn: Connection, guild_id: int, user_id: int, coins: int, now: datetime
    ) -> SpendingReview:
        """Over a budget: a warning to confirm (warn mode) or BudgetExceeded (block mode)."""
        if not budgets.limits(conn, guild_id, user_id):  # no budget set: nothing to judge
            return SpendingReview()
        snapshot = read_snapshot(conn, guild_id, user_id, now, with_yesterday=False)
        breached = [
            p for p in (snapshot.daily, snapshot.monthly) if p.limit is not None and p.spent + coins > p.limit
        ]
        if not breached:
            return SpendingReview()
        rate = self._regions.member_rate_on(conn, guild_id, user_id)
        if snapshot.mode == "block":
            raise BudgetExceeded(block_message(snapshot, breached, coins, rate))
        return SpendingReview(warning=warning_message(breached, coins, rate))


def _breach_line(budget: PeriodBudget, coins: int, rate: CoinRate) -> str:
    assert budget.limit is not None
    over = budget.spent + coins - budget.limit
    return (
        f"your {budget.period} budget is {budget.limit:,} coins (≈ {rate.show(budget.limit)}) and you have "
        f"spent {budget.spent:,} {budget.noun}: this would go over it by {coin_count(over)} (≈ {rate.show(over)})"
    )


def warning_message(breached: list[PeriodBudget], coins: int, rate: CoinRate) -> str:
    lines = "; ".join(_breach_line(b, coins, rate) for b in breached)
    return f"This costs {coins:,} coins (≈ {rate.show(coins)}) and {lines}. Go ahead anyway?"


def block_message(snapshot: BudgetSnapshot, breached: list[PeriodBudget], coins: int, rate: CoinRate) -> str:
    lines = "; ".join(_breach_line(b, coins, rate) for b in breached)
    resets = " ".join(
        f"Your {b.period} budget resets at {when_text(b.resets, snapshot.zone, snapshot.now)}."
        for b in breached
    )
    return f"Not sent: it costs {coins:,} coins (≈ {rate.show(coins)}) and {lines}. {resets}"


class BudgetGuard:
    """The SpendingGuard (bot/spending.py) the gift flow asks before every gift: in warn mode a gift
    that goes over a budget needs a confirmation; in block mode it is refused (BudgetExceeded)."""

    def __init__(self, budgets_service: BudgetService) -> None:
        self._budgets = budgets_service

    async def review(self, guild_id: int, user_id: int, coins: int) -> SpendingReview:
        return await self._budgets.review_spending(guild_id, user_id, coins)

    def enforce(self, conn: Connection, guild_id: int, user_id: int, coins: int, now: datetime) -> None:
        # A warning was already confirmed by the member; only block mode refuses here.
        self._budgets.judge(conn, guild_id, user_id, coins, now)

"""Daily budget reminders: who is due, what the DM says, and the APScheduler job that sends them.

One interval job runs every minute and asks which members are due: their local time has reached
their HH:MM for a local date they were not yet reminded for, at most `grace` late. The date is
claimed in SQLite before the DM goes out, so nobody gets two reminders for one local day, and a
restart loses nothing (the state is in the database, the job is rebuilt at start). DST needs no
special case: "today at 09:00" is converted to UTC afresh for each local date.

Discord-free: the DM sender is injected (`DirectMessages`). Before sending it checks that the bot and
the member are still in the server: it raises `ServerLeft` when the bot is not (every reminder of that
server stops), `MemberLeft` when the member is not, and `DirectMessagesClosed` when the member does not
accept DMs; the member's reminders are then paused instead of retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.job import Job
from apscheduler.triggers.interval import IntervalTrigger

from bot.budgets import BudgetService, PeriodBudget, resolve_zone, timezone_at
from bot.clock import Clock, to_micros
from bot.economy.regions import RegionBook
from bot.money import CoinRate
from bot.timezones import local_moment
from storage import Connection, Database, budgets

log = logging.getLogger(__name__)

JOB_ID = "budget-reminders"
GRACE = timedelta(hours=2)
CHECK_EVERY = timedelta(minutes=1)
HIGH_USE_PERCENT = 80
TURN_OFF_LINE = "Turn these reminders off with `/budget reminders enabled:off` in the server."


class DirectMessagesClosed(Exception):
    """The member does not accept direct messages from the bot (or is gone)."""


class MemberLeft(Exception):
    """The member is no longer in the server: no reminder about spending there."""


class ServerLeft(Exception):
    """The bot is no longer in the server (removed, or the server was deleted)."""


class DirectMessages(Protocol):
    async def send(self, guild_id: int, user_id: int, text: str) -> None:
        """Send `text` to the member privately if the bot and the member are both still in the server;
        raise ServerLeft, MemberLeft or DirectMessagesClosed otherwise."""
        ...


@dataclass(frozen=True)
class DueReminder:
    guild_id: int
    user_id: int
    local_date: date


@dataclass
class ReminderRun:
    sent: list[DueReminder] = field(default_factory=list)
    paused: list[DueReminder] = field(default_factory=list)
    failed: list[DueReminder] = field(default_factory=list)
    servers_left: list[int] = field(default_factory=list)  # their reminders stopped


def due_date(
    now: datetime, zone: ZoneInfo, minute: int, last_reminded: str | None, grace: timedelta = GRACE
) -> date | None:
    """The local date whose reminder is due at `now`, if any: the latest date whose reminder time has
    passed, not yet reminded, and not more than `grace` ago (at most one late reminder)."""
    today = now.astimezone(zone).date()
    for day in (today, today - timedelta(days=1)):
        moment = local_moment(day, minute, zone)
        if moment <= now:
            fresh = now - moment <= grace
            new = last_reminded is None or last_reminded < day.isoformat()
            return day if fresh and new else None
    return None


def _left_line(budget: PeriodBudget, rate: CoinRate) -> str:
    label = "Today" if budget.period == "daily" else "This month"
    if budget.limit is None:
        return f"{label}: no {budget.period} budget set (`/budget set`)."
    if budget.over:
        return (
            f"{label}: you are {budget.over:,} coins (≈ {rate.show(budget.over)}) over your "
            f"{budget.period} budget of {budget.limit:,} coins."
        )
    assert budget.left is not None
    return (
        f"{label}: {budget.left:,} coins (≈ {rate.show(budget.left)}) left of your "
        f"{budget.period} budget of {budget.limit:,} coins."
    )


def reminder_text(
    spent_yesterday: int, yesterday: date, daily: PeriodBudget, monthly: PeriodBudget, rate: CoinRate
) -> str:
    lines = [
        "**Your daily spending reminder**",
        f"Yesterday ({yesterday:%a} {yesterday.day} {yesterday:%b}) you spent {spent_yesterday:,} coins "
        f"(≈ {rate.show(spent_yesterday)}) on gifts.",
        _left_line(daily, rate),
        _left_line(monthly, rate),
    ]
    if monthly.limit is not None and monthly.spent * 100 > monthly.limit * HIGH_USE_PERCENT:
        percent = monthly.spent * 100 // monthly.limit
        lines.append(
            f"You have used {percent} % of your monthly budget this month: {monthly.spent:,} of "
            f"{monthly.limit:,} coins. Consider taking a break from gifts until it resets."
        )
    lines.append(TURN_OFF_LINE)
    return "\n".join(lines)


class ReminderService:
    def __init__(
        self,
        db: Database,
        budgets_service: BudgetService,
        regions: RegionBook,
        clock: Clock,
        grace: timedelta = GRACE,
    ) -> None:
        self._db = db
        self._budgets = budgets_service
        self._regions = regions
        self._clock = clock
        self._grace = grace

    async def due(self, now: datetime | None = None) -> list[DueReminder]:
        moment = now or self._clock()
        rows = await self._db.read(budgets.active_reminders)
        found = []
        for row in rows:
            zone_name, _ = timezone_at(row, to_micros(moment))
            zone = resolve_zone(zone_name, row["guild_timezone"])
            day = due_date(moment, zone.info, row["reminder_minute"], row["last_reminded_date"], self._grace)
            if day is not None:
                found.append(DueReminder(row["guild_id"], row["user_id"], day))
        return found

    async def compose(self, guild_id: int, user_id: int, now: datetime | None = None) -> str:
        snapshot = await self._budgets.snapshot(guild_id, user_id, now or self._clock())
        rate = await self._regions.member_rate(guild_id, user_id)
        yesterday = snapshot.daily.starts.astimezone(snapshot.zone.info).date() - timedelta(days=1)
        return reminder_text(snapshot.spent_yesterday, yesterday, snapshot.daily, snapshot.monthly, rate)

    async def send_due(self, messages: DirectMessages) -> ReminderRun:
        """Send every reminder due now, each at most once per local day."""
        now = self._clock()
        run = ReminderRun()
        for reminder in await self.due(now):
            if reminder.guild_id in run.servers_left:
                continue
            text = await self.compose(reminder.guild_id, reminder.user_id, now)
            day = reminder.local_date.isoformat()
            claimed = await self._db.write(_claim(reminder.guild_id, reminder.user_id, day))
            if not claimed:  # someone else (an overlapping run) took it
                continue
            try:
                await messages.send(reminder.guild_id, reminder.user_id, text)
            except (DirectMessagesClosed, MemberLeft) as error:
                await self._pause(reminder, now)
                run.paused.append(reminder)
                why = "left the server" if isinstance(error, MemberLeft) else "DMs closed"
                log.info("%s: paused reminders of %s in guild %s", why, reminder.user_id, reminder.guild_id)
            except ServerLeft:
                await self._stop_server(reminder.guild_id, now)
                run.servers_left.append(reminder.guild_id)
                log.info("the bot left guild %s: its budget reminders stopped", reminder.guild_id)
            except Exception:  # one member's failure must not stop the others'; no second try today
                log.warning("could not send a budget reminder to %s", reminder.user_id, exc_info=True)
                run.failed.append(reminder)
            else:
                run.sent.append(reminder)
        return run

    async def _pause(self, reminder: DueReminder, now: datetime) -> None:
        at = to_micros(now)
        await self._db.write(
            lambda conn: budgets.pause_reminders(conn, reminder.guild_id, reminder.user_id, at)
        )

    async def _stop_server(self, guild_id: int, now: datetime) -> None:
        at = to_micros(now)
        await self._db.write(lambda conn: budgets.pause_server_reminders(conn, guild_id, at))


def install_reminder_job(
    scheduler: Any, service: ReminderService, messages: DirectMessages, trigger: Any = None
) -> Job:
    """Add (or replace) the reminder job on an APScheduler 3 scheduler: every minute by default, at
    most one run at a time, missed runs coalesced into one."""
    if scheduler.get_job(JOB_ID) is not None:  # a not yet started scheduler would keep both
        scheduler.remove_job(JOB_ID)
    return scheduler.add_job(
        service.send_due,
        trigger or IntervalTrigger(seconds=CHECK_EVERY.total_seconds(), timezone=UTC),
        args=[messages],
        id=JOB_ID,
        name="daily budget reminders",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(CHECK_EVERY.total_seconds()),
    )


def _claim(guild_id: int, user_id: int, local_date: str) -> Callable[[Connection], bool]:
    """The write that claims one member's reminder for `local_date` (False: already claimed)."""
    return lambda conn: budgets.claim_reminder(conn, guild_id, user_id, local_date)

"""Daily reminders: due-ness across DST, the DM's content, restarts, closed DMs, the real scheduler."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import discord
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.reminders import (
    JOB_ID,
    DirectMessagesClosed,
    MemberLeft,
    ServerLeft,
    due_date,
    install_reminder_job,
)
from bot.services import build_services
from cogs.budget import DiscordDirectMessages
from storage import Database
from storage.ledger_check import find_discrepancies
from tests.support.clock import FakeClock
from tests.support.factories import spend

GUILD = 1
ANA = 101
BEN = 102


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


class FakeDMs:
    """Records DMs; members in `closed` have their DMs closed."""

    def __init__(self, closed: set[int] | None = None) -> None:
        self.sent: list[tuple[int, int, str]] = []
        self.attempts: list[int] = []
        self.closed = closed or set()
        self.arrived = asyncio.Event()

    async def send(self, guild_id: int, user_id: int, text: str) -> None:
        self.attempts.append(user_id)
        if user_id in self.closed:
            raise DirectMessagesClosed("Cannot send messages to this user")
        self.sent.append((guild_id, user_id, text))
        self.arrived.set()

    def texts(self, user_id: int = ANA) -> list[str]:
        return [text for _, uid, text in self.sent if uid == user_id]


async def run_minutes(services, clock, dms, until: datetime, step: timedelta) -> list[datetime]:
    """Tick the reminder job every `step` up to `until`; the UTC moments at which DMs were sent."""
    moments = []
    while clock.now < until:
        before = len(dms.sent)
        await services.reminders.send_due(dms)
        if len(dms.sent) > before:
            moments.append(clock.now)
        clock.advance(seconds=step.total_seconds())
    return moments


# --- due-ness across DST ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "change_day"),
    [
        ("America/New_York", date(2026, 3, 8)),
        ("America/New_York", date(2026, 11, 1)),
        ("Europe/London", date(2026, 3, 29)),
    ],
)
def test_a_nine_oclock_reminder_is_due_once_per_local_day_around_a_dst_change(zone, change_day):
    tz = ZoneInfo(zone)
    now = datetime.combine(change_day - timedelta(days=1), datetime.min.time(), tzinfo=tz).astimezone(UTC)
    end = now + timedelta(days=3)
    last = None
    fired = []
    while now < end:  # every minute, as the job runs
        day = due_date(now, tz, 9 * 60, last)
        if day is not None:
            last = day.isoformat()
            fired.append(now.astimezone(tz))
        now += timedelta(minutes=1)
    assert [moment.date() for moment in fired] == [change_day + timedelta(days=n) for n in (-1, 0, 1)]
    assert all((moment.hour, moment.minute) == (9, 0) for moment in fired)


def test_a_reminder_in_the_skipped_hour_fires_once_an_hour_later_and_a_repeated_one_once():
    tz = ZoneInfo("America/New_York")
    now, last, fired = utc(2026, 3, 8, 5, 0), None, []  # 00:00 EST on the spring-forward day
    while now < utc(2026, 3, 9, 5, 0):
        day = due_date(now, tz, 2 * 60 + 30, last)  # 02:30 does not exist that day
        if day is not None:
            last, fired = day.isoformat(), [*fired, now]
        now += timedelta(minutes=1)
    assert [m.astimezone(tz).strftime("%H:%M %Z") for m in fired] == ["03:30 EDT"]

    now, last, fired = utc(2026, 11, 1, 4, 0), None, []  # 00:00 EDT on the fall-back day
    while now < utc(2026, 11, 2, 5, 0):
        day = due_date(now, tz, 1 * 60 + 30, last)  # 01:30 happens twice that day
        if day is not None:
            last, fired = day.isoformat(), [*fired, now]
        now += timedelta(minutes=1)
    assert [m.astimezone(tz).strftime("%H:%M %Z") for m in fired] == ["01:30 EDT"]


async def test_the_service_sends_one_reminder_per_local_day_across_the_london_change(services, clock):
    clock.now = utc(2026, 3, 27, 12, 0)
    await services.budgets.set_reminders(GUILD, ANA, "on", "09:00", "Europe/London")
    dms = FakeDMs()

    moments = await run_minutes(services, clock, dms, utc(2026, 3, 31, 0, 0), timedelta(minutes=5))

    london = ZoneInfo("Europe/London")
    assert [m.astimezone(london).strftime("%d %H:%M") for m in moments] == [
        "28 09:00",
        "29 09:00",
        "30 09:00",
    ]
    assert moments[1] == utc(2026, 3, 29, 8, 0)  # BST from 01:00 that day


async def test_turning_reminders_on_after_todays_time_starts_tomorrow(services, clock):
    clock.now = utc(2026, 11, 28, 12, 0)
    await services.budgets.set_reminders(GUILD, ANA, "on", "09:00")
    assert await services.reminders.due() == []
    clock.now = utc(2026, 11, 29, 9, 0)
    assert [(r.user_id, r.local_date) for r in await services.reminders.due()] == [(ANA, date(2026, 11, 29))]


# --- downtime: at most one late reminder, none beyond the grace period -----------------------------


async def test_after_downtime_at_most_one_late_reminder_and_none_too_old(services, clock):
    clock.now = utc(2026, 11, 1, 8, 0)
    await services.budgets.set_reminders(GUILD, ANA, "on", "09:00", "UTC")
    dms = FakeDMs()

    clock.now = utc(2026, 11, 3, 10, 30)  # down for two days; today's 09:00 is 1 h 30 late
    await services.reminders.send_due(dms)
    await services.reminders.send_due(dms)
    assert len(dms.sent) == 1

    clock.now = utc(2026, 11, 4, 11, 30)  # the next day's is 2 h 30 late: too old, skipped
    await services.reminders.send_due(dms)
    assert len(dms.sent) == 1

    clock.now = utc(2026, 11, 5, 9, 0)
    await services.reminders.send_due(dms)
    assert len(dms.sent) == 2


async def test_a_late_evening_reminder_missed_before_midnight_is_sent_just_after(services, clock):
    clock.now = utc(2026, 11, 1, 12, 0)
    await services.budgets.set_reminders(GUILD, ANA, "on", "23:30", "UTC")
    dms = FakeDMs()
    clock.now = utc(2026, 11, 2, 0, 15)  # down over 23:30; it is 45 min late
    run = await services.reminders.send_due(dms)
    assert [r.local_date for r in run.sent] == [date(2026, 11, 1)]
    clock.now = utc(2026, 11, 2, 23, 30)
    assert [r.local_date for r in (await services.reminders.send_due(dms)).sent] == [date(2026, 11, 2)]


# --- the DM's content -----------------------------------------------------------------------------


async def test_reminder_says_yesterdays_spend_what_is_left_and_how_to_stop(services, db, clock):
    clock.now = utc(2026, 11, 20, 12, 0)
    await services.wallets.set_region(GUILD, ANA, "GB")
    await services.budgets.set_reminders(GUILD, ANA, "on", "09:00", "Europe/London")
    await services.budgets.set_limit(GUILD, ANA, "daily", 500)
    await services.budgets.set_limit(GUILD, ANA, "monthly", 5000)
    await spend(db, GUILD, ANA, 70, utc(2026, 11, 20, 18, 0))  # yesterday, seen from the 21st
    await spend(db, GUILD, ANA, 1000, utc(2026, 11, 3, 18, 0))  # earlier this month
    dms = FakeDMs()

    clock.now = utc(2026, 11, 21, 9, 0)
    await services.reminders.send_due(dms)

    (text,) = dms.texts()
    assert "Yesterday (Fri 20 Nov) you spent 70 coins (≈ £0.75) on gifts." in text
    assert "Today: 500 coins (≈ £5.36) left of your daily budget of 500 coins." in text
    assert "This month: 3,930 coins" in text and "monthly budget of 5,000 coins" in text
    assert "/budget reminders enabled:off" in text
    assert "% of your monthly budget" not in text
    assert await db.read(find_discrepancies) == []


async def test_over_80_percent_of_the_month_is_said_plainly(services, db, clock):
    clock.now = utc(2026, 11, 20, 12, 0)
    await services.budgets.set_reminders(GUILD, ANA, "on", "09:00", "UTC")
    await services.budgets.set_reminders(GUILD, BEN, "on", "09:00", "UTC")
    await services.budgets.set_limit(GUILD, ANA, "monthly", 1000)
    await services.budgets.set_limit(GUILD, BEN, "monthly", 1000)
    await spend(db, GUILD, ANA, 800, utc(2026, 11, 2))  # exactly 80 %: not over
    await spend(db, GUILD, BEN, 801, utc(2026, 11, 2))
    dms = FakeDMs()

    clock.now = utc(2026, 11, 21, 9, 0)
    await services.reminders.send_due(dms)

    assert "% of your monthly budget" not in dms.texts(ANA)[0]
    assert "You have used 80 % of your monthly budget this month: 801 of 1,000 coins." in dms.texts(BEN)[0]


async def test_over_the_budget_says_by_how_much(services, db, clock):
    clock.now = utc(2026, 11, 20, 12, 0)
    await services.budgets.set_reminders(GUILD, ANA, "on", "09:00", "UTC")
    await services.budgets.set_limit(GUILD, ANA, "monthly", 100)
    await spend(db, GUILD, ANA, 150, utc(2026, 11, 2))
    text = await services.reminders.compose(GUILD, ANA, utc(2026, 11, 21, 9, 0))
    assert "This month: you are 50 coins (≈ $0.53) over your monthly budget of 100 coins." in text
    assert "Today: no daily budget set" in text
    assert "You have used 150 % of your monthly budget" in text


# --- restarts -------------------------------------------------------------------------------------


async def test_reminders_survive_a_restart_without_a_second_reminder_that_day(settings, clock):
    first_db = await Database.open(settings.database_path)
    try:
        first = await build_services(settings, first_db, clock)
        clock.now = utc(2026, 11, 1, 8, 0)
        await first.budgets.set_reminders(GUILD, ANA, "on", "09:00", "Asia/Tokyo")
        await first.budgets.set_reminders(GUILD, BEN, "on", "10:00", "UTC")
        clock.now = utc(2026, 11, 2, 0, 0)  # 09:00 in Tokyo
        dms = FakeDMs()
        await first.reminders.send_due(dms)
        assert [uid for _, uid, _ in dms.sent] == [ANA]
    finally:
        await first_db.close()

    later = FakeClock(utc(2026, 11, 2, 10, 0))  # restarted; Tokyo's reminder was already sent today
    second_db = await Database.open(settings.database_path)
    try:
        second = await build_services(settings, second_db, later)
        scheduler = AsyncIOScheduler(timezone=UTC)
        dms = FakeDMs()
        install_reminder_job(scheduler, second.reminders, dms)
        install_reminder_job(scheduler, second.reminders, dms)  # a reload replaces, never duplicates
        assert [job.id for job in scheduler.get_jobs()] == [JOB_ID]

        await second.reminders.send_due(dms)
        assert [uid for _, uid, _ in dms.sent] == [BEN]
        later.now = utc(2026, 11, 3, 0, 0)
        await second.reminders.send_due(dms)
        assert [uid for _, uid, _ in dms.sent] == [BEN, ANA]
    finally:
        await second_db.close()


# --- closed DMs -----------------------------------------------------------------------------------


@dataclass
class FakeResponse:
    """What discord.HTTPException reads from an aiohttp response."""

    status: int = 403
    reason: str = "Forbidden"


class ClosedUser:
    def __init__(self) -> None:
        self.attempts = 0

    async def send(self, *args, **kwargs) -> None:
        self.attempts += 1
        raise discord.Forbidden(
            FakeResponse(), {"code": 50007, "message": "Cannot send messages to this user"}
        )


class FakeGuild:
    """A guild as `Client.fetch_guild` returns it; `fetch_member` answers like Discord's REST API."""

    name = "Fans"

    def __init__(self, members: set[int], bot_removed: bool = False) -> None:
        self.members = members
        self.bot_removed = bot_removed
        self.member_fetches = 0

    async def fetch_member(self, user_id: int) -> object:
        self.member_fetches += 1
        if self.bot_removed:
            raise discord.Forbidden(
                FakeResponse(403, "Forbidden"), {"code": 50001, "message": "Missing Access"}
            )
        if user_id not in self.members:
            raise discord.NotFound(
                FakeResponse(404, "Not Found"), {"code": 10007, "message": "Unknown Member"}
            )
        return object()


class FakeClient:
    """The parts of discord.Client the reminder DMs use; no guild is cached (as before READY)."""

    def __init__(self, user: ClosedUser, guild: FakeGuild | None = None) -> None:
        self.user = user
        self.guild = guild or FakeGuild({ANA, BEN})

    def get_guild(self, guild_id: int) -> None:
        return None

    async def fetch_guild(self, guild_id: int) -> FakeGuild:
        return self.guild

    def get_user(self, user_id: int) -> None:
        return None

    async def fetch_user(self, user_id: int) -> ClosedUser:
        return self.user


async def test_closed_dms_pause_reminders_and_they_are_not_retried(services, clock):
    clock.now = utc(2026, 11, 1, 8, 0)
    await services.budgets.set_reminders(GUILD, ANA, "on", "09:00", "UTC")
    user = ClosedUser()
    sender = DiscordDirectMessages(FakeClient(user))

    clock.now = utc(2026, 11, 1, 9, 0)
    run = await services.reminders.send_due(sender)
    assert [r.user_id for r in run.paused] == [ANA] and run.sent == []
    assert user.attempts == 1

    for _ in range(3):  # the following days: nothing is tried again
        clock.advance(days=1)
        await services.reminders.send_due(sender)
    assert user.attempts == 1

    view = await services.budgets.snapshot(GUILD, ANA)
    assert view.reminders.paused_at == utc(2026, 11, 1, 9, 0)
    assert view.reminders.enabled  # still wanted: /budget show explains the pause

    settings, _ = await services.budgets.set_reminders(GUILD, ANA, "on")  # DMs opened again
    assert settings.paused_at is None
    clock.advance(days=1)
    dms = FakeDMs()
    await services.reminders.send_due(dms)
    assert len(dms.texts()) == 1


async def test_one_closed_member_does_not_stop_the_others(services, clock):
    clock.now = utc(2026, 11, 1, 8, 0)
    await services.budgets.set_reminders(GUILD, ANA, "on", "09:00", "UTC")
    await services.budgets.set_reminders(GUILD, BEN, "on", "09:00", "UTC")
    dms = FakeDMs(closed={ANA})
    clock.now = utc(2026, 11, 1, 9, 1)
    run = await services.reminders.send_due(dms)
    assert [r.user_id for r in run.paused] == [ANA]
    assert [r.user_id for r in run.sent] == [BEN]


# --- members and servers the bot can no longer reach ---------------------------------------------


async def test_a_member_who_left_the_server_is_paused_without_a_dm(services, clock):
    clock.now = utc(2026, 11, 1, 8, 0)
    await services.budgets.set_reminders(GUILD, ANA, "on", "09:00", "UTC")
    await services.budgets.set_reminders(GUILD, BEN, "on", "09:00", "UTC")
    user = ClosedUser()
    guild = FakeGuild({BEN})  # ana left
    sender = DiscordDirectMessages(FakeClient(user, guild))

    clock.now = utc(2026, 11, 1, 9, 0)
    run = await services.reminders.send_due(sender)

    assert [r.user_id for r in run.paused] == [ANA, BEN]  # ben: his DMs are closed (ClosedUser)
    assert user.attempts == 1  # only ben's DM was tried: ana was checked first and not sent one
    view = await services.budgets.snapshot(GUILD, ANA)
    assert view.reminders.paused_at == utc(2026, 11, 1, 9, 0) and view.reminders.enabled
    clock.advance(days=1)
    assert await services.reminders.due() == []


async def test_reminders_stop_for_a_server_the_bot_has_left(services, clock):
    clock.now = utc(2026, 11, 1, 8, 0)
    await services.budgets.set_reminders(GUILD, ANA, "on", "09:00", "UTC")
    await services.budgets.set_reminders(GUILD, BEN, "on", "09:00", "UTC")
    await services.budgets.set_reminders(GUILD + 1, ANA, "on", "09:00", "UTC")
    user = ClosedUser()
    guild = FakeGuild({ANA, BEN}, bot_removed=True)

    clock.now = utc(2026, 11, 1, 9, 0)
    dms = FakeDMs()
    left = DiscordDirectMessages(FakeClient(user, guild))

    class OneServerLeft:
        async def send(self, guild_id: int, user_id: int, text: str) -> None:
            sender = left if guild_id == GUILD else dms
            await sender.send(guild_id, user_id, text)

    run = await services.reminders.send_due(OneServerLeft())

    assert run.servers_left == [GUILD]
    assert guild.member_fetches == 1  # asked once; the server's other reminders were not tried
    assert user.attempts == 0
    assert [(g, u) for g, u, _ in dms.sent] == [(GUILD + 1, ANA)]  # another server goes on
    clock.advance(days=1)
    assert [(r.guild_id, r.user_id) for r in await services.reminders.due()] == [(GUILD + 1, ANA)]


async def test_the_service_pauses_on_member_left_and_stops_on_server_left(services, clock):
    clock.now = utc(2026, 11, 1, 8, 0)
    await services.budgets.set_reminders(GUILD, ANA, "on", "09:00", "UTC")
    await services.budgets.set_reminders(GUILD, BEN, "on", "09:00", "UTC")

    class Gone:
        async def send(self, guild_id: int, user_id: int, text: str) -> None:
            raise MemberLeft("Unknown Member") if user_id == ANA else ServerLeft("Missing Access")

    clock.now = utc(2026, 11, 1, 9, 0)
    run = await services.reminders.send_due(Gone())
    assert [r.user_id for r in run.paused] == [ANA]
    assert run.servers_left == [GUILD]
    assert (await services.budgets.snapshot(GUILD, BEN)).reminders.paused_at is not None

    await services.budgets.set_reminders(GUILD, ANA, "on")  # back in the server: turned on again
    clock.advance(days=1)
    assert [r.user_id for r in await services.reminders.due()] == [ANA]


# --- the real scheduler ---------------------------------------------------------------------------


async def test_the_job_runs_on_the_real_asyncio_scheduler(services, clock):
    clock.now = utc(2026, 11, 1, 8, 0)
    await services.budgets.set_reminders(GUILD, ANA, "on", "09:00", "UTC")
    clock.now = utc(2026, 11, 1, 9, 0)
    dms = FakeDMs()
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start()
    try:
        trigger = DateTrigger(run_date=datetime.now(UTC) + timedelta(seconds=1))
        install_reminder_job(scheduler, services.reminders, dms, trigger=trigger)
        await asyncio.wait_for(dms.arrived.wait(), timeout=5)
    finally:
        scheduler.shutdown(wait=False)
    assert len(dms.texts()) == 1


async def test_the_default_job_runs_every_minute_coalesced(services):
    scheduler = AsyncIOScheduler(timezone=UTC)
    job = install_reminder_job(scheduler, services.reminders, FakeDMs())
    assert job.id == JOB_ID
    assert job.coalesce is True and job.max_instances == 1
    assert job.trigger.interval == timedelta(minutes=1)

"""A scheduled stream through the fake Discord: `/live schedule new` creates a guild scheduled event,
the bot starts it when its time comes, the event going live starts the session (the follower gets a
DM), and the event ended in Discord ends the session and posts its summary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.live import LiveSession
from cogs.live import SCHEDULE_JOB_ID
from simulator.fake_discord import (
    ALERTS_CHANNEL_ID,
    BOT_PERMISSIONS,
    EVENT_ACTIVE,
    EVENT_COMPLETED,
    GENERAL_CHANNEL_ID,
)
from tests.support.clock import FakeClock


@pytest.fixture
def e2e_clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 20, 12, 0, tzinfo=UTC))


async def live_session(running_bot, guild_id: int, creator_id: int) -> LiveSession | None:
    return await running_bot.services.live.current(guild_id, creator_id)


async def test_a_scheduled_event_starts_and_ends_the_session(e2e, running_bot, e2e_clock):
    guild_id = e2e.fake.guild_id
    mod, cara, ana = e2e.moderator(), e2e.member("cara"), e2e.member("ana")
    await e2e.slash("config alerts-channel", mod, channel=ALERTS_CHANNEL_ID)
    await e2e.slash("creator register", cara)
    await e2e.slash("creator follow", ana, creator=cara)

    reply = await e2e.slash("live schedule new", cara, when="2h", title="Carols")
    assert reply.ephemeral and "**Carols** is scheduled" in reply.text
    [(event_id, event)] = e2e.fake.scheduled_events.items()
    assert event["name"] == "Carols" and event["entity_type"] == 3  # external: links to #general
    assert str(GENERAL_CHANNEL_ID) in event["entity_metadata"]["location"]
    assert event["scheduled_start_time"].startswith("2026-12-20T14:00")

    job = running_bot.bot.scheduler.get_job(SCHEDULE_JOB_ID)
    await job.func(*job.args, **job.kwargs)
    assert event["status"] == 1 and await live_session(running_bot, guild_id, cara.user_id) is None

    e2e_clock.advance(hours=2)
    await job.func(*job.args, **job.kwargs)
    assert event["status"] == EVENT_ACTIVE
    session = await live_session(running_bot, guild_id, cara.user_id)
    assert session is not None and session.title == "Carols"
    dms = await e2e.wait_for(lambda: e2e.fake.dms_to(ana.user_id), what="ana's go-live DM")
    assert "Carols" in dms[0].text

    e2e_clock.advance(minutes=45)
    await e2e.fake.set_event_status(event_id, EVENT_COMPLETED)
    posted = await e2e.wait_for(
        lambda: [m for m in e2e.fake.channel_messages(ALERTS_CHANNEL_ID) if "ended" in m.text],
        what="the summary",
    )
    assert "Carols" in posted[0].text and "45 min" in posted[0].text
    assert await live_session(running_bot, guild_id, cara.user_id) is None


async def test_live_end_completes_the_event_and_cancel_deletes_nothing_else(e2e, running_bot, e2e_clock):
    cara = e2e.member("cara")
    await e2e.slash("creator register", cara)
    await e2e.slash("live schedule new", cara, when="1h", title="Quick one")
    [(event_id, event)] = e2e.fake.scheduled_events.items()
    e2e_clock.advance(hours=1)
    job = running_bot.bot.scheduler.get_job(SCHEDULE_JOB_ID)
    await job.func(*job.args, **job.kwargs)
    assert "Your stream has ended" in (await e2e.slash("live end", cara)).text
    assert e2e.fake.scheduled_events[event_id]["status"] == EVENT_COMPLETED

    await e2e.slash("live schedule new", cara, when="1d", title="Tomorrow")
    cancelled = await e2e.slash("live schedule cancel", cara)
    assert "Cancelled **Tomorrow**" in cancelled.text
    statuses = sorted(e["status"] for e in e2e.fake.scheduled_events.values())
    assert statuses == [EVENT_COMPLETED, 4]


async def test_without_manage_events_the_bot_says_so(e2e):
    cara = e2e.member("cara")
    await e2e.slash("creator register", cara)
    e2e.fake.app_permissions = BOT_PERMISSIONS
    reply = await e2e.slash("live schedule new", cara, when="2h", title="x")
    assert reply.ephemeral and "Manage Events" in reply.text
    assert e2e.fake.scheduled_events == {}

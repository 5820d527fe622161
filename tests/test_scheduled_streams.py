"""Scheduled streams: announcing one as a Discord event, starting and ending the session with the
event, and every path tolerating the others (already live, event gone, the creator's own `/live end`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import Conflict, InvalidMoment, NotFound, NotPermitted
from tests.support.scheduled_events import ACTIVE, CANCELLED, COMPLETED, FakeGuildEvents

GUILD = 1
CREATOR, FAN = 201, 301


@pytest.fixture
async def events(services):
    await services.creators.register(GUILD, CREATOR)
    fake = FakeGuildEvents()
    services.scheduled_streams.events = fake
    return fake


async def test_schedule_in_the_creators_zone_then_the_event_starts_and_ends_the_session(
    services, events, clock
):
    await services.budgets.set_reminders(GUILD, CREATOR, "off", timezone="America/New_York")
    stream = await services.scheduled_streams.schedule(GUILD, CREATOR, "2026-12-24 18:00", "Carols", 55)
    assert stream.starts_at == datetime(2026, 12, 24, 23, 0, tzinfo=UTC)
    event_id, event = events.only()
    assert (event.request.title, event.request.channel_id, event.request.starts_at) == (
        "Carols",
        55,
        stream.starts_at,
    )
    assert await services.scheduled_streams.start_due() == []  # not yet
    assert await services.live.current(GUILD, CREATOR) is None

    clock.now = stream.starts_at
    [session] = await services.scheduled_streams.start_due()
    assert event.status == ACTIVE
    assert (session.title, session.channel_id) == ("Carols", 55)
    assert await services.scheduled_streams.event_started(GUILD, event_id) is None  # the gateway's echo

    clock.advance(hours=1)
    summary = await services.scheduled_streams.event_ended(GUILD, event_id)
    assert summary is not None and summary.session.id == session.id
    assert summary.duration == timedelta(hours=1)
    assert await services.live.current(GUILD, CREATOR) is None
    assert await services.scheduled_streams.current(GUILD, CREATOR) is None


async def test_followers_are_notified_when_the_event_starts(services, events, clock):
    await services.followers.follow(GUILD, FAN, CREATOR)
    await services.scheduled_streams.schedule(GUILD, CREATOR, "2h", "Later", None)
    clock.advance(hours=2)
    await services.scheduled_streams.start_due()
    queued = await services.db.read(
        lambda c: c.execute("SELECT follower_id FROM live_notifications").fetchall()
    )
    assert [r[0] for r in queued] == [FAN]


async def test_an_event_starting_while_the_creator_is_already_live_keeps_that_session(
    services, events, clock
):
    await services.scheduled_streams.schedule(GUILD, CREATOR, "1h", "Planned", None)
    by_hand = await services.live.start(GUILD, CREATOR, "Early start")
    clock.advance(hours=1)
    await services.scheduled_streams.start_due()
    current = await services.live.current(GUILD, CREATOR)
    assert current is not None and current.id == by_hand.id  # one session, never two


async def test_ending_the_session_by_hand_completes_the_event(services, events, clock):
    await services.scheduled_streams.schedule(GUILD, CREATOR, "1h", "Show", None)
    clock.advance(hours=1)
    await services.scheduled_streams.start_due()
    _, event = events.only()
    await services.live.end(GUILD, CREATOR)
    assert event.status == COMPLETED
    assert await services.scheduled_streams.current(GUILD, CREATOR) is None


async def test_cancel_before_the_start_and_one_scheduled_stream_at_a_time(services, events):
    await services.scheduled_streams.schedule(GUILD, CREATOR, "3d", "Weekend", None)
    with pytest.raises(Conflict, match="already have a scheduled stream"):
        await services.scheduled_streams.schedule(GUILD, CREATOR, "4d", "Another", None)
    assert len(events.events) == 1  # the refused one made no Discord event
    cancelled = await services.scheduled_streams.cancel(GUILD, CREATOR)
    assert cancelled.title == "Weekend" and events.only()[1].status == CANCELLED
    with pytest.raises(NotFound, match="no scheduled stream"):
        await services.scheduled_streams.cancel(GUILD, CREATOR)
    await services.scheduled_streams.schedule(GUILD, CREATOR, "4d", "Another", None)


async def test_a_live_scheduled_stream_is_ended_not_cancelled(services, events, clock):
    await services.scheduled_streams.schedule(GUILD, CREATOR, "1h", "Show", None)
    clock.advance(hours=1)
    await services.scheduled_streams.start_due()
    with pytest.raises(Conflict, match="/live end"):
        await services.scheduled_streams.cancel(GUILD, CREATOR)


async def test_an_event_deleted_in_discord_before_its_time_is_dropped(services, events, clock):
    await services.scheduled_streams.schedule(GUILD, CREATOR, "1h", "Show", None)
    event_id, _ = events.only()
    del events.events[event_id]
    clock.advance(hours=1)
    assert await services.scheduled_streams.start_due() == []
    assert await services.live.current(GUILD, CREATOR) is None
    assert await services.scheduled_streams.current(GUILD, CREATOR) is None


async def test_refusals(services, events):
    with pytest.raises(InvalidMoment):
        await services.scheduled_streams.schedule(GUILD, CREATOR, "yesterday", "x", None)
    with pytest.raises(InvalidMoment, match="already passed"):
        await services.scheduled_streams.schedule(GUILD, CREATOR, "2020-01-01 10:00", "x", None)
    with pytest.raises(NotFound, match="not a registered creator"):
        await services.scheduled_streams.schedule(GUILD, FAN, "2h", "x", None)
    events.allowed = False
    with pytest.raises(NotPermitted, match="Manage Events"):
        await services.scheduled_streams.schedule(GUILD, CREATOR, "2h", "x", None)
    assert await services.scheduled_streams.current(GUILD, CREATOR) is None
    assert events.events == {}


async def test_events_the_bot_did_not_make_are_ignored(services, events):
    assert await services.scheduled_streams.event_started(GUILD, 12345) is None
    assert await services.scheduled_streams.event_ended(GUILD, 12345) is None


BOT_ID = 9_999  # the events of /live schedule are the bot's own


async def test_with_auto_live_on_a_scheduled_stream_still_starts_one_session_and_ends_it(
    services, events, clock
):
    await services.guild_config.set_auto_live(GUILD, 500, True)
    await services.scheduled_streams.schedule(GUILD, CREATOR, "1h", "Show", None)
    event_id, _ = events.only()
    clock.advance(hours=1)
    [session] = await services.scheduled_streams.start_due()
    # the gateway's echo names the bot as the event's creator: nothing more starts
    assert await services.scheduled_streams.event_started(GUILD, event_id, BOT_ID, "Show") is None
    count = await services.db.read(lambda c: c.execute("SELECT COUNT(*) FROM live_sessions").fetchone()[0])
    assert count == 1

    summary = await services.scheduled_streams.event_ended(GUILD, event_id, BOT_ID)
    assert summary is not None and summary.session.id == session.id
    assert await services.live.current(GUILD, CREATOR) is None
    await services.auto_live.close()


async def test_a_members_own_event_goes_to_auto_live(services, events):
    await services.guild_config.set_auto_live(GUILD, 500, True)
    session = await services.scheduled_streams.event_started(GUILD, 4242, CREATOR, "My own event")
    assert session is not None and session.title == "My own event"
    assert await services.scheduled_streams.event_ended(GUILD, 4242, CREATOR) is None  # auto-live ends it
    for _ in range(100):
        if await services.live.current(GUILD, CREATOR) is None:
            break
        await asyncio.sleep(0.01)
    assert await services.live.current(GUILD, CREATOR) is None
    await services.auto_live.close()


async def test_a_members_event_without_auto_live_starts_nothing(services, events):
    assert await services.scheduled_streams.event_started(GUILD, 4242, CREATOR, "My own event") is None
    assert await services.live.current(GUILD, CREATOR) is None

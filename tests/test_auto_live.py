"""The auto-live service on a real SQLite file: what starts and ends a creator's live session."""

from __future__ import annotations

import asyncio

import pytest

from bot.live_auto import AutoLiveService, stream_source
from cogs.config import render_config
from tests.support.factories import GUILD

CLEO = 201
MOD = 500
EVENT = 7001


@pytest.fixture
async def auto(services):
    await services.creators.register(GUILD, CLEO)
    await services.guild_config.set_auto_live(GUILD, MOD, True)
    services.auto_live.grace_s = 0.05
    ended = []

    async def record(summary) -> None:  # noqa: ANN001
        ended.append(summary)

    services.auto_live.ended = record
    yield services.auto_live, ended
    await services.auto_live.close()


async def test_a_scheduled_event_starts_a_session_titled_after_it_and_its_end_ends_it(services, auto):
    service, ended = auto

    session = await service.scheduled_event_started(GUILD, CLEO, EVENT, "Friday karaoke")

    assert session is not None and session.title == "Friday karaoke"
    assert (await services.live.current(GUILD, CLEO)).id == session.id
    await service.scheduled_event_ended(GUILD, CLEO, EVENT)
    for _ in range(100):
        if ended:
            break
        await asyncio.sleep(0.01)
    assert [summary.session.id for summary in ended] == [session.id]
    assert await services.live.current(GUILD, CLEO) is None


async def test_the_session_lasts_while_any_source_is_live(services, auto):
    service, ended = auto
    session = await service.source_started(GUILD, CLEO, stream_source(1))
    await service.scheduled_event_started(GUILD, CLEO, EVENT, "Karaoke")  # already live: same session

    await service.source_stopped(GUILD, CLEO, stream_source(1))
    await asyncio.sleep(0.2)

    assert ended == [] and (await services.live.current(GUILD, CLEO)).id == session.id


async def test_nothing_starts_when_auto_live_is_off_or_for_members_who_are_not_creators(services, auto):
    service, _ = auto
    assert await service.source_started(GUILD, 999, stream_source(1)) is None
    await services.guild_config.set_auto_live(GUILD, MOD, False)
    assert await service.scheduled_event_started(GUILD, CLEO, EVENT, "Karaoke") is None
    assert await services.live.current(GUILD, CLEO) is None


async def test_turning_auto_live_on_is_audited_and_shown_by_config_show(services):
    await services.guild_config.set_auto_live(GUILD, MOD, True)
    rows = await services.db.read(
        lambda conn: conn.execute(
            "SELECT actor_id, action, before, after FROM audit_log WHERE action = 'config.auto_live'"
        ).fetchall()
    )
    assert [tuple(row) for row in rows] == [(MOD, "config.auto_live", "0", "1")]
    assert "Auto-live (Go Live, Stages, scheduled events): on" in render_config(
        await services.guild_config.get(GUILD), services.payments.mode
    )


async def test_after_a_restart_a_session_whose_creator_stopped_meanwhile_ends(services, auto, clock):
    service, _ = auto
    session = await service.source_started(GUILD, CLEO, stream_source(1))
    restarted = AutoLiveService(services.db, services.guild_config, services.live, services.creators, clock)
    restarted.grace_s = 0.05
    ended = []

    async def record(summary) -> None:  # noqa: ANN001
        ended.append(summary)

    restarted.ended = record
    await restarted.resume(GUILD, {})  # nobody streams any more
    for _ in range(100):
        if ended:
            break
        await asyncio.sleep(0.01)
    await restarted.close()

    assert [summary.session.id for summary in ended] == [session.id]


async def test_after_a_restart_a_creator_still_streaming_keeps_the_session_and_a_hand_started_one_is_kept(
    services, auto, clock
):
    service, _ = auto
    session = await service.source_started(GUILD, CLEO, stream_source(1))
    await services.creators.register(GUILD, 202)
    await services.live.start(GUILD, 202, "by hand")
    restarted = AutoLiveService(services.db, services.guild_config, services.live, services.creators, clock)
    restarted.grace_s = 0.05

    await restarted.resume(GUILD, {CLEO: {stream_source(1): None}})
    await asyncio.sleep(0.2)
    assert (await services.live.current(GUILD, CLEO)).id == session.id
    assert (await services.live.current(GUILD, 202)).title == "by hand"

    await restarted.source_stopped(GUILD, CLEO, stream_source(1))  # the gateway says it stopped
    await asyncio.sleep(0.2)
    await restarted.close()
    assert await services.live.current(GUILD, CLEO) is None

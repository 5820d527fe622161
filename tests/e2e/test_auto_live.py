"""Auto-live through discord.py and the fake gateway: Go Live in a voice channel, a Stage, and a scheduled
event start and end a creator's live session; a short drop does not split it; off by default."""

from __future__ import annotations

import asyncio

from simulator.fake_discord import (
    ALERTS_CHANNEL_ID,
    EVENT_ACTIVE,
    EVENT_COMPLETED,
    EVENT_SCHEDULED,
    create_voice_channel,
    scheduled_event,
    stage_instance_create,
    voice_state_update,
)
from tests.e2e.conftest import read_db

VOICE_ID = 920_000_000_000_000_100
STAGE_ID = 920_000_000_000_000_101
GRACE_S = 1.0


def sessions(running_bot, user) -> list[dict]:  # noqa: ANN001
    conn = read_db(running_bot.settings.database_path)
    try:
        rows = conn.execute(
            "SELECT id, title, ended_at FROM live_sessions WHERE creator_id = ? ORDER BY id", (user.user_id,)
        ).fetchall()
        return [dict(row) for row in rows]
    finally:
        conn.close()


async def auto_live_creator(e2e, running_bot, *, on: bool = True):  # noqa: ANN001, ANN201
    running_bot.services.auto_live.grace_s = GRACE_S
    mod = e2e.moderator("mo")
    await e2e.slash("config alerts-channel", mod, channel=ALERTS_CHANNEL_ID)
    if on:
        reply = await e2e.slash("config auto-live", mod, state="on")
        assert "**on**" in reply.text
    cara = e2e.member("cara")
    await e2e.slash("creator register", cara)
    await create_voice_channel(e2e.fake, VOICE_ID, "Streams")
    return cara


async def test_go_live_starts_the_session_and_stopping_ends_it_after_the_grace_period(e2e, running_bot):
    cara = await auto_live_creator(e2e, running_bot)

    await voice_state_update(e2e.fake, cara.user_id, VOICE_ID)  # joins, not streaming yet
    await asyncio.sleep(0.1)
    assert sessions(running_bot, cara) == []
    await voice_state_update(e2e.fake, cara.user_id, VOICE_ID, self_stream=True)
    await e2e.wait_for(lambda: sessions(running_bot, cara), what="a live session")
    await voice_state_update(e2e.fake, cara.user_id, VOICE_ID)  # stops the screen share
    await asyncio.sleep(0.1)
    assert sessions(running_bot, cara)[0]["ended_at"] is None  # still within the grace period

    await e2e.wait_for(lambda: sessions(running_bot, cara)[0]["ended_at"] is not None, what="the end")
    summary = await e2e.wait_for(
        lambda: [m for m in e2e.fake.channel_messages(ALERTS_CHANNEL_ID) if "ended" in m.text],
        what="the live summary",
    )
    assert f"<@{cara.user_id}> was live" in summary[0].text


async def test_a_dropped_connection_within_the_grace_period_does_not_split_the_stream(e2e, running_bot):
    cara = await auto_live_creator(e2e, running_bot)
    await voice_state_update(e2e.fake, cara.user_id, VOICE_ID, self_stream=True)
    await e2e.wait_for(lambda: sessions(running_bot, cara), what="a live session")

    await voice_state_update(e2e.fake, cara.user_id, None)  # connection dropped
    await asyncio.sleep(0.1)
    await voice_state_update(e2e.fake, cara.user_id, VOICE_ID, self_stream=True)  # back
    await asyncio.sleep(GRACE_S * 2)

    [session] = sessions(running_bot, cara)
    assert session["ended_at"] is None


async def test_a_scheduled_event_going_live_starts_a_session_named_after_it_and_ending_ends_it(
    e2e, running_bot
):
    cara = await auto_live_creator(e2e, running_bot)
    event_id = 920_000_000_000_000_200
    await scheduled_event(e2e.fake, event_id, cara.user_id, "Friday karaoke", EVENT_SCHEDULED, created=True)
    await asyncio.sleep(0.1)
    assert sessions(running_bot, cara) == []

    await scheduled_event(e2e.fake, event_id, cara.user_id, "Friday karaoke", EVENT_ACTIVE)
    started = await e2e.wait_for(lambda: sessions(running_bot, cara), what="a live session")
    assert started[0]["title"] == "Friday karaoke"
    await scheduled_event(e2e.fake, event_id, cara.user_id, "Friday karaoke", EVENT_COMPLETED)

    await e2e.wait_for(lambda: sessions(running_bot, cara)[0]["ended_at"] is not None, what="the end")


async def test_speaking_on_a_live_stage_starts_a_session(e2e, running_bot):
    cara = await auto_live_creator(e2e, running_bot)
    await create_voice_channel(e2e.fake, STAGE_ID, "Stage", stage=True)
    await stage_instance_create(e2e.fake, 920_000_000_000_000_300, STAGE_ID, "Q&A night")

    await voice_state_update(e2e.fake, cara.user_id, STAGE_ID, suppress=True)  # in the audience
    await asyncio.sleep(0.1)
    assert sessions(running_bot, cara) == []
    await voice_state_update(e2e.fake, cara.user_id, STAGE_ID, suppress=False)  # a speaker

    started = await e2e.wait_for(lambda: sessions(running_bot, cara), what="a live session")
    assert started[0]["title"] == "Q&A night"


async def test_auto_live_is_off_by_default_and_never_ends_a_session_started_by_hand(e2e, running_bot):
    cara = await auto_live_creator(e2e, running_bot, on=False)
    await voice_state_update(e2e.fake, cara.user_id, VOICE_ID, self_stream=True)
    await asyncio.sleep(0.2)
    assert sessions(running_bot, cara) == []

    await e2e.slash("config auto-live", e2e.moderator("mo2"), state="on")
    await e2e.slash("live start", cara, title="By hand")
    await voice_state_update(e2e.fake, cara.user_id, VOICE_ID, self_stream=False)
    await voice_state_update(e2e.fake, cara.user_id, VOICE_ID, self_stream=True)
    await voice_state_update(e2e.fake, cara.user_id, None)
    await asyncio.sleep(GRACE_S * 2)
    [session] = sessions(running_bot, cara)
    assert session["title"] == "By hand" and session["ended_at"] is None

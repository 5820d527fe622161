"""Notices through the alerts engine (virtual clock, recording channel): boards edited in place within the
channel's rate limit, shout-outs of their own, and boards that start over."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from bot.alerts import AlertEngine, Notice
from bot.alerts.sim import RecordingSink, VirtualTimer

CHANNEL = 700_000_000_000_000_001


@pytest.fixture
async def rig():
    timer = VirtualTimer()
    sink = RecordingSink(timer)
    engine = AlertEngine(timer=timer)
    await engine.start(sink)
    yield SimpleNamespace(timer=timer, sink=sink, engine=engine)
    stopping = asyncio.create_task(engine.stop())
    await timer.advance(60)
    await stopping


def board(text: str, key: str = "charity:1") -> Notice:
    return Notice(1, CHANNEL, text, key=key)


async def test_a_board_is_posted_once_and_its_updates_merge_into_edits_within_the_rate_limit(rig):
    futures = [rig.engine.publish_notice(board(f"raised {n}")) for n in range(1, 4)]
    await rig.timer.advance(1)
    for n in range(4, 60):
        futures.append(rig.engine.publish_notice(board(f"raised {n}")))
        await rig.timer.advance(0.1)
    await rig.timer.advance(30)

    [message] = rig.sink.sent(CHANNEL)
    assert message.text == "raised 59"
    assert all(f.done() and f.result() for f in futures)
    assert rig.sink.max_in_window(CHANNEL, 5.0) <= 5
    assert len(message.versions) < 20  # 59 updates, far fewer requests


async def test_a_shout_out_is_a_message_of_its_own_pinging_only_whom_it_names(rig):
    first = rig.engine.publish_notice(Notice(1, CHANNEL, "🎉 <@5> just subscribed", mention_ids=(5,)))
    second = rig.engine.publish_notice(Notice(1, CHANNEL, "🎉 <@6> just subscribed", mention_ids=(6,)))
    await rig.timer.advance(1)
    assert await first and await second
    assert [(m.text, m.mention_ids) for m in rig.sink.sent(CHANNEL)] == [
        ("🎉 <@5> just subscribed", (5,)),
        ("🎉 <@6> just subscribed", (6,)),
    ]


async def test_a_deleted_board_is_posted_again_and_a_forgotten_one_starts_a_new_message(rig):
    rig.engine.publish_notice(board("raised 1"))
    await rig.timer.advance(1)
    [first] = rig.sink.sent(CHANNEL)
    rig.sink.deleted_messages.add(first.id)  # a moderator deleted it
    again = rig.engine.publish_notice(board("raised 2"))
    await rig.timer.advance(10)
    assert again.result() is True  # the edit failed, so the board was posted anew
    assert [m.text for m in rig.sink.sent(CHANNEL)] == ["raised 1", "raised 2"]

    rig.engine.forget_board(CHANNEL, "charity:1")
    rig.engine.publish_notice(board("final"))
    await rig.timer.advance(10)
    assert rig.sink.sent(CHANNEL)[-1].text == "final" and len(rig.sink.sent(CHANNEL)) == 3


async def test_notices_are_refused_when_the_engine_is_not_running_or_there_is_no_channel():
    engine = AlertEngine(timer=VirtualTimer())
    assert await engine.publish_notice(board("x")) is False
    await engine.start(RecordingSink(VirtualTimer()))
    assert await engine.publish_notice(Notice(1, None, "x")) is False
    await engine.stop(flush_timeout_s=0)

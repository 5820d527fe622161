"""Live sessions: one open per creator, surviving a restart, and the end summary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import Conflict, NotFound
from bot.services import build_services
from storage import Database
from tests.support.factories import GUILD, fund, ledger_problems, send_gift
from tests.support.publisher import RecordingPublisher

CREATOR, OTHER = 201, 202


@pytest.fixture(autouse=True)
async def creator(services):
    services.gifts.alerts = RecordingPublisher()
    await services.creators.register(GUILD, CREATOR)


async def test_only_creators_go_live_and_only_once_at_a_time(services):
    with pytest.raises(NotFound, match="creator"):
        await services.live.start(GUILD, OTHER)
    session = await services.live.start(GUILD, CREATOR, "Sunday @everyone stream")
    assert "@\u200beveryone" in session.title
    with pytest.raises(Conflict, match="already live"):
        await services.live.start(GUILD, CREATOR)
    with pytest.raises(NotFound, match="not live"):
        await services.live.end(GUILD, OTHER)


async def test_the_summary_counts_gifts_coins_top_gifters_and_breakdown(services, clock):
    session = await services.live.start(GUILD, CREATOR, "evening")
    for fan in (1, 2, 3, 4):
        await fund(services, fan, 1000)
    await send_gift(services, 1, CREATOR, "Rose", 50)  # 50
    await send_gift(services, 2, CREATOR, "Corgi", 1)  # 299
    await send_gift(services, 3, CREATOR, "Perfume", 5)  # 100
    await send_gift(services, 4, CREATOR, "Rose", 10)  # 10
    await send_gift(services, 1, CREATOR, "Perfume", 1)  # 20 → fan 1: 70
    clock.advance(hours=1, minutes=25)

    summary = await services.live.end(GUILD, CREATOR)

    assert summary.session.id == session.id and summary.session.ended_at is not None
    assert summary.duration == timedelta(hours=1, minutes=25)
    assert (summary.gifts, summary.coins, summary.senders, summary.sends) == (67, 479, 4, 5)
    assert [(g.user_id, g.coins) for g in summary.top_gifters] == [(2, 299), (3, 100), (1, 70)]
    assert [(b.name, b.count, b.coins) for b in summary.breakdown] == [
        ("Corgi", 1, 299),
        ("Perfume", 6, 120),
        ("Rose", 60, 60),
    ]
    # after the stream, gifts no longer belong to it
    receipt = await send_gift(services, 4, CREATOR, "Rose", 1)
    assert receipt.live_session_id is None
    assert await ledger_problems(services) == []


async def test_a_session_left_open_by_a_restart_is_still_open(settings, services, db, clock):
    await services.live.start(GUILD, CREATOR, "before the crash")
    await db.close()

    reopened = await Database.open(settings.database_path)
    try:
        restarted = await build_services(settings, reopened, clock)
        current = await restarted.live.current(GUILD, CREATOR)
        assert current is not None and current.title == "before the crash"
        with pytest.raises(Conflict):
            await restarted.live.start(GUILD, CREATOR)
        summary = await restarted.live.end(GUILD, CREATOR)
        assert summary.session.id == current.id
    finally:
        await reopened.close()

"""Leaderboards from the ledger: periods in the guild's time zone, top 10, own rank, privacy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import DomainError
from bot.leaderboards import BoardRow
from tests.support.factories import GUILD, fund, send_gift
from tests.support.publisher import RecordingPublisher

MOD = 500
CREATORS = (201, 202)


@pytest.fixture(autouse=True)
async def creators(services):
    services.gifts.alerts = RecordingPublisher()
    for creator in CREATORS:
        await services.creators.register(GUILD, creator)


async def test_top_ten_with_the_callers_own_rank_when_outside(services):
    for fan in range(1, 13):  # fan n sends n roses
        await fund(services, fan, 100)
        await send_gift(services, fan, 201, "Rose", fan)

    board = await services.leaderboards.board(GUILD, 1, "gifters", "all-time")

    assert [(r.rank, r.user_id, r.coins) for r in board.rows][:3] == [(1, 12, 12), (2, 11, 11), (3, 10, 10)]
    assert len(board.rows) == 10
    assert (board.caller.rank, board.caller.coins) == (12, 1)
    inside = await services.leaderboards.board(GUILD, 12, "gifters", "all-time")
    assert inside.caller is None and inside.caller_listed


async def test_creators_board_and_ties_share_a_rank(services):
    await fund(services, 1, 100)
    await send_gift(services, 1, 201, "Perfume")
    await send_gift(services, 1, 202, "Perfume")
    board = await services.leaderboards.board(GUILD, 999, "creators", "week")
    assert [(r.rank, r.coins) for r in board.rows] == [(1, 20), (1, 20)]
    assert board.caller is None  # the caller received nothing


async def test_today_and_week_start_in_the_guilds_time_zone(services, clock):
    await services.guild_config.set_timezone(GUILD, MOD, "america/new_york")
    await fund(services, 1, 100)
    await fund(services, 2, 100)
    # Monday 2026-11-30 03:00 UTC is still Sunday evening in New York (UTC-5)
    clock.now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    await send_gift(services, 1, 201, "Perfume")
    clock.now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # Monday 01:00 in New York
    await send_gift(services, 2, 201, "Rose")

    today = await services.leaderboards.board(GUILD, 1, "gifters", "today")
    week = await services.leaderboards.board(GUILD, 1, "gifters", "week")
    all_time = await services.leaderboards.board(GUILD, 1, "gifters", "all-time")

    assert [r.user_id for r in today.rows] == [2]
    assert [r.user_id for r in week.rows] == [2]  # the week began at Monday 00:00 New York time
    assert [r.user_id for r in all_time.rows] == [1, 2]
    assert today.since == datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    assert today.timezone == "America/New_York"


async def test_hidden_members_are_ranked_without_figures(services):
    await fund(services, 1, 100)
    await fund(services, 2, 100)
    await send_gift(services, 1, 201, "Doughnut")
    await send_gift(services, 2, 201, "Rose")
    await services.leaderboards.set_privacy(GUILD, 1, True)

    seen_by_other = await services.leaderboards.board(GUILD, 2, "gifters", "all-time")
    seen_by_self = await services.leaderboards.board(GUILD, 1, "gifters", "all-time")

    assert [(r.rank, r.user_id, r.coins) for r in seen_by_other.rows] == [(1, 1, None), (2, 2, 1)]
    assert seen_by_self.rows[0].coins is None  # the board is public, also when its member looks
    assert seen_by_self.own_hidden == BoardRow(1, 1, 30)  # their figures, for a private reply
    assert seen_by_other.own_hidden is None


@pytest.mark.parametrize(("kind", "period"), [("gifters", "year"), ("whales", "week"), ("gifters", None)])
async def test_crafted_options_are_refused(services, kind, period):
    with pytest.raises(DomainError):
        await services.leaderboards.board(GUILD, 1, kind, period)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "x" * 100])
async def test_unknown_time_zones_are_refused(services, zone):
    with pytest.raises(DomainError):
        await services.guild_config.set_timezone(GUILD, MOD, zone)
    assert (await services.guild_config.get(GUILD)).timezone == "UTC"


async def test_a_reversed_gift_leaves_the_boards_the_live_summary_and_the_budget(services):
    await fund(services, 1, 100)
    await fund(services, 2, 100)
    session = await services.live.start(GUILD, 201)
    mistaken = await send_gift(services, 1, 201, "Perfume")  # 20 coins, reversed below
    await send_gift(services, 2, 201, "Finger Heart")  # 5 coins, stands

    await services.corrections.reverse(GUILD, MOD, mistaken.entry_id, "sent to the wrong creator")

    gifters = await services.leaderboards.board(GUILD, 1, "gifters", "all-time")
    creators = await services.leaderboards.board(GUILD, 1, "creators", "today")
    summary = await services.live.summary(GUILD, session.id)
    assert [(r.user_id, r.coins) for r in gifters.rows] == [(2, 5)]
    assert gifters.caller is None  # ranked nowhere: nothing of theirs stands
    assert [(r.user_id, r.coins) for r in creators.rows] == [(201, 5)]
    assert (summary.sends, summary.coins, [g.user_id for g in summary.top_gifters]) == (1, 5, [2])
    overview = await services.budgets.overview(GUILD, 1)
    assert (overview.snapshot.daily.spent, overview.snapshot.monthly.spent) == (0, 0)

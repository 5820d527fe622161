"""Totals kept with every gift (day and week boards, top supporters, the earnings chart): they follow
reversals and time-zone changes, an older database is brought up to them, and the check proves them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import pytest

import bot.statements
from bot.services import build_services
from storage import Database
from storage.database import _split_statements, load_migrations
from storage.ledger_check import find_discrepancies
from tests.support.factories import GUILD, fund, send_gift
from tests.support.factories import ledger_problems as audit
from tests.support.publisher import RecordingPublisher

MOD = 500
CARA, DAVE = 201, 202
ANA, BEN = 1, 2


@pytest.fixture(autouse=True)
async def creators(services):
    services.gifts.alerts = RecordingPublisher()
    for creator in (CARA, DAVE):
        await services.creators.register(GUILD, creator)
    await fund(services, ANA, 10_000)
    await fund(services, BEN, 10_000)


async def boards(services, kind: str = "gifters") -> dict[str, list[tuple[int, int | None]]]:
    found = {}
    for period in ("today", "week", "all-time"):
        board = await services.leaderboards.board(GUILD, MOD, kind, period)
        found[period] = [(row.user_id, row.coins) for row in board.rows]
    return found


async def test_a_reversed_gift_leaves_every_total(services, clock):
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    await send_gift(services, ANA, CARA, "Doughnut")  # 30
    mistaken = await send_gift(services, BEN, CARA, "Hand Hearts")  # 100
    await send_gift(services, BEN, DAVE, "Perfume")  # 20
    assert (await boards(services))["today"] == [(BEN, 120), (ANA, 30)]

    await services.corrections.reverse(GUILD, MOD, mistaken.entry_id, "sent by mistake", "rev-1")

    gifters, creators = await boards(services), await boards(services, "creators")
    assert gifters == {period: [(ANA, 30), (BEN, 20)] for period in ("today", "week", "all-time")}
    assert creators == {period: [(CARA, 30), (DAVE, 20)] for period in ("today", "week", "all-time")}
    earnings = await services.earnings.earnings(GUILD, CARA)
    assert [(s.user_id, s.diamonds, s.gifts) for s in earnings.supporters] == [(ANA, 30, 1)]
    assert earnings.total_received == 30 and earnings.daily[-1] == (date(2026, 11, 30), 30)
    assert await audit(services) == []


async def test_days_and_weeks_follow_a_changed_time_zone(services, clock):
    clock.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # Monday noon in UTC, 21:00 in Tokyo
    await send_gift(services, ANA, CARA, "Perfume")
    clock.now = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # still Monday in UTC, Tuesday 05:00 in Tokyo
    await send_gift(services, BEN, CARA, "Rose")
    clock.now = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
    in_utc = await boards(services)

    await services.guild_config.set_timezone(GUILD, MOD, "Asia/Tokyo")
    in_tokyo = await boards(services)
    assert await audit(services) == []
    await services.guild_config.set_timezone(GUILD, MOD, "UTC")
    back_in_utc = await boards(services)

    assert in_utc["today"] == [(ANA, 20), (BEN, 1)]
    assert in_tokyo == {"today": [(BEN, 1)], "week": [(ANA, 20), (BEN, 1)], "all-time": [(ANA, 20), (BEN, 1)]}
    assert back_in_utc == in_utc
    assert await audit(services) == []


async def test_a_gift_after_a_zone_change_counts_on_its_local_day(services, clock):
    await services.guild_config.set_timezone(GUILD, MOD, "Asia/Kolkata")  # UTC+05:30
    clock.now = datetime(2026, 11, 29, 18, 45, tzinfo=UTC)  # Monday 00:15 in Kolkata (Sunday in UTC)
    await send_gift(services, ANA, CARA, "Rose")

    assert await boards(services) == {"today": [(ANA, 1)], "week": [(ANA, 1)], "all-time": [(ANA, 1)]}
    earnings = await services.earnings.earnings(GUILD, CARA)  # the creator's days: the guild's zone
    assert earnings.daily[-1] == (date(2026, 11, 30), 1) and earnings.daily[-2][1] == 0
    assert await audit(services) == []


async def test_an_older_database_is_brought_up_to_the_totals(settings, services, clock):
    await services.guild_config.set_timezone(GUILD, MOD, "Asia/Tokyo")
    clock.now = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # Tuesday 01:00 in Tokyo
    await send_gift(services, ANA, CARA, "Perfume")
    await services.db.close()
    _as_before_the_totals(settings.database_path)

    db = await Database.open(settings.database_path)
    try:
        upgraded = await build_services(settings, db, clock)
        assert await db.read(find_discrepancies) == []  # backfilled as UTC days, provably right
        found = await boards(upgraded)
        earnings = await upgraded.earnings.earnings(GUILD, CARA)
        assert await db.read(find_discrepancies) == []
    finally:
        await db.close()
    assert found == {"today": [(ANA, 20)], "week": [(ANA, 20)], "all-time": [(ANA, 20)]}
    assert [(s.user_id, s.diamonds) for s in earnings.supporters] == [(ANA, 20)]


def _as_before_the_totals(path) -> None:  # noqa: ANN001
    raw = sqlite3.connect(path, isolation_level=None)
    for trigger in ("gift_daily_totals_add", "gift_daily_totals_reverse"):
        raw.execute(f"DROP TRIGGER {trigger}")
    for table in ("period_zones", "period_zone_offsets", "gift_period_totals", "supporter_totals"):
        raw.execute(f"DROP TABLE {table}")
    raw.execute("DROP TABLE creator_income_quarters")
    # Later migrations are already in place, so bring the totals back the way an upgrade does: the
    # totals migration itself, with its backfill, on the database as it was before it.
    totals = next(m for m in load_migrations() if m.name == "daily_totals")
    raw.execute("BEGIN IMMEDIATE")
    for statement in _split_statements(totals.sql):
        raw.execute(statement)
    raw.execute("COMMIT")
    raw.close()


@pytest.mark.parametrize(
    "tampering",
    [
        "UPDATE gift_period_totals SET coins = coins + 1 WHERE span = 'week' AND role = 'sender'",
        "DELETE FROM gift_period_totals WHERE span = 'day' AND role = 'creator'",
        "UPDATE supporter_totals SET gifts = gifts + 1",
        "UPDATE creator_income_quarters SET diamonds = diamonds - 1",
    ],
)
async def test_the_check_finds_a_total_that_drifted(services, tampering):
    await send_gift(services, ANA, CARA, "Doughnut")
    raw = sqlite3.connect(services.db.path, isolation_level=None)
    raw.execute(tampering)
    raw.close()

    problems = await audit(services)

    assert len(problems) >= 1 and all("standing gifts" in problem for problem in problems)


async def test_a_statement_is_read_in_pages(services, monkeypatch):
    for _ in range(7):
        await send_gift(services, ANA, CARA, "Rose")
    whole = await services.statements.statement(GUILD, ANA)
    monkeypatch.setattr(bot.statements, "PAGE_POSTINGS", 3)

    paged = await services.statements.statement(GUILD, ANA)

    assert len(whole.rows) == 8  # the funding grant and seven gifts
    assert paged.rows == whole.rows and not paged.truncated

"""Budgets cannot be dodged: every loosening (a new time zone for one's days, block → warn) waits the
same 24-hour cooling-off as raising a limit; tightening stays immediate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import BudgetExceeded
from simulator.discord_payloads import Member
from tests.support.factories import spend

GUILD = 1
ANA = 101


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def blocked_at_the_daily_limit(services, db, clock) -> None:
    """Ana, in London, blocks herself at 100 coins a day and spends them at 00:30 London time."""
    clock.now = utc(2026, 11, 28, 0, 30)
    await services.budgets.set_reminders(GUILD, ANA, "off", timezone="Europe/London")
    await services.budgets.set_limit(GUILD, ANA, "daily", 100)
    await services.budgets.set_mode(GUILD, ANA, "block")
    await spend(db, GUILD, ANA, 100, clock())
    with pytest.raises(BudgetExceeded):
        await services.spending.review(GUILD, ANA, 10)


async def test_hopping_to_a_zone_where_today_just_began_does_not_give_a_fresh_limit(services, db, clock):
    await blocked_at_the_daily_limit(services, db, clock)

    # In New York it is still 19:30 yesterday: "today" there starts at 05:00 UTC, after the spend.
    settings, zone = await services.budgets.set_reminders(GUILD, ANA, "off", timezone="America/New_York")
    clock.advance(hours=5)  # 05:30 UTC: a new day in New York, still the same one in London

    assert zone.name == "Europe/London" and settings.timezone == "Europe/London"
    assert settings.pending_timezone is not None
    assert settings.pending_timezone.value == "America/New_York"
    assert settings.pending_timezone.at == utc(2026, 11, 29, 0, 30)
    with pytest.raises(BudgetExceeded):
        await services.spending.review(GUILD, ANA, 10)
    view = await services.budgets.snapshot(GUILD, ANA)
    assert view.zone.name == "Europe/London" and view.daily.spent == 100

    clock.now = utc(2026, 11, 29, 0, 30)  # the cooling-off is over
    view = await services.budgets.snapshot(GUILD, ANA)
    assert view.zone.name == "America/New_York" and view.reminders.pending_timezone is None
    assert view.daily.starts == utc(2026, 11, 28, 5, 0)


async def test_a_zone_change_with_reminders_off_and_no_budget_applies_at_once(services, clock):
    settings, zone = await services.budgets.set_reminders(GUILD, ANA, "off", timezone="Asia/Tokyo")
    assert zone.name == "Asia/Tokyo" and settings.pending_timezone is None


async def test_restating_the_zone_in_force_calls_off_a_waiting_switch(services, db, clock):
    await blocked_at_the_daily_limit(services, db, clock)
    await services.budgets.set_reminders(GUILD, ANA, "off", timezone="America/New_York")

    settings, _ = await services.budgets.set_reminders(GUILD, ANA, "off", timezone="Europe/London")

    assert settings.pending_timezone is None
    clock.advance(days=2)
    assert (await services.budgets.snapshot(GUILD, ANA)).zone.name == "Europe/London"


async def test_asking_again_for_the_waiting_zone_keeps_its_time(services, db, clock):
    await blocked_at_the_daily_limit(services, db, clock)
    first, _ = await services.budgets.set_reminders(GUILD, ANA, "off", timezone="America/New_York")
    clock.advance(hours=3)
    again, _ = await services.budgets.set_reminders(GUILD, ANA, "on", timezone="America/New_York")
    assert first.pending_timezone == again.pending_timezone


async def test_block_to_warn_waits_the_cooling_off_and_block_is_immediate(services, db, clock):
    await blocked_at_the_daily_limit(services, db, clock)

    change = await services.budgets.set_mode(GUILD, ANA, "warn")

    assert change.mode == "block"
    assert change.pending is not None and change.pending.value == "warn"
    assert change.pending.at == clock() + timedelta(hours=24)
    with pytest.raises(BudgetExceeded):  # still refused: no confirm-and-send in the meantime
        await services.spending.review(GUILD, ANA, 10)
    clock.advance(hours=24)
    await spend(db, GUILD, ANA, 100, clock())  # the next day's 100
    review = await services.spending.review(GUILD, ANA, 10)
    assert review.warning is not None and (await services.budgets.snapshot(GUILD, ANA)).mode == "warn"

    tightened = await services.budgets.set_mode(GUILD, ANA, "block")
    assert tightened.mode == "block" and tightened.pending is None
    with pytest.raises(BudgetExceeded):
        await services.spending.review(GUILD, ANA, 10)


async def test_block_again_calls_off_a_waiting_switch_to_warn(services, db, clock):
    await blocked_at_the_daily_limit(services, db, clock)
    await services.budgets.set_mode(GUILD, ANA, "warn")

    change = await services.budgets.set_mode(GUILD, ANA, "block")

    assert change.pending is None
    clock.advance(days=2)
    assert (await services.budgets.snapshot(GUILD, ANA)).mode == "block"


async def test_reminders_follow_the_zone_in_force(services, db, clock):
    await blocked_at_the_daily_limit(services, db, clock)
    await services.budgets.set_reminders(GUILD, ANA, "on", "09:00", "Europe/London")
    await services.budgets.set_reminders(GUILD, ANA, "on", timezone="Asia/Tokyo")

    clock.now = utc(2026, 11, 28, 9, 0)  # 09:00 in London, 18:00 in Tokyo
    due = await services.reminders.due(clock())
    assert [r.user_id for r in due] == [ANA]


async def test_the_budget_commands_say_when_a_loosening_takes_effect(driver, services, clock):
    member = Member(ANA, "ana")
    await driver.slash("budget set", member, period="daily", coins=100)
    await driver.slash("budget mode", member, mode="block")

    to_warn = await driver.slash("budget mode", member, mode="warn")
    new_zone = await driver.slash("budget reminders", member, enabled="off", timezone="Pacific/Kiritimati")
    shown = await driver.slash("budget show", member)

    assert to_warn.ephemeral and "stays **block**" in to_warn.text and "24-hour cooling-off" in to_warn.text
    assert "<t:" in to_warn.text  # the moment, in the reader's own clock
    assert new_zone.ephemeral and "move to **Pacific/Kiritimati**" in new_zone.text
    assert "switches to **warn**" in shown.text
    assert "counted in Pacific/Kiritimati" in shown.text


async def test_statements_use_the_zone_in_force(services, db, clock):
    await blocked_at_the_daily_limit(services, db, clock)
    await services.budgets.set_reminders(GUILD, ANA, "off", timezone="America/New_York")

    assert (await services.statements.statement(GUILD, ANA)).timezone == "Europe/London"
    clock.advance(hours=24)
    assert (await services.statements.statement(GUILD, ANA)).timezone == "America/New_York"


async def test_naming_the_zone_the_days_are_already_counted_in_applies_at_once(services, db, clock):
    await services.guild_config.set_timezone(GUILD, 900, "Europe/London")
    clock.now = utc(2026, 11, 28, 0, 30)
    await services.budgets.set_limit(GUILD, ANA, "daily", 100)

    settings, zone = await services.budgets.set_reminders(GUILD, ANA, "on", timezone="Europe/London")

    assert settings.pending_timezone is None and settings.timezone == "Europe/London"
    assert zone.name == "Europe/London" and zone.source == "yours"

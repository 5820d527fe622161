"""Budgets and the spending guard, on a real SQLite file with a controllable clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.budgets import BudgetGuard
from bot.errors import BudgetExceeded, DomainError, InvalidAmount, InvalidOption, NotFound
from bot.spending import SpendingReview
from bot.timezones import day_bounds, month_bounds_at
from storage import guilds
from storage.ledger import NewEntry, Posting, entry_postings, post_entry
from storage.ledger_check import find_discrepancies
from tests.support.factories import spend

GUILD = 1
ANA = 101


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def in_zone(services, zone: str, user_id: int = ANA) -> None:
    await services.budgets.set_reminders(GUILD, user_id, "off", timezone=zone)


async def clean(db) -> None:
    assert await db.read(find_discrepancies) == []


# --- day and month boundaries in the member's zone --------------------------------------------------


async def test_new_york_spring_forward_day_is_23_hours_and_counts_local_midnights(services, db, clock):
    await in_zone(services, "America/New_York")
    await spend(db, GUILD, ANA, 10, utc(2026, 3, 8, 4, 59))  # 23:59 EST on 7 March
    await spend(db, GUILD, ANA, 20, utc(2026, 3, 8, 5, 0))  # 00:00 EST on 8 March
    await spend(db, GUILD, ANA, 40, utc(2026, 3, 9, 3, 59))  # 23:59 EDT on 8 March
    await spend(db, GUILD, ANA, 80, utc(2026, 3, 9, 4, 0))  # 00:00 EDT on 9 March

    clock.now = utc(2026, 3, 8, 15, 0)
    view = await services.budgets.snapshot(GUILD, ANA)

    assert view.daily.spent == 20 + 40
    assert view.daily.starts == utc(2026, 3, 8, 5, 0)
    assert view.daily.resets == utc(2026, 3, 9, 4, 0)
    assert view.daily.resets - view.daily.starts == timedelta(hours=23)
    assert view.spent_yesterday == 10
    assert view.monthly.spent == 150
    await clean(db)


async def test_new_york_fall_back_day_is_25_hours(services, db, clock):
    await in_zone(services, "America/New_York")
    await spend(db, GUILD, ANA, 5, utc(2026, 11, 1, 3, 59))  # 23:59 EDT on 31 October
    await spend(db, GUILD, ANA, 7, utc(2026, 11, 1, 5, 30))  # 01:30 EDT on 1 November
    await spend(db, GUILD, ANA, 11, utc(2026, 11, 1, 6, 30))  # 01:30 EST on 1 November (again)
    await spend(db, GUILD, ANA, 13, utc(2026, 11, 2, 4, 30))  # 23:30 EST on 1 November

    clock.now = utc(2026, 11, 1, 12, 0)
    view = await services.budgets.snapshot(GUILD, ANA)

    assert view.daily.spent == 7 + 11 + 13
    assert view.daily.resets - view.daily.starts == timedelta(hours=25)
    assert view.daily.resets == utc(2026, 11, 2, 5, 0)
    assert view.monthly.spent == 31  # October's 5 coins belong to October
    assert view.monthly.starts == utc(2026, 11, 1, 4, 0)


async def test_london_month_ends_at_local_midnight_after_the_clocks_went_forward(services, db, clock):
    await in_zone(services, "Europe/London")
    await spend(db, GUILD, ANA, 3, utc(2026, 3, 1, 0, 0))  # 00:00 GMT on 1 March
    await spend(db, GUILD, ANA, 100, utc(2026, 3, 31, 22, 59))  # 23:59 BST on 31 March
    await spend(db, GUILD, ANA, 1000, utc(2026, 3, 31, 23, 0))  # 00:00 BST on 1 April

    clock.now = utc(2026, 3, 29, 12, 0)
    march = await services.budgets.snapshot(GUILD, ANA)
    assert march.monthly.spent == 103
    assert march.monthly.resets == utc(2026, 3, 31, 23, 0)
    assert march.daily.resets - march.daily.starts == timedelta(hours=23)

    clock.now = utc(2026, 3, 31, 23, 30)  # already April in London, still March in UTC
    april = await services.budgets.snapshot(GUILD, ANA)
    assert april.monthly.spent == 1000
    assert april.daily.spent == 1000
    assert april.spent_yesterday == 100


async def test_zone_falls_back_to_the_guilds_then_utc(services, db, clock):
    clock.now = utc(2026, 7, 1, 2, 0)  # 1 July in UTC, still 30 June in Los Angeles
    await spend(db, GUILD, ANA, 9, utc(2026, 6, 30, 23, 0))

    utc_view = await services.budgets.snapshot(GUILD, ANA)
    assert (utc_view.zone.name, utc_view.zone.source) == ("UTC", "default")
    assert utc_view.daily.spent == 0 and utc_view.monthly.spent == 0

    await db.write(lambda conn: guilds.ensure_guild(conn, GUILD, 50, 0))
    await db.write(
        lambda conn: conn.execute(
            "UPDATE guild_settings SET timezone = 'America/Los_Angeles' WHERE guild_id = ?", (GUILD,)
        )
    )
    guild_view = await services.budgets.snapshot(GUILD, ANA)
    assert (guild_view.zone.name, guild_view.zone.source) == ("America/Los_Angeles", "server")
    assert guild_view.daily.spent == 9 and guild_view.monthly.spent == 9

    await in_zone(services, "Asia/Tokyo")
    own = await services.budgets.snapshot(GUILD, ANA)
    assert (own.zone.name, own.zone.source) == ("Asia/Tokyo", "yours")


def test_bounds_are_pure_local_midnights():
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/London")
    start, end = day_bounds(utc(2026, 10, 25, 12, 0), zone)  # clocks go back in London
    assert (start, end) == (utc(2026, 10, 24, 23, 0), utc(2026, 10, 26, 0, 0))
    start, end = month_bounds_at(utc(2026, 12, 15), zone)
    assert (start, end) == (utc(2026, 12, 1), utc(2027, 1, 1))


async def test_a_reversed_gift_no_longer_counts(services, db, clock):
    entry_id = await spend(db, GUILD, ANA, 50, clock())

    def reverse(conn):
        postings = [
            Posting(p.asset, -p.amount, p.user_id, p.system_account) for p in entry_postings(conn, entry_id)
        ]
        entry = NewEntry(guild_id=GUILD, kind="reversal", created_at=0, reverses_entry_id=entry_id)
        return post_entry(conn, entry, postings)

    assert (await services.budgets.snapshot(GUILD, ANA)).daily.spent == 50
    await db.write(reverse)
    assert (await services.budgets.snapshot(GUILD, ANA)).daily.spent == 0
    await clean(db)


# --- the guard: warn and block at the limit and one coin over ---------------------------------------


async def test_warn_mode_is_silent_at_exactly_the_limit_and_asks_one_coin_over(services, db, clock):
    guard: BudgetGuard = services.spending
    await services.budgets.set_limit(GUILD, ANA, "daily", 100)
    await spend(db, GUILD, ANA, 60, clock())

    assert await guard.review(GUILD, ANA, 40) == SpendingReview()
    review = await guard.review(GUILD, ANA, 41)

    assert review.warning is not None
    assert "daily budget is 100 coins" in review.warning
    assert "spent 60 today" in review.warning
    assert "go over it by 1 coin (≈" in review.warning
    assert "$" in review.warning  # values in the member's currency (US by default)
    assert review.warning.endswith("Send it anyway?")


async def test_block_mode_allows_exactly_the_limit_and_refuses_one_coin_over_saying_when_it_resets(
    services, db, clock
):
    clock.now = utc(2026, 11, 28, 17, 0)  # 12:00 in New York
    await in_zone(services, "America/New_York")
    await services.budgets.set_mode(GUILD, ANA, "block")
    await services.budgets.set_limit(GUILD, ANA, "daily", 100)
    await spend(db, GUILD, ANA, 60, clock())

    assert (await services.spending.review(GUILD, ANA, 40)).warning is None
    with pytest.raises(BudgetExceeded) as refused:
        await services.spending.review(GUILD, ANA, 41)

    message = refused.value.message
    assert "Gift not sent" in message
    assert "over it by 1 coin (≈" in message
    assert "resets at 00:00 on Sun 29 Nov (America/New_York), in 12 h 0 min" in message


async def test_monthly_budget_guards_as_well_and_names_its_reset(services, db, clock):
    clock.now = utc(2026, 11, 28, 12, 0)
    await services.budgets.set_mode(GUILD, ANA, "block")
    await services.budgets.set_limit(GUILD, ANA, "monthly", 1000)
    await spend(db, GUILD, ANA, 900, utc(2026, 11, 2, 12, 0))

    assert (await services.spending.review(GUILD, ANA, 100)).warning is None
    with pytest.raises(BudgetExceeded) as refused:
        await services.spending.review(GUILD, ANA, 101)
    assert "monthly budget is 1,000 coins" in refused.value.message
    assert "resets at 00:00 on Tue 1 Dec (UTC)" in refused.value.message

    clock.now = utc(2026, 12, 1, 0, 0)  # a new month: the old spending no longer counts
    assert (await services.spending.review(GUILD, ANA, 1000)).warning is None


async def test_no_budget_means_no_question(services, db, clock):
    await spend(db, GUILD, ANA, 5000, clock())
    assert await services.spending.review(GUILD, ANA, 10_000_000) == SpendingReview()


@pytest.mark.parametrize("coins", [0, -1, True, 1.5, "5"])
async def test_the_guard_refuses_nonsense_amounts(services, coins):
    with pytest.raises(InvalidAmount):
        await services.spending.review(GUILD, ANA, coins)


# --- setting budgets: the cooling-off ---------------------------------------------------------------


async def test_a_first_budget_and_a_lower_one_apply_at_once(services, clock):
    first = await services.budgets.set_limit(GUILD, ANA, "daily", 500)
    assert first.immediate and first.in_force == 500

    lower = await services.budgets.set_limit(GUILD, ANA, "daily", 300)
    assert lower.immediate and lower.in_force == 300
    assert (await services.budgets.snapshot(GUILD, ANA)).daily.limit == 300


async def test_raising_waits_24_hours_and_says_when(services, clock):
    await services.budgets.set_limit(GUILD, ANA, "daily", 300)
    raised = await services.budgets.set_limit(GUILD, ANA, "daily", 800)

    assert not raised.immediate
    assert raised.in_force == 300
    assert raised.effective_at == clock() + timedelta(hours=24)
    view = await services.budgets.snapshot(GUILD, ANA)
    assert view.daily.limit == 300
    assert view.daily.pending is not None and view.daily.pending.coins == 800

    clock.advance(hours=23, minutes=59)
    assert (await services.budgets.snapshot(GUILD, ANA)).daily.limit == 300
    clock.advance(minutes=1)
    after = await services.budgets.snapshot(GUILD, ANA)
    assert after.daily.limit == 800 and after.daily.pending is None


async def test_asking_for_the_same_raise_again_does_not_restart_the_wait(services, clock):
    await services.budgets.set_limit(GUILD, ANA, "monthly", 300)
    first = await services.budgets.set_limit(GUILD, ANA, "monthly", 800)
    clock.advance(hours=5)
    again = await services.budgets.set_limit(GUILD, ANA, "monthly", 800)
    assert again.effective_at == first.effective_at

    higher = await services.budgets.set_limit(GUILD, ANA, "monthly", 900)  # looser: a new 24 h
    assert higher.effective_at == clock() + timedelta(hours=24)


async def test_lowering_cancels_a_pending_raise(services, clock):
    await services.budgets.set_limit(GUILD, ANA, "daily", 300)
    await services.budgets.set_limit(GUILD, ANA, "daily", 800)
    await services.budgets.set_limit(GUILD, ANA, "daily", 200)
    clock.advance(hours=25)
    view = await services.budgets.snapshot(GUILD, ANA)
    assert view.daily.limit == 200 and view.daily.pending is None


async def test_clearing_waits_24_hours(services, clock):
    await services.budgets.set_limit(GUILD, ANA, "daily", 300)
    cleared = await services.budgets.clear_limit(GUILD, ANA, "daily")
    assert not cleared.immediate and cleared.requested is None and cleared.in_force == 300

    view = await services.budgets.snapshot(GUILD, ANA)
    assert view.daily.limit == 300
    assert view.daily.pending is not None and view.daily.pending.coins is None
    clock.advance(hours=24)
    assert (await services.budgets.snapshot(GUILD, ANA)).daily.limit is None
    with pytest.raises(NotFound):
        await services.budgets.clear_limit(GUILD, ANA, "daily")

    again = await services.budgets.set_limit(GUILD, ANA, "daily", 900)  # a first budget again
    assert again.immediate


async def test_the_guard_uses_the_budget_in_force_not_the_pending_one(services, db, clock):
    await services.budgets.set_mode(GUILD, ANA, "block")
    await services.budgets.set_limit(GUILD, ANA, "daily", 100)
    await services.budgets.set_limit(GUILD, ANA, "daily", 1000)
    with pytest.raises(BudgetExceeded):
        await services.spending.review(GUILD, ANA, 101)
    clock.advance(hours=24)
    assert (await services.spending.review(GUILD, ANA, 101)).warning is None


# --- validation in the service ---------------------------------------------------------------------


@pytest.mark.parametrize("coins", [0, -1, 2**53, 10_000_001, True, 2.0, "5", None])
async def test_budget_amounts_out_of_range_are_refused_without_a_change(services, coins):
    await services.budgets.set_limit(GUILD, ANA, "daily", 500)
    with pytest.raises(InvalidAmount, match="1 to 10,000,000"):
        await services.budgets.set_limit(GUILD, ANA, "daily", coins)
    view = await services.budgets.snapshot(GUILD, ANA)
    assert view.daily.limit == 500 and view.daily.pending is None


async def test_the_extremes_of_the_range_are_accepted(services):
    assert (await services.budgets.set_limit(GUILD, ANA, "daily", 10_000_000)).in_force == 10_000_000
    assert (await services.budgets.set_limit(GUILD, ANA, "daily", 1)).in_force == 1


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("set_limit", ("weekly", 100)),
        ("clear_limit", ("yearly",)),
        ("set_mode", ("strict",)),
        ("set_reminders", ("maybe",)),
        ("set_reminders", ("on", "25:00")),
        ("set_reminders", ("on", "9")),
        ("set_reminders", ("on", "9am")),
        ("set_reminders", ("on", "12:60")),
        ("set_reminders", ("on", "09:00", "Mars/Olympus_Mons")),
        ("set_reminders", ("on", "09:00", "../../etc/passwd")),
    ],
)
async def test_bad_options_are_refused_clearly_and_change_nothing(services, call, args):
    before = await services.budgets.snapshot(GUILD, ANA)
    with pytest.raises(DomainError) as refused:
        await getattr(services.budgets, call)(GUILD, ANA, *args)
    assert refused.value.message
    after = await services.budgets.snapshot(GUILD, ANA)
    assert (after.mode, after.reminders, after.daily.limit) == (
        before.mode,
        before.reminders,
        before.daily.limit,
    )


async def test_timezone_names_are_matched_whatever_the_case(services):
    settings, zone = await services.budgets.set_reminders(GUILD, ANA, "on", "7:05", "europe/london")
    assert settings.timezone == "Europe/London" and zone.name == "Europe/London"
    assert settings.time == "07:05"


async def test_invalid_option_type(services):
    with pytest.raises(InvalidOption):
        await services.budgets.set_mode(GUILD, ANA, None)


# --- through the real gift flow ---------------------------------------------------------------------

CREATOR = 909


async def test_real_gifts_warn_at_one_coin_over_and_count_toward_spent(services, db, clock):
    await services.creators.register(GUILD, CREATOR)
    await services.purchases.purchase(GUILD, ANA, 700, "buy-1")
    await services.budgets.set_limit(GUILD, ANA, "daily", 100)

    sixty = await services.gifts.quote(GUILD, ANA, (), "Doughnut", CREATOR, 2)  # 2 × 30
    await services.gifts.send(sixty, "g1", confirmed=True)
    assert (await services.budgets.snapshot(GUILD, ANA)).daily.spent == 60

    exactly = await services.gifts.quote(GUILD, ANA, (), "Rose", CREATOR, 40)
    assert not exactly.needs_confirmation
    over = await services.gifts.quote(GUILD, ANA, (), "Rose", CREATOR, 41)
    assert over.needs_confirmation
    assert any("go over it by 1 coin (≈" in reason for reason in over.reasons)
    await clean(db)


async def test_real_gifts_are_refused_in_block_mode_one_coin_over(services, db, clock):
    await services.creators.register(GUILD, CREATOR)
    await services.purchases.purchase(GUILD, ANA, 700, "buy-1")
    await services.budgets.set_mode(GUILD, ANA, "block")
    await services.budgets.set_limit(GUILD, ANA, "daily", 100)

    exactly = await services.gifts.quote(GUILD, ANA, (), "Rose", CREATOR, 100)
    await services.gifts.send(exactly, "g1", confirmed=True)
    with pytest.raises(BudgetExceeded, match="resets at 00:00"):
        await services.gifts.quote(GUILD, ANA, (), "Rose", CREATOR, 1)
    assert (await services.wallets.balance(GUILD, ANA)).coins == 600
    await clean(db)


async def test_two_gifts_sent_at_once_cannot_both_pass_a_blocking_budget(services, db, clock):
    await services.creators.register(GUILD, CREATOR)
    await services.purchases.purchase(GUILD, ANA, 700, "buy-1")
    await services.budgets.set_mode(GUILD, ANA, "block")
    await services.budgets.set_limit(GUILD, ANA, "daily", 30)
    # Both quotes are judged before either gift is written: each fits the budget on its own.
    first = await services.gifts.quote(GUILD, ANA, (), "Perfume", CREATOR)  # 20 coins
    second = await services.gifts.quote(GUILD, ANA, (), "Perfume", CREATOR)

    outcomes = await asyncio.gather(
        services.gifts.send(first, "tap-1"), services.gifts.send(second, "tap-2"), return_exceptions=True
    )

    refused = [o for o in outcomes if isinstance(o, BudgetExceeded)]
    assert len(refused) == 1 and "resets at 00:00" in refused[0].message
    assert (await services.budgets.snapshot(GUILD, ANA)).daily.spent == 20
    assert (await services.wallets.balance(GUILD, ANA)).coins == 680
    await clean(db)

"""Deals on coin packages: starting and ending them, the bonus fixed when the member chooses the
package (on the fake clock: chosen before the end, paid after), the bonus as an entry of its own from the
promotions account, and reversals taking the bonus back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import Conflict, InvalidAmount, InvalidMoment, NotFound, UnknownPackage
from storage import action_log
from tests.support.factories import GUILD, assert_clean, gift, system_balance, wallet

MOD, ANA, BEN, CREATOR = 601, 101, 102, 501


async def entries_of(services, user_id: int) -> list[tuple[str, int]]:
    items = await services.wallets.history(GUILD, user_id, 20)
    return [(i.kind, i.coins) for i in reversed(items)]


async def test_a_deal_credits_the_bonus_as_its_own_entry_from_promotions(services):
    change = await services.deals.start(GUILD, MOD, 700, 50, "3d")
    assert change.deal.bonus_coins == 350

    offer = await services.purchases.offer(GUILD, ANA, 700, idempotency_key="k1")
    assert offer.deal is not None and offer.deal.bonus_coins == 350
    result = await services.purchases.purchase(GUILD, ANA, 700, "k1")

    assert (result.coins, result.bonus, result.balance) == (700, 350, 1050)
    assert await entries_of(services, ANA) == [("test_purchase", 700), ("deal_bonus", 350)]
    assert await system_balance(services, "promotions", "coins") == -350
    assert await system_balance(services, "mint", "coins") == -700
    bonus_entry = (await services.wallets.history(GUILD, ANA, 1))[0]
    assert bonus_entry.reference == f"entry:{result.entry_id}" and "50 %" in bonus_entry.memo
    again = await services.purchases.purchase(GUILD, ANA, 700, "k1")  # a replay credits nothing more
    assert again.replayed and again.bonus == 350 and await wallet(services, ANA) == (1050, 0)
    await assert_clean(services)


async def test_chosen_before_the_end_and_paid_after_still_gets_the_bonus(services, clock):
    await services.deals.start(GUILD, MOD, 350, 20, "2h")
    clock.advance(hours=1, minutes=59)
    chosen = await services.purchases.offer(GUILD, ANA, 350, idempotency_key="before")
    assert chosen.deal is not None and chosen.deal.bonus_coins == 70

    clock.advance(minutes=2)  # the deal is over when the payment completes
    assert (await services.purchases.packages(GUILD, ANA))[1].deal is None
    late_choice = await services.purchases.offer(GUILD, BEN, 350, idempotency_key="after")
    assert late_choice.deal is None

    paid = await services.purchases.purchase(GUILD, ANA, 350, "before")
    not_quoted = await services.purchases.purchase(GUILD, BEN, 350, "after")
    assert (paid.bonus, paid.balance) == (70, 420)
    assert (not_quoted.bonus, not_quoted.balance) == (0, 350)
    await assert_clean(services)


async def test_a_quote_is_for_its_member_package_and_key_only(services):
    await services.deals.start(GUILD, MOD, 700, 10, "1d")
    await services.purchases.offer(GUILD, ANA, 700, idempotency_key="shown")
    other_package = await services.purchases.purchase(GUILD, ANA, 70, "shown-70")
    assert other_package.bonus == 0
    again = await services.purchases.offer(GUILD, ANA, 700, idempotency_key="shown")  # re-sent: same quote
    assert again.deal is not None and again.deal.bonus_coins == 70
    ben_with_anas_key = await services.purchases.offer(GUILD, BEN, 700, idempotency_key="shown")
    assert ben_with_anas_key.deal is None


async def test_reversing_the_purchase_takes_the_bonus_back_too(services):
    await services.deals.start(GUILD, MOD, 700, 100, "1d")
    await services.purchases.offer(GUILD, ANA, 700, idempotency_key="r1")
    bought = await services.purchases.purchase(GUILD, ANA, 700, "r1")
    assert await wallet(services, ANA) == (1400, 0)

    reversal = await services.corrections.reverse(GUILD, MOD, bought.entry_id, "refunded by the store")

    assert await wallet(services, ANA) == (0, 0)
    assert await system_balance(services, "promotions", "coins") == 0
    kinds = await entries_of(services, ANA)
    assert kinds == [("test_purchase", 700), ("deal_bonus", 700), ("reversal", -700), ("reversal", -700)]
    assert reversal.original_id == bought.entry_id and len(reversal.also_reversed) == 1
    with pytest.raises(Conflict, match="already reversed"):
        await services.corrections.reverse(GUILD, MOD, bought.entry_id, "twice")
    await assert_clean(services)


async def test_a_refund_is_refused_whole_when_the_bonus_was_spent(services):
    await services.creators.register(GUILD, CREATOR)
    await services.deals.start(GUILD, MOD, 70, 100, "1d")
    await services.purchases.offer(GUILD, ANA, 70, idempotency_key="s1")
    bought = await services.purchases.purchase(GUILD, ANA, 70, "s1")
    await gift(services, ANA, CREATOR, "Rose", 30, funded=False)  # 110 left: the package back, not the bonus
    before = await wallet(services, ANA)

    with pytest.raises(Conflict, match="negative coins balance"):
        await services.corrections.reverse(GUILD, MOD, bought.entry_id, "refund")

    assert await wallet(services, ANA) == before  # nothing half-written
    await assert_clean(services)


async def test_start_end_and_list_with_their_refusals(services, clock):
    await services.budgets.set_reminders(GUILD, MOD, "off", timezone="America/New_York")
    change = await services.deals.start(GUILD, MOD, 700, 25, "2026-12-24 18:00")
    assert change.deal.ends_at == datetime(2026, 12, 24, 23, 0, tzinfo=UTC)
    assert change.zone.name == "America/New_York"
    with pytest.raises(Conflict, match="already has a deal"):
        await services.deals.start(GUILD, MOD, 700, 50, "1d")
    with pytest.raises(UnknownPackage, match="Packages: 70, 350, 700"):
        await services.deals.start(GUILD, MOD, 123, 50, "1d")
    for percent in (0, 101, -1):
        with pytest.raises(InvalidAmount):
            await services.deals.start(GUILD, MOD, 70, percent, "1d")
    with pytest.raises(Conflict, match="less than one coin"):
        await services.deals.start(GUILD, MOD, 70, 1, "1d")
    with pytest.raises(InvalidMoment):
        await services.deals.start(GUILD, MOD, 70, 50, "2020-01-01 00:00")

    running, _, _ = await services.deals.running(GUILD, ANA)
    assert [(d.package_coins, d.bonus_percent) for d in running] == [(700, 25)]
    clock.advance(hours=1)
    ended = await services.deals.end(GUILD, MOD, 700)
    assert ended.deal.ends_at == clock()
    with pytest.raises(NotFound, match="no deal running"):
        await services.deals.end(GUILD, MOD, 700)
    assert (await services.deals.running(GUILD, ANA))[0] == []
    await services.deals.start(GUILD, MOD, 700, 50, "1d")  # a new deal once the old one is over
    actions = [r["action"] for r in await services.db.read(lambda c: action_log.recent(c, GUILD, None, 10))]
    assert actions.count("deals.start") == 2 and actions.count("deals.end") == 1


async def test_a_deal_that_ran_out_lets_a_new_one_start(services, clock):
    await services.deals.start(GUILD, MOD, 350, 10, "1h")
    clock.advance(hours=1)
    assert (await services.deals.running(GUILD, ANA))[0] == []
    await services.deals.start(GUILD, MOD, 350, 30, "1h")
    offer = await services.purchases.offer(GUILD, ANA, 350)
    assert offer.deal is not None and offer.deal.bonus_percent == 30


async def test_the_deals_end_shows_in_the_members_zone(services, clock):
    await services.budgets.set_reminders(GUILD, ANA, "off", timezone="Asia/Tokyo")
    await services.deals.start(GUILD, MOD, 70, 50, "6h")
    [offer] = [o for o in await services.purchases.packages(GUILD, ANA) if o.deal]
    assert offer.deal.zone.name == "Asia/Tokyo"
    assert offer.deal.ends_at - offer.deal.now == timedelta(hours=6)
    entries = await services.db.read(
        lambda c: c.execute("SELECT COUNT(*) FROM journal_entries").fetchone()[0]
    )
    assert entries == 0  # showing deals moves no money

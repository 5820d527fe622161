"""Deals with coins bought through Discord: the bonus of the deal shown when the member chose the package
is credited with the entitlement (even when the payment completes after the deal ended), as an entry of
its own; a refund takes it back too, the shortfall becoming debt like the purchase's."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.economy.entitlements import Outcome
from simulator.discord_payloads import Member
from storage import debts
from tests.support.factories import (
    GUILD,
    assert_clean,
    consumed,
    discord_settings,
    entitlement,
    send_gift,
    system_balance,
    wallet,
)

ANA, CARA, MOD = 101, 102, 999
ANA_MEMBER = Member(ANA, "ana")


@pytest.fixture
def settings(tmp_path):
    return discord_settings(tmp_path)


async def kinds(services, user_id: int) -> list[tuple[str, int]]:
    return [(i.kind, i.coins) for i in reversed(await services.wallets.history(GUILD, user_id, 20))]


async def test_chosen_during_the_deal_paid_after_it_ended_gets_the_bonus(services, clock):
    await services.deals.start(GUILD, MOD, 700, 50, "1h")
    offer = await services.purchases.offer(GUILD, ANA, 700, idempotency_key="prompt-1")
    assert offer.sku_id is not None and offer.deal is not None and offer.deal.bonus_coins == 350

    clock.advance(hours=2)  # the deal is over; the payment completes now
    settled = await services.entitlements.settle(entitlement(services, ANA, 700), consumed)

    assert settled.outcome is Outcome.CREDITED and settled.bonus == 350
    assert await kinds(services, ANA) == [("purchase", 700), ("deal_bonus", 350)]
    assert await system_balance(services, "promotions", "coins") == -350
    again = await services.entitlements.settle(entitlement(services, ANA, 700), consumed)  # another purchase
    assert again.bonus == 0  # the quote was used once
    await assert_clean(services)


async def test_no_choice_during_a_deal_no_bonus(services):
    await services.deals.start(GUILD, MOD, 350, 20, "1h")
    settled = await services.entitlements.settle(entitlement(services, ANA, 350), consumed)
    assert settled.bonus == 0 and await wallet(services, ANA) == (350, 0)


async def test_the_discord_shop_fixes_the_deals_on_show(services):
    await services.deals.start(GUILD, MOD, 70, 100, "1h")
    offers = await services.purchases.shop(GUILD, ANA, idempotency_key="shop-1")
    assert [o.coins for o in offers if o.deal] == [70]
    await services.deals.end(GUILD, MOD, 70)
    settled = await services.entitlements.settle(entitlement(services, ANA, 70), consumed)
    assert settled.bonus == 70 and await wallet(services, ANA) == (140, 0)


async def test_a_refund_takes_the_bonus_back_and_what_was_spent_becomes_debt(services):
    await services.creators.register(GUILD, CARA)
    await services.deals.start(GUILD, MOD, 700, 50, "1d")
    await services.purchases.offer(GUILD, ANA, 700, idempotency_key="prompt-2")
    facts = entitlement(services, ANA, 700)
    await services.entitlements.settle(facts, consumed)
    await send_gift(services, ANA, CARA, "Rose", 1000)  # 1,050 - 1,000 = 50 left

    refunded = await services.entitlements.settle(replace(facts, deleted=True), consumed)

    assert refunded.outcome is Outcome.REFUNDED and refunded.bonus == 350
    assert await wallet(services, ANA) == (0, 0)
    owed = await services.db.read(lambda conn: debts.owed(conn, GUILD, ANA))
    assert owed == 1000  # 700 + 350 taken back, 50 were left
    assert await system_balance(services, "promotions", "coins") == 0
    last = await services.db.read(
        lambda conn: [r[0] for r in conn.execute("SELECT kind FROM journal_entries ORDER BY id DESC LIMIT 2")]
    )
    assert last == ["deal_bonus_refund", "refund"]  # the bonus went back as debt: the wallet was empty
    again = await services.entitlements.settle(replace(facts, deleted=True), consumed)
    assert again.outcome is Outcome.ALREADY_REFUNDED
    await assert_clean(services)


async def test_deals_are_on_discords_packages(services):
    with pytest.raises(Exception, match="Packages: 70, 350, 700"):
        await services.deals.start(GUILD, MOD, 123, 50, "1d")


async def test_moderators_see_deal_bonuses_among_where_a_senders_coins_came_from(services):
    await services.creators.register(GUILD, CARA)
    await services.deals.start(GUILD, MOD, 700, 50, "1d")
    await services.purchases.offer(GUILD, ANA, 700, idempotency_key="prompt-3")
    await services.entitlements.settle(entitlement(services, ANA, 700), consumed)
    await send_gift(services, ANA, CARA, "Rose", 10)
    [source] = (await services.provenance.sources(GUILD, [CARA]))[CARA]
    assert (source.bought, source.bonus, source.granted) == (700, 350, 0)


async def test_through_the_command_tree_the_deal_shown_at_buy_is_credited_by_the_entitlement_event(
    driver, services, monetization, clock
):
    await services.deals.start(GUILD, MOD, 700, 50, "1h")
    prompt = await driver.slash("coins buy", ANA_MEMBER, package=700)
    assert "+350 coins bonus (50 % deal" in prompt.text and "even if the payment completes" in prompt.text

    clock.advance(hours=2)  # paid on Discord's button after the deal ended
    await monetization.purchase(ANA_MEMBER.user_id, int(monetization.skus[2]["id"]))
    for _ in range(500):  # the listener runs as a task
        if monetization.consumed:
            break
        await asyncio.sleep(0.01)
    assert await wallet(services, ANA_MEMBER.user_id) == (1050, 0)
    await assert_clean(services)

"""Discord purchases at the service: credited once per entitlement, consumed after the commit, refunds
that take the coins back and leave a debt where some were spent, and what a debt then blocks and who
pays it. Coins are bought through Discord here (payment mode `discord`)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.economy.entitlements import Outcome
from bot.errors import NotPermitted
from storage import action_log, debts
from tests.support.factories import (
    GUILD,
    assert_clean,
    buy_on_discord,
    consumed,
    discord_settings,
    entitlement,
    gift,
    grant,
    key,
    ledger_problems,
    send_gift,
    system_balance,
    wallet,
)

ANA, CARA, MOD = 101, 102, 999


@pytest.fixture
def settings(tmp_path):
    return discord_settings(tmp_path)


class Consumer:
    """Discord's consume for one entitlement: counts calls, may fail."""

    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    async def __call__(self) -> None:
        self.calls += 1
        await asyncio.sleep(0)
        if self.fail:
            raise ConnectionError("Discord is down")


async def owed(services, user_id: int) -> int:
    return await services.db.read(lambda conn: debts.owed(conn, GUILD, user_id))


async def purchase_rows(services) -> list[tuple]:
    return await services.db.read(
        lambda conn: [
            tuple(r)
            for r in conn.execute(
                "SELECT kind, money_minor, currency FROM journal_entries"
                " WHERE kind IN ('purchase', 'test_purchase', 'refund') ORDER BY id"
            )
        ]
    )


async def test_the_same_entitlement_settled_many_times_at_once_credits_and_consumes_once(services):
    facts = entitlement(services, ANA, 350)
    consumer = Consumer()

    results = await asyncio.gather(*(services.entitlements.settle(facts, consumer) for _ in range(5)))

    assert sorted(r.outcome for r in results) == [Outcome.ALREADY_CREDITED] * 4 + [Outcome.CREDITED]
    assert consumer.calls == 1
    assert await wallet(services, ANA) == (350, 0)
    assert await purchase_rows(services) == [("purchase", 370, "USD")]
    await assert_clean(services)


async def test_a_failed_consume_is_retried_without_crediting_again(services):
    facts = entitlement(services, ANA, 70)
    first = await services.entitlements.settle(facts, Consumer(fail=True))
    assert first.outcome is Outcome.CREDITED and not first.consumed_now

    retry = Consumer()
    again = await services.entitlements.settle(facts, retry)

    assert again.outcome is Outcome.ALREADY_CREDITED and again.consumed_now and retry.calls == 1
    assert await wallet(services, ANA) == (70, 0)
    third = Consumer()
    await services.entitlements.settle(facts, third)
    assert third.calls == 0  # consumed and recorded: never consumed twice


async def test_a_refund_of_unspent_coins_takes_them_all_back_once(services):
    bought = await buy_on_discord(services, ANA, 700)
    facts = entitlement(services, ANA, 700, deleted=True, entitlement_id=bought.entitlement_id)

    refund = await services.entitlements.settle(facts, consumed)
    again = await services.entitlements.settle(facts, consumed)

    assert (refund.outcome, refund.taken, refund.debt) == (Outcome.REFUNDED, 700, 0)
    assert again.outcome is Outcome.ALREADY_REFUNDED
    assert await wallet(services, ANA) == (0, 0)
    assert await owed(services, ANA) == 0
    assert await purchase_rows(services) == [("purchase", 740, "USD"), ("refund", 740, "USD")]
    await assert_clean(services)


async def test_a_refund_after_half_was_spent_leaves_a_debt_that_blocks_gifts_and_credits_pay_first(services):
    bought = await buy_on_discord(services, ANA, 700)
    await gift(services, ANA, CARA, "Corgi", 1, funded=False)  # 299
    await gift(services, ANA, CARA, "Perfume", 2, funded=False)  # 40: 361 coins left

    refund = await services.entitlements.settle(
        entitlement(services, ANA, 700, deleted=True, entitlement_id=bought.entitlement_id), consumed
    )

    assert (refund.taken, refund.debt) == (361, 339)
    assert await wallet(services, ANA) == (0, 0)
    assert await wallet(services, CARA) == (0, 339)  # the creator keeps the diamonds
    assert await owed(services, ANA) == 339
    assert await system_balance(services, "refund_debt", "coins") == -339
    await assert_clean(services)
    with pytest.raises(NotPermitted, match="you owe 339 coins"):
        await send_gift(services, ANA, CARA, "Rose")

    granted = await services.corrections.grant(GUILD, MOD, ANA, 100, "giveaway", key())
    assert (granted.balance, granted.debt_repaid, granted.owed) == (0, 100, 239)  # the debt first
    assert await wallet(services, ANA) == (0, 0)
    assert await owed(services, ANA) == 239
    logged = await services.db.read(lambda conn: action_log.recent(conn, GUILD))
    assert any(r["action"] == "purchase.refund" for r in logged)

    paid = await buy_on_discord(services, ANA, 350)  # and so does the next purchase
    assert (paid.debt_repaid, paid.balance) == (239, 111)
    assert await owed(services, ANA) == 0
    assert await system_balance(services, "refund_debt", "coins") == 0
    await send_gift(services, ANA, CARA, "Rose")
    await assert_clean(services)


async def test_reversing_a_grant_that_paid_debt_brings_the_debt_back(services):
    bought = await buy_on_discord(services, ANA, 70)
    await gift(services, ANA, CARA, "Perfume", 3, funded=False)  # 60 of 70 spent
    await services.entitlements.settle(
        entitlement(services, ANA, 70, deleted=True, entitlement_id=bought.entitlement_id), consumed
    )
    paying = await grant(services, ANA, 100)
    assert (await wallet(services, ANA), await owed(services, ANA)) == ((40, 0), 0)

    await services.corrections.reverse(GUILD, MOD, paying, "granted to the wrong member", key())

    assert (await wallet(services, ANA), await owed(services, ANA)) == ((0, 0), 60)
    await assert_clean(services)


async def test_an_entitlement_deleted_before_it_was_credited_is_never_credited(services):
    facts = entitlement(services, ANA, 350)
    void = await services.entitlements.settle(replace(facts, deleted=True), consumed)
    late = await services.entitlements.settle(facts, Consumer())

    assert void.outcome is Outcome.VOID and late.outcome is Outcome.VOID
    assert await wallet(services, ANA) == (0, 0)
    assert await purchase_rows(services) == []


async def test_a_test_mode_purchase_is_refused_unless_allowed(services):
    consumer = Consumer()
    refused = await services.entitlements.settle(entitlement(services, ANA, 70, test=True), consumer)
    assert refused.outcome is Outcome.TEST_REFUSED and consumer.calls == 0  # left unconsumed
    assert await wallet(services, ANA) == (0, 0)

    services.entitlements.payments = replace(services.payments, test_purchases=True)
    credited = await services.entitlements.settle(entitlement(services, ANA, 70, test=True), consumer)
    assert credited.outcome is Outcome.CREDITED and credited.test
    assert await purchase_rows(services) == [("test_purchase", None, None)]  # no money recorded


async def test_a_purchase_goes_to_the_server_where_the_member_opened_the_shop(services):
    other_guild = GUILD + 1
    facts = entitlement(services, ANA, 350)
    nowhere = await services.entitlements.settle(replace(facts, guild_id=None), Consumer())
    assert nowhere.outcome is Outcome.NO_SERVER  # left unconsumed until the member opens the shop

    await services.purchases.offer(other_guild, ANA, 350)  # /coins buy in the other server
    credited = await services.entitlements.settle(replace(facts, guild_id=None), Consumer())
    assert credited.guild_id == other_guild
    assert await wallet(services, ANA, other_guild) == (350, 0)


async def test_the_ledger_check_finds_a_debt_without_its_postings(services):
    await services.guilds.ensure(GUILD)
    entry_id = await grant(services, ANA, 10)
    await services.db.write(lambda conn: debts.record(conn, entry_id, GUILD, ANA, 5))
    problems = await ledger_problems(services)
    assert any("records 5 coins of debt" in p for p in problems)

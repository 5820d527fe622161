"""Cash-out: the formula, the two-phase request → approve/reject, and its refusals, on real SQLite."""

from __future__ import annotations

import asyncio

import pytest

from bot.economy.payouts import cash_value, split_diamonds
from bot.errors import Conflict, InsufficientDiamonds, InvalidAmount, NotFound, NotPermitted
from bot.money import CoinRate, Money, Region
from storage import action_log, ledger
from tests.support.factories import (
    GUILD,
    assert_clean,
    gift,
    key,
    system_balance,
    wallet,
)

pytestmark = pytest.mark.cashouts  # a server without a coin shop that allows cash-outs


US = Region("US", "United States", "USD", "en_US")
IN = Region("IN", "India", "INR", "en_IN")
KR = Region("KR", "South Korea", "KRW", "ko_KR")
USD = CoinRate(US, 70, 74)  # the base rate: 70 coins = USD 0.74
INR = CoinRate(IN, 70, 6000)  # ₹60 = 6000 paise
KRW = CoinRate(KR, 70, 1080)  # ₩1,080; KRW has no minor unit

CREATOR, FAN, MOD, MOD2 = 301, 302, 401, 402


# --- the formula, against hand-computed cases ----------------------------------------------------


@pytest.mark.parametrize(
    ("diamonds", "rate", "fee", "minor", "shown"),
    [
        # 1000 × 74/70 × 0.5 = 528.571… cents → 528
        (1000, USD, 50, 528, "$5.28"),
        # 70 × 74/70 × 1 = 74 cents exactly
        (70, USD, 0, 74, "$0.74"),
        # 1001 × 74/70 × 0.7 = 740.74 cents → 740
        (1001, USD, 30, 740, "$7.40"),
        # everything to the platform
        (5000, USD, 100, 0, "$0"),
        # 1 × 74/70 × 0.5 = 0.528… cents → 0
        (1, USD, 50, 0, "$0"),
        # 1000 × 6000/70 × 0.5 = 42857.14… paise → 42857
        (1000, INR, 50, 42857, "₹428.57"),
        # 7 × 6000/70 × 0.5 = 300 paise exactly
        (7, INR, 50, 300, "₹3"),
        # 1000 × 1080/70 × 0.5 = 7714.28… won → 7714 (no minor unit)
        (1000, KRW, 50, 7714, "₩7,714"),
        # 1 × 1080/70 × 0.5 = 7.71… won → 7
        (1, KRW, 50, 7, "₩7"),
        # large amounts stay exact: 10^9 × 74/70 × 0.5 = 528,571,428.57… cents
        (10**9, USD, 50, 528_571_428, "$5,285,714.28"),
    ],
)
def test_cash_value_matches_hand_computed_cases(diamonds, rate, fee, minor, shown):
    value = cash_value(diamonds, rate, fee)
    assert value == Money(minor, rate.region.currency)
    assert value.format(rate.region.locale) == shown


def test_diamond_split_gives_the_remainder_to_the_platform():
    assert split_diamonds(1000, 50) == (500, 500)
    assert split_diamonds(1001, 50) == (500, 501)
    assert split_diamonds(1000, 0) == (1000, 0)
    assert split_diamonds(1000, 100) == (0, 1000)


def test_cash_value_refuses_nonsense():
    with pytest.raises(ValueError):
        cash_value(-1, USD, 50)
    with pytest.raises(ValueError):
        cash_value(10, USD, 101)
    with pytest.raises(ValueError):
        cash_value(1.5, USD, 50)


# --- two-phase cash-out ----------------------------------------------------------------------------


class RecordingNotifier:
    def __init__(self, fail: bool = False) -> None:
        self.sent = []
        self.fail = fail

    async def payout_decided(self, payout):
        if self.fail:
            raise RuntimeError("DMs closed")
        self.sent.append(payout)
        return True


@pytest.fixture
async def creator(services):
    """A creator with 2,000 diamonds from two Galaxy gifts."""
    await gift(services, FAN, CREATOR, "Galaxy", 2)
    return CREATOR


async def test_request_reserves_and_approval_settles_with_cash_at_approval(services, creator):
    notifier = RecordingNotifier()
    services.payouts.notifier = notifier
    quote = await services.payouts.quote(GUILD, creator, 1000)
    assert quote.value_text() == "$5.28"

    payout = await services.payouts.request(GUILD, creator, 1000, key())
    assert payout.status == "pending"
    assert await wallet(services, creator) == (0, 1000)
    assert await system_balance(services, "pending_payout") == 1000

    decision = await services.payouts.approve(GUILD, MOD, payout.id)

    assert decision.payout.status == "approved"
    assert decision.payout.money == Money(528, "USD")
    assert await services.payouts.tell_creator(decision.payout) and notifier.sent[0].id == payout.id
    assert await wallet(services, creator) == (0, 1000)
    assert await system_balance(services, "pending_payout") == 0
    assert await system_balance(services, "paid_out") == 500
    assert await system_balance(services, "platform") == 500
    entry = await services.db.read(lambda c: ledger.entry_by_id(c, GUILD, decision.payout.decision_entry_id))
    assert (entry["kind"], entry["money_minor"], entry["currency"]) == ("cashout", 528, "USD")
    actions = [r["action"] for r in await services.db.read(lambda c: action_log.recent(c, GUILD))]
    assert actions[:2] == ["payout.approve", "payout.request"]
    await assert_clean(services)


async def test_rejection_returns_the_diamonds_and_tells_the_creator(services, creator):
    notifier = RecordingNotifier()
    services.payouts.notifier = notifier
    payout = await services.payouts.request(GUILD, creator, 1500, key())
    assert await wallet(services, creator) == (0, 500)

    decision = await services.payouts.reject(GUILD, MOD, payout.id, "bank details missing")

    assert decision.payout.status == "rejected"
    assert decision.payout.reason == "bank details missing"
    assert decision.payout.money is None
    assert await services.payouts.tell_creator(decision.payout)
    assert notifier.sent[0].status == "rejected"
    assert await wallet(services, creator) == (0, 2000)
    assert await system_balance(services, "pending_payout") == 0
    await assert_clean(services)


async def test_concurrent_approve_and_reject_exactly_one_wins(services, creator):
    payout = await services.payouts.request(GUILD, creator, 2000, key())

    results = await asyncio.gather(
        services.payouts.approve(GUILD, MOD, payout.id),
        services.payouts.reject(GUILD, MOD2, payout.id, "duplicate"),
        return_exceptions=True,
    )

    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1
    assert isinstance(losses[0], Conflict)
    assert f"#{payout.id} was already {wins[0].payout.status}" in losses[0].message
    final = await services.payouts.get(GUILD, payout.id)
    assert final.status == wins[0].payout.status
    if final.status == "approved":
        assert await wallet(services, creator) == (0, 0)
        assert await system_balance(services, "paid_out") == 1000
    else:
        assert await wallet(services, creator) == (0, 2000)
        assert await system_balance(services, "paid_out") == 0
    assert await system_balance(services, "pending_payout") == 0
    await assert_clean(services)


async def test_two_moderators_approving_at_once_pay_once(services, creator):
    payout = await services.payouts.request(GUILD, creator, 1000, key())

    results = await asyncio.gather(
        *(services.payouts.approve(GUILD, mod, payout.id) for mod in (MOD, MOD2, MOD, MOD2)),
        return_exceptions=True,
    )

    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    assert await system_balance(services, "paid_out") == 500
    assert await system_balance(services, "platform") == 500
    entries = await services.db.read(
        lambda c: c.execute("SELECT COUNT(*) FROM journal_entries WHERE kind = 'cashout'").fetchone()[0]
    )
    assert entries == 1
    await assert_clean(services)


async def test_deciding_twice_is_refused_clearly(services, creator):
    payout = await services.payouts.request(GUILD, creator, 1000, key())
    await services.payouts.reject(GUILD, MOD, payout.id, "try later")
    with pytest.raises(Conflict, match="already rejected"):
        await services.payouts.approve(GUILD, MOD2, payout.id)
    with pytest.raises(NotFound):
        await services.payouts.approve(GUILD, MOD, 99_999)
    assert await wallet(services, creator) == (0, 2000)
    await assert_clean(services)


async def test_a_moderator_cannot_decide_their_own_cashout(services, creator):
    payout = await services.payouts.request(GUILD, creator, 1000, key())
    with pytest.raises(NotPermitted):
        await services.payouts.approve(GUILD, creator, payout.id)
    assert (await services.payouts.get(GUILD, payout.id)).status == "pending"


async def test_request_refusals_leave_balances_alone(services, creator):
    with pytest.raises(InvalidAmount, match="minimum"):
        await services.payouts.quote(GUILD, creator, 999)
    with pytest.raises(InvalidAmount, match="minimum"):
        await services.payouts.request(GUILD, creator, 999, key())
    with pytest.raises(InsufficientDiamonds):
        await services.payouts.request(GUILD, creator, 2001, key())
    with pytest.raises(InvalidAmount):
        await services.payouts.request(GUILD, creator, -5, key())
    assert await wallet(services, creator) == (0, 2000)

    first = await services.payouts.request(GUILD, creator, 1000, key())
    with pytest.raises(Conflict, match="already have a cash-out request"):
        await services.payouts.request(GUILD, creator, 1000, key())
    assert await wallet(services, creator) == (0, 1000)
    assert [p.id for p in await services.payouts.pending(GUILD)] == [first.id]
    await assert_clean(services)


async def test_concurrent_requests_reserve_once(services, creator):
    results = await asyncio.gather(
        *(services.payouts.request(GUILD, creator, 1000, key()) for _ in range(5)), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    assert await wallet(services, creator) == (0, 1000)
    await assert_clean(services)


async def test_same_request_key_twice_reserves_once(services, creator):
    same = key()
    first = await services.payouts.request(GUILD, creator, 1000, same)
    again = await services.payouts.request(GUILD, creator, 1000, same)
    assert again.id == first.id
    assert await wallet(services, creator) == (0, 1000)


async def test_fee_change_applies_to_future_cashouts_only(services, creator):
    assert await services.payouts.fee_percent(GUILD) == 50
    early = await services.payouts.request(GUILD, creator, 1000, key())

    change = await services.guild_config.set_fee(GUILD, MOD, 20)
    assert (change.before, change.after) == (50, 20)

    decided = await services.payouts.approve(GUILD, MOD, early.id)
    assert decided.payout.fee_percent == 50
    assert decided.payout.money == Money(528, "USD")  # the fee it was requested with
    later = await services.payouts.request(GUILD, creator, 1000, key())
    decided = await services.payouts.approve(GUILD, MOD, later.id)
    assert decided.payout.fee_percent == 20
    assert decided.payout.money == Money(845, "USD")  # 1000 × 74/70 × 0.8 = 845.71…
    assert await system_balance(services, "platform") == 500 + 200
    rows = await services.db.read(lambda c: action_log.recent(c, GUILD))
    assert any(r["action"] == "config.fee_percent" and r["actor_id"] == MOD for r in rows)
    await assert_clean(services)


async def test_cashout_minimum_setting(services, creator):
    assert await services.payouts.cashout_minimum(GUILD) == 1000
    await services.guild_config.set_cashout_minimum(GUILD, MOD, 1500)
    with pytest.raises(InvalidAmount, match="1,500"):
        await services.payouts.request(GUILD, creator, 1000, key())
    with pytest.raises(InvalidAmount):
        await services.guild_config.set_cashout_minimum(GUILD, MOD, 0)
    with pytest.raises(InvalidAmount):
        await services.guild_config.set_fee(GUILD, MOD, 101)
    payout = await services.payouts.request(GUILD, creator, 1500, key())
    assert payout.diamonds == 1500


@pytest.mark.parametrize("region", ["IN", "KR", "GB"])
async def test_the_cash_value_is_the_servers_whatever_region_the_creator_picks(services, creator, region):
    await services.wallets.set_region(GUILD, creator, region)
    quote = await services.payouts.quote(GUILD, creator, 1000)
    payout = await services.payouts.request(GUILD, creator, 1000, key())
    await services.wallets.set_region(GUILD, creator, "AU")  # a change right before approval counts neither
    decision = await services.payouts.approve(GUILD, MOD, payout.id)
    # 1,000 diamonds × $0.74 / 70 × (1 − 50 %), rounded down: the default region's smallest package
    assert quote.value == decision.payout.money == Money(528, "USD")
    await assert_clean(services)


async def test_a_closed_dm_does_not_undo_the_decision(services, creator):
    services.payouts.notifier = RecordingNotifier(fail=True)
    payout = await services.payouts.request(GUILD, creator, 1000, key())
    decision = await services.payouts.approve(GUILD, MOD, payout.id)
    assert decision.payout.status == "approved"
    assert not await services.payouts.tell_creator(decision.payout)
    await assert_clean(services)

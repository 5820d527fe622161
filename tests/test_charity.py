"""Charity campaigns through the real services on a real SQLite file, with the real alerts engine on a
virtual clock posting to a recording channel."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime

import pytest

from bot.alerts import AlertEngine
from bot.alerts.sim import RecordingSink, VirtualTimer
from bot.app import EXIT_FAILED, EXIT_OK, run_check
from bot.economy.charity import NeedsConfirmation
from bot.economy.kinds import allowed_accounts
from bot.errors import BudgetExceeded, CashoutsOff, Conflict, InsufficientCoins, InvalidMoment, NotFound
from storage import ledger
from storage.ledger_check import find_discrepancies
from tests.support.factories import GUILD, cashout_settings, fund, open_cashouts, wallet
from tests.support.factories import key as next_key

ANA, BEN, CARA, CREATOR, MOD, MOD2 = 101, 102, 103, 201, 500, 501
ALERTS = 777


@pytest.fixture
def settings(tmp_path):
    # Payouts to causes follow the cash-out rules: no coin shop (`none`) in a server that turned cash-outs on.
    return cashout_settings(tmp_path)


@pytest.fixture(autouse=True)
async def _cashouts_open(services):
    await open_cashouts(services)


@pytest.fixture
async def rig(services):
    timer = VirtualTimer()
    sink = RecordingSink(timer)
    services.alerts.timer = timer
    await services.alerts.start(sink)
    await services.guild_config.set_alerts_channel(GUILD, MOD, ALERTS)
    yield sink, timer
    stopping = asyncio.create_task(services.alerts.stop())
    await timer.advance(60)
    await stopping


async def donate(services, member, campaign_id, coins, *, anonymous=False, key=None):
    quote = await services.charity.quote(GUILD, member, [], campaign_id, coins, anonymous)
    return await services.charity.donate(quote, key or next_key(), confirmed=True)


async def audit(services) -> list[str]:
    return await services.db.read(lambda conn: find_discrepancies(conn, allowed_accounts()))


async def test_a_donation_is_one_spending_entry_into_the_charity_account(services, rig):
    await fund(services, ANA, 500)
    campaign = await services.charity.start(GUILD, MOD, "Food bank", 1_000, "3d", "Winter meals")

    receipt = await donate(services, ANA, campaign.id, 120)

    assert (receipt.coins, receipt.balance, receipt.campaign.raised) == (120, 380, 120)
    entry = await services.db.read(lambda conn: ledger.entry_by_id(conn, GUILD, receipt.entry_id))
    assert entry["kind"] == "donation"
    postings = await services.db.read(lambda conn: ledger.entry_postings(conn, receipt.entry_id))
    assert {(p.user_id, p.system_account, p.asset, p.amount) for p in postings} == {
        (ANA, None, "coins", -120),
        (None, "charity", "coins", 120),
    }
    assert await wallet(services, CREATOR) == (0, 0)  # never to a creator, no diamonds anywhere
    assert await audit(services) == []


async def test_the_same_click_donates_once(services, rig):
    await fund(services, ANA, 500)
    campaign = await services.charity.start(GUILD, MOD, "Shelter", 1_000, "1d")
    first = await donate(services, ANA, campaign.id, 50, key="click-1")
    again = await donate(services, ANA, campaign.id, 50, key="click-1")
    assert again.replayed and again.entry_id == first.entry_id
    assert await wallet(services, ANA) == (450, 0)
    assert (await services.charity.get(GUILD, campaign.id)).raised == 50


async def test_donations_are_counted_by_budgets_and_refused_in_block_mode(services, rig):
    await fund(services, ANA, 1_000)
    campaign = await services.charity.start(GUILD, MOD, "Shelter", 5_000, "1d")
    await services.budgets.set_limit(GUILD, ANA, "daily", 100)
    await donate(services, ANA, campaign.id, 80)
    assert (await services.budgets.snapshot(GUILD, ANA)).daily.spent == 80

    await services.budgets.set_mode(GUILD, ANA, "block")
    with pytest.raises(BudgetExceeded):
        await services.charity.quote(GUILD, ANA, [], campaign.id, 30)
    assert await wallet(services, ANA) == (920, 0)
    assert (await services.charity.get(GUILD, campaign.id)).raised == 80


async def test_a_donation_over_a_budget_in_warn_mode_or_above_the_threshold_needs_confirmation(services, rig):
    await fund(services, ANA, 5_000)
    campaign = await services.charity.start(GUILD, MOD, "Shelter", 50_000, "1d")
    big = await services.charity.quote(GUILD, ANA, [], campaign.id, 1_000)  # the gift threshold
    assert big.needs_confirmation and "1,000 coins" in big.reasons[0]
    with pytest.raises(NeedsConfirmation):
        await services.charity.donate(big, next_key())
    assert await wallet(services, ANA) == (5_000, 0)

    await services.budgets.set_limit(GUILD, ANA, "daily", 10)
    small = await services.charity.quote(GUILD, ANA, [], campaign.id, 20)
    assert small.needs_confirmation and "budget" in small.reasons[0]


async def test_refusals_leave_everything_untouched(services, rig):
    await fund(services, ANA, 30)
    campaign = await services.charity.start(GUILD, MOD, "Shelter", 1_000, "1d")
    with pytest.raises(InsufficientCoins):
        await services.charity.quote(GUILD, ANA, [], campaign.id, 31)
    with pytest.raises(NotFound):
        await services.charity.quote(GUILD, ANA, [], 424_242, 5)
    with pytest.raises(Conflict, match="already running"):
        await services.charity.start(GUILD, MOD, "shelter", 10, "1d")
    with pytest.raises(InvalidMoment):
        await services.charity.start(GUILD, MOD, "Later", 10, "next week")
    await services.charity.end(GUILD, MOD, campaign.id)
    with pytest.raises(Conflict, match="has ended"):
        await services.charity.quote(GUILD, ANA, [], campaign.id, 5)
    assert await wallet(services, ANA) == (30, 0)


async def test_ends_reads_a_local_date_and_time_in_the_moderators_zone(services, rig):
    await services.budgets.set_reminders(GUILD, MOD, "off", timezone="America/New_York")
    campaign = await services.charity.start(GUILD, MOD, "Gifts for kids", 500, "2026-12-24 18:00")
    assert campaign.ends_at == datetime(2026, 12, 24, 23, 0, tzinfo=UTC)


async def test_the_progress_board_is_one_message_edited_within_the_rate_limit(services, rig):
    sink, timer = rig
    campaign = await services.charity.start(GUILD, MOD, "Food bank", 10_000, "3d")
    await timer.advance(1)
    [board] = sink.sent(ALERTS)
    assert "Food bank" in board.text and "🪙 **0** of 10,000" in board.text
    for member in range(1_000, 1_030):  # a burst of donations from thirty members
        await fund(services, member, 100)
        await donate(services, member, campaign.id, 10)
        await timer.advance(0.1)
    await timer.advance(30)

    assert len(sink.sent(ALERTS)) == 1  # edited in place, never re-posted
    assert "🪙 **300** of 10,000" in board.text and "30 donors" in board.text
    assert sink.max_in_window(ALERTS, 5.0) <= 5
    assert len(board.versions) < 30  # waiting updates were merged into single edits


async def test_anonymous_donors_are_counted_but_never_named_in_public(services, rig):
    sink, timer = rig
    await fund(services, ANA, 500)
    await fund(services, BEN, 500)
    campaign = await services.charity.start(GUILD, MOD, "Food bank", 1_000, "3d")
    await donate(services, ANA, campaign.id, 300, anonymous=True)
    await donate(services, BEN, campaign.id, 100)
    await timer.advance(10)
    [listed] = await services.charity.running(GUILD)
    assert listed.donors == 2 and listed.named_donors == ((BEN, 100),)
    await services.charity.end(GUILD, MOD, campaign.id)
    await timer.advance(10)

    public = [text for message in sink.sent(ALERTS) for _, text in message.versions]
    assert len(sink.sent(ALERTS)) == 2  # the board and the end summary
    assert all(str(ANA) not in text for text in public)
    assert any(f"<@{BEN}>" in text for text in public)
    assert "2 donors" in sink.sent(ALERTS)[-1].text and "🪙 **400**" in sink.sent(ALERTS)[-1].text
    assert all(message.mention_ids == () for message in sink.sent(ALERTS))  # nobody is pinged


async def test_the_end_posts_a_summary_and_a_payout_request_approved_like_a_cash_out(services, rig):
    sink, timer = rig
    await fund(services, ANA, 1_000)
    await fund(services, BEN, 1_000)
    campaign = await services.charity.start(GUILD, MOD, "Food bank", 1_000, "3d")
    await donate(services, ANA, campaign.id, 700, anonymous=True)
    await donate(services, BEN, campaign.id, 350)

    ended = await services.charity.end(GUILD, MOD, campaign.id)
    assert ended.payout is not None and ended.payout.status == "pending" and ended.payout.coins == 1_050
    assert ended.value_text() == "$11.10"  # 1,050 coins at 74 cents per 70, rounded down
    await timer.advance(10)
    assert "has ended" in sink.sent(ALERTS)[-1].text and "goal was reached" in sink.sent(ALERTS)[-1].text
    with pytest.raises(Conflict, match="already ended"):
        await services.charity.end(GUILD, MOD, campaign.id)
    assert [p.campaign_id for p in await services.charity.pending_payouts(GUILD)] == [campaign.id]

    statement = await services.charity.statement(GUILD, campaign.id)
    table = list(csv.reader(io.StringIO(statement.csv.decode())))
    assert table[0] == ["entry", "time", "donor", "coins", "value", "currency", "status"]
    assert [row[2:4] for row in table[1:3]] == [[f"user:{ANA} (anonymous)", "700"], [f"user:{BEN}", "350"]]
    assert table[-1][0] == "total" and table[-1][3] == "1050" and table[-1][5] == "USD"

    payout = await services.charity.approve(GUILD, MOD2, campaign.id)
    assert payout.status == "approved" and payout.money_text() == "$11.10"
    entry = await services.db.read(
        lambda conn: conn.execute("SELECT * FROM journal_entries WHERE kind = 'charity_payout'").fetchone()
    )
    assert (entry["money_minor"], entry["currency"]) == (1110, "USD")
    postings = await services.db.read(lambda conn: ledger.entry_postings(conn, entry["id"]))
    assert {(p.system_account, p.amount) for p in postings} == {("charity", -1_050), ("charity_paid", 1_050)}
    with pytest.raises(Conflict, match="already approved"):
        await services.charity.reject(GUILD, MOD, campaign.id, "changed my mind")
    assert await audit(services) == []


async def test_a_rejected_payout_keeps_the_coins_in_the_charity_account(services, rig):
    await fund(services, ANA, 100)
    campaign = await services.charity.start(GUILD, MOD, "Unclear cause", 1_000, "3d")
    with pytest.raises(Conflict, match="still running"):
        await services.charity.approve(GUILD, MOD, campaign.id)
    await donate(services, ANA, campaign.id, 60)
    await services.charity.end(GUILD, MOD, campaign.id)
    payout = await services.charity.reject(GUILD, MOD, campaign.id, "the cause could not be verified")
    assert payout.status == "rejected" and payout.reason == "the cause could not be verified"
    held = await services.db.read(
        lambda conn: conn.execute(
            "SELECT SUM(amount) FROM postings WHERE system_account = 'charity'"
        ).fetchone()[0]
    )
    assert held == 60


async def test_the_scheduler_ends_campaigns_whose_time_has_come(services, clock, rig):
    sink, timer = rig
    await fund(services, ANA, 100)
    campaign = await services.charity.start(GUILD, MOD, "Weekend drive", 500, "2d")
    await donate(services, ANA, campaign.id, 40)
    assert await services.charity.end_due() == []
    clock.advance(days=2)
    [ended] = await services.charity.end_due()
    assert ended.campaign.id == campaign.id and not ended.campaign.running
    assert await services.charity.running(GUILD) == []
    await timer.advance(10)
    assert "has ended" in sink.sent(ALERTS)[-1].text


async def test_bot_check_compares_each_campaign_total_with_its_donations(services, rig, settings):
    await fund(services, ANA, 500)
    campaign = await services.charity.start(GUILD, MOD, "Food bank", 1_000, "3d")
    first = await donate(services, ANA, campaign.id, 100)
    await donate(services, ANA, campaign.id, 50)
    await services.corrections.reverse(GUILD, MOD, first.entry_id, "donated by mistake", "undo-1")
    assert (await services.charity.get(GUILD, campaign.id)).raised == 50
    assert await wallet(services, ANA) == (450, 0)
    assert run_check(settings.database_path) == EXIT_OK

    await services.db.write(
        lambda conn: conn.execute(
            "UPDATE charity_campaigns SET raised = raised + 7 WHERE id = ?", (campaign.id,)
        )
    )
    problems = await audit(services)
    assert any(f"charity campaign {campaign.id}: total 57" in p for p in problems)
    assert run_check(settings.database_path) == EXIT_FAILED


async def test_no_platform_fee_unless_the_server_sets_one(services, rig):
    await fund(services, ANA, 2_000)
    campaign = await services.charity.start(GUILD, MOD, "Food bank", 5_000, "3d")
    await donate(services, ANA, campaign.id, 1_000)
    change = await services.guild_config.set_charity_fee(GUILD, MOD, 10)
    assert (change.before, change.after) == (0, 10)
    ended = await services.charity.end(GUILD, MOD, campaign.id)
    assert ended.payout is not None and ended.payout.fee_percent == 10

    payout = await services.charity.approve(GUILD, MOD2, campaign.id)

    assert payout.money_text() == "$9.51"  # 1,000 coins at 74/70 cents, less 10 %, rounded down
    entry = await services.db.read(
        lambda conn: conn.execute("SELECT id FROM journal_entries WHERE kind = 'charity_payout'").fetchone()
    )
    postings = await services.db.read(lambda conn: ledger.entry_postings(conn, entry["id"]))
    assert {(p.system_account, p.amount) for p in postings} == {
        ("charity", -1_000),
        ("charity_paid", 900),
        ("platform", 100),
    }
    assert await audit(services) == []


async def saved_board_id(services, campaign_id: int, expected: int) -> bool:
    """Whether the campaign remembers `expected` as its board (saved by a write of its own, soon)."""
    for _ in range(200):
        if (await services.charity.get(GUILD, campaign_id)).board_message_id == expected:
            return True
        await asyncio.sleep(0.01)
    return False


async def test_after_a_restart_the_same_progress_message_is_edited(services, rig):
    sink, timer = rig
    await fund(services, ANA, 500)
    campaign = await services.charity.start(GUILD, MOD, "Food bank", 1_000, "3d")
    await donate(services, ANA, campaign.id, 100)
    await timer.advance(10)
    [board] = sink.sent(ALERTS)
    assert await saved_board_id(services, campaign.id, board.id)

    stopping = asyncio.create_task(services.alerts.stop())  # the bot stops; a new process starts
    await timer.advance(20)
    await stopping
    restarted = AlertEngine(timer=timer)
    await restarted.start(sink)
    services.charity.alerts = restarted
    await donate(services, ANA, campaign.id, 50)
    await timer.advance(10)
    assert sink.sent(ALERTS) == [board] and "🪙 **150** of 1,000" in board.text

    sink.deleted_messages.add(board.id)  # a moderator deleted it: the next donation posts it again
    await donate(services, ANA, campaign.id, 25)
    await timer.advance(10)
    assert len(sink.sent(ALERTS)) == 2 and "🪙 **175**" in sink.sent(ALERTS)[-1].text
    assert await saved_board_id(services, campaign.id, sink.sent(ALERTS)[-1].id)
    stopping = asyncio.create_task(restarted.stop())
    await timer.advance(20)
    await stopping


async def test_coins_nobody_paid_for_are_not_paid_out_to_a_cause(services, rig):
    from storage import guilds

    await fund(services, ANA, 500)  # granted coins: this server sells none
    campaign = await services.charity.start(GUILD, MOD, "Food bank", 1_000, "3d")
    await donate(services, ANA, campaign.id, 200)
    await services.charity.end(GUILD, MOD, campaign.id)
    await services.db.write(lambda conn: guilds.set_setting(conn, GUILD, "cashouts_enabled", 0))

    with pytest.raises(CashoutsOff, match="given away, not bought"):
        await services.charity.approve(GUILD, MOD2, campaign.id)
    assert [p.status for p in await services.charity.pending_payouts(GUILD)] == ["pending"]
    assert await audit(services) == []

"""Once money moved, the member is told so, whatever Discord answers; the generic reply to an unexpected
failure never claims that nothing was charged; DMs and channel posts wait for the reply to the person
who acted. Through the real command tree, with the fake webhook failing like Discord does."""

from __future__ import annotations

import logging
import sys

import pytest

from simulator.discord_payloads import Member, moderator
from tests.support.channels import FakeChannels
from tests.support.factories import (
    GUILD,
    entry_count,
    fund,
    gift,
    wallet,
)
from tests.support.replies import assert_apology

ANA = Member(101, "ana")
CLEO = Member(201, "cleo")
MOD = moderator(500)
SERVER_ERROR, EXPIRED_TOKEN = 503, 404


@pytest.fixture
async def cleo(driver):
    driver.add_resolved_member(CLEO)
    await driver.slash("creator register", CLEO)
    return CLEO


def seen_by(driver, member_text: str) -> list[str]:
    return [r.text for r in driver.adapter.replies if member_text in r.text]


def no_false_claims(driver) -> None:
    for reply in driver.adapter.replies:
        assert "Nothing was charged" not in reply.text
        assert "went wrong" not in reply.text, reply.text


@pytest.mark.parametrize("status", [SERVER_ERROR, EXPIRED_TOKEN])
async def test_a_purchase_whose_reply_fails_still_shows_its_receipt(driver, services, status):
    prompt = await driver.slash("coins buy", ANA, package=350)
    driver.adapter.fail_next_replies(status)

    replies = await driver.click(prompt, "Get test coins", ANA)

    assert driver.adapter.failed == [status]
    [receipt] = [r for r in replies if "Test coins added" in r.text]
    assert receipt.kind == "followup" and receipt.ephemeral and "350 coins" in receipt.text
    assert await wallet(services, ANA.user_id) == (350, 0)
    assert await entry_count(services) == 1
    no_false_claims(driver)


async def test_the_payment_runs_only_after_the_click_was_acknowledged(driver, services, monkeypatch):
    acknowledged_before_paying = []
    real_purchase = services.purchases.purchase

    async def purchase(*args, **kwargs):
        acknowledged_before_paying.append(driver.adapter.replies[-1].kind == "deferred")
        return await real_purchase(*args, **kwargs)

    monkeypatch.setattr(services.purchases, "purchase", purchase)
    prompt = await driver.slash("coins buy", ANA, package=70)
    await driver.click(prompt, "Get test coins", ANA)

    assert acknowledged_before_paying == [True]
    assert await wallet(services, ANA.user_id) == (70, 0)


@pytest.mark.parametrize("status", [SERVER_ERROR, EXPIRED_TOKEN])
async def test_a_gift_whose_reply_fails_still_shows_its_receipt(driver, services, cleo, status):
    await fund(services, ANA.user_id, 100)
    driver.adapter.fail_next_replies(status)

    reply = await driver.slash("gift send", ANA, gift="Doughnut", creator=CLEO.user_id)

    assert driver.adapter.failed == [status]
    assert reply.kind == "followup" and reply.ephemeral and "Gift sent" in reply.text
    assert await wallet(services, ANA.user_id) == (70, 0)
    no_false_claims(driver)


async def test_a_grant_whose_reply_fails_still_shows_the_moderator_the_entry(driver, services):
    driver.add_resolved_member(ANA)
    driver.adapter.fail_next_replies(SERVER_ERROR)

    reply = await driver.slash_with(
        "coins grant", MOD, {"member": ANA.user_id, "coins": 50, "reason": "prize"}
    )

    assert reply.kind == "followup" and "Granted **50 coins**" in reply.text
    assert await wallet(services, ANA.user_id) == (50, 0)
    no_false_claims(driver)


async def test_a_receipt_that_cannot_be_delivered_at_all_is_logged_and_nothing_claims_otherwise(
    driver, services, caplog
):
    prompt = await driver.slash("coins buy", ANA, package=350)
    driver.adapter.fail_next_replies(SERVER_ERROR, SERVER_ERROR)

    with (
        caplog.at_level(logging.WARNING, logger="cogs.receipts"),
        pytest.raises(AssertionError, match="never answered"),
    ):
        await driver.click(prompt, "Get test coins", ANA)

    assert "was not delivered: Test coins added: 350 coins (free, not charged), receipt #" in caplog.text
    assert await wallet(services, ANA.user_id) == (350, 0)
    no_false_claims(driver)
    again = await driver.click(
        prompt, "Get test coins", ANA
    )  # the member tries again: the same purchase is found
    assert "Test coins added" in again[-1].text
    assert await wallet(services, ANA.user_id) == (350, 0)
    assert await entry_count(services) == 1


async def test_a_receipt_that_fails_to_render_falls_back_to_a_plain_one(
    driver, services, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("rendering bug")

    monkeypatch.setattr(sys.modules["cogs.coins"], "render_receipt", broken)  # the module the bot loaded
    prompt = await driver.slash("coins buy", ANA, package=70)

    with caplog.at_level(logging.ERROR, logger="cogs.receipts"):
        [receipt] = await driver.click(prompt, "Get test coins", ANA)

    assert receipt.content.startswith("Test coins added: 70 coins (free, not charged), receipt #")
    reference = receipt.content.rsplit("`", 2)[-2]
    assert reference in caplog.text
    assert await wallet(services, ANA.user_id) == (70, 0)
    no_false_claims(driver)


async def test_the_generic_reply_claims_nothing_points_to_history_and_its_reference_is_logged(
    driver, services, monkeypatch, caplog
):
    async def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(services.wallets, "balance", broken)

    with caplog.at_level(logging.ERROR, logger="bot.tree"):
        reply = await driver.slash("wallet balance", ANA)

    assert reply.ephemeral
    reference = assert_apology(reply.content)
    [line] = [r for r in caplog.records if r.name == "bot.tree"]
    assert reference in line.getMessage() and "wallet balance" in line.getMessage()


class OrderRecordingNotifier:
    """Records what the moderator had been shown when the creator's DM went out."""

    def __init__(self, driver, told: bool = True) -> None:
        self.driver = driver
        self.told = told
        self.replies_before_dm: list[str] = []

    async def payout_decided(self, payout) -> bool:
        self.replies_before_dm = [r.text for r in self.driver.adapter.replies]
        return self.told


@pytest.mark.cashouts  # a server without a coin shop that allows cash-outs
class TestPayoutDecisions:
    @pytest.mark.parametrize("decision", ["approve", "reject"])
    async def test_the_moderator_is_answered_before_the_creator_is_dmed(self, driver, services, decision):
        await gift(services, ANA.user_id, CLEO.user_id, "Galaxy", 2)
        payout = await services.payouts.request(GUILD, CLEO.user_id, 1000, "cash-1")
        notifier = OrderRecordingNotifier(driver)
        services.payouts.notifier = notifier
        options = {"payout": payout.id} | ({"reason": "paperwork"} if decision == "reject" else {})

        reply = await driver.slash_with(f"payouts {decision}", MOD, options)

        assert f"cash-out `#{payout.id}`" in reply.text
        assert any(f"cash-out `#{payout.id}`" in text for text in notifier.replies_before_dm)

    async def test_a_failed_dm_is_reported_to_the_moderator_after_the_answer(self, driver, services):
        await gift(services, ANA.user_id, CLEO.user_id, "Galaxy", 2)
        payout = await services.payouts.request(GUILD, CLEO.user_id, 1000, "cash-2")
        services.payouts.notifier = OrderRecordingNotifier(driver, told=False)

        reply = await driver.slash("payouts approve", MOD, payout=payout.id)
        await driver.settle()

        assert f"Approved cash-out `#{payout.id}`" in reply.text
        [note] = [r for r in driver.adapter.replies if "could not DM" in r.text]
        assert note.kind == "followup" and note.ephemeral


async def test_the_live_summary_is_posted_after_the_creator_is_answered(driver, bot, cleo):
    channels = FakeChannels(bot)
    alerts = channels.add_text_channel(name="alerts")
    driver.add_resolved_channel(alerts.id, "alerts")
    await driver.slash("config alerts-channel", MOD, channel=alerts.id)
    await driver.slash("live start", CLEO)
    answered_when_posting = []
    real_request = bot.http.request

    async def request(route, **kwargs):
        answered_when_posting.append(any("stream has ended" in r.text for r in driver.adapter.replies))
        return await real_request(route, **kwargs)

    bot.http.request = request
    ended = await driver.slash("live end", CLEO)
    await driver.settle()

    assert "Your stream has ended" in ended.text
    assert answered_when_posting == [True]
    assert channels.requests and "ended" in channels.requests[-1].payload["embeds"][0]["title"]

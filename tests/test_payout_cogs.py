"""Earnings, cash-out, payouts, corrections, audit log and statements through the real command tree."""

from __future__ import annotations

import asyncio
import csv
import io
import logging

import discord
import pytest

from bot.charts import PNG_MAGIC
from cogs.payouts import DiscordPayoutNotifier
from simulator.discord_payloads import Member, moderator
from tests.support.discord_fakes import Reply
from tests.support.factories import (
    GUILD,
    assert_clean,
    gift,
    grant,
    system_balance,
    wallet,
)

pytestmark = pytest.mark.cashouts  # a server without a coin shop that allows cash-outs


ANA = Member(101, "ana")
CARA = Member(102, "cara")  # a creator
MOD = moderator(202, "mo")
MOD2 = moderator(203, "max")
REFUSED = "Only moderators (Manage Server permission) can do that."


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent = []

    async def payout_decided(self, payout):
        self.sent.append(payout)
        return True


@pytest.fixture
def notifier(services, bot):  # after the cogs were loaded (cogs.payouts installs the Discord notifier)
    recording = RecordingNotifier()
    services.payouts.notifier = recording
    return recording


async def wait_for_reply(driver, predicate, timeout: float = 10.0) -> Reply:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        for reply in driver.adapter.replies:
            if predicate(reply):
                return reply
        if loop.time() > deadline:
            raise AssertionError("the expected reply never came")
        await asyncio.sleep(0.01)


async def test_every_moderator_command_is_refused_for_a_plain_member(driver, services):
    entry = await grant(services, ANA.user_id, 50)
    driver.add_resolved_member(ANA)
    attempts = [
        ("payouts pending", {}),
        ("payouts approve", {"payout": 1}),
        ("payouts reject", {"payout": 1, "reason": "no"}),
        ("ledger reverse", {"entry": entry, "reason": "mine"}),
        ("audit log", {}),
        ("coins grant", {"member": ANA.user_id, "coins": 1000, "reason": "for me"}),
        ("config fee", {"percent": 0}),
        ("config cashout-minimum", {"diamonds": 1}),
    ]
    for path, options in attempts:
        reply = await driver.slash_with(path, ANA, options)
        assert reply.ephemeral, path
        assert reply.text == REFUSED, path
    assert await wallet(services, ANA.user_id) == (50, 0)
    assert await services.payouts.fee_percent(GUILD) == 50
    assert await services.payouts.cashout_minimum(GUILD) == 1000
    assert (
        await services.db.read(
            lambda c: c.execute("SELECT COUNT(*) FROM journal_entries WHERE kind = 'reversal'").fetchone()[0]
        )
        == 0
    )
    # the groups also ask Discord to hide them from members without Manage Server
    for name in ("payouts", "ledger", "audit", "config"):
        assert driver.bot.tree.get_command(name).default_permissions == discord.Permissions(manage_guild=True)
    assert driver.bot.tree.get_command("coins").get_command("grant").checks
    await assert_clean(services)


async def test_earnings_empty_state_has_no_chart(driver):
    reply = await driver.slash("creator earnings", CARA)
    assert reply.ephemeral
    assert "No gifts yet" in reply.text
    assert reply.files == []
    assert not any(e.get("image") for e in reply.embeds)


async def test_earnings_with_chart(driver, services):
    await gift(services, ANA.user_id, CARA.user_id, "Galaxy", 2)
    await gift(services, 105, CARA.user_id, "Rose", 7)

    first = await driver.slash("creator earnings", CARA)
    assert first.ephemeral  # deferred while the chart renders in a thread
    reply = await wait_for_reply(driver, lambda r: "earnings.png" in r.files)

    assert reply.ephemeral
    assert "💎 2,007" in reply.text
    assert "$10.60" in reply.text  # 2007 × 74/70 × 0.5 = 1060.84… cents
    assert f"1. <@{ANA.user_id}> — 💎 2,000" in reply.text
    assert "2. <@105> — 💎 7" in reply.text
    assert reply.embeds[0]["image"]["url"] == "attachment://earnings.png"
    assert reply.file_data["earnings.png"].startswith(PNG_MAGIC)


async def test_cashout_confirm_then_moderator_approves(driver, services, notifier):
    await gift(services, ANA.user_id, CARA.user_id, "Galaxy", 2)

    prompt = await driver.slash("creator cashout", CARA, diamonds=1000)
    assert prompt.ephemeral and "$5.28" in prompt.text
    assert await wallet(services, CARA.user_id) == (0, 2000)  # nothing reserved before confirming
    clicked = await driver.click(prompt, "Cash out", CARA)
    assert "Cash-out requested" in clicked[0].text
    again = await driver.slash("creator cashout", CARA, diamonds=1000)  # one pending request at a time
    assert again.ephemeral and "already have a cash-out request" in again.text
    assert await wallet(services, CARA.user_id) == (0, 1000)
    assert await system_balance(services, "pending_payout") == 1000

    listed = await driver.slash("payouts pending", MOD)
    assert listed.ephemeral and f"<@{CARA.user_id}>" in listed.text and "1,000" in listed.text
    payout = (await services.payouts.pending(GUILD))[0]
    choices = await driver.autocomplete("payouts approve", MOD, "payout", payout="")
    assert [c["value"] for c in choices] == [payout.id]

    approved = await driver.slash("payouts approve", MOD, payout=payout.id)
    assert approved.ephemeral
    assert f"Approved cash-out `#{payout.id}`" in approved.text and "$5.28" in approved.text
    assert "telling them by DM" in approved.text
    assert [p.status for p in notifier.sent] == ["approved"]
    assert await system_balance(services, "paid_out") == 500

    late = await driver.slash("payouts reject", MOD2, payout=payout.id, reason="too late")
    assert late.ephemeral and "already approved" in late.text
    assert await wallet(services, CARA.user_id) == (0, 1000)
    assert "No cash-out requests are waiting" in (await driver.slash("payouts pending", MOD)).text
    await assert_clean(services)


async def test_cashout_below_minimum_is_refused(driver, services):
    await gift(services, ANA.user_id, CARA.user_id, "Corgi", 1)
    reply = await driver.slash("creator cashout", CARA, diamonds=299)
    assert reply.ephemeral and "minimum cash-out in this server is 1,000" in reply.text
    assert reply.components == []


async def test_two_moderators_at_once_one_wins_the_other_is_told(driver, services, notifier):
    await gift(services, ANA.user_id, CARA.user_id, "Galaxy", 1)
    payout = await services.payouts.request(GUILD, CARA.user_id, 1000, "k1")

    replies = await asyncio.gather(
        driver.slash("payouts approve", MOD, payout=payout.id),
        driver.slash("payouts reject", MOD2, payout=payout.id, reason="not eligible"),
    )

    texts = [r.text for r in replies]
    assert sum(t.startswith(("Approved", "Rejected")) for t in texts) == 1
    assert sum("was already" in t for t in texts) == 1
    assert len(notifier.sent) == 1
    final = await services.payouts.get(GUILD, payout.id)
    expected = (0, 0) if final.status == "approved" else (0, 1000)
    assert await wallet(services, CARA.user_id) == expected
    await assert_clean(services)


async def test_grant_reverse_and_audit_log(driver, services):
    driver.add_resolved_member(ANA)
    granted = await driver.slash_with(
        "coins grant", MOD, {"member": ANA.user_id, "coins": 1000, "reason": "giveaway"}
    )
    assert granted.ephemeral and "Granted **1,000 coins**" in granted.text
    assert await wallet(services, ANA.user_id) == (1000, 0)

    sent = await gift(services, ANA.user_id, CARA.user_id, "Hand Hearts", 3, funded=False)
    choices = await driver.autocomplete("ledger reverse", MOD, "entry", entry=str(sent), reason="x")
    assert choices and choices[0]["value"] == sent

    reversed_ = await driver.slash("ledger reverse", MOD, entry=sent, reason="wrong creator")
    assert reversed_.ephemeral and f"Entry `#{sent}` (gift) is reversed" in reversed_.text
    assert await wallet(services, ANA.user_id) == (1000, 0)
    assert await wallet(services, CARA.user_id) == (0, 0)

    twice = await driver.slash("ledger reverse", MOD, entry=sent, reason="again")
    assert twice.ephemeral and "already reversed" in twice.text
    unknown = await driver.slash("ledger reverse", MOD, entry=987654, reason="typo")
    assert "no entry #987654" in unknown.text

    log = await driver.slash("audit log", MOD)
    assert log.ephemeral
    assert "granted coins" in log.text and "reversed an entry" in log.text
    assert "“giveaway”" in log.text and "“wrong creator”" in log.text
    assert f"<@{MOD.user_id}>" in log.text
    about_ana = await driver.slash_with("audit log", MOD, {"member": ANA.user_id})
    assert "granted coins" in about_ana.text and "reversed an entry" not in about_ana.text
    await assert_clean(services)


async def test_reverse_refused_after_cashout_through_the_tree(driver, services):
    sent = await gift(services, ANA.user_id, CARA.user_id, "Galaxy", 1)
    payout = await services.payouts.request(GUILD, CARA.user_id, 1000, "k2")
    await services.payouts.approve(GUILD, MOD.user_id, payout.id)
    reply = await driver.slash("ledger reverse", MOD, entry=sent, reason="chargeback")
    assert reply.ephemeral and "negative diamonds balance" in reply.text
    assert await wallet(services, ANA.user_id) == (0, 0)
    await assert_clean(services)


async def test_config_fee_and_minimum(driver, services):
    fee = await driver.slash("config fee", MOD, percent=30)
    assert fee.ephemeral and "**30 %** (was 50 %)" in fee.text
    minimum = await driver.slash("config cashout-minimum", MOD, diamonds=500)
    assert "💎 500" in minimum.text
    assert await services.payouts.fee_percent(GUILD) == 30
    await gift(services, ANA.user_id, CARA.user_id, "Galaxy", 1)
    prompt = await driver.slash("creator cashout", CARA, diamonds=500)
    assert "$3.70" in prompt.text  # 500 × 74/70 × 0.7 = 370 cents
    log = await driver.slash("audit log", MOD)
    assert "fee_percent" in log.text and "50 → 30" in log.text


async def test_wallet_export_is_a_csv_of_the_ledger(driver, services, clock):
    await services.corrections.grant(GUILD, MOD.user_id, ANA.user_id, 1000, "=cmd|' /C calc'!A0", "g1")
    await gift(services, ANA.user_id, CARA.user_id, "Galaxy", 1, funded=False)

    reply = await driver.slash_answer("wallet export", ANA)

    assert reply.ephemeral and reply.files == ["livegifts-statement-all.csv"]
    rows = list(csv.DictReader(io.StringIO(reply.file_data[reply.files[0]].decode("utf-8"), newline="")))
    assert [(r["kind"], r["coins"]) for r in rows] == [("coins granted", "1000"), ("gift sent", "-1000")]
    assert rows[0]["note"] == "'=cmd|' /C calc'!A0"
    assert rows[1]["gift"] == "Galaxy" and rows[1]["counterparty"] == f"user:{CARA.user_id}"
    creator = await driver.slash_answer("wallet export", CARA, month="2026-11")
    creator_rows = list(csv.DictReader(io.StringIO(creator.file_data[creator.files[0]].decode(), newline="")))
    assert [(r["kind"], r["diamonds"]) for r in creator_rows] == [("gift received", "1000")]
    clock.advance(minutes=1)  # past the export cooldown
    bad = await driver.slash_answer("wallet export", ANA, month="November")
    assert bad.ephemeral and "YYYY-MM" in bad.text


class _Member:
    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.sent = []

    async def send(self, **kwargs):
        if self.error:
            raise self.error
        self.sent.append(kwargs)


class _FakeBot:
    def __init__(self, user) -> None:
        self.user = user

    def get_guild(self, guild_id):
        return None

    def get_user(self, user_id):
        return self.user


class _Response:
    status = 403
    reason = "Forbidden"


async def test_discord_notifier_dms_and_survives_closed_dms(services, caplog):
    await gift(services, ANA.user_id, CARA.user_id, "Galaxy", 2)
    first = await services.payouts.request(GUILD, CARA.user_id, 1000, "n1")
    open_dms = _Member(None)
    services.payouts.notifier = DiscordPayoutNotifier(_FakeBot(open_dms))
    decision = await services.payouts.approve(GUILD, MOD.user_id, first.id)
    assert await services.payouts.tell_creator(decision.payout)
    assert "$5.28" in open_dms.sent[0]["embed"].description

    second = await services.payouts.request(GUILD, CARA.user_id, 1000, "n2")
    closed = _Member(
        discord.Forbidden(_Response(), {"code": 50007, "message": "Cannot send messages to this user"})
    )
    services.payouts.notifier = DiscordPayoutNotifier(_FakeBot(closed))
    with caplog.at_level(logging.INFO, logger="cogs.payouts"):
        decision = await services.payouts.reject(GUILD, MOD.user_id, second.id, "paperwork")
        told = await services.payouts.tell_creator(decision.payout)
    assert decision.payout.status == "rejected" and not told
    assert "closed DMs" in caplog.text
    assert await wallet(services, CARA.user_id) == (0, 1000)
    await assert_clean(services)

"""/creator subscription, /subscribe, /subscriptions and /unsubscribe through the real command tree, with
the guild's members and roles answered over REST by the unit fake (tests/support/channels.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from simulator.discord_payloads import Member, moderator
from tests.support.channels import FakeChannels
from tests.support.factories import GUILD, fund, ledger_problems, wallet
from tests.support.fast_timer import ScaledTimer

ANA = Member(101, "ana")
CLEO = Member(201, "cleo")
MOD = moderator(500)
BOT_ROLE = 990_000_000_000_000_100
FANS = 990_000_000_000_000_001
HIGH = 990_000_000_000_000_002


@pytest.fixture
async def guild(driver, services, bot, clock):
    clock.now = datetime(2026, 1, 31, 15, 0, tzinfo=UTC)
    services.alerts.timer = ScaledTimer(50)
    channels = FakeChannels(bot)
    channels.give_bot_role(BOT_ROLE, position=10)
    channels.add_role(FANS, "fans", position=2)
    for member in (ANA, CLEO):
        channels.add_member(member.user_id)
        driver.add_resolved_member(member)
    alerts = channels.add_text_channel(name="alerts")
    driver.add_resolved_channel(alerts.id, "alerts")
    await driver.slash("config alerts-channel", MOD, channel=alerts.id)
    await driver.slash("creator register", CLEO)
    await driver.slash("budget reminders", ANA, enabled="off", timezone="America/New_York")
    return channels, alerts


def resolve_role(driver, role_id: int, name: str, position: int) -> None:
    driver._resolved["roles"][str(role_id)] = {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "hoist": False,
        "position": position,
        "permissions": "0",
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


async def until(condition, timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


async def offer(driver, coins: int = 300) -> None:
    resolve_role(driver, FANS, "fans", 2)
    reply = await driver.slash("creator subscription set", CLEO, coins=coins, role=FANS)
    assert reply.ephemeral and f"🪙 {coins:,} a month" in reply.text, reply.text


async def test_a_role_above_the_bots_highest_is_refused_with_how_to_fix_it(driver, services, guild):
    resolve_role(driver, HIGH, "vips", 20)
    reply = await driver.slash("creator subscription set", CLEO, coins=300, role=HIGH)
    assert (
        reply.ephemeral and "below my highest role" in reply.text and "Server Settings → Roles" in reply.text
    )
    assert await services.subscriptions.plan(GUILD, CLEO.user_id) is None

    resolve_role(driver, GUILD, "@everyone", 0)
    reply = await driver.slash("creator subscription set", CLEO, coins=300, role=GUILD)
    assert "not @everyone" in reply.text


async def test_subscribing_confirms_the_price_then_charges_and_gives_the_role(driver, services, guild):
    channels, alerts = guild
    await offer(driver)
    await fund(services, ANA.user_id, 1_000)

    prompt = await driver.slash("subscribe", ANA, creator=CLEO.user_id)
    assert prompt.ephemeral and "🪙 300 a month** (≈ $3.17)" in prompt.text
    assert "Sat 28 Feb 2026, 10:00 (America/New_York)" in prompt.text
    assert await wallet(services, ANA.user_id) == (1_000, 0)

    [done] = await driver.click(prompt, "Subscribe", ANA)
    assert (
        "You subscribed to" in done.text
        and f"<@&{FANS}>" in done.text
        and "You have 🪙 700 left" in done.text
    )
    assert channels.member_roles[ANA.user_id] == [FANS]
    await driver.click(prompt, "Subscribe", ANA)  # a double click subscribes once
    assert await wallet(services, ANA.user_id) == (700, 0)
    await until(lambda: any("just subscribed" in m.content for m in channels.posted(alerts.id)))

    mine = await driver.slash("subscriptions", ANA)
    assert mine.ephemeral and "renews Sat 28 Feb 2026, 10:00 (America/New_York)" in mine.text

    stopped = await driver.slash("unsubscribe", ANA, creator=CLEO.user_id)
    assert stopped.ephemeral and "will not renew" in stopped.text and "nothing is refunded" in stopped.text
    assert "ends Sat 28 Feb 2026" in (await driver.slash("subscriptions", ANA)).text
    assert await ledger_problems(services) == []


async def test_renewal_and_role_reconciliation_go_through_discord(driver, services, guild, clock):
    channels, _ = guild
    await offer(driver)
    await fund(services, ANA.user_id, 1_000)
    prompt = await driver.slash("subscribe", ANA, creator=CLEO.user_id)
    await driver.click(prompt, "Subscribe", ANA)

    channels.member_roles[ANA.user_id].remove(FANS)  # removed by hand
    result = await services.subscriptions.reconcile_roles()
    assert result.given == [(ANA.user_id, FANS)] and channels.member_roles[ANA.user_id] == [FANS]

    clock.now = datetime(2026, 2, 28, 15, 0, tzinfo=UTC)
    assert len((await services.subscriptions.renew_due()).renewed) == 1
    assert await wallet(services, ANA.user_id) == (400, 0)
    earnings = await driver.slash("creator earnings", CLEO)
    assert earnings.ephemeral and "Subscribers: 1 (renewals this month: 1)" in earnings.text
    assert "💎 600" in earnings.text  # both months' diamonds, as gifts would give

    del channels.member_roles[ANA.user_id]  # Ana left the server
    clock.now = datetime(2026, 3, 31, 14, 0, tzinfo=UTC)
    assert len((await services.subscriptions.renew_due()).ended) == 1
    assert await wallet(services, ANA.user_id) == (400, 0)


async def test_turning_the_subscription_off_and_refusals(driver, services, guild):
    reply = await driver.slash("creator subscription off", CLEO)
    assert reply.ephemeral and "do not offer a subscription" in reply.text
    await offer(driver)
    reply = await driver.slash("creator subscription off", CLEO)
    assert "nobody new can subscribe" in reply.text
    reply = await driver.slash("subscribe", ANA, creator=CLEO.user_id)
    assert reply.ephemeral and "does not offer a subscription" in reply.text
    reply = await driver.slash("unsubscribe", ANA, creator=CLEO.user_id)
    assert reply.ephemeral and "do not subscribe" in reply.text


async def test_the_cog_installs_its_jobs(bot):
    assert bot.scheduler.get_job("subscription-renewals") is not None
    assert bot.scheduler.get_job("subscription-roles") is not None

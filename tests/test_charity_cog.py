"""/charity through the real command tree: moderators start and end campaigns, members donate and list
them, the progress board and the summary land in the alerts channel, the statement is a CSV file."""

from __future__ import annotations

import asyncio

import pytest

from simulator.discord_payloads import Member, moderator
from tests.support.channels import FakeChannels
from tests.support.factories import GUILD, cashout_settings, fund, ledger_problems, open_cashouts, wallet
from tests.support.fast_timer import ScaledTimer

ANA = Member(101, "ana")
BEN = Member(102, "ben")
MOD = moderator(500)
MOD2 = moderator(501, "mod2")


@pytest.fixture
def settings(tmp_path):
    return cashout_settings(tmp_path)  # payouts to causes follow the cash-out rules


@pytest.fixture(autouse=True)
async def _cashouts_open(services):
    await open_cashouts(services)


@pytest.fixture
async def alerts(driver, services, bot):
    services.alerts.timer = ScaledTimer(50)
    channels = FakeChannels(bot)
    channel = channels.add_text_channel(name="alerts")
    driver.add_resolved_channel(channel.id, "alerts")
    await driver.slash("config alerts-channel", MOD, channel=channel.id)
    return channels, channel  # the alerts cog started the engine with its Discord sink


async def until(condition, timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


async def start(driver, name: str = "Food bank", goal: int = 1_000, ends: str = "3d") -> int:
    reply = await driver.slash("charity start", MOD, name=name, goal=goal, ends=ends)
    assert reply.ephemeral and "is running until" in reply.text, reply.text
    return int(reply.text.split("(`#")[1].split("`")[0])


async def test_members_need_moderators_to_start_a_campaign(driver, services):
    reply = await driver.slash("charity start", ANA, name="Mine", goal=10, ends="1d")
    assert reply.ephemeral and "Only moderators" in reply.text
    assert await services.charity.running(800_000_000_000_000_001) == []


async def test_a_campaign_is_started_donated_to_listed_and_ended(driver, services, alerts):
    channels, channel = alerts
    campaign = await start(driver)
    await until(lambda: len(channels.posted(channel.id)) == 1)
    await fund(services, ANA.user_id, 500)
    await fund(services, BEN.user_id, 500)

    reply = await driver.slash("charity donate", ANA, campaign=campaign, coins=120, anonymous=True)
    assert reply.ephemeral and "You donated 🪙 120" in reply.text and "anonymously" in reply.text
    reply = await driver.slash("charity donate", BEN, campaign=campaign, coins=80)
    assert "You have 🪙 420 left" in reply.text
    await until(lambda: "🪙 **200** of 1,000" in channels.posted(channel.id)[0].content)
    board = channels.posted(channel.id)[0].content
    assert f"<@{BEN.user_id}>" in board and str(ANA.user_id) not in board and "2 donors" in board

    listed = await driver.slash("charity list", ANA)
    assert listed.ephemeral and "Food bank" in listed.text and "≈ $2.11" in listed.text  # 200 coins

    choices = await driver.autocomplete("charity donate", ANA, "campaign", campaign="food")
    assert [c["value"] for c in choices] == [campaign]

    ended = await driver.slash("charity end", MOD, campaign=campaign)
    assert ended.ephemeral and "waiting for a moderator" in ended.text
    assert ended.files == [f"charity-campaign-{campaign}.csv"]
    assert f"user:{ANA.user_id} (anonymous)" in ended.file_data[ended.files[0]].decode()
    await until(lambda: len(channels.posted(channel.id)) == 2)
    summary = channels.posted(channel.id)[1].content
    assert "has ended" in summary and str(ANA.user_id) not in summary
    assert all(r.allowed_mentions["users"] == [] for r in channels.requests if r.allowed_mentions)

    pending = await driver.slash("charity payouts", MOD2)
    assert "Food bank" in pending.text and "🪙 200" in pending.text
    approved = await driver.slash("charity approve", MOD2, campaign=campaign)
    assert approved.ephemeral and "pays **$2.11**" in approved.text
    assert await wallet(services, ANA.user_id) == (380, 0)
    assert await ledger_problems(services) == []


async def test_a_large_donation_asks_for_confirmation_first(driver, services, alerts):
    campaign = await start(driver, goal=50_000)
    await fund(services, ANA.user_id, 2_000)
    prompt = await driver.slash("charity donate", ANA, campaign=campaign, coins=1_500)
    assert prompt.ephemeral and "Confirm your donation" in prompt.text
    assert await wallet(services, ANA.user_id) == (2_000, 0)
    [done] = await driver.click(prompt, "Donate", ANA)
    assert "You donated 🪙 1,500" in done.text
    await driver.click(prompt, "Donate", ANA)  # a double click donates once
    assert await wallet(services, ANA.user_id) == (500, 0)


async def test_a_donation_in_block_mode_over_the_budget_is_refused(driver, services, alerts):
    campaign = await start(driver)
    await fund(services, ANA.user_id, 500)
    await driver.slash("budget set", ANA, period="daily", coins=50)
    await driver.slash("budget mode", ANA, mode="block")
    reply = await driver.slash("charity donate", ANA, campaign=campaign, coins=60)
    assert reply.ephemeral and "budget" in reply.text
    assert await wallet(services, ANA.user_id) == (500, 0)


async def test_the_cog_installs_the_job_that_ends_campaigns(bot):
    assert bot.scheduler.get_job("charity-ends") is not None


async def test_after_a_restart_the_board_message_in_the_channel_is_edited_not_posted_again(
    driver, services, bot, alerts
):
    from cogs.alerts import DiscordAlertSink

    channels, channel = alerts
    campaign = await start(driver)
    await fund(services, ANA.user_id, 500)
    await driver.slash("charity donate", ANA, campaign=campaign, coins=100)
    await until(lambda: "🪙 **100** of 1,000" in channels.posted(channel.id)[0].content)
    for _ in range(100):
        if (await services.charity.get(GUILD, campaign)).board_message_id is not None:
            break
        await asyncio.sleep(0.01)

    await services.alerts.stop(flush_timeout_s=0.5)  # the bot stops; the new process starts the engine
    await services.alerts.start(DiscordAlertSink(bot, services.overlay))
    await driver.slash("charity donate", ANA, campaign=campaign, coins=50)
    await until(lambda: "🪙 **150** of 1,000" in channels.posted(channel.id)[0].content)
    assert len(channels.posted(channel.id)) == 1
    assert [r.method for r in channels.requests if r.channel_id == channel.id][-1] == "PATCH"

"""Subscriptions and charity end to end: the unmodified bot against the fake Discord, with the guild's roles,
the bot's own top role and Manage Roles, member fetches and role changes over REST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simulator.fake_discord import ALERTS_CHANNEL_ID
from tests.e2e.test_gifts_live import buy, wallet
from tests.support.clock import FakeClock

BOT_ROLE = 990_000_000_000_000_100
FANS = 990_000_000_000_000_001
VIPS = 990_000_000_000_000_002


@pytest.fixture
def e2e_clock() -> FakeClock:
    return FakeClock(datetime(2026, 1, 31, 15, 0, tzinfo=UTC))


async def creator_with_subscription(e2e):
    await e2e.fake.create_role(FANS, "fans", position=1)
    await e2e.fake.create_role(VIPS, "vips", position=10)
    await e2e.fake.give_bot_role(BOT_ROLE, position=5)
    await e2e.slash("config alerts-channel", e2e.moderator("mo"), channel=ALERTS_CHANNEL_ID)
    cara = e2e.member("cara")
    await e2e.slash("creator register", cara)
    return cara


async def test_a_subscriber_gets_the_role_keeps_it_after_a_restart_and_loses_it_after_grace(
    e2e, running_bot, e2e_clock
):
    fake = e2e.fake
    cara = await creator_with_subscription(e2e)
    refused = await e2e.slash("creator subscription set", cara, coins=300, role=VIPS)
    assert refused.ephemeral and "below my highest role" in refused.text
    offered = await e2e.slash("creator subscription set", cara, coins=300, role=FANS)
    assert offered.ephemeral and "300 a month" in offered.text

    ana = e2e.member("ana")
    await buy(e2e, ana, 350)
    prompt = await e2e.slash("subscribe", ana, creator=cara)
    assert prompt.ephemeral and "Confirm your subscription" in prompt.text and "renews on" in prompt.text
    await e2e.click(prompt.reply, "Subscribe", ana)
    await e2e.wait_for(lambda: FANS in fake.users[ana.user_id].roles, what="the subscriber role")
    shout = await e2e.wait_for(
        lambda: [m for m in fake.channel_messages(ALERTS_CHANNEL_ID) if "just subscribed" in m.text],
        what="the shout-out",
    )
    assert [int(u) for u in shout[0].allowed_mentions["users"]] == [ana.user_id]
    assert wallet(running_bot, ana) == (50, 0) and wallet(running_bot, cara) == (0, 300)

    await running_bot.bot.wait_until_ready()  # (a bot closed before it was ready leaves a task behind)
    fake.users[ana.user_id].roles.remove(FANS)  # a moderator removed it by hand while the bot was down
    puts = len(fake.role_changes)
    await running_bot.restart()
    await e2e.wait_for(lambda: FANS in fake.users[ana.user_id].roles, timeout=10, what="the role put back")
    assert fake.role_changes[puts:] == [("PUT", ana.user_id, FANS)]

    renewals = running_bot.bot.scheduler.get_job("subscription-renewals")
    e2e_clock.now = datetime(2026, 2, 28, 15, 0, tzinfo=UTC)  # 50 coins left: the renewal fails
    await renewals.func(*renewals.args, **renewals.kwargs)
    dm = await e2e.wait_for(lambda: fake.dms_to(ana.user_id), what="the grace DM")
    assert "could not renew" in dm[0].text and "three more days" in dm[0].text
    assert FANS in fake.users[ana.user_id].roles

    e2e_clock.now = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    await renewals.func(*renewals.args, **renewals.kwargs)
    await e2e.wait_for(lambda: FANS not in fake.users[ana.user_id].roles, what="the role removed")
    assert ("DELETE", ana.user_id, FANS) in fake.role_changes
    assert wallet(running_bot, ana) == (50, 0)


async def test_a_campaign_board_is_edited_as_donations_arrive_and_anonymous_donors_stay_unnamed(
    e2e, running_bot
):
    fake = e2e.fake
    mod = e2e.moderator("mo")
    await e2e.slash("config alerts-channel", mod, channel=ALERTS_CHANNEL_ID)
    started = await e2e.slash("charity start", mod, name="Food bank", goal=1000, ends="3d")
    assert started.ephemeral
    campaign = int(started.text.split("(`#")[1].split("`")[0])
    board = await e2e.wait_for(
        lambda: [m for m in fake.channel_messages(ALERTS_CHANNEL_ID) if "Food bank" in m.text],
        what="the progress board",
    )
    ana, ben = e2e.member("ana"), e2e.member("ben")
    for member in (ana, ben):
        await buy(e2e, member, 350)
    await e2e.slash("charity donate", ana, campaign=campaign, coins=200, anonymous=True)
    await e2e.slash("charity donate", ben, campaign=campaign, coins=100)
    await e2e.wait_for(lambda: "**300** of 1,000" in board[0].text, what="the board edited")

    ended = await e2e.slash("charity end", mod, campaign=campaign)
    assert ended.ephemeral and "waiting for a moderator" in ended.text
    summary = await e2e.wait_for(
        lambda: [m for m in fake.channel_messages(ALERTS_CHANNEL_ID) if "Raised 🪙" in m.text],
        what="the summary",
    )
    public = [m.text for m in fake.channel_messages(ALERTS_CHANNEL_ID)]
    assert len(fake.channel_messages(ALERTS_CHANNEL_ID)) == 2 and "2 donors" in summary[0].text
    assert all(str(ana.user_id) not in text for text in public)
    assert any(str(ben.user_id) in text for text in public)
    assert wallet(running_bot, ana) == (150, 0)

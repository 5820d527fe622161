"""/creator follow, unfollow and following through the real command tree; the follower count in
/creator earnings; the go-live DM's wording."""

from __future__ import annotations

from bot.followers import GoLiveNotice
from cogs.creator import render_go_live
from simulator.discord_payloads import Member

ANA = Member(101, "ana")
CARA = Member(103, "cara")


async def follow(driver, member: Member, creator: Member):
    driver.add_resolved_member(creator)
    return await driver.slash("creator follow", member, creator=creator.user_id)


async def test_follow_list_and_unfollow(driver, services):
    await driver.slash("creator register", CARA)

    reply = await follow(driver, ANA, CARA)
    assert reply.ephemeral and "You now follow <@103>" in reply.text
    again = await follow(driver, ANA, CARA)
    assert again.ephemeral and "already follow" in again.text

    listed = await driver.slash("creator following list", ANA)
    assert listed.ephemeral and "<@103>" in listed.text and "Go-live DMs are **on**" in listed.text

    gone = await driver.slash("creator unfollow", ANA, creator=CARA.user_id)
    assert "no longer follow" in gone.text
    assert "follow nobody yet" in (await driver.slash("creator following list", ANA)).text


async def test_following_a_member_who_is_not_a_creator_is_refused(driver):
    reply = await follow(driver, ANA, Member(104, "dan"))
    assert reply.ephemeral and "not a registered creator" in reply.text


async def test_quiet_hours_and_notifications(driver):
    await driver.slash("budget reminders", ANA, enabled="off", timezone="Asia/Tokyo")
    reply = await driver.slash_with("creator following quiet", ANA, {"from": "22:00", "to": "07:00"})
    assert reply.ephemeral and "from 22:00 to 07:00 (Asia/Tokyo;" in reply.text
    half = await driver.slash_with("creator following quiet", ANA, {"from": "22:00"})
    assert "Give both" in half.text
    off = await driver.slash("creator following quiet", ANA)
    assert "No quiet hours" in off.text

    muted = await driver.slash("creator following notifications", ANA, enabled="off")
    assert "**off**" in muted.text
    on = await driver.slash("creator following notifications", ANA, enabled="on")
    assert "**on**" in on.text


async def test_earnings_show_the_follower_count(driver):
    await driver.slash("creator register", CARA)
    await follow(driver, ANA, CARA)
    reply = await driver.slash("creator earnings", CARA)
    assert "Followers: 👥 1" in reply.text


def test_the_go_live_dm_names_the_creator_the_title_and_links_the_channel():
    text = render_go_live(GoLiveNotice(1, 2, 3, "**Karaoke** night", 44), "Cara", "Live Lounge")
    assert "Cara** is live now in **Live Lounge**" in text
    assert "\\*\\*Karaoke\\*\\* night" in text  # the creator's markdown is shown, not applied
    assert "https://discord.com/channels/1/44" in text
    assert "https://discord.com/channels/1\n" in render_go_live(GoLiveNotice(1, 2, 3, None, None), "C", "G")

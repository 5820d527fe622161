"""Go-live DMs through the fake Discord: followers get one DM when a creator goes live; a follower whose
DMs are closed is paused after one try, and `/creator following list` says so."""

from __future__ import annotations

import asyncio

from simulator.fake_discord import GENERAL_CHANNEL_ID


async def test_followers_are_dmed_when_the_creator_goes_live(e2e, running_bot):
    cara, ana, bo = e2e.member("cara"), e2e.member("ana"), e2e.member("bo")
    assert "creator here" in (await e2e.slash("creator register", cara)).text
    for fan in (ana, bo):
        assert "You now follow" in (await e2e.slash("creator follow", fan, creator=cara)).text
    e2e.fake.closed_dms.add(bo.user_id)

    started = await e2e.slash("live start", cara, title="Karaoke night")
    assert "You are live" in started.text

    dms = await e2e.wait_for(lambda: e2e.fake.dms_to(ana.user_id), what="ana's go-live DM")
    assert "cara** is live now" in dms[0].text and "Karaoke night" in dms[0].text
    assert f"https://discord.com/channels/{e2e.fake.guild_id}/{GENERAL_CHANNEL_ID}" in dms[0].text
    await e2e.wait_for(lambda: any(r.status == 403 for r in e2e.fake.requests), what="the refused DM to bo")
    assert e2e.fake.dms_to(bo.user_id) == []
    for _ in range(100):  # the pause is written right after Discord's refusal
        following = await running_bot.services.followers.following(e2e.fake.guild_id, bo.user_id)
        if following.settings.paused_at is not None:
            break
        await asyncio.sleep(0.02)
    listed = await e2e.slash("creator following list", bo)
    assert "Paused" in listed.text

"""/overlay and /config auto-live through the real command tree (real discord.Interaction payloads)."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from simulator.discord_payloads import Member, moderator
from tests.support.channels import FakeChannels
from tests.support.discord_fakes import Reply
from tests.support.factories import GUILD, fund, wallet
from tests.support.overlay import open_stream, overlay_server

CLEO = Member(201, "cleo")
ANA = Member(101, "ana")
MOD = moderator(500)
URL = re.compile(r"<(http://127\.0\.0\.1:\d+/o/[A-Za-z0-9_-]+/alerts)>")


@pytest.fixture
async def cleo(driver):
    reply = await driver.slash("creator register", CLEO)
    assert "now a creator" in reply.text
    return CLEO


@pytest.fixture
async def server(services, cleo):
    async with overlay_server(services) as running:
        yield running


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_url_gives_the_secret_address_privately_with_obs_instructions(driver, server, http):
    reply = await driver.slash("overlay url", CLEO)

    assert reply.ephemeral
    [url] = URL.findall(reply.text)
    assert "1920" in reply.text and "1080" in reply.text and "Shutdown source when not visible" in reply.text
    assert "/goal>" in reply.text and "/top>" in reply.text
    assert URL.findall((await driver.slash("overlay url", CLEO)).text) == [url]  # stable until rotated
    secret = url.split("/")[-2]
    assert len(secret) >= 32  # 192 random bits, base64url
    async with http.get(url) as response:
        assert response.status == 200


async def test_rotate_makes_a_new_address_and_the_old_one_404s(driver, server, http):
    [old] = URL.findall((await driver.slash("overlay url", CLEO)).text)

    reply = await driver.slash("overlay rotate", CLEO)

    assert reply.ephemeral and "no longer works" in reply.text
    [new] = URL.findall(reply.text)
    assert new != old
    async with http.get(old) as response:
        assert response.status == 404
    async with http.get(new) as response:
        assert response.status == 200


async def test_members_who_are_not_creators_get_a_clear_refusal(driver, server):
    for command in ("overlay url", "overlay rotate", "overlay test", "overlay status", "overlay settings"):
        reply = await driver.slash(command, ANA)
        assert reply.ephemeral and "creator" in reply.text.lower(), command
        assert "http" not in reply.text


async def test_without_a_running_server_url_says_overlays_are_not_served(driver, cleo):
    reply = await driver.slash("overlay url", CLEO)
    assert reply.ephemeral and "not serving overlays" in reply.text and "http" not in reply.text


async def test_test_sends_a_marked_alert_to_the_connected_overlay_and_moves_no_money(
    driver, services, server, http
):
    await fund(services, CLEO.user_id, 50)
    [url] = URL.findall((await driver.slash("overlay url", CLEO)).text)
    async with open_stream(http, url + "/events") as stream:
        await stream.until("hello")
        reply = await driver.slash("overlay test", CLEO)
        alert = await stream.until("alert")

    assert reply.ephemeral and "test alert" in reply.text and "on its way" in reply.text
    assert alert.data["test"] is True
    assert await wallet(services, CLEO.user_id) == (50, 0)


async def test_settings_shows_and_changes_what_the_overlay_does(driver, services, server):
    shown = await driver.slash("overlay settings", CLEO)
    assert shown.ephemeral and "Sound: on" in shown.text and "Read messages aloud: off" in shown.text

    changed = await driver.slash(
        "overlay settings", CLEO, min_coins=10, duration=8, tts=True, tts_min_coins=500, sound=False, delay=15
    )

    assert "from: 10 coins" in changed.text and "Shown for: 8 s" in changed.text
    assert "on for gifts of 500 coins or more" in changed.text and "Sound: off" in changed.text
    assert "15 s" in changed.text
    settings = await services.overlay.settings(GUILD, CLEO.user_id)
    assert (settings.min_coins, settings.duration_s, settings.tts, settings.sound, settings.delay_s) == (
        10,
        8,
        True,
        False,
        15,
    )


async def test_out_of_range_settings_are_refused_and_change_nothing(driver, services, server):
    reply = await driver.slash("overlay settings", CLEO, duration=600)
    assert reply.ephemeral
    assert (await services.overlay.settings(GUILD, CLEO.user_id)).duration_s == 5


async def test_status_lists_connected_overlays(driver, server, http):
    before = await driver.slash("overlay status", CLEO)
    assert "No overlay is connected" in before.text
    [url] = URL.findall((await driver.slash("overlay url", CLEO)).text)
    async with open_stream(http, url + "/events") as stream:
        await stream.until("hello")
        during = await driver.slash("overlay status", CLEO)
    assert during.ephemeral and "Alert box: connected" in during.text
    assert "Alerts waiting (held by your delay): 0" in during.text


async def test_goal_sets_the_live_goal_shown_by_the_goal_bar(driver, services, server, http):
    await driver.slash("live start", CLEO)
    reply = await driver.slash("overlay goal", CLEO, coins=5000, title="New @everyone mic")

    assert reply.ephemeral and "5,000" in reply.text and "shows it now" in reply.text
    assert "@everyone" not in reply.text
    [url] = URL.findall((await driver.slash("overlay url", CLEO)).text)
    async with open_stream(http, url.removesuffix("/alerts") + "/goal/events") as stream:
        state = await stream.until("state")
    assert state.data["goal"] == 5000 and state.data["live"] is True


async def test_auto_live_is_a_moderator_setting(driver, services):
    refused = await driver.slash("config auto-live", ANA, state="on")
    assert refused.ephemeral and "moderators" in refused.text.lower()
    assert not await services.auto_live.enabled(GUILD)

    on = await driver.slash("config auto-live", MOD, state="on")
    assert on.ephemeral and "**on**" in on.text
    assert await services.auto_live.enabled(GUILD)
    off = await driver.slash("config auto-live", MOD, state="off")
    assert "**off**" in off.text and not await services.auto_live.enabled(GUILD)


async def test_during_the_delay_a_big_gifts_message_can_be_hidden_from_the_stream(
    driver, services, server, http, clock, bot
):
    channels = FakeChannels(bot)
    alerts = channels.add_text_channel(name="alerts")
    driver.add_resolved_channel(alerts.id, "alerts")
    await driver.slash("config alerts-channel", MOD, channel=alerts.id)
    await driver.slash("creator shoutout-threshold", CLEO, coins=1000)
    await driver.slash("overlay settings", CLEO, delay=30)
    await driver.slash("config gift-confirmation", MOD, coins=100_000)
    driver.add_resolved_member(CLEO)
    await fund(services, ANA.user_id, 5000)
    [url] = URL.findall((await driver.slash("overlay url", CLEO)).text)
    async with open_stream(http, url + "/events") as stream:
        await stream.until("hello")
        receipt = await driver.slash(
            "gift send", ANA, gift="Galaxy", creator=CLEO.user_id, message="my phone: 555"
        )
        assert "Gift sent" in receipt.text
        for _ in range(200):
            if channels.requests:
                break
            await asyncio.sleep(0.01)
        [post] = channels.requests
        shoutout = Reply("channel", 0, post.message_id, post.content, [], post.payload["components"], False)
        assert shoutout.button("Hide message from stream")
        with pytest.raises(TimeoutError):
            await stream.until("alert", timeout=0.3)  # held back by the delay

        refused = await driver.click(shoutout, "Hide message", ANA)
        assert refused[0].ephemeral and "Only the gift's creator or a moderator" in refused[0].text
        hidden = await driver.click(shoutout, "Hide message", CLEO)
        assert hidden[0].ephemeral and "will not be shown" in hidden[0].text

        clock.advance(seconds=31)
        services.overlay.gift_committed(GUILD, CLEO.user_id)  # what the stream's timer does after 30 s
        alert = await stream.until("alert")
    assert alert.data["gift"] == "Galaxy" and alert.data["message"] is None
    assert await wallet(services, CLEO.user_id) == (0, 1000)  # the gift itself stands

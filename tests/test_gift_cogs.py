"""/gift, /catalog, /creator, /live, /leaderboard, /config and /wallet privacy through the real
command tree (real discord.Interaction payloads, outgoing calls recorded)."""

from __future__ import annotations

import asyncio

import pytest

from simulator.discord_payloads import Member, moderator
from storage import action_log
from tests.support.channels import FakeChannels
from tests.support.factories import GUILD, entry_count, fund, ledger_problems, wallet

ANA = Member(101, "ana")
CLEO = Member(201, "cleo")
MOD = moderator(500)


@pytest.fixture
def channels(bot) -> FakeChannels:
    return FakeChannels(bot)


@pytest.fixture
async def alerts_channel(driver, channels):
    channel = channels.add_text_channel(name="alerts")
    driver.add_resolved_channel(channel.id, "alerts")
    reply = await driver.slash("config alerts-channel", MOD, channel=channel.id)
    assert reply.ephemeral and "will be posted" in reply.text
    return channel


@pytest.fixture
async def cleo(driver, services):
    driver.add_resolved_member(CLEO)
    reply = await driver.slash("creator register", CLEO)
    assert reply.ephemeral and "now a creator" in reply.text
    return CLEO


async def followups(driver, predicate, timeout=2.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        found = [r for r in driver.adapter.replies if r.kind == "followup" and predicate(r)]
        if found:
            return found
        await asyncio.sleep(0.01)
    return []


async def test_a_one_coin_gift_receipt_reads_naturally(driver, services, cleo):
    await fund(services, ANA.user_id, 10)

    reply = await driver.slash("gift send", ANA, gift="Rose", creator=CLEO.user_id)

    assert "🪙 1 coin (" in reply.text and "💎 1 diamond," in reply.text
    assert "less than $0.01 at cash-out" in reply.text  # half a cent, not "$0"
    assert await wallet(services, CLEO.user_id) == (0, 1)


async def test_a_gift_replies_privately_with_a_receipt_and_thanks_publicly(
    driver, services, channels, alerts_channel, cleo
):
    await driver.slash("wallet region", ANA, region="GB")
    await fund(services, ANA.user_id, 500)

    reply = await driver.slash(
        "gift send", ANA, gift="Love Bang", creator=CLEO.user_id, count=4, message="hi @everyone"
    )

    assert reply.ephemeral
    assert "🪙 400" in reply.text  # the new balance
    assert "£1.07" in reply.text  # 100 coins at GB's 75p per 70 coins
    assert "💎 100 diamonds" in reply.text and "50 %" in reply.text
    assert await wallet(services, ANA.user_id) == (400, 0)
    assert await wallet(services, CLEO.user_id) == (0, 100)
    for _ in range(100):
        if channels.requests:
            break
        await asyncio.sleep(0.01)
    [posted] = channels.requests
    assert posted.channel_id == alerts_channel.id
    assert "@everyone" not in posted.content
    assert posted.allowed_mentions["parse"] == [] and not posted.allowed_mentions.get("roles")
    assert [int(u) for u in posted.allowed_mentions["users"]] == [ANA.user_id]
    assert await ledger_problems(services) == []


async def test_a_large_gift_asks_first_and_a_double_click_sends_once(
    driver, services, channels, alerts_channel, cleo
):
    await fund(services, ANA.user_id, 2500)

    prompt = await driver.slash("gift send", ANA, gift="Galaxy", creator=CLEO.user_id)

    assert prompt.ephemeral and "Confirm your gift" in prompt.text and "1,000 coins" in prompt.text
    assert await wallet(services, ANA.user_id) == (2500, 0)
    first, second = await asyncio.gather(
        driver.click(prompt, "Send for 1,000", ANA), driver.click(prompt, "Send for 1,000", ANA)
    )

    assert "Gift sent" in first[0].text or "Gift sent" in second[0].text
    assert all("Balance: 🪙 1,500" in replies[0].text for replies in (first, second))
    assert await wallet(services, ANA.user_id) == (1500, 0)
    assert await wallet(services, CLEO.user_id) == (0, 1000)
    gifts = await services.db.read(
        lambda conn: conn.execute("SELECT COUNT(*) FROM gift_entries").fetchone()[0]
    )
    assert gifts == 1
    assert await ledger_problems(services) == []


async def test_the_sender_is_told_when_the_shoutout_cannot_be_posted(
    driver, services, channels, alerts_channel, cleo
):
    channels.forbid(alerts_channel.id)
    await fund(services, ANA.user_id, 10)

    reply = await driver.slash("gift send", ANA, gift="Rose", creator=CLEO.user_id)

    assert "Gift sent" in reply.text
    notes = await followups(driver, lambda r: "could not be posted" in (r.content or ""))
    assert notes and notes[0].ephemeral
    assert await wallet(services, CLEO.user_id) == (0, 1)  # the gift stands


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"count": 0}, "from 1 to 10,000"),
        ({"count": -5}, "from 1 to 10,000"),
        ({"count": 2**53}, "from 1 to 10,000"),
        ({"gift": "Unicorn"}, "no gift called"),
        ({"message": "x" * 201}, "at most 200"),
        ({"gift": "Universe"}, "You need 34,999 coins"),
    ],
)
async def test_crafted_or_impossible_gifts_are_refused_with_no_balance_change(
    driver, services, cleo, options, expected
):
    await fund(services, ANA.user_id, 100)
    entries = await entry_count(services)
    args = {"gift": "Rose", "creator": CLEO.user_id, **options}

    reply = await driver.slash("gift send", ANA, **args)

    assert reply.ephemeral and expected in reply.text
    assert await wallet(services, ANA.user_id) == (100, 0)
    assert await entry_count(services) == entries


async def test_gifts_to_yourself_or_to_non_creators_are_refused(driver, services, cleo):
    await fund(services, ANA.user_id, 100)
    driver.add_resolved_member(ANA)
    ben = Member(102, "ben")
    driver.add_resolved_member(ben)
    yourself = await driver.slash("gift send", ANA, gift="Rose", creator=ANA.user_id)
    stranger = await driver.slash("gift send", ANA, gift="Rose", creator=ben.user_id)
    assert "yourself" in yourself.text
    assert "not a registered creator" in stranger.text
    assert await wallet(services, ANA.user_id) == (100, 0)


async def test_gift_autocomplete_and_catalog_show_prices_in_the_members_currency(driver, services):
    await driver.slash("wallet region", ANA, region="IN")

    choices = await driver.autocomplete("gift send", ANA, "gift", gift="gal")
    catalog = await driver.slash("gift catalog", ANA)

    assert [c["value"] for c in choices] == ["Galaxy"]
    assert "1,000 coins" in choices[0]["name"] and "₹" in choices[0]["name"]
    assert catalog.ephemeral and "Rose" in catalog.text and "₹" in catalog.text


async def test_the_spender_role_gates_buying_and_gifting_politely(driver, services, cleo):
    driver.add_resolved_role(4242, "verified")
    await driver.slash("config spender-role", MOD, role=4242)
    await fund(services, ANA.user_id, 100)

    gift = await driver.slash("gift send", ANA, gift="Rose", creator=CLEO.user_id)
    buy = await driver.slash("coins buy", ANA, package=70)
    verified = Member(103, "vera", roles=[4242])
    await fund(services, verified.user_id, 10)
    allowed = await driver.slash("gift send", verified, gift="Rose", creator=CLEO.user_id)

    for reply in (gift, buy):
        assert reply.ephemeral and "Sorry" in reply.text and "role" in reply.text
    assert await wallet(services, ANA.user_id) == (100, 0)
    assert "Gift sent" in allowed.text


MODERATOR_COMMANDS = [
    ("catalog list", {}),
    ("catalog add", {"name": "Crown", "emoji": "👑", "coins": 500}),
    ("catalog edit", {"gift": "Rose", "coins": 2}),
    ("catalog retire", {"gift": "Rose"}),
    ("config show", {}),
    ("config timezone", {"timezone": "Europe/London"}),
    ("config spender-role", {}),
    ("config alerts-channel", {}),
    ("config gift-confirmation", {"coins": 5}),
    ("creator remove", {"member": CLEO.user_id}),
]


@pytest.mark.parametrize(("path", "options"), MODERATOR_COMMANDS)
async def test_every_moderator_command_is_refused_for_a_plain_member(driver, services, cleo, path, options):
    reply = await driver.slash_with(path, ANA, options)

    assert reply.ephemeral and "Only moderators" in reply.text
    assert len(await services.catalog.gifts(GUILD)) == 10
    assert (await services.catalog.find(GUILD, "Rose")).coins == 1
    assert await services.creators.get(GUILD, CLEO.user_id) is not None
    config = await services.guild_config.get(GUILD)
    assert (config.timezone, config.gift_confirm_threshold) == ("UTC", 1000)
    rows = await services.db.read(lambda conn: action_log.recent(conn, GUILD))
    assert [r["action"] for r in rows] == ["creator.register"]


async def test_moderators_manage_the_catalog_with_audit(driver, services):
    added = await driver.slash("catalog add", MOD, name="Crown", emoji="👑", coins=500)
    edited = await driver.slash("catalog edit", MOD, gift="crown", coins=600)
    retired = await driver.slash("catalog retire", MOD, gift="Crown")
    listed = await driver.slash("catalog list", MOD)
    choices = await driver.autocomplete("catalog edit", MOD, "gift", gift="cro")

    assert "Added" in added.text and "Updated" in edited.text and "600" in edited.text
    assert "Retired" in retired.text and "retired" in listed.text
    assert [c["value"] for c in choices] == ["Crown"]
    rows = await services.db.read(lambda conn: action_log.recent(conn, GUILD, MOD.user_id))
    assert [r["action"] for r in rows] == ["catalog.retire", "catalog.edit", "catalog.add"]
    crafted = await driver.slash("catalog add", MOD, name="Cheap", emoji="💸", coins=0)
    assert "from 1 to 1,000,000" in crafted.text


async def test_timezone_is_validated_and_autocompleted(driver, services):
    choices = await driver.autocomplete("config timezone", MOD, "timezone", timezone="london")
    bad = await driver.slash_answer("config timezone", MOD, timezone="Mars/Base")
    good = await driver.slash_answer("config timezone", MOD, timezone="Europe/London")

    assert "Europe/London" in [c["value"] for c in choices]
    assert bad.ephemeral and "don't know the time zone 'Mars/Base'" in bad.text
    assert "Europe/London" in good.text
    assert (await services.guild_config.get(GUILD)).timezone == "Europe/London"


async def test_creator_thanks_and_threshold(driver, services, cleo):
    bad = await driver.slash("creator thanks", CLEO, template="Thanks {name}!")
    good = await driver.slash("creator thanks", CLEO, template="Thank you {sender} for {count} {gift}!")
    threshold = await driver.slash("creator shoutout-threshold", CLEO, coins=500)
    crafted = await driver.slash("creator shoutout-threshold", CLEO, coins=-1)
    stranger = await driver.slash("creator thanks", ANA, template="hi {sender}")

    assert "Unknown placeholder" in bad.text
    assert "Thank you" in good.text
    assert "500" in threshold.text and "from 1" in crafted.text
    assert "not a registered creator" in stranger.text
    creator = await services.creators.get(GUILD, CLEO.user_id)
    assert (creator.thanks_template, creator.shoutout_threshold) == (
        "Thank you {sender} for {count} {gift}!",
        500,
    )


async def test_live_end_posts_the_summary_in_the_alerts_channel(
    driver, services, channels, alerts_channel, cleo, clock
):
    await fund(services, ANA.user_id, 500)
    started = await driver.slash("live start", CLEO, title="Cooking @everyone")
    await driver.slash("gift send", ANA, gift="Corgi", creator=CLEO.user_id)
    clock.advance(minutes=42)
    ended = await driver.slash("live end", CLEO)

    assert started.ephemeral and "You are live" in started.text
    assert ended.ephemeral and "ended" in ended.text
    summaries = [r for r in channels.requests if r.payload.get("embeds")]
    [summary] = summaries
    embed = summary.payload["embeds"][0]
    text = str(embed)
    assert "42 min" in text and "299" in text and f"<@{ANA.user_id}>" in text and "Corgi" in text
    assert "@everyone" not in embed["title"]
    assert summary.allowed_mentions["parse"] == []
    again = await driver.slash("live end", CLEO)
    assert "not live" in again.text


async def test_live_end_tells_the_creator_when_the_summary_cannot_be_posted(
    driver, services, channels, alerts_channel, cleo
):
    channels.delete_channel(alerts_channel.id)
    await driver.slash("live start", CLEO)
    ended = await driver.slash("live end", CLEO)
    assert "Your stream has ended" in ended.text
    [note] = [r for r in driver.adapter.replies if r.kind == "followup"]
    assert note.ephemeral and "could not post the summary" in note.text


async def test_leaderboard_is_public_and_respects_privacy(driver, services, cleo):
    await fund(services, ANA.user_id, 100)
    await driver.slash("gift send", ANA, gift="Doughnut", creator=CLEO.user_id)

    shown = await driver.slash("leaderboard gifters", Member(109, "viewer"), period="all-time")
    privacy = await driver.slash("wallet privacy", ANA, hidden=True)
    hidden = await driver.slash("leaderboard gifters", Member(109, "viewer"), period="today")
    creators = await driver.slash("leaderboard creators", ANA)

    assert not shown.ephemeral and f"<@{ANA.user_id}>" in shown.text and "🪙 30" in shown.text
    assert privacy.ephemeral and "hidden" in privacy.text
    assert "🔒 hidden" in hidden.text and "🪙 30" not in hidden.text
    assert f"<@{CLEO.user_id}>" in creators.text and "🪙 30" in creators.text


async def test_a_crafted_leaderboard_period_is_refused(driver):
    reply = await driver.slash("leaderboard gifters", ANA, period="year")
    assert reply.ephemeral
    assert "today, week or all-time" in reply.text or "cannot use" in reply.text


async def test_creator_remove_by_a_moderator_is_audited(driver, services, cleo):
    reply = await driver.slash_with(
        "creator remove", MOD, {"member": CLEO.user_id, "reason": "left the server"}
    )
    again = await driver.slash_with("creator remove", MOD, {"member": CLEO.user_id})

    assert "no longer a creator" in reply.text
    assert "not a registered creator" in again.text
    rows = await services.db.read(lambda conn: action_log.recent(conn, GUILD, CLEO.user_id))
    assert [(r["action"], r["actor_id"], r["reason"]) for r in rows][0] == (
        "creator.remove",
        MOD.user_id,
        "left the server",
    )

"""What reaches public channels: a hidden member's own figures stay off the public leaderboard, member
text in shout-outs is plain text, and one fast sender cannot hold back everybody else's shout-outs."""

from __future__ import annotations

import asyncio
import itertools
import re

import pytest

from bot.alerts import AlertEngine, GiftAlert, render_shoutout, validate_template
from bot.alerts.sim import RecordingSink, VirtualTimer
from bot.alerts.templates import plain_text
from simulator.discord_payloads import Member, moderator
from tests.support.channels import FakeChannels
from tests.support.factories import fund

ANA = Member(101, "ana")
CLEO = Member(201, "cleo")
VIEWER = Member(109, "viewer")
MOD = moderator(500)

# --- the leaderboard ------------------------------------------------------------------------------------


@pytest.fixture
async def cleo(driver):
    driver.add_resolved_member(CLEO)
    await driver.slash("creator register", CLEO)
    return CLEO


@pytest.mark.parametrize("kind", ["gifters", "creators"])
async def test_a_hidden_member_looking_at_the_board_keeps_their_figures_private(driver, services, cleo, kind):
    await fund(services, ANA.user_id, 100)
    await driver.slash("gift send", ANA, gift="Doughnut", creator=CLEO.user_id)
    looker = ANA if kind == "gifters" else CLEO
    await driver.slash("wallet privacy", looker, hidden=True)
    before = len(driver.adapter.replies)

    board = await driver.slash(f"leaderboard {kind}", looker, period="all-time")
    await driver.settle()

    assert not board.ephemeral
    assert f"<@{looker.user_id}> — 🔒 hidden" in board.text and "🪙 30" not in board.text
    [private] = [r for r in driver.adapter.replies[before:] if r.kind == "followup"]
    assert private.ephemeral and "🪙 30" in private.text and "`#1`" in private.text


async def test_a_member_who_does_not_hide_gets_no_private_note(driver, services, cleo):
    await fund(services, ANA.user_id, 100)
    await driver.slash("gift send", ANA, gift="Doughnut", creator=CLEO.user_id)
    before = len(driver.adapter.replies)

    board = await driver.slash("leaderboard gifters", ANA, period="all-time")
    await driver.settle()

    assert "🪙 30" in board.text
    assert [r.kind for r in driver.adapter.replies[before:]] == ["response"]


# --- member text as plain text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("[free Nitro](https://discord.gift/x)", r"\[free Nitro\](<https://discord.gift/x>)"),
        ("# BIG NEWS", r"\# BIG NEWS"),
        ("-# small print", r"\-# small print"),
        ("> a quote", r"\> a quote"),
        ("1. first", r"1\. first"),
        (
            "**bold** __u__ ~~s~~ ||spoiler|| `code`",
            r"\*\*bold\*\* \_\_u\_\_ \~\~s\~\~ \|\|spoiler\|\| \`code\`",
        ),
        ("see https://example.com/a_b.", "see <https://example.com/a_b>."),
        (
            "wiki https://en.wikipedia.org/wiki/Rose_(colour)!",
            "wiki <https://en.wikipedia.org/wiki/Rose_(colour)>!",
        ),
        ("evil\u202egnp.exe", "evilgnp.exe"),  # right-to-left override
        ("in\u2066vis\u2069ible\u200b\u2060 \U000e0041tag", "invisible tag"),
        ("a\u0007b", "a b"),
        ("👩\u200d💻 keeps its joiner", "👩\u200d💻 keeps its joiner"),
        ("<:party_blob:123456789012345678> stays", "<:party_blob:123456789012345678> stays"),
        ("just words, 3 roses", "just words, 3 roses"),
    ],
)
def test_plain_text_escapes_markdown_removes_invisible_characters_and_stops_previews(typed, shown):
    assert plain_text(typed) == shown


def test_a_shoutout_shows_the_template_words_and_the_message_as_plain_text():
    template = validate_template(
        "# Thanks {sender}! [claim](https://evil.example) \u202e{gift} for {creator}"
    )

    text = render_shoutout(
        template,
        sender_mention="<@1>",
        creator_mention="<@2>",
        gift="Rose",
        emoji="🌹",
        count=1,
        coins=1,
        message="## [free Nitro](https://discord.gift/abc) @everyone",
    )

    assert text == (
        r"\# Thanks <@1>! \[claim\](<https://evil.example>) 🌹 **Rose** for <@2>"
        "\n> " + r"\## \[free Nitro\](<https://discord.gift/abc>) @" + "\u200beveryone"
    )


async def test_a_gift_message_reaches_the_alerts_channel_as_plain_text(driver, services, bot, cleo):
    channels = FakeChannels(bot)
    alerts = channels.add_text_channel(name="alerts")
    driver.add_resolved_channel(alerts.id, "alerts")
    await driver.slash("config alerts-channel", MOD, channel=alerts.id)
    await driver.slash("creator thanks", CLEO, template="**Thank you** {sender} > {gift}")
    await fund(services, ANA.user_id, 100)

    await driver.slash(
        "gift send",
        ANA,
        gift="Doughnut",
        creator=CLEO.user_id,
        message="[gift](https://x.example) \u202eoops",
    )
    for _ in range(200):
        if channels.requests:
            break
        await asyncio.sleep(0.01)

    [posted] = channels.requests
    assert posted.content.startswith(r"\*\*Thank you\*\* <@101> \> 🍩 **Doughnut**")
    assert posted.content.endswith("\n> " + r"\[gift\](<https://x.example>) oops")


# --- one fast sender ---------------------------------------------------------------------------------------

_entries = itertools.count(1)
CHANNEL, CREATOR = 700, 300
FAST, OTHER = 1, 2


def big_gift(sender: int, name: str = "Rose") -> GiftAlert:
    """Every gift is "big" for a creator whose shout-out threshold is 1 coin."""
    return GiftAlert(
        guild_id=1, channel_id=CHANNEL, entry_id=next(_entries), creator_id=CREATOR, sender_id=sender,
        gift_name=name, gift_emoji="🌹", count=1, coins=1, template=None, threshold=1,
    )  # fmt: skip


async def test_one_fast_sender_does_not_hold_back_other_shoutouts():
    timer = VirtualTimer()
    sink = RecordingSink(timer)
    engine = AlertEngine(timer=timer)
    await engine.start(sink)
    fast = []
    posted_at: list[float] = []
    for tick in range(240):  # two gifts a second for two minutes: twice what the channel can post
        fast.append(engine.publish(big_gift(FAST)))
        if tick == 120:
            published_at = timer.now()
            other = engine.publish(big_gift(OTHER, "Doughnut"))
            other.add_done_callback(lambda _: posted_at.append(timer.now()))
        await timer.advance(0.5)
    await timer.advance(120)
    waited = posted_at[0] - published_at
    stopping = asyncio.create_task(engine.stop())
    await timer.advance(120)
    await stopping

    assert other.result() is True
    assert waited <= 5.0, f"the other member's shout-out waited {waited:.0f} s behind one sender"
    assert all(f.result() for f in fast)
    shown = sum(
        int(n) for m in sink.sent() for n in re.findall(rf"<@{FAST}> sent 🌹 \*\*Rose\*\* ×(\d+)", m.text)
    )
    assert shown == 240  # merged, never dropped
    assert sink.max_in_window(CHANNEL, 5.0) <= 5

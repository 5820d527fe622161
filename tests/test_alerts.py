"""The alerts engine on a virtual clock with a recording channel: streaks, thresholds, templates, mention
safety, the rate limit under a burst, failures and shutdown."""

from __future__ import annotations

import asyncio
import itertools
import random
import re
from types import SimpleNamespace

import pytest

from bot.alerts import (
    AlertEngine,
    GiftAlert,
    InvalidTemplate,
    render_shoutout,
    split_for_embeds,
    validate_template,
)
from bot.alerts.engine import DISCORD_MESSAGE_MAX, PACKED_MESSAGE_MAX
from bot.alerts.sim import RecordingSink, VirtualTimer

CHANNEL = 700_000_000_000_000_001
CREATOR = 300_000_000_000_000_001
ANA = 100_000_000_000_000_001
BEN = 100_000_000_000_000_002
_entries = itertools.count(1)

ROSE = ("Rose", "🌹", 1)
GALAXY = ("Galaxy", "🌌", 1000)
DONUT = ("Doughnut", "🍩", 30)


def gift(
    sender: int = ANA,
    kind: tuple[str, str, int] = ROSE,
    count: int = 1,
    *,
    creator: int = CREATOR,
    template: str | None = None,
    threshold: int = 1000,
    channel: int | None = CHANNEL,
    message: str | None = None,
) -> GiftAlert:
    name, emoji, price = kind
    return GiftAlert(
        guild_id=1,
        channel_id=channel,
        entry_id=next(_entries),
        creator_id=creator,
        sender_id=sender,
        gift_name=name,
        gift_emoji=emoji,
        count=count,
        coins=count * price,
        template=template,
        threshold=threshold,
        message=message,
    )


@pytest.fixture
async def rig():
    timer = VirtualTimer()
    sink = RecordingSink(timer)
    engine = AlertEngine(timer=timer, quiet_s=5.0)
    await engine.start(sink)
    yield SimpleNamespace(timer=timer, sink=sink, engine=engine)
    await stop(engine, timer)


async def stop(engine: AlertEngine, timer: VirtualTimer) -> None:
    stopping = asyncio.create_task(engine.stop())
    await timer.advance(60)
    await stopping


def shown_count(text: str) -> int:
    """The gifts a message shows: the sum of its lines' ×N (the default template always shows it)."""
    return sum(int(n.replace(",", "")) for n in re.findall(r"×([\d,]+)", text))


# --- templates ------------------------------------------------------------------------------------------


def test_template_placeholders_are_filled_in():
    template = validate_template(
        "Thank you {sender} for {count} {gift} to {Creator}! That is {coins} coins 💖"
    )
    text = render_shoutout(
        template,
        sender_mention=f"<@{ANA}>",
        creator_mention=f"<@{CREATOR}>",
        gift="Rose",
        emoji="🌹",
        count=57,
        coins=57,
    )
    assert text == f"Thank you <@{ANA}> for 57 🌹 **Rose** to <@{CREATOR}>! That is 57 coins 💖"


def test_default_shoutout_and_count_added_when_the_template_has_none():
    default = render_shoutout(
        None,
        sender_mention=f"<@{ANA}>",
        creator_mention=f"<@{CREATOR}>",
        gift="Galaxy",
        emoji="🌌",
        count=2,
        coins=2000,
    )
    assert default == f"<@{ANA}> sent 🌌 **Galaxy** ×2 to <@{CREATOR}> (🪙 2,000)"
    own_words = render_shoutout(
        "Love you {sender}!",
        sender_mention="<@1>",
        creator_mention="<@2>",
        gift="Rose",
        emoji="🌹",
        count=57,
        coins=57,
    )
    assert own_words == "Love you <@1>! ×57 → <@2>"  # every shout-out names its creator


@pytest.mark.parametrize(
    ("template", "complaint"),
    [
        ("Thanks {user}!", "Unknown placeholder `{user}`"),
        ("Thanks {}!", "Unknown placeholder `{}`"),
        ("Thanks {sender!", "stray `{`"),
        ("Thanks sender}", "stray `}`"),
        ("x" * 301, "at most 300 characters"),
        ("   ", "cannot be empty"),
    ],
)
def test_invalid_templates_are_refused_with_a_clear_message(template, complaint):
    with pytest.raises(InvalidTemplate) as refused:
        validate_template(template)
    assert complaint in refused.value.message


def test_valid_template_is_normalised_and_literal_braces_survive():
    assert validate_template("  Hi { Sender }, {{yay}} ") == "Hi {sender}, {{yay}}"
    text = render_shoutout(
        "Hi {sender} {{yay}} from {creator}",
        sender_mention="<@1>",
        creator_mention="<@2>",
        gift="Rose",
        emoji="🌹",
        count=1,
        coins=1,
    )
    assert text == "Hi <@1> {yay} from <@2>"
    assert len(validate_template("x" * 300)) == 300


def test_mass_mentions_in_template_gift_name_and_message_are_neutralised():
    text = render_shoutout(
        "@everyone @here <@&123456789012345678> <@&5> <@222222222222222222> thanks {sender}",
        sender_mention=f"<@{ANA}>",
        creator_mention=f"<@{CREATOR}>",
        gift="@everyone",
        emoji="🌹",
        count=1,
        coins=1,
        message="hey @here and <@&123456789012345678>",
    )
    assert f"thanks <@{ANA}>" in text  # the sender's own mention is intact
    for live in ("@everyone", "@here", "<@&", "<@222222222222222222>"):
        assert live not in text
    assert "@\u200beveryone" in text and "@\u200bhere" in text


# --- streaks and thresholds --------------------------------------------------------------------------


async def test_a_streak_of_cheap_gifts_is_one_message_edited_as_it_grows(rig):
    futures = []
    for _ in range(57):
        futures.append(rig.engine.publish(gift(ANA, ROSE)))
        await rig.timer.advance(0.5)
    await rig.timer.advance(10)

    assert all(f.done() and f.result() for f in futures)
    [message] = rig.sink.sent()
    assert message.text == f"<@{ANA}> sent 🌹 **Rose** ×57 to <@{CREATOR}> (🪙 57)"
    assert len(message.versions) > 1  # edited in place as the streak grew
    assert message.mention_ids == (ANA,)
    assert rig.sink.max_in_window(CHANNEL) <= 5


async def test_the_streak_closes_after_a_few_quiet_seconds(rig):
    for _ in range(3):
        rig.engine.publish(gift(ANA, ROSE))
        await rig.timer.advance(1)
    await rig.timer.advance(5.5)  # quiet: the streak is over
    last = rig.engine.publish(gift(ANA, ROSE))
    await rig.timer.advance(1)

    assert await last
    assert [m.text for m in rig.sink.sent()] == [
        f"<@{ANA}> sent 🌹 **Rose** ×3 to <@{CREATOR}> (🪙 3)",
        f"<@{ANA}> sent 🌹 **Rose** ×1 to <@{CREATOR}> (🪙 1)",
    ]


async def test_streaks_are_per_sender_per_creator_and_per_gift(rig):
    other_creator = CREATOR + 1
    for _ in range(4):
        rig.engine.publish(gift(ANA, ROSE))
        rig.engine.publish(gift(BEN, ROSE))
        rig.engine.publish(gift(ANA, ROSE, creator=other_creator))
        rig.engine.publish(gift(ANA, DONUT))
        await rig.timer.advance(1)
    await rig.timer.advance(30)

    lines = sorted(line for m in rig.sink.sent() for line in m.text.splitlines())
    assert lines == sorted(
        [
            f"<@{ANA}> sent 🌹 **Rose** ×4 to <@{CREATOR}> (🪙 4)",
            f"<@{BEN}> sent 🌹 **Rose** ×4 to <@{CREATOR}> (🪙 4)",
            f"<@{ANA}> sent 🌹 **Rose** ×4 to <@{other_creator}> (🪙 4)",  # to the other creator
            f"<@{ANA}> sent 🍩 **Doughnut** ×4 to <@{CREATOR}> (🪙 120)",
        ]
    )


async def test_gifts_at_or_above_the_threshold_get_a_message_of_their_own(rig):
    for _ in range(3):
        rig.engine.publish(gift(ANA, ROSE))
        await rig.timer.advance(0.5)
    big = rig.engine.publish(gift(ANA, GALAXY))  # 1,000 coins: exactly the threshold
    many_roses = rig.engine.publish(gift(ANA, ROSE, count=1000))  # one send worth 1,000 coins
    await rig.timer.advance(0.5)
    rig.engine.publish(gift(ANA, ROSE))
    await rig.timer.advance(30)

    assert await big and await many_roses
    texts = [m.text for m in rig.sink.sent()]
    assert texts == [
        f"<@{ANA}> sent 🌹 **Rose** ×4 to <@{CREATOR}> (🪙 4)",
        f"<@{ANA}> sent 🌌 **Galaxy** ×1 to <@{CREATOR}> (🪙 1,000)",
        f"<@{ANA}> sent 🌹 **Rose** ×1,000 to <@{CREATOR}> (🪙 1,000)",
    ]


async def test_a_creator_threshold_decides_what_counts_as_big(rig):
    low = rig.engine.publish(gift(ANA, DONUT, threshold=30))
    low_again = rig.engine.publish(gift(ANA, DONUT, threshold=30))
    await rig.timer.advance(30)
    assert await low and await low_again
    assert len(rig.sink.sent()) == 2  # each send is big for this creator: no streak


async def test_the_creators_template_and_the_senders_message_are_used(rig):
    template = validate_template("Thank you {sender} for the {gift} 💖")
    done = rig.engine.publish(gift(ANA, GALAXY, template=template, message="for you @everyone"))
    await rig.timer.advance(1)

    assert await done
    [message] = rig.sink.sent()
    assert (
        message.text
        == f"Thank you <@{ANA}> for the 🌌 **Galaxy** 💖 → <@{CREATOR}>\n> for you @\u200beveryone"
    )
    assert message.mention_ids == (ANA,)


# --- the rate limit ----------------------------------------------------------------------------------


async def test_a_burst_of_10000_gifts_from_500_senders_stays_within_the_rate_limit(rig):
    rng = random.Random(7)
    senders = [100_000 + i for i in range(500)]
    cheap = [ROSE, ("Finger Heart", "🫰", 5), ("Perfume", "🧴", 20), ("Love Bang", "💥", 25), DONUT]
    favourite = {s: rng.choice(cheap) for s in senders}
    schedule = sorted(rng.uniform(0, 60) for _ in range(10_000))
    futures = []
    total = 0
    for moment in schedule:
        await rig.timer.advance_to(moment)
        sender = rng.choice(senders)
        kind = GALAXY if rng.random() < 0.003 else favourite[sender]
        count = rng.choice((1, 1, 1, 5))
        total += count
        futures.append(rig.engine.publish(gift(sender, kind, count)))
    await rig.timer.advance(600)  # let the backlog drain

    assert rig.sink.max_in_window(CHANNEL, 5.0) <= 5
    assert all(f.done() and f.result() for f in futures)
    assert sum(shown_count(m.text) for m in rig.sink.sent()) == total  # every gift is in some count
    assert all(len(m.text) <= PACKED_MESSAGE_MAX for m in rig.sink.sent())
    assert all(len(m.mention_ids) <= 100 for m in rig.sink.sent())
    assert rig.engine.stats().channels == 0  # nothing kept once the channel is idle


async def test_lines_waiting_for_the_rate_limit_are_packed_up_to_6000_characters_a_message(rig):
    senders = [ANA + i for i in range(120)]
    futures = [rig.engine.publish(gift(sender, ROSE)) for sender in senders]
    await rig.timer.advance(20)

    assert all(f.result() for f in futures)
    sent = rig.sink.sent()
    assert [len(m.text.splitlines()) for m in sent] == [71, 49]  # two messages, not three of 40 lines
    assert DISCORD_MESSAGE_MAX < len(sent[0].text) <= PACKED_MESSAGE_MAX  # beyond content: in embeds
    assert sent[0].mention_ids == tuple(senders[:71])
    assert sum(shown_count(m.text) for m in sent) == 120


def test_a_packed_shoutout_splits_into_embeds_at_line_ends():
    lines = [f"<@{ANA + i}> sent 🌹 **Rose** ×1 to <@{CREATOR}> (🪙 1)" for i in range(80)]
    text = "\n".join(lines)

    parts = split_for_embeds(text)

    assert len(parts) == 2 and all(len(part) <= 4096 for part in parts)
    assert "\n".join(parts) == text  # nothing lost, no line cut


async def test_gifts_to_a_posted_streak_start_a_new_line_while_a_packed_send_waits(rig):
    first = rig.engine.publish(gift(ANA, ROSE))
    await rig.timer.advance(0.1)
    for i in range(4):  # the rest of the window goes to big gifts
        rig.engine.publish(gift(BEN + i, GALAXY))
    await rig.timer.advance(0.1)
    rig.engine.publish(gift(BEN + 10, ROSE))  # something is waiting for the next send …
    more = [rig.engine.publish(gift(ANA, ROSE)) for _ in range(3)]  # … so Ana's roses ride along
    await rig.timer.advance(10)

    assert await first and all(f.result() for f in more)
    assert not [a for a in rig.sink.actions if a.kind == "edit"]
    texts = [m.text for m in rig.sink.sent()]
    assert texts[0] == f"<@{ANA}> sent 🌹 **Rose** ×1 to <@{CREATOR}> (🪙 1)"
    assert f"<@{ANA}> sent 🌹 **Rose** ×3 to <@{CREATOR}> (🪙 3)" in texts[-1].splitlines()


async def test_pending_updates_to_one_message_become_one_edit(rig):
    first = rig.engine.publish(gift(ANA, ROSE))
    for i in range(4):  # use up the other four requests of the window
        rig.engine.publish(gift(100 + i, GALAXY))
    await rig.timer.advance(1)
    later = []
    for _ in range(40):  # no request is free until t=5 s: these wait, merged
        later.append(rig.engine.publish(gift(ANA, ROSE)))
        await rig.timer.advance(0.05)
    await rig.timer.advance(5)

    assert await first and all(f.result() for f in later)
    edits = [a for a in rig.sink.actions if a.kind == "edit"]
    assert [e.at for e in edits] == [5.0]
    assert rig.sink.sent()[0].text == f"<@{ANA}> sent 🌹 **Rose** ×41 to <@{CREATOR}> (🪙 41)"


# --- failures and lifecycle --------------------------------------------------------------------------


async def test_a_channel_that_cannot_be_posted_in_resolves_false(rig, caplog):
    rig.sink.broken_channels.add(CHANNEL)
    failed = rig.engine.publish(gift(ANA, GALAXY))
    also_failed = rig.engine.publish(gift(ANA, ROSE))
    await rig.timer.advance(10)

    assert await failed is False and await also_failed is False
    assert rig.sink.sent() == []
    assert "cannot post in alerts channel" in caplog.text


async def test_no_alerts_channel_or_a_stopped_engine_answers_false_at_once(rig):
    assert (await rig.engine.publish(gift(ANA, ROSE, channel=None))) is False
    idle = AlertEngine(timer=rig.timer)
    assert (await idle.publish(gift(ANA, ROSE))) is False


async def test_a_deleted_shoutout_is_posted_again_when_its_streak_grows(rig):
    rig.engine.publish(gift(ANA, ROSE))
    await rig.timer.advance(1)
    [first] = rig.sink.sent()
    rig.sink.deleted_messages.add(first.id)  # a moderator deleted it
    more = rig.engine.publish(gift(ANA, ROSE))
    await rig.timer.advance(2)

    assert await more
    assert rig.sink.sent()[-1].text == f"<@{ANA}> sent 🌹 **Rose** ×2 to <@{CREATOR}> (🪙 2)"


async def test_stopping_posts_what_waits_within_the_rate_limit(rig):
    futures = [rig.engine.publish(gift(100 + i, GALAXY)) for i in range(12)]
    await rig.timer.advance(0.1)  # five posted, seven waiting
    await stop(rig.engine, rig.timer)

    assert all(f.done() and f.result() for f in futures)
    assert sum(shown_count(m.text) for m in rig.sink.sent()) == 12
    assert rig.sink.max_in_window(CHANNEL) <= 5
    assert (await rig.engine.publish(gift(ANA, ROSE))) is False  # stopped: nothing more is taken


async def test_a_stop_that_cannot_flush_in_time_answers_false():
    timer = VirtualTimer()
    sink = RecordingSink(timer)
    engine = AlertEngine(timer=timer, flush_timeout_s=2.0, max_pending_solo=1000)
    await engine.start(sink)
    futures = [engine.publish(gift(100 + i, GALAXY, channel=CHANNEL + i % 2)) for i in range(30)]
    await timer.advance(0.1)
    stopping = asyncio.create_task(engine.stop())
    await timer.advance(5)
    await stopping

    results = [f.result() for f in futures]
    assert results.count(True) == 10  # five per channel at once, then the flush timed out
    assert engine.stats().channels == 0


async def test_a_request_still_hanging_at_the_end_of_the_flush_answers_false():
    class HangingSink(RecordingSink):
        async def send(self, channel_id, text, mention_ids):
            await asyncio.Event().wait()  # Discord never answers

    timer = VirtualTimer()
    engine = AlertEngine(timer=timer, flush_timeout_s=3.0)
    await engine.start(HangingSink(timer))
    hanging = engine.publish(gift(ANA, GALAXY))
    queued = engine.publish(gift(BEN, GALAXY))
    await timer.advance(1)
    stopping = asyncio.create_task(engine.stop())
    await timer.advance(5)
    await stopping

    assert hanging.result() is False and queued.result() is False

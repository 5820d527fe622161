"""The alerts cog with discord.py's own objects: what reaches Discord's REST API when a gift is shouted
out (content and allowed mentions), streak edits, failures, and flushing on unload."""

from __future__ import annotations

import itertools
import logging

import pytest

from bot.alerts import GiftAlert
from cogs.alerts import shoutout_mentions
from tests.support.channels import FakeChannels

CREATOR = 300_000_000_000_000_001
ANA = 100_000_000_000_000_001
BEN = 100_000_000_000_000_002
_entries = itertools.count(1)


def gift(channel_id, sender=ANA, *, name="Rose", emoji="🌹", price=1, count=1, template=None, message=None):
    return GiftAlert(
        guild_id=1,
        channel_id=channel_id,
        entry_id=next(_entries),
        creator_id=CREATOR,
        sender_id=sender,
        gift_name=name,
        gift_emoji=emoji,
        count=count,
        coins=count * price,
        template=template,
        threshold=1000,
        message=message,
    )


@pytest.fixture
def channels(bot) -> FakeChannels:
    return FakeChannels(bot)


def only_the_sender(allowed: dict, *senders: int) -> bool:
    """Discord's allowed_mentions payload: no parse (no everyone/here/roles/users), just these users."""
    return allowed.get("parse") == [] and allowed.get("users") == list(senders) and not allowed.get("roles")


async def test_a_shoutout_pings_only_the_sender_whatever_the_template_says(bot, services, channels):
    alerts = channels.add_text_channel()
    template = "@everyone @here <@&123456789012345678> look: {sender} sent {gift}!"

    posted = await services.alerts.publish(
        gift(alerts.id, template=template, name="Galaxy", emoji="🌌", price=1000, message="hi @everyone")
    )

    assert posted is True
    [request] = channels.requests
    assert request.method == "POST" and request.channel_id == alerts.id
    assert only_the_sender(request.allowed_mentions, ANA)
    assert request.content.startswith("@\u200beveryone @\u200bhere <@\u200b&123456789012345678> look:")
    assert f"<@{ANA}> sent 🌌 **Galaxy**!" in request.content
    assert "@everyone" not in request.content and "@here" not in request.content


def test_allowed_mentions_never_include_everyone_or_roles_even_over_a_permissive_default():
    import discord

    permissive = discord.AllowedMentions.all()
    merged = permissive.merge(shoutout_mentions([ANA])).to_dict()
    assert merged == {"parse": [], "users": [ANA]}


async def test_a_growing_streak_edits_its_message_with_the_same_mention_rules(bot, services, channels):
    alerts = channels.add_text_channel()
    assert await services.alerts.publish(gift(alerts.id))
    assert await services.alerts.publish(gift(alerts.id, count=5))

    post, edit = channels.requests
    assert (post.method, edit.method) == ("POST", "PATCH")
    assert edit.message_id == post.message_id
    assert only_the_sender(edit.allowed_mentions, ANA)
    [message] = channels.posted(alerts.id)
    assert message.content == f"<@{ANA}> sent 🌹 **Rose** ×6 to <@{CREATOR}> (🪙 6)"


async def test_a_deleted_channel_fails_the_shoutout_and_is_logged(bot, services, channels, caplog):
    alerts = channels.add_text_channel()
    channels.delete_channel(alerts.id)

    with caplog.at_level(logging.WARNING, logger="bot.alerts"):
        posted = await services.alerts.publish(gift(alerts.id))

    assert posted is False
    assert channels.requests == []
    assert "no longer exists" in caplog.text


async def test_a_channel_without_permission_fails_the_shoutout(bot, services, channels, caplog):
    alerts = channels.add_text_channel()
    channels.forbid(alerts.id)

    with caplog.at_level(logging.WARNING, logger="bot.alerts"):
        posted = await services.alerts.publish(gift(alerts.id))

    assert posted is False
    assert "missing permission" in caplog.text


async def test_a_shoutout_deleted_by_a_moderator_is_posted_again_as_the_streak_grows(bot, services, channels):
    alerts = channels.add_text_channel()
    assert await services.alerts.publish(gift(alerts.id))
    [first] = channels.posted()
    channels.delete_message(first.id)

    assert await services.alerts.publish(gift(alerts.id))

    [again] = channels.posted()
    assert again.id != first.id and again.content == f"<@{ANA}> sent 🌹 **Rose** ×2 to <@{CREATOR}> (🪙 2)"


async def test_no_alerts_channel_means_no_shoutout(bot, services, channels):
    assert await services.alerts.publish(gift(None)) is False
    assert channels.requests == []


async def test_unloading_the_cog_posts_what_waits_then_stops_taking_gifts(bot, services, channels):
    alerts = channels.add_text_channel()
    waiting = [services.alerts.publish(gift(alerts.id, sender)) for sender in (ANA, BEN)]

    await bot.unload_extension("cogs.alerts")

    assert all(f.done() and f.result() for f in waiting)
    [message] = channels.posted(alerts.id)
    assert message.content.splitlines() == [
        f"<@{ANA}> sent 🌹 **Rose** ×1 to <@{CREATOR}> (🪙 1)",
        f"<@{BEN}> sent 🌹 **Rose** ×1 to <@{CREATOR}> (🪙 1)",
    ]
    assert only_the_sender(channels.requests[0].allowed_mentions, ANA, BEN)
    assert await services.alerts.publish(gift(alerts.id)) is False

    await bot.load_extension("cogs.alerts")  # and it can start again
    assert await services.alerts.publish(gift(alerts.id)) is True


async def test_a_packed_burst_message_carries_its_lines_in_embeds_within_discords_limits(
    bot, services, channels
):
    alerts = channels.add_text_channel()
    senders = [ANA + i for i in range(120)]

    posted = [services.alerts.publish(gift(alerts.id, sender)) for sender in senders]

    assert all([await future for future in posted])
    first = channels.requests[0]
    embeds = first.payload["embeds"]
    assert first.method == "POST" and not first.payload.get("content")
    descriptions = [embed["description"] for embed in embeds]
    assert all(len(d) <= 4096 for d in descriptions) and sum(len(d) for d in descriptions) <= 6000
    lines = "\n".join(descriptions).splitlines()
    assert len(lines) > 40 and all(f"to <@{CREATOR}>" in line for line in lines)
    assert only_the_sender(first.allowed_mentions, *senders[: len(lines)])

"""/live schedule through the real command tree: the Discord event it creates, the refusal without
Manage Events, and cancel."""

from __future__ import annotations

from simulator.discord_payloads import Member
from tests.support.channels import FakeChannels

CARA = Member(103, "cara")
MANAGE_EVENTS = 1 << 33


async def test_schedule_creates_the_event_and_cancel_cancels_it(driver, bot):
    channels = FakeChannels(bot)
    stage = channels.add_text_channel(name="stage-ish")
    await driver.slash("creator register", CARA)
    driver.add_resolved_channel(stage.id, "stage-ish")

    reply = await driver.slash("live schedule new", CARA, when="3h", title="Dance party", channel=stage.id)

    assert reply.ephemeral and "**Dance party** is scheduled" in reply.text and "<t:" in reply.text
    [event] = channels.scheduled_events.values()
    assert event["name"] == "Dance party" and event["status"] == 1
    assert event["entity_type"] == 3 and str(stage.id) in event["entity_metadata"]["location"]

    again = await driver.slash("live schedule new", CARA, when="4h")
    assert "already have a scheduled stream" in again.text and len(channels.scheduled_events) == 1

    cancelled = await driver.slash("live schedule cancel", CARA)
    assert "Cancelled **Dance party**" in cancelled.text and event["status"] == 4


async def test_schedule_without_manage_events_says_so_and_creates_nothing(driver, bot):
    channels = FakeChannels(bot)
    await driver.slash("creator register", CARA)
    driver.app_permissions = ((1 << 53) - 1) & ~MANAGE_EVENTS & ~(1 << 44)

    reply = await driver.slash("live schedule new", CARA, when="2h")

    assert reply.ephemeral and "Manage Events" in reply.text
    assert channels.scheduled_events == {}


async def test_a_bad_time_is_refused_clearly(driver, bot):
    FakeChannels(bot)
    await driver.slash("creator register", CARA)
    reply = await driver.slash("live schedule new", CARA, when="next tuesday")
    assert reply.ephemeral and "I can't read" in reply.text

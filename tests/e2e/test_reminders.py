"""The daily budget reminder arrives as a DM; a member whose DMs are closed is paused, not retried, and
told so by /budget show."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.reminders import JOB_ID
from tests.support.clock import FakeClock


@pytest.fixture
def e2e_clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 28, 8, 30, tzinfo=UTC))


async def test_closed_dms_pause_reminders_and_budget_show_says_so(e2e, running_bot, e2e_clock):
    ana, bo = e2e.member("ana"), e2e.member("bo")
    for member in (ana, bo):
        reply = await e2e.slash(
            "budget reminders", member, enabled="on", time="09:00", timezone="Europe/London"
        )
        assert reply.ephemeral
    e2e.fake.closed_dms.add(bo.user_id)
    e2e_clock.advance(minutes=31)

    job = running_bot.bot.scheduler.get_job(JOB_ID)
    await job.func(*job.args, **job.kwargs)
    await e2e.wait_for(lambda: e2e.fake.dms_to(ana.user_id), what="ana's reminder")
    assert e2e.fake.dms_to(bo.user_id) == []

    e2e_clock.advance(days=1)  # the next day: ana again, bo is paused and not tried again
    posts_to_bo = len([r for r in e2e.fake.requests if r.status == 403])
    assert posts_to_bo == 1  # the bot tried once and Discord said no
    await job.func(*job.args, **job.kwargs)
    await e2e.wait_for(lambda: len(e2e.fake.dms_to(ana.user_id)) == 2, what="ana's second reminder")
    assert len([r for r in e2e.fake.requests if r.status == 403]) == posts_to_bo

    shown = await e2e.slash("budget show", bo)
    assert shown.ephemeral and "paused" in shown.text.lower()


async def test_reminders_pause_for_a_member_who_left_and_stop_when_the_bot_is_removed(
    e2e, running_bot, e2e_clock
):
    ana, cy = e2e.member("ana"), e2e.member("cy")
    for member in (ana, cy):
        await e2e.slash("budget reminders", member, enabled="on", time="09:00", timezone="Europe/London")
    e2e.fake.member_leaves(cy.user_id)  # without the members intent the bot gets no event for this
    e2e_clock.advance(minutes=31)

    job = running_bot.bot.scheduler.get_job(JOB_ID)
    await job.func(*job.args, **job.kwargs)
    await e2e.wait_for(lambda: e2e.fake.dms_to(ana.user_id), what="ana's reminder")
    assert e2e.fake.dms_to(cy.user_id) == []  # checked before sending: no DM about a server cy left
    shown = await e2e.slash("budget show", cy)
    assert "paused" in shown.text.lower()

    await e2e.fake.remove_bot_from_guild()
    await e2e.wait_for(lambda: running_bot.bot.get_guild(e2e.fake.guild_id) is None, what="GUILD_DELETE")
    e2e_clock.advance(days=1)
    await job.func(*job.args, **job.kwargs)
    assert len(e2e.fake.dms_to(ana.user_id)) == 1  # no reminder from a server the bot is no longer in
    assert await running_bot.services.reminders.due() == []  # stopped, not retried every minute

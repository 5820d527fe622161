"""A restart of the bot (close it, start a new one on the same database file) keeps balances, open live
sessions and reminders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.reminders import JOB_ID
from simulator.fake_discord import ALERTS_CHANNEL_ID
from tests.e2e.test_gifts_live import buy, setup_live_creator, wallet
from tests.support.clock import FakeClock


@pytest.fixture
def e2e_clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 28, 8, 0, tzinfo=UTC))


async def test_restart_keeps_balances_open_live_sessions_and_reminders(e2e, running_bot, e2e_clock):
    cara = await setup_live_creator(e2e, title="Marathon")
    ana = e2e.member("ana")
    await e2e.slash("wallet region", ana, region="IN")
    await buy(e2e, ana, 700)
    await e2e.slash("gift send", ana, gift="Doughnut", creator=cara, count=2)
    reminders = await e2e.slash("budget reminders", ana, enabled="on", time="09:00", timezone="Europe/London")
    assert reminders.ephemeral
    await e2e.slash("budget set", ana, period="daily", coins=500)

    await running_bot.restart()
    e2e_clock.advance(hours=1, minutes=1)  # 09:01 in London, the bot was down at 09:00

    balance = await e2e.slash("wallet balance", ana)
    assert "640" in balance.text and "₹" in balance.text  # 700 bought, 60 gifted; the region survived
    assert wallet(running_bot, cara) == (0, 60)

    again = await e2e.slash("live start", cara, title="Another")
    assert again.ephemeral and "already" in again.text.lower()  # the session opened before is still open

    job = running_bot.bot.scheduler.get_job(JOB_ID)
    assert job is not None, "the reminder job was not rebuilt at start"
    await job.func(*job.args, **job.kwargs)  # the run the scheduler makes every minute
    dms = await e2e.wait_for(lambda: e2e.fake.dms_to(ana.user_id), what="the reminder DM")
    assert "440 coins" in dms[0].text and "daily budget of 500" in dms[0].text  # 60 spent before the restart
    assert len(dms) == 1
    await job.func(*job.args, **job.kwargs)  # a second run the same day sends nothing
    assert len(e2e.fake.dms_to(ana.user_id)) == 1

    ended = await e2e.slash("live end", cara)
    assert ended.ephemeral
    summary = await e2e.wait_for(
        lambda: [m for m in e2e.fake.channel_messages(ALERTS_CHANNEL_ID) if "ended" in m.text],
        what="the live summary",
    )
    assert "Marathon" in summary[0].text and "Doughnut ×2" in summary[0].text

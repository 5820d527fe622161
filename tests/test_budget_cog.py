"""/budget through the real command tree: private replies, refusals, and the scheduler's wiring."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.reminders import JOB_ID, DirectMessagesClosed
from simulator.discord_payloads import GUILD_ID, Member
from storage.ledger_check import find_discrepancies
from tests.support.factories import spend

ANA = Member(101, "ana")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def test_show_is_private_and_tells_spent_left_mode_and_reminders(driver, services, db, clock):
    clock.now = utc(2026, 11, 28, 12, 0)
    await driver.slash("wallet region", ANA, region="GB")
    await driver.slash("budget set", ANA, period="daily", coins=500)
    await spend(db, GUILD_ID, ANA.user_id, 70, clock())

    reply = await driver.slash("budget show", ANA)

    assert reply.ephemeral
    assert "Spent today: 🪙 70 (≈ £0.75)" in reply.text
    assert "Left: 🪙 430 (≈ £4.61) of 500" in reply.text
    assert "Resets at 00:00 on Sun 29 Nov (UTC)" in reply.text
    assert "No monthly budget" in reply.text
    assert "warn" in reply.text
    assert "Reminders: Off" in reply.text


async def test_set_refuses_bad_amounts_and_periods_without_changing_anything(driver, services):
    await driver.slash("budget set", ANA, period="daily", coins=500)
    for coins in (0, -1, 2**53, 10_000_001):
        reply = await driver.slash("budget set", ANA, period="daily", coins=coins)
        assert reply.ephemeral
        assert "from 1 to 10,000,000" in reply.text
    reply = await driver.slash("budget set", ANA, period="weekly", coins=100)
    assert reply.ephemeral and "`daily` or `monthly`" in reply.text

    view = await services.budgets.snapshot(GUILD_ID, ANA.user_id)
    assert view.daily.limit == 500 and view.daily.pending is None


async def test_raising_says_when_it_takes_effect_and_show_repeats_it(driver, clock):
    clock.now = utc(2026, 11, 28, 12, 0)
    await driver.slash("budget reminders", ANA, enabled="off", timezone="Europe/London")
    first = await driver.slash("budget set", ANA, period="monthly", coins=1000)
    assert "Your monthly budget is now **1,000 coins** (≈ $10.57)" in first.text

    raised = await driver.slash("budget set", ANA, period="monthly", coins=3000)
    assert raised.ephemeral
    assert "will rise to **3,000 coins**" in raised.text
    assert "at 12:00 on Sun 29 Nov (Europe/London), in 1 d 0 h" in raised.text
    assert "stays at 1,000 coins" in raised.text

    cleared = await driver.slash("budget clear", ANA, period="monthly")
    assert "will be cleared at 12:00 on Sun 29 Nov (Europe/London)" in cleared.text

    shown = await driver.slash("budget show", ANA)
    assert "Cooling-off: it is cleared at 12:00 on Sun 29 Nov (Europe/London)" in shown.text
    assert "Europe/London (your time zone)" in shown.text


async def test_mode_block_is_shown(driver):
    reply = await driver.slash("budget mode", ANA, mode="block")
    assert reply.ephemeral and "block" in reply.text
    assert "refused" in (await driver.slash("budget show", ANA)).text
    bad = await driver.slash("budget mode", ANA, mode="lenient")
    assert bad.ephemeral and "`warn`" in bad.text


async def test_reminders_refuse_unknown_zones_and_times_clearly(driver, services):
    bad_zone = await driver.slash("budget reminders", ANA, enabled="on", timezone="Mars/Olympus_Mons")
    assert bad_zone.ephemeral and "I don't know the time zone 'Mars/Olympus_Mons'" in bad_zone.text
    bad_time = await driver.slash("budget reminders", ANA, enabled="on", time="25:00")
    assert bad_time.ephemeral and "HH:MM on a 24-hour clock" in bad_time.text
    assert not (await services.budgets.snapshot(GUILD_ID, ANA.user_id)).reminders.enabled

    good = await driver.slash("budget reminders", ANA, enabled="on", time="21:30", timezone="Europe/London")
    assert good.ephemeral and "every day at **21:30** (Europe/London)" in good.text
    shown = await driver.slash("budget show", ANA)
    assert "On, every day at 21:30 (Europe/London)" in shown.text


async def test_timezone_autocomplete_offers_iana_names(driver):
    choices = await driver.autocomplete("budget reminders", ANA, "timezone", enabled="on", timezone="london")
    assert {"name": "Europe/London", "value": "Europe/London"} in choices
    assert len(choices) <= 25
    choices = await driver.autocomplete("budget reminders", ANA, "timezone", enabled="on", timezone="new_y")
    assert choices[0]["value"] == "America/New_York"


async def test_show_tells_a_member_whose_dms_were_closed(driver, services, clock):
    class Closed:
        async def send(self, guild_id: int, user_id: int, text: str) -> None:
            raise DirectMessagesClosed("closed")

    clock.now = utc(2026, 11, 28, 8, 0)
    await driver.slash("budget reminders", ANA, enabled="on", time="09:00")
    clock.now = utc(2026, 11, 28, 9, 0)
    await services.reminders.send_due(Closed())

    shown = await driver.slash("budget show", ANA)
    assert shown.ephemeral
    assert "Paused" in shown.text and "direct messages are closed" in shown.text
    assert "/budget reminders enabled:on" in shown.text

    await driver.slash("budget reminders", ANA, enabled="on")
    assert "Paused" not in (await driver.slash("budget show", ANA)).text


async def test_the_cog_installs_the_job_and_close_stops_the_scheduler(bot):
    assert bot.scheduler.get_job(JOB_ID) is not None
    bot.scheduler.start()  # what setup_hook does after loading the extensions
    assert bot.scheduler.running
    assert [job.id for job in bot.scheduler.get_jobs()].count(JOB_ID) == 1

    await bot.close()
    await asyncio.sleep(0)
    assert not bot.scheduler.running


async def test_a_gift_over_the_budget_asks_in_warn_mode_and_is_refused_in_block_mode(driver, services, db):
    cleo = Member(303, "cleo")
    driver.add_resolved_member(cleo)
    await driver.slash("creator register", cleo)
    await services.purchases.purchase(GUILD_ID, ANA.user_id, 700, "fund-ana")
    await driver.slash("budget set", ANA, period="daily", coins=100)

    exactly = await driver.slash("gift send", ANA, gift="Rose", creator=cleo.user_id, count=100)
    assert exactly.ephemeral and "Gift sent" in exactly.text

    prompt = await driver.slash("gift send", ANA, gift="Rose", creator=cleo.user_id, count=1)
    assert prompt.ephemeral
    assert "go over it by 1 coin (≈" in prompt.text and "Send it anyway?" in prompt.text
    assert (await services.wallets.balance(GUILD_ID, ANA.user_id)).coins == 600

    await driver.slash("budget mode", ANA, mode="block")
    refused = await driver.slash("gift send", ANA, gift="Rose", creator=cleo.user_id, count=1)
    assert refused.ephemeral
    assert "Gift not sent" in refused.text and "resets at 00:00 on" in refused.text
    assert (await services.wallets.balance(GUILD_ID, ANA.user_id)).coins == 600
    shown = await driver.slash("budget show", ANA)
    assert "Spent today: 🪙 100" in shown.text and "Left: 🪙 0" in shown.text
    assert await db.read(find_discrepancies) == []

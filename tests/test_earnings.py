"""Creator earnings: held, pending, value after fee, top supporters, and the daily chart."""

from __future__ import annotations

import asyncio
import struct
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.charts import PNG_MAGIC, daily_diamonds_chart
from bot.earnings import CHART_DAYS
from tests.support.factories import GUILD, assert_clean, gift, key

pytestmark = pytest.mark.cashouts  # a server without a coin shop that allows cash-outs


CREATOR, MOD = 901, 902


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_chart_is_a_png_with_one_bar_per_day():
    days = [(date(2026, 11, 1) + timedelta(days=i), i % 4 * 10) for i in range(30)]
    chart = daily_diamonds_chart(days)
    assert chart.png.startswith(PNG_MAGIC)
    assert chart.png.endswith(b"IEND\xaeB`\x82")
    width, height = png_size(chart.png)
    assert width > 100 and height > 100
    assert chart.bars == 30
    assert daily_diamonds_chart(days[:7]).bars == 7


async def test_chart_renders_off_the_event_loop():
    days = [(date(2026, 11, 1) + timedelta(days=i), i) for i in range(5)]
    charts = await asyncio.gather(*(asyncio.to_thread(daily_diamonds_chart, days) for _ in range(3)))
    assert [c.bars for c in charts] == [5, 5, 5]
    assert len({c.png for c in charts}) == 1  # no shared state between threads


async def test_creator_without_gifts_has_an_empty_state(services):
    earnings = await services.earnings.earnings(GUILD, CREATOR)
    assert not earnings.has_gifts
    assert (earnings.held, earnings.pending, earnings.total_received) == (0, 0, 0)
    assert earnings.supporters == []
    assert len(earnings.daily) == CHART_DAYS and earnings.recent_total == 0
    assert earnings.value_text() == "$0"


async def test_earnings_figures(services, clock):
    start = clock.now
    # five supporters of different sizes, a sixth small one, over several days
    fans = {1001: ("Galaxy", 2), 1002: ("Corgi", 3), 1003: ("Hand Hearts", 1), 1004: ("Doughnut", 2)}
    for offset, (fan, (name, count)) in enumerate(fans.items()):
        clock.now = start - timedelta(days=offset)
        await gift(services, fan, CREATOR, name, count)
    clock.now = start - timedelta(days=40)  # outside the chart, still counted for supporters
    await gift(services, 1005, CREATOR, "Perfume", 2)
    clock.now = start
    await gift(services, 1006, CREATOR, "Rose", 1)
    await gift(services, 1006, CREATOR, "Finger Heart", 1)
    reversed_entry = await gift(services, 1007, CREATOR, "Lion", 1)
    await services.corrections.reverse(GUILD, MOD, reversed_entry, "mistake")

    payout = await services.payouts.request(GUILD, CREATOR, 1000, key())
    earnings = await services.earnings.earnings(GUILD, CREATOR)

    total = 2000 + 897 + 100 + 60 + 40 + 1 + 5
    assert earnings.total_received == total
    assert earnings.held == total - 1000
    assert earnings.pending == payout.diamonds == 1000
    # (total − 1000) × 74/70 × 0.5 = 2103 × 0.528… = 1111.58… cents → $11.11
    assert earnings.value_text() == "$11.11"
    assert earnings.pending_value_text() == "$5.28"
    assert [(s.user_id, s.diamonds) for s in earnings.supporters] == [
        (1001, 2000),
        (1002, 897),
        (1003, 100),
        (1004, 60),
        (1005, 40),
    ]
    assert len(earnings.daily) == CHART_DAYS
    assert earnings.daily[-1] == (start.date(), 2000 + 1 + 5)
    assert dict(earnings.daily)[start.date() - timedelta(days=1)] == 897
    assert earnings.recent_total == total - 40
    await assert_clean(services)


async def test_days_follow_the_creators_time_zone(services, clock):
    await services.guild_config.set_timezone(GUILD, MOD, "Pacific/Auckland")  # UTC+13 in November
    clock.now = datetime(2026, 11, 28, 11, 30, tzinfo=UTC)  # 29 November 00:30 in Auckland
    await gift(services, 1001, CREATOR, "Rose", 3)
    earnings = await services.earnings.earnings(GUILD, CREATOR)
    assert earnings.daily[-1] == (date(2026, 11, 29), 3)
    assert earnings.timezone == "Pacific/Auckland"

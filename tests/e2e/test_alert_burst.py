"""A burst of 510 gifts (500 roses in streaks, 10 perfumes above the threshold) meets Discord's 429s: every gift is still counted in the alerts channel.

The alerts engine keeps to Discord's 5 messages per 5 s per channel on its own; the fake Discord is made
stricter than that (2 per window, unannounced, plus forced and global 429s), so discord.py has to wait and
retry. Time runs ten
times faster for the engine (its timer is scaled; the production code is unchanged) and the fake's window
is scaled the same way, so the scenario takes a couple of seconds instead of half a minute.
"""

from __future__ import annotations

import asyncio
import re

from simulator.fake_discord import ALERTS_CHANNEL_ID
from tests.e2e.conftest import ledger_problems_in
from tests.e2e.test_gifts_live import buy
from tests.support.fast_timer import ScaledTimer

SPEED = 10.0
SENDERS = 10
GIFTS_EACH = 50
COUNT = re.compile(r"(?:Rose|Perfume)\*?\*? ×([\d,]+)")


def counted(fake) -> int:
    """Gifts shown in the alerts channel: the sum of every shout-out line's ×count, as members see it."""
    return sum(
        int(n.replace(",", ""))
        for message in fake.channel_messages(ALERTS_CHANNEL_ID)
        for n in COUNT.findall(message.text)  # content, or the embeds of a packed message
    )


async def test_burst_of_500_gifts_meets_429s_without_losing_any_alert_count(e2e, running_bot):
    fake = e2e.fake
    running_bot.services.alerts.timer = ScaledTimer(SPEED)
    mod = e2e.moderator("mo")
    await e2e.slash("config alerts-channel", mod, channel=ALERTS_CHANNEL_ID)
    cara = e2e.member("cara")
    await e2e.slash("creator register", cara)
    await e2e.slash("creator shoutout-threshold", cara, coins=20)  # a Perfume (20 coins) gets its own message
    senders = [e2e.member(f"viewer{i}") for i in range(SENDERS)]
    for sender in senders:
        await buy(e2e, sender, 70)

    # stricter than Discord's 5 per 5 s, and unannounced (a shared limit): only 429s tell the bot
    limiter = fake.rate_limit(
        rf"^/channels/{ALERTS_CHANNEL_ID}/messages", limit=2, per_seconds=5.0 / SPEED, advertise=False
    )
    fake.force_429(rf"^/channels/{ALERTS_CHANNEL_ID}/messages", times=3)
    fake.force_429(rf"^/channels/{ALERTS_CHANNEL_ID}/messages", times=1, retry_after=0.2, is_global=True)

    logs = []
    for i in range(GIFTS_EACH + 1):  # viewers tap Rose in parallel, fifty times each, and send one Perfume
        gift = "Perfume" if i == GIFTS_EACH // 2 else "Rose"
        wave = [e2e.slash_log("gift send", s, gift=gift, creator=cara) for s in senders]
        for log in wave:
            await fake.send_interaction(log)
        logs += wave
        await asyncio.sleep(0.005)
    for log in logs:
        await e2e.answered(log, timeout=20)
    receipts = [fake.replies_to(log.id)[0] for log in logs]
    assert all("Gift sent" in r.text for r in receipts), {
        r.text[:80] for r in receipts if "Gift sent" not in r.text
    }

    total = SENDERS * (GIFTS_EACH + 1)
    await e2e.wait_for(
        lambda: counted(fake) >= total, timeout=20, what=f"{total} gifts in the alerts channel"
    )
    await asyncio.sleep(0.2)
    assert counted(fake) == total  # none lost, none counted twice
    refused = [r for r in fake.requests if r.status == 429]
    assert refused, "the fake never answered 429: the scenario proved nothing"
    failures = [m for m in fake.messages.values() if m.kind == "followup" and "could not be posted" in m.text]
    assert not failures
    assert ledger_problems_in(running_bot.settings.database_path) == []
    assert limiter.refused, "the window never refused a request"
    print(
        f"burst: {total} gifts in {len(fake.channel_messages(ALERTS_CHANNEL_ID))} messages;"
        f" {len(refused)} answers 429 ({limiter.refused} from the window)"
    )

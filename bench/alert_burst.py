"""Alert burst: 10,000 gifts from 500 senders within 60 simulated seconds into one alerts channel.

Runs the real alerts engine (bot/alerts) on a virtual clock with a recording fake channel, then lets the
backlog drain. Prints `name: value` lines: messages posted, edits, the most requests (sends + edits) in any
5-second window (target ≤ 5, Discord's per-channel limit), and the share of gifts whose count appears in a
posted message (target 100 %).

    .venv/bin/python bench/alert_burst.py [--gifts 10000] [--senders 500] [--seconds 60] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import time

from bot.alerts import AlertEngine, GiftAlert
from bot.alerts.sim import RecordingSink, VirtualTimer

CHANNEL = 700_000_000_000_000_001
CREATORS = (300_000_000_000_000_001, 300_000_000_000_000_002, 300_000_000_000_000_003)
CHEAP = (("Rose", "🌹", 1), ("Finger Heart", "🫰", 5), ("Perfume", "🧴", 20), ("Love Bang", "💥", 25))
BIG = (("Galaxy", "🌌", 1000), ("Lion", "🦁", 29_999))
BIG_SHARE = 0.003  # about 30 gifts at or above the creators' threshold
THRESHOLD = 1000


async def run(gifts: int, senders: int, seconds: float, seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    timer = VirtualTimer()
    sink = RecordingSink(timer)
    engine = AlertEngine(timer=timer, quiet_s=5.0)
    await engine.start(sink)

    people = [100_000_000_000_000_000 + i for i in range(senders)]
    habit = {p: (rng.choice(CREATORS), rng.choice(CHEAP)) for p in people}  # who they gift, what they tap
    moments = sorted(rng.uniform(0, seconds) for _ in range(gifts))
    futures = []
    delays: list[float] = []  # simulated seconds from a gift to its shout-out being posted or edited
    sent_count = 0
    started = time.perf_counter()
    for entry_id, moment in enumerate(moments, start=1):
        await timer.advance_to(moment)
        sender = rng.choice(people)
        creator, (name, emoji, price) = habit[sender]
        if rng.random() < BIG_SHARE:
            name, emoji, price = rng.choice(BIG)
        count = 1
        sent_count += count
        alert = GiftAlert(
            guild_id=1,
            channel_id=CHANNEL,
            entry_id=entry_id,
            creator_id=creator,
            sender_id=sender,
            gift_name=name,
            gift_emoji=emoji,
            count=count,
            coins=count * price,
            template=None,
            threshold=THRESHOLD,
        )
        future = engine.publish(alert)
        future.add_done_callback(lambda _, at=moment: delays.append(timer.now() - at))
        futures.append(future)
    burst_end = timer.now()
    while engine.stats().channels:  # drain: advance until the channel has nothing left to do
        await timer.advance(1.0)
    drained_at = max((a.at for a in sink.actions), default=0.0)
    await engine.stop()
    wall = time.perf_counter() - started

    messages = sink.sent(CHANNEL)
    shown = sum(int(n.replace(",", "")) for m in messages for n in re.findall(r"×([\d,]+)", m.text))
    confirmed = sum(1 for f in futures if f.done() and f.result())
    lines = sum(len(m.text.splitlines()) for m in messages)
    delays.sort()
    return {
        "gifts": f"{gifts}",
        "senders": f"{senders}",
        "burst_seconds": f"{burst_end:.1f}",
        "messages_posted": f"{len(messages)}",
        "edits": f"{sum(1 for a in sink.actions if a.kind == 'edit')}",
        "shoutout_lines": f"{lines}",
        "max_in_5s_window": f"{sink.max_in_window(CHANNEL, 5.0)}",
        "last_request_at_s": f"{drained_at:.1f}",
        "shown_within_s_p50": f"{delays[len(delays) // 2]:.1f}",
        "shown_within_s_p99": f"{delays[int(len(delays) * 0.99)]:.1f}",
        "futures_confirmed": f"{100 * confirmed / len(futures):.2f}%",
        "wall_seconds": f"{wall:.2f}",
        "gifts_accounted": f"{100 * shown / sent_count:.2f}%",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gifts", type=int, default=10_000)
    parser.add_argument("--senders", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for name, value in asyncio.run(run(args.gifts, args.senders, args.seconds, args.seed)).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()

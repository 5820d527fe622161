"""Interaction latency through the fake Discord: the bot runs as in production (`python -m bot` in its own
process, real settings, a file database), with DISCORD_API_BASE_URL pointing at the local simulator
(simulator/fake_discord.py).

100 slash interactions per second for 30 s, mixed: /wallet balance, /gift send, /leaderboard gifters (those
that exist in this version; the output says which). Latency = from the fake sending INTERACTION_CREATE to
it receiving the bot's interaction callback. Prints `name: value` lines; target p99 <= 25 ms.

    python bench/interaction_latency.py [--rate 100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.driver import Driver  # noqa: E402
from simulator.fake_discord import ALERTS_CHANNEL_ID, FakeDiscord  # noqa: E402

MEMBERS = 50


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):  # the peak resident set size
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def start_bot(fake: FakeDiscord, workdir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DISCORD_TOKEN": "fake-token.for-the-local-fake-discord",
        "DATABASE_PATH": str(workdir / "bench.db"),
        "LOG_LEVEL": "WARNING",
        "DISCORD_API_BASE_URL": fake.api_base,
        "PYTHONPATH": str(ROOT),
    }
    log = (workdir / "bot.log").open("w")
    bot = subprocess.Popen([sys.executable, "-m", "bot"], cwd=workdir, env=env, stdout=log, stderr=log)
    try:
        await asyncio.wait_for(fake.identified.wait(), 30)
    except TimeoutError:
        bot.kill()
        raise SystemExit(f"the bot did not connect; its log:\n{(workdir / 'bot.log').read_text()}") from None
    await asyncio.sleep(0.3)  # GUILD_CREATE handled
    return bot


async def prepare(driver: Driver, paths: set[str]) -> tuple[list, object | None]:
    members = [driver.member(f"viewer{i}") for i in range(MEMBERS)]
    for member in members:
        offer = await driver.slash("coins buy", member, package=700)
        await driver.click(offer.reply, "Get test coins", member)
    creator = None
    if "gift send" in paths and "creator register" in paths:
        creator = driver.member("cara")
        await driver.slash("creator register", creator)
        if "config alerts-channel" in paths:
            await driver.slash("config alerts-channel", driver.moderator(), channel=ALERTS_CHANNEL_ID)
    return members, creator


async def run(rate: float, seconds: float, dump: Path | None = None) -> None:
    fake = await FakeDiscord().start()
    with tempfile.TemporaryDirectory(prefix="latency-") as directory:
        workdir = Path(directory)
        bot = await start_bot(fake, workdir)
        try:
            driver = Driver(fake)
            paths = set(driver.leaf_paths())
            members, creator = await prepare(driver, paths)
            mix = [("wallet balance", 4, {})]
            if creator is not None:
                mix.append(("gift send", 4, {"gift": "Rose", "creator": creator}))
            if "leaderboard gifters" in paths:
                mix.append(("leaderboard gifters", 2, {}))
            names = [name for name, weight, _ in mix for _ in range(weight)]
            options = {name: opts for name, _, opts in mix}
            rng = random.Random(5)
            # Keep the harness's own full garbage collections (it holds every interaction it sent)
            # out of the bot's figures: both timestamps are taken in this process.
            gc.collect()
            gc.freeze()

            logs = []
            kinds: dict[int, str] = {}
            total = int(rate * seconds)
            start = time.perf_counter()
            for i in range(total):
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                name = rng.choice(names)
                log = driver.slash_log(name, rng.choice(members), **options[name])
                await fake.send_interaction(log)
                logs.append(log)
                kinds[log.id] = name
            elapsed = time.perf_counter() - start
            await asyncio.sleep(1.0)
            answered = [log for log in logs if log.callback_at is not None]
            latencies = [(log.callback_at - log.sent_at) * 1000 for log in answered]
            by_kind = {
                name: [(log.callback_at - log.sent_at) * 1000 for log in answered if kinds[log.id] == name]
                for name, _, _ in mix
            }
            rss = peak_rss_mb(bot.pid)
            if dump is not None:  # one line per interaction, to look for periodic stalls
                dump.write_text(
                    "sent_s,kind,latency_ms\n"
                    + "".join(
                        f"{log.sent_at - start:.4f},{kinds[log.id]},{(log.callback_at - log.sent_at) * 1000:.2f}\n"
                        for log in answered
                    )
                )
        finally:
            bot.terminate()
            try:
                bot.wait(15)
            except subprocess.TimeoutExpired:
                bot.kill()
            await fake.stop()
        errors = [line for line in (workdir / "bot.log").read_text().splitlines() if " ERROR " in line]

    print(f"mix: {', '.join(f'{name} {weight * 10}%' for name, weight, _ in mix)}")
    print(f"interactions: {total}")
    print(f"achieved_rate_per_s: {total / elapsed:.1f}")
    print(f"answered: {len(latencies)}")
    print(f"p50_ms: {statistics.median(latencies):.2f}")
    print(f"p99_ms: {percentile(latencies, 99):.2f}")
    print(f"max_ms: {max(latencies):.2f}")
    for name, values in by_kind.items():
        if values:
            key = name.replace(" ", "_")
            print(f"p50_ms_{key}: {statistics.median(values):.2f}")
            print(f"p99_ms_{key}: {percentile(values, 99):.2f}")
    print(f"peak_rss_mb: {rss:.1f}")
    print(f"bot_errors_logged: {len(errors)}")
    print("target_p99_ms: 25")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="interactions per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long")
    parser.add_argument("--dump", type=Path, help="write every interaction's latency to this CSV file")
    args = parser.parse_args()
    asyncio.run(run(args.rate, args.seconds, args.dump))


if __name__ == "__main__":
    main()

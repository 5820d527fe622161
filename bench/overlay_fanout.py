"""Overlay fan-out: 500 overlays connected to one bot (250 creators, an alert box and a goal widget each),
gifts at 50/s spread over those creators for 60 s.

The bot side (a child process: services, SQLite, the aiohttp overlay server) sends the gifts through the gift
service and notes when each committed; this process holds the 500 Server-Sent Event connections and notes
when each alert arrived. Prints `name: value` lines: gifts sent, alerts received, lost and doubled alerts,
goal-bar updates (several gifts landing together make one) and how many goal bars ended on the right
total, latency from the gift's commit to the event received (p50/p99/max), and the bot process's
extra memory with every overlay connected (peak RSS minus RSS before the first connection). Targets: p99 ≤ 250 ms,
extra memory ≤ 50 MB, nothing lost or doubled. The last line is `p99_ms: X`.

    .venv/bin/python bench/overlay_fanout.py [--creators 250] [--rate 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

GUILD = 800_000_000_000_000_001
CREATOR_BASE = 300_000_000_000_000_000
SENDER_BASE = 100_000_000_000_000_000
SENDERS = 500


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- the bot side ------------------------------------------------------------------------------------


async def serve(directory: Path, creators: int, rate: float, seconds: float) -> None:
    from bot.clock import system_clock
    from bot.overlay import OverlayServer
    from bot.services import build_services
    from bot.settings import Settings
    from storage import Database, ledger
    from storage.ledger import NewEntry, Posting

    settings = Settings(_env_file=None, database_path=directory / "bench.db", discord_token=None)
    db = await Database.open(settings.database_path, synchronous="NORMAL")
    services = await build_services(settings, db, system_clock)
    await services.guilds.ensure(GUILD)
    creator_ids = [CREATOR_BASE + i for i in range(creators)]
    secrets = []
    for creator in creator_ids:
        await services.creators.register(GUILD, creator)
        await services.live.start(GUILD, creator, "bench")
        await services.overlay.set_goal(GUILD, creator, 10_000, "bench goal")
        secrets.append(await services.overlay.secret(GUILD, creator))
    for i in range(SENDERS):
        entry = NewEntry(GUILD, "grant", 0, reference="bench", idempotency_key=f"bench-fund-{i}")
        postings = [
            Posting("coins", 1_000_000, user_id=SENDER_BASE + i),
            Posting("coins", -1_000_000, system_account="mint"),
        ]
        await db.write(lambda conn, e=entry, p=postings: ledger.post_entry(conn, e, p))
    server = OverlayServer(services.overlay, "127.0.0.1", 0)
    await server.start()
    await asyncio.sleep(0.5)
    baseline = rss_mb()
    print(json.dumps({"port": server.port, "secrets": secrets}), flush=True)

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.readline()  # "go": every overlay is connected
    connected = services.overlay.hub.open_streams

    peak = rss_mb()
    commits: dict[str, float] = {}
    coins: dict[str, int] = {}  # secret → coins its live received (what its goal bar must end on)
    rng = random.Random(1)
    tasks: set[asyncio.Task[None]] = set()

    async def gift(n: int) -> None:
        creator = rng.choice(creator_ids)
        sender = SENDER_BASE + rng.randrange(SENDERS)
        message = f"g{n}"
        quote = await services.gifts.quote(GUILD, sender, [], "Rose", creator, 1, message)
        await services.gifts.send(quote, f"bench-{n}", confirmed=True)
        commits[message] = time.time()
        secret = secrets[creator - CREATOR_BASE]
        coins[secret] = coins.get(secret, 0) + 1  # a Rose is one coin

    start = loop.time()
    total = int(rate * seconds)
    for n in range(total):
        await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
        task = asyncio.create_task(gift(n))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if n % int(rate) == 0:
            peak = max(peak, rss_mb())
    if tasks:
        await asyncio.gather(*tasks)
    await asyncio.sleep(1.0)
    peak = max(peak, rss_mb())
    print(
        json.dumps(
            {
                "commits": commits,
                "coins": coins,
                "baseline_mb": baseline,
                "peak_mb": peak,
                "connected": connected,
            }
        ),
        flush=True,
    )
    await reader.readline()  # the clients are done
    await server.stop()
    await db.close()


# --- the overlays --------------------------------------------------------------------------------------


class Overlays:
    def __init__(self) -> None:
        self.received: dict[str, list[float]] = {}
        self.goal_updates = 0
        self.goal_coins: dict[str, int] = {}  # secret → the coins its goal bar shows now
        self.ready = 0
        self.all_ready = asyncio.Event()
        self.expected = 0

    async def watch(self, session: aiohttp.ClientSession, url: str, secret: str, widget: str) -> None:
        async with session.get(url, headers={"Accept": "text/event-stream"}) as response:
            event = ""
            data = ""
            first = True
            async for raw in response.content:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = line[5:].strip()
                elif not line and event:
                    arrived = time.time()
                    if first and event in ("hello", "state"):
                        first = False
                        self.ready += 1
                        if self.ready == self.expected:
                            self.all_ready.set()
                    elif event == "alert":
                        message = json.loads(data)["message"]
                        self.received.setdefault(message, []).append(arrived)
                    elif event == "state" and widget == "goal":
                        self.goal_updates += 1
                        self.goal_coins[secret] = json.loads(data)["coins"]
                    event = data = ""


async def run(creators: int, rate: float, seconds: float) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as directory:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--serve",
            directory,
            "--creators",
            str(creators),
            "--rate",
            str(rate),
            "--seconds",
            str(seconds),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=64 * 1024 * 1024,
        )
        assert child.stdin is not None and child.stdout is not None
        hello = json.loads(await child.stdout.readline())
        base = f"http://127.0.0.1:{hello['port']}/o"
        overlays = Overlays()
        overlays.expected = 2 * len(hello["secrets"])
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            watchers = [
                asyncio.create_task(
                    overlays.watch(session, f"{base}/{secret}/{widget}/events", secret, widget)
                )
                for secret in hello["secrets"]
                for widget in ("alerts", "goal")
            ]
            await asyncio.wait_for(overlays.all_ready.wait(), 60)
            child.stdin.write(b"go\n")
            await child.stdin.drain()
            report = json.loads(await child.stdout.readline())
            await asyncio.sleep(1.0)  # late or doubled events would arrive now
            for watcher in watchers:
                watcher.cancel()
            for watcher in watchers:
                with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
                    await watcher
        child.stdin.write(b"done\n")
        await child.stdin.drain()
        await child.wait()

    commits: dict[str, float] = report["commits"]
    counts = Counter({message: len(times) for message, times in overlays.received.items()})
    lost = [m for m in commits if m not in counts]
    doubled = [m for m, n in counts.items() if n > 1]
    latencies = sorted((overlays.received[m][0] - commits[m]) * 1000 for m in commits if m in counts)
    pick = lambda share: latencies[min(len(latencies) - 1, int(len(latencies) * share))] if latencies else 0.0  # noqa: E731
    return {
        "overlays_connected": f"{report['connected']}",
        "creators": f"{creators}",
        "gifts_committed": f"{len(commits)}",
        "alerts_received": f"{sum(counts.values())}",
        "lost": f"{len(lost)}",
        "doubled": f"{len(doubled)}",
        "goal_updates_received": f"{overlays.goal_updates}",
        "goal_bars_right_at_the_end": f"{sum(overlays.goal_coins.get(s) == n for s, n in report['coins'].items())}"
        f" of {len(report['coins'])}",
        "bot_rss_before_mb": f"{report['baseline_mb']:.1f}",
        "bot_extra_memory_mb": f"{report['peak_mb'] - report['baseline_mb']:.1f}",
        "p50_ms": f"{pick(0.50):.1f}",
        "max_ms": f"{latencies[-1] if latencies else 0.0:.1f}",
        "p99_ms": f"{pick(0.99):.1f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=250)
    parser.add_argument("--rate", type=float, default=50.0, help="gifts per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        asyncio.run(serve(args.serve, args.creators, args.rate, args.seconds))
        return
    for name, value in asyncio.run(run(args.creators, args.rate, args.seconds)).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()

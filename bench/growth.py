"""Growth: does every command stay fast on a big server? Builds a database of N gifts (default
1,000,000, spread over 60 days; 100,000 members, 20 creators) through the project's own write path
(the group-commit writer running `bot.economy.gifts.gift_operation`, one operation per gift), then
times the service call behind each read-heavy command, p50 and p99 over repeated calls, and
`python -m bot check` on the file.

    .venv/bin/python bench/growth.py [--gifts 1000000] [--members 100000] [--db PATH] [--calls 100]

With `--db PATH` the database is kept there, and a later run with the same path and sizes reuses it
instead of building it again. Prints `name: value` lines; the last is `worst_p99_ms: X`, the worst
p99 among the commands (target <= 50 ms); `check_s` is the whole audit (target <= 30 s).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.economy.gifts import GiftQuote, gift_operation  # noqa: E402
from bot.services import Services, build_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage import Database, ledger  # noqa: E402
from storage.ledger import NewEntry, Posting  # noqa: E402

GUILD = 1
MODERATOR = 7
CREATORS = list(range(1, 21))
FIRST_MEMBER = 1_000_000
DAYS = 60
GIFTS = ("Rose", "Finger Heart", "Perfume", "Doughnut")  # 1–30 coins: no confirmation needed
IN_FLIGHT = 2_048  # writes queued at once, so the writer's batches fill up
REVERSED_EVERY = 2_000  # one gift in this many is reversed by a moderator
LIVE_HOURS = 2  # the last hours of the period, creator 1 is live
# Deferred ("thinking…" first) and as long as what it shows (a creator's month: ~25,000 rows at 1M
# gifts): printed, but left out of worst_p99_ms; its longest single read is what others wait behind.
DEFERRED = "wallet_export_creator_month"


class BenchClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def fund_operation(members: range, coins: int) -> Callable[[sqlite3.Connection], None]:
    def fund(conn: sqlite3.Connection) -> None:
        for user_id in members:
            entry = NewEntry(GUILD, "grant", 0, reference="bench", idempotency_key=f"fund:{user_id}")
            ledger.post_entry(
                conn,
                entry,
                [Posting("coins", coins, user_id=user_id), Posting("coins", -coins, system_account="mint")],
            )

    return fund


async def build(
    services: Services, clock: BenchClock, gifts: int, members: int, end: datetime
) -> dict[str, float]:
    db = services.db
    started = time.perf_counter()
    await services.guilds.ensure(GUILD)
    for creator in CREATORS:
        await services.creators.register(GUILD, creator)
    per_member = 40 * max(1, gifts // members) * 30  # never runs out: at most 30 coins a gift
    await asyncio.gather(
        *(
            db.write(fund_operation(range(first, min(first + 1_000, FIRST_MEMBER + members)), per_member))
            for first in range(FIRST_MEMBER, FIRST_MEMBER + members, 1_000)
        )
    )
    quotes: dict[tuple[int, str], GiftQuote] = {}
    for creator in CREATORS:
        for name in GIFTS:
            quotes[creator, name] = await services.gifts.quote(GUILD, FIRST_MEMBER, [], name, creator)
    funded = time.perf_counter()

    rng = random.Random(15)
    begin = end - timedelta(days=DAYS)
    span_us = DAYS * 86_400_000_000
    begin_us = int(begin.timestamp() * 1_000_000)
    live_from = gifts - gifts * LIVE_HOURS // (DAYS * 24)
    in_flight: list[Awaitable[Any]] = []
    for n in range(gifts):
        at = begin_us + span_us * n // gifts
        if n == live_from:  # creator 1 goes live for the last hours: a session with its own gifts
            await asyncio.gather(*in_flight)
            in_flight.clear()
            clock.now = datetime.fromtimestamp(at / 1_000_000, UTC)
            await services.live.start(GUILD, 1, "bench stream")
        quote = replace(
            quotes[rng.choice(CREATORS), rng.choice(GIFTS)],
            sender_id=FIRST_MEMBER + rng.randrange(members),
        )
        in_flight.append(db.write(gift_operation(quote, f"gift:{n}", at, services.spending)))
        if len(in_flight) >= IN_FLIGHT:
            await asyncio.gather(*in_flight)
            in_flight.clear()
    await asyncio.gather(*in_flight)
    gifted = time.perf_counter()

    clock.now = end
    first_gift = await db.read(
        lambda conn: conn.execute("SELECT MIN(entry_id) FROM gift_entries").fetchone()[0]
    )
    for n, entry_id in enumerate(range(first_gift, first_gift + gifts, REVERSED_EVERY)):
        await services.corrections.reverse(GUILD, MODERATOR, entry_id, "bench: a mistaken gift", f"rev:{n}")
    # Sandbox coins never become cash: the bench server gives coins away (no shop) and allows cash-outs.
    await services.guild_config.set_cashouts(GUILD, MODERATOR, True)
    await services.guild_config.set_cashout_hold(GUILD, MODERATOR, 0)
    for creator in CREATORS[:5]:  # a few cash-out requests wait for a moderator
        await services.payouts.request(GUILD, creator, 1_000, f"cashout:{creator}")
    for member in range(FIRST_MEMBER, FIRST_MEMBER + 50):
        await services.budgets.set_limit(GUILD, member, "daily", 500)
    return {
        "build_fund_s": funded - started,
        "build_gifts_s": gifted - funded,
        "build_gifts_per_s": gifts / (gifted - funded),
    }


class ReadTimer:
    """Wraps the database's reads: the longest single read is how long the command kept every other
    command's reads waiting (reads share one connection)."""

    def __init__(self, db: Database) -> None:
        self.longest_ms = 0.0
        self._read = db.read

        async def timed_read(query: Callable[[sqlite3.Connection], Any]) -> Any:
            started = time.perf_counter()
            try:
                return await self._read(query)
            finally:
                self.longest_ms = max(self.longest_ms, (time.perf_counter() - started) * 1000)

        db.read = timed_read  # type: ignore[method-assign]


async def time_calls(
    calls: int, call: Callable[[int], Awaitable[object]], reads: ReadTimer
) -> tuple[float, float, float]:
    latencies = []
    reads.longest_ms = 0.0
    for n in range(calls):
        started = time.perf_counter()
        await call(n)
        latencies.append((time.perf_counter() - started) * 1000)
    return statistics.median(latencies), percentile(latencies, 0.99), reads.longest_ms


async def measure(
    services: Services, members: int, calls: int, month: str
) -> dict[str, tuple[float, float, float]]:
    rng = random.Random(5)
    reads = ReadTimer(services.db)

    def member(_: int) -> int:
        return FIRST_MEMBER + rng.randrange(members)

    def creator(_: int) -> int:
        return rng.choice(CREATORS)

    session = await services.live.current(GUILD, 1)
    session_id = session.id if session is not None else 0
    s = services
    commands: dict[str, Callable[[int], Awaitable[object]]] = {
        "wallet_balance": lambda n: s.wallets.balance(GUILD, member(n)),
        "wallet_history": lambda n: s.wallets.history(GUILD, member(n)),
        "creator_earnings": lambda n: s.earnings.earnings(GUILD, creator(n)),
        "wallet_export_member": lambda n: s.statements.statement(GUILD, member(n), month),
        "wallet_export_creator_month": lambda n: s.statements.statement(GUILD, creator(n), month),
        "live_summary": lambda n: s.live.summary(GUILD, session_id),
        "budget_show": lambda n: s.budgets.overview(GUILD, FIRST_MEMBER + n % 50),
        "payouts_pending": lambda n: s.payouts.pending(GUILD),
        "action_log": lambda n: s.action_log.recent(GUILD),
    }
    for kind in ("gifters", "creators"):
        for period in ("today", "week", "all-time"):
            commands[f"leaderboard_{kind}_{period}"] = lambda n, kind=kind, period=period: (
                s.leaderboards.board(GUILD, member(n), kind, period)
            )
    results = {}
    for name, call in commands.items():
        heavy = name == DEFERRED  # a whole month of a creator's gifts
        results[name] = await time_calls(max(10, calls // 5) if heavy else calls, call, reads)
    return results


def run_check(path: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--database", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - started, (done.stdout.strip().splitlines() or [done.stderr.strip()])[0]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gifts", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=100, help="timed calls per command")
    parser.add_argument("--db", type=Path, help="keep the database here (and reuse it if it is there)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "growth.db"
        end = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # fixed: a reused database has the same days
        clock = BenchClock(end)
        reuse = path.exists()
        settings = Settings(_env_file=None, database_path=path, discord_token=None, payment_provider="none")
        db = await Database.open(path)
        try:
            services = await build_services(settings, db, clock)
            figures = {} if reuse else await build(services, clock, args.gifts, args.members, end)
            clock.now = end
            month = f"{end.year:04d}-{end.month:02d}"
            timings = await measure(services, args.members, args.calls, month)
        finally:
            await db.close()
        check_s, check_says = run_check(path)
        size_mb = path.stat().st_size / 1e6

    print(f"gifts: {args.gifts}")
    print(f"members: {args.members}")
    print(f"creators: {len(CREATORS)}")
    print(f"database_mb: {size_mb:.0f}{' (reused)' if reuse else ''}")
    for name, value in figures.items():
        print(f"{name}: {value:.1f}")
    for name, (p50, p99, longest_read) in timings.items():
        print(f"{name}_p50_ms: {p50:.2f}")
        print(f"{name}_p99_ms: {p99:.2f}")
        print(f"{name}_longest_read_ms: {longest_read:.2f}")
    print(f"check_s: {check_s:.1f}")
    print(f"check: {check_says}")
    print(f"worst_longest_read_ms: {max(longest for _, _, longest in timings.values()):.2f}")
    print(f"worst_p99_ms_leaves_out: {DEFERRED}")
    print(f"worst_p99_ms: {max(p99 for name, (_, p99, _) in timings.items() if name != DEFERRED):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

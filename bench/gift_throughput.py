"""Gift throughput: 100 concurrent senders through the real gift service on a file database,
against the ceiling of plain stdlib sqlite3 doing the same transactions in batches of 100.

    .venv/bin/python bench/gift_throughput.py [--gifts 10000] [--rounds 3] [--senders 100] [--wallets 10000]

10,000 funded wallets (1 % of them empty, so about 1 % of gifts are refused for lack of coins and the
failure path is always exercised); each sender task sends gifts from random wallets to random creators.
The service figure is `GiftService.send` (one write operation per gift through the group-commit
writer, each caller answered after COMMIT); a full `/gift send` also runs `quote` (reads), timed
separately. The ceiling runs the very same write operation (`bot.economy.gifts.gift_operation`) on a
stdlib `sqlite3` connection, 100 per `BEGIN IMMEDIATE … COMMIT`, a SAVEPOINT each, WAL + synchronous=FULL.
Rounds alternate service and ceiling (a busy moment of the machine hits both alike) and the
medians are printed; every database gets the ledger check. The last line is `ratio: X.XX` (service ÷ ceiling).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.economy.gifts import GiftQuote, gift_operation
from bot.economy.kinds import GRANT, MINT
from bot.errors import InsufficientCoins
from bot.services import build_services
from bot.settings import Settings
from bot.spending import SpendingGuard
from storage import Database, ledger
from storage.database import _apply_pragmas, _migrate, load_migrations
from storage.ledger import NewEntry, Posting
from storage.ledger_check import find_discrepancies

GUILD = 1
CREATORS = list(range(1, 21))
FIRST_WALLET = 1_000
FUNDS = 1_000_000
GIFT = "Perfume"  # 20 coins: below the confirmation threshold
BATCH = 100


class Clock:
    def __call__(self) -> datetime:
        return datetime.now(UTC)


def fund_operation(wallets: int):
    """Mint coins into every wallet; every hundredth wallet stays empty (its gifts are refused)."""

    def fund(conn: sqlite3.Connection) -> None:
        for user_id in range(FIRST_WALLET, FIRST_WALLET + wallets):
            if user_id % 100 == 0:
                conn.execute(
                    "INSERT INTO wallets (guild_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (GUILD, user_id),
                )
                continue
            entry = NewEntry(GUILD, GRANT.name, 0, reference="bench", idempotency_key=f"fund:{user_id}")
            ledger.post_entry(
                conn,
                entry,
                [Posting("coins", FUNDS, user_id=user_id), Posting("coins", -FUNDS, system_account=MINT)],
            )

    return fund


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def prepare(path: Path, wallets: int):
    settings = Settings(_env_file=None, database_path=path, discord_token=None)
    db = await Database.open(path)
    services = await build_services(settings, db, Clock())
    await services.guilds.ensure(GUILD)
    for creator in CREATORS:
        await services.creators.register(GUILD, creator)
    await db.write(fund_operation(wallets))
    # One quote per creator from a funded sender; a send from another wallet only changes the sender.
    quotes = [await services.gifts.quote(GUILD, FIRST_WALLET + 1, [], GIFT, creator) for creator in CREATORS]
    return db, services, quotes


async def run_service(path: Path, gifts: int, senders: int, wallets: int, *, full: bool) -> dict[str, float]:
    db, services, quotes = await prepare(path, wallets)
    rng = random.Random(1)
    latencies: list[float] = []
    refused = 0
    per_task = gifts // senders

    async def sender_task(task: int) -> None:
        nonlocal refused
        for n in range(per_task):
            quote: GiftQuote = replace(rng.choice(quotes), sender_id=FIRST_WALLET + rng.randrange(wallets))
            started = time.perf_counter()
            try:
                await services.gifts.send(quote, f"bench-{task}-{n}")
            except InsufficientCoins:
                refused += 1
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(sender_task(t) for t in range(senders)))
    elapsed = time.perf_counter() - started

    # The full command path (quote + send, with its reads) for a smaller sample, for comparison.
    full_n, full_elapsed = max(senders, gifts // 10), 0.0

    async def full_task(task: int) -> None:
        for n in range(full_n // senders):
            sender = FIRST_WALLET + 1 + rng.randrange(wallets - 1)
            if sender % 100 == 0:
                continue
            quote = await services.gifts.quote(GUILD, sender, [], GIFT, rng.choice(CREATORS))
            await services.gifts.send(quote, f"full-{task}-{n}")

    if full:
        full_started = time.perf_counter()
        await asyncio.gather(*(full_task(t) for t in range(senders)))
        full_elapsed = time.perf_counter() - full_started
    problems = await db.read(find_discrepancies)
    await db.close()
    return {
        "gifts_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "refused": refused,
        "full_per_s": full_n / full_elapsed if full else 0.0,
        "problems": len(problems),
    }


def run_ceiling(
    path: Path, gifts: int, wallets: int, quotes: list[GiftQuote], spending: SpendingGuard
) -> dict[str, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    _apply_pragmas(conn, "FULL")
    _migrate(conn, load_migrations())
    rng = random.Random(2)
    tx_latencies: list[float] = []
    refused = 0
    started = time.perf_counter()
    for batch_start in range(0, gifts, BATCH):
        now = int(time.time() * 1_000_000)
        operations = [
            gift_operation(
                replace(rng.choice(quotes), sender_id=FIRST_WALLET + rng.randrange(wallets)),
                f"ceiling-{i}",
                now,
                spending,  # the same in-transaction budget check as the service's (sync, no I/O of its own)
            )
            for i in range(batch_start, min(gifts, batch_start + BATCH))
        ]
        tx_started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for operation in operations:
            conn.execute("SAVEPOINT operation")
            try:
                operation(conn)
            except InsufficientCoins:
                conn.execute("ROLLBACK TO operation")
                refused += 1
            conn.execute("RELEASE operation")
        conn.execute("COMMIT")
        tx_latencies.append(time.perf_counter() - tx_started)
    elapsed = time.perf_counter() - started
    problems = find_discrepancies(conn)
    conn.close()
    return {
        "gifts_per_s": gifts / elapsed,
        "p50_ms": percentile(tx_latencies, 0.50) * 1000,
        "p99_ms": percentile(tx_latencies, 0.99) * 1000,
        "refused": refused,
        "problems": len(problems),
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gifts", type=int, default=10_000, help="gifts per round and side")
    parser.add_argument("--rounds", type=int, default=3, help="alternating service/ceiling rounds (medians)")
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument("--wallets", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None, help="where the database files go (default: temp)")
    args = parser.parse_args()
    services_runs, ceiling_runs = [], []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for round_no in range(args.rounds):  # alternate, so that a busy moment hits both sides alike
            path = Path(tmp) / f"service-{round_no}.db"
            services_runs.append(
                await run_service(path, args.gifts, args.senders, args.wallets, full=round_no == 0)
            )
            path = Path(tmp) / f"ceiling-{round_no}.db"
            db, services, quotes = await prepare(path, args.wallets)  # migrated and funded the same way
            await db.close()
            ceiling_runs.append(run_ceiling(path, args.gifts, args.wallets, quotes, services.spending))
    service = {k: statistics.median(run[k] for run in services_runs) for k in services_runs[0]}
    ceiling = {k: statistics.median(run[k] for run in ceiling_runs) for k in ceiling_runs[0]}
    problems = sum(run["problems"] for run in services_runs + ceiling_runs)
    print(f"wallets: {args.wallets}")
    print(f"senders: {args.senders}")
    print(f"rounds: {args.rounds} x {args.gifts} gifts per side (medians below)")
    print(f"service refused for lack of coins: {service['refused'] / args.gifts:.1%}")
    print(f"service gifts/s: {service['gifts_per_s']:.0f}")
    print(f"service p50: {service['p50_ms']:.2f} ms")
    print(f"service p99: {service['p99_ms']:.2f} ms")
    print(f"full command path (quote + send) gifts/s: {services_runs[0]['full_per_s']:.0f}")
    print(f"ceiling gifts/s: {ceiling['gifts_per_s']:.0f}")
    print(f"ceiling p50 per transaction of {BATCH}: {ceiling['p50_ms']:.2f} ms")
    print(f"ceiling p99 per transaction of {BATCH}: {ceiling['p99_ms']:.2f} ms")
    print(f"ledger check: {'clean' if problems == 0 else f'{problems} DISCREPANCIES'}")
    print(f"ratio: {service['gifts_per_s'] / ceiling['gifts_per_s']:.2f}")
    return 0 if problems == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

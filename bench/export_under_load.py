"""/wallet balance while a member exports a 100,000-row statement, through the fake Discord: the bot runs
as in production (`python -m bot`'s main() in its own process, a file database), as in
bench/interaction_latency.py.

One member's history is seeded with N entries before the bot starts. Other members ask /wallet balance
at a steady rate; after a second, the member with the long history runs /wallet export. Latency of a
balance = from the fake sending INTERACTION_CREATE to it receiving the reply. Prints `name: value` lines:
balance p50/p99/max before and during the export, how long the export took and what it sent.

    python bench/export_under_load.py [--rows 100000] [--rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.interaction_latency import percentile, start_bot  # noqa: E402
from simulator.driver import Driver  # noqa: E402
from simulator.fake_discord import FakeDiscord, InteractionLog  # noqa: E402
from storage import Database, ledger  # noqa: E402
from storage.ledger import NewEntry, Posting  # noqa: E402

MEMBERS = 20
BATCH = 10_000


async def seed(path: Path, guild_id: int, user_id: int, rows: int) -> None:
    """`rows` grants to one member, as the ledger stores them (migrations applied by opening)."""
    db = await Database.open(path)
    try:
        for first in range(0, rows, BATCH):

            def write(conn, first: int = first) -> None:  # noqa: ANN001
                for n in range(first, min(first + BATCH, rows)):
                    entry = NewEntry(
                        guild_id, "grant", n * 1_000_000, memo=f"bench {n}", idempotency_key=f"b{n}"
                    )
                    postings = [
                        Posting("coins", 1, user_id=user_id),
                        Posting("coins", -1, system_account="mint"),
                    ]
                    ledger.post_entry(conn, entry, postings)

            await db.write(write)
    finally:
        await db.close()


def latency_ms(log: InteractionLog) -> float:
    assert log.callback_at is not None
    return (log.callback_at - log.sent_at) * 1000


def figures(name: str, values: list[float]) -> None:
    if not values:
        print(f"{name}_count: 0")
        return
    print(f"{name}_count: {len(values)}")
    print(f"{name}_p50_ms: {statistics.median(values):.2f}")
    print(f"{name}_p99_ms: {percentile(values, 99):.2f}")
    print(f"{name}_max_ms: {max(values):.2f}")


async def run(rows: int, rate: float) -> None:
    fake = await FakeDiscord().start()
    with tempfile.TemporaryDirectory(prefix="export-load-") as directory:
        workdir = Path(directory)
        driver = Driver(fake)
        heavy = driver.member("long-history")
        members = [driver.member(f"viewer{i}") for i in range(MEMBERS)]
        started = time.perf_counter()
        await seed(workdir / "bench.db", fake.guild_id, heavy.user_id, rows)
        print(f"seeded_rows: {rows} in {time.perf_counter() - started:.1f} s")
        bot = await start_bot(fake, workdir)
        try:
            balances: list[InteractionLog] = []
            export: InteractionLog | None = None
            export_done: float | None = None
            start = time.perf_counter()
            i = 0
            while export_done is None or time.perf_counter() - export_done < 1.0:
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                log = driver.slash_log("wallet balance", members[i % MEMBERS])
                await fake.send_interaction(log)
                balances.append(log)
                i += 1
                if export is None and time.perf_counter() - start >= 1.0:
                    export = driver.slash_log("wallet export", heavy)
                    await fake.send_interaction(export)
                # The export answers at once with a progress line; it is done when its file arrives.
                if (
                    export is not None
                    and export_done is None
                    and any(fake.messages[message_id].attachments for message_id in export.message_ids)
                ):
                    export_done = time.perf_counter()
                if time.perf_counter() - start > 120:
                    raise SystemExit("the export did not finish within two minutes")
            await asyncio.sleep(0.5)
        finally:
            bot.terminate()
            try:
                bot.wait(15)
            except subprocess.TimeoutExpired:
                bot.kill()
            await fake.stop()

    assert export is not None and export_done is not None
    before = [latency_ms(log) for log in balances if log.callback_at and log.sent_at < export.sent_at]
    during = [
        latency_ms(log)
        for log in balances
        if log.callback_at and export.sent_at <= log.sent_at <= export_done
    ]
    sent = [
        attachment
        for message_id in export.message_ids
        for attachment in fake.messages[message_id].attachments
    ]
    print(f"rows: {rows}")
    print(f"balance_rate_per_s: {rate:.0f}")
    figures("balance_before_export", before)
    figures("balance_during_export", during)
    print(f"export_s: {export_done - export.sent_at:.2f}")
    print(f"export_files: {', '.join(f'{a.filename} ({len(a.data) / 1e6:.2f} MB)' for a in sent)}")
    print(f"unanswered_balances: {sum(1 for log in balances if log.callback_at is None)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="entries in the exporting member's history")
    parser.add_argument("--rate", type=float, default=50.0, help="/wallet balance interactions per second")
    args = parser.parse_args()
    asyncio.run(run(args.rows, args.rate))


if __name__ == "__main__":
    main()

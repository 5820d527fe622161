"""The child of tests/test_crash_safety.py: drives purchases (and gifts, when the bot has a gift service)
through the real services against a file database, forever, until the parent SIGKILLs it.

Each operation is appended to the log file only AFTER the service call returned, i.e. after its commit:
`purchase <key> <entry_id>` or `gift <key> <entry_id>`. The parent then checks that every logged operation
is in the ledger. Usage: python -m tests.support.crash_child DB LOG RUN_ID

Starting Python and importing the bot is the slow part, so `--zygote DB LOG` imports everything once and
then forks one child per line `run RUN_ID` it reads on stdin, answering with the child's pid; the parent
SIGKILLs that pid. Each child opens the database itself, as a restarted bot would.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from pathlib import Path

from bot.clock import system_clock
from bot.errors import DomainError
from bot.services import build_services
from bot.settings import Settings
from storage import Database

GUILD_ID = 1
MEMBERS = range(1_000, 1_020)
CREATORS = (2_000, 2_001)
PACKAGES = (70, 350, 700)
WORKERS = 8


class Log:
    """Appends whole lines with one write(2) each: a SIGKILL can never leave half a line behind."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def committed(self, kind: str, key: str, entry_id: int) -> None:
        os.write(self._fd, f"{kind} {key} {entry_id}\n".encode())


async def prepare_gifts(services) -> bool:
    """Registers the creators once; False when this version of the bot has no gift service."""
    if getattr(services, "gifts", None) is None or getattr(services, "creators", None) is None:
        return False
    for creator in CREATORS:
        if await services.creators.get(GUILD_ID, creator) is None:
            await services.creators.register(GUILD_ID, creator)
    return True


async def worker(services, log: Log, run_id: str, number: int, with_gifts: bool) -> None:
    rng = random.Random(f"{run_id}-{number}")
    for i in range(1_000_000):
        key = f"{run_id}-{number}-{i}"
        member = rng.choice(MEMBERS)
        if with_gifts and rng.random() < 0.5:
            try:
                quote = await services.gifts.quote(
                    GUILD_ID,
                    member,
                    (),
                    rng.choice(("Rose", "Perfume", "Doughnut")),
                    rng.choice(CREATORS),
                    rng.randint(1, 5),
                )
                receipt = await services.gifts.send(quote, key, confirmed=True)
            except DomainError:  # not enough coins, a budget…: a refusal, nothing committed
                continue
            log.committed("gift", key, receipt.entry_id)
        else:
            result = await services.purchases.purchase(GUILD_ID, member, rng.choice(PACKAGES), key)
            log.committed("purchase", key, result.entry_id)


async def main(db_path: Path, log_path: Path, run_id: str) -> None:
    settings = Settings(_env_file=None, database_path=db_path, discord_token=None)
    db = await Database.open(db_path, synchronous=settings.sqlite_synchronous)
    services = await build_services(settings, db, system_clock)
    with_gifts = await prepare_gifts(services)
    log = Log(log_path)
    Log(log_path.with_suffix(".modes")).committed("mode", "gifts" if with_gifts else "purchases", 0)
    await asyncio.gather(*(worker(services, log, run_id, n, with_gifts) for n in range(WORKERS)))


def zygote(db_path: Path, log_path: Path) -> None:
    print("ready", flush=True)
    for line in sys.stdin:
        command, run_id = line.split()
        assert command == "run"
        pid = os.fork()
        if pid == 0:  # the child: no return from here
            try:
                asyncio.run(main(db_path, log_path, run_id))
            finally:
                os._exit(1)
        print(pid, flush=True)
        os.waitpid(pid, 0)  # the parent kills it; reap it before the next run
        print("reaped", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "--zygote":
        zygote(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]))

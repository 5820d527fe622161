"""SIGKILL the money service at random moments: committed operations survive and the books stay clean.

A child process (tests/support/crash_child.py) drives purchases (and gifts, when the bot has them)
through the real services against a file database and logs each operation only after the service
call returned. The parent kills it 20 times at random moments, restarting it each time; after every
kill `python -m bot check --database PATH` must exit 0 and every logged operation must be in the ledger.
Each run is a fresh process (forked from a zygote that imported the bot once, so a run costs ~0.2 s, not
the ~0.6 s of starting Python); each opens the database itself, as a restarted bot does. The audit of
one kill runs while the next child works.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLS = 20


class Zygote:
    """tests/support/crash_child.py --zygote: imports the bot once and forks a fresh child per run."""

    def __init__(self, db: Path, log: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.crash_child", "--zygote", str(db), str(log)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        line = self.process.stdout.readline().strip()
        if not line:
            raise AssertionError(f"the crash child's zygote died (exit code {self.process.poll()})")
        return line

    def start(self, run_id: str) -> int:
        self.process.stdin.write(f"run {run_id}\n")
        self.process.stdin.flush()
        return int(self._line())

    def reaped(self) -> None:
        assert self._line() == "reaped"

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)
        self.process.stdout.close()


def start_check(db: Path) -> subprocess.Popen:
    """`python -m bot check --database PATH`, the operator's audit, as a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "check", "--database", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_PATH"},
    )


def assert_clean(check: subprocess.Popen) -> None:
    output, _ = check.communicate(timeout=30)
    assert check.returncode == 0, output


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        raise AssertionError(
            "the child ended by itself before it was killed (its error is on stderr)"
        ) from None


def logged_operations(log: Path) -> list[tuple[str, str, int]]:
    if not log.exists():
        return []
    lines = log.read_text().splitlines()
    return [(kind, key, int(entry)) for kind, key, entry in (line.split() for line in lines)]


def ledger_keys(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return dict(
            conn.execute("SELECT idempotency_key, id FROM journal_entries WHERE idempotency_key IS NOT NULL")
        )
    finally:
        conn.close()


def test_sigkill_never_loses_a_committed_operation_nor_corrupts_the_books(tmp_path):
    db, log = tmp_path / "crash.db", tmp_path / "committed.log"
    rng = random.Random()
    zygote = Zygote(db, log)
    seen = 0
    check = None
    try:
        # First the bot has run once (created and migrated its database, committed something): a kill
        # during the very first start leaves a file that is not yet a livegifts database at all.
        pid = zygote.start("first")
        deadline = time.monotonic() + 20
        while not logged_operations(log) and time.monotonic() < deadline:
            time.sleep(0.01)
        kill(pid)
        zygote.reaped()
        assert logged_operations(log), "the first child committed nothing in 20 s"
        for run in range(KILLS):
            pid = zygote.start(f"r{run}")
            time.sleep(rng.uniform(0.05, 0.3))
            kill(pid)
            zygote.reaped()
            if check is not None:  # the audit of the previous kill ran while this child worked
                assert_clean(check)
            check = start_check(db)

            in_ledger = ledger_keys(db)
            operations = logged_operations(log)
            for kind, key, entry_id in operations:
                assert in_ledger.get(f"{kind}:{key}") == entry_id, (
                    f"run {run}: committed {kind} {key} is missing"
                )
            assert len(operations) >= seen
            seen = len(operations)
        assert_clean(check)
    finally:
        zygote.close()
    modes = set(log.with_suffix(".modes").read_text().split()) - {"mode", "0"}
    assert seen > KILLS, f"only {seen} operations were committed in {KILLS} runs: the test proved little"
    print(f"crash-safety: {seen} committed operations, children drove {sorted(modes)}")

"""The writer never wedges: a transaction that fails as a whole answers every caller, the connection is
reopened, and a database that stays unusable says so (for the composition root to exit with an error)."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from storage import Database, DatabaseError
from storage.ledger_check import find_discrepancies
from tests.test_storage import coins_of, entry_count, grant

ANSWER_WITHIN_S = 5


@dataclass
class Faults:
    """What the next write transactions do wrong (each counter is used up one failure at a time)."""

    commits: int = 0
    rollbacks: int = 0
    refuse_connect: bool = False


def flaky_connection_class(faults: Faults) -> type[sqlite3.Connection]:
    class FlakyConnection(sqlite3.Connection):
        """A real connection whose write transactions' COMMIT and ROLLBACK fail on demand, like a disk
        that returns I/O errors."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if faults.refuse_connect:
                raise sqlite3.OperationalError("unable to open database file")
            super().__init__(*args, **kwargs)
            self.writing = False

        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            if sql == "BEGIN IMMEDIATE":
                self.writing = True
            elif sql == "COMMIT" and self.writing and faults.commits > 0:
                faults.commits -= 1
                raise sqlite3.OperationalError("disk I/O error")
            elif sql == "ROLLBACK" and self.writing and faults.rollbacks > 0:
                faults.rollbacks -= 1
                raise sqlite3.OperationalError("disk I/O error")
            return super().execute(sql, *args)

    return FlakyConnection


class Abort(BaseException):
    """Not an Exception: like KeyboardInterrupt or SystemExit raised inside an operation."""


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
async def flaky_db(tmp_path: Path, faults: Faults):  # noqa: ANN201
    db = await Database.open(tmp_path / "flaky.db", factory=flaky_connection_class(faults))
    yield db
    await db.close()


async def answered(*writes: Any) -> list[Any]:
    return await asyncio.wait_for(asyncio.gather(*writes, return_exceptions=True), ANSWER_WITHIN_S)


@pytest.mark.parametrize("raised", [Abort("stop"), KeyboardInterrupt()])
async def test_an_operation_raising_a_base_exception_answers_every_caller_of_its_batch(db, raised):
    def aborting(conn: sqlite3.Connection) -> None:
        grant(8, 500)(conn)
        raise raised

    results = await answered(db.write(grant(7, 70)), db.write(aborting), db.write(grant(9, 90)))

    assert all(isinstance(result, DatabaseError) for result in results)  # the whole batch was undone
    assert (await coins_of(db, 7), await coins_of(db, 8), await coins_of(db, 9)) == (0, 0, 0)
    await db.write(grant(7, 70))  # and the writer goes on
    assert await coins_of(db, 7) == 70
    assert db.unusable is None
    assert await db.read(find_discrepancies) == []


async def test_a_failed_commit_whose_rollback_fails_too_does_not_wedge_the_writer(flaky_db, faults):
    await flaky_db.write(grant(7, 70))
    faults.commits, faults.rollbacks = 1, 1

    results = await answered(flaky_db.write(grant(7, 1)), flaky_db.write(grant(8, 80)))
    assert all(isinstance(result, sqlite3.OperationalError) for result in results)

    # The connection was left inside a transaction it could not end; a fresh one takes over.
    later = await answered(*(flaky_db.write(grant(9, 10)) for _ in range(5)))
    assert all(isinstance(result, int) for result in later)
    balances = [await coins_of(flaky_db, user) for user in (7, 8, 9)]
    assert balances == [70, 0, 50]
    assert await entry_count(flaky_db) == 6
    assert flaky_db.unusable is None
    assert await flaky_db.read(find_discrepancies) == []


async def test_a_database_that_cannot_be_reopened_is_declared_unusable(flaky_db, faults):
    faults.commits, faults.rollbacks, faults.refuse_connect = 1, 1, True
    waiting = asyncio.ensure_future(flaky_db.until_unusable())

    results = await answered(flaky_db.write(grant(7, 1)), flaky_db.write(grant(8, 1)))

    assert all(isinstance(result, sqlite3.OperationalError) for result in results)
    reason = await asyncio.wait_for(waiting, ANSWER_WITHIN_S)
    assert "cannot be reopened" in str(reason)
    with pytest.raises(DatabaseError, match="unusable"):
        await asyncio.wait_for(flaky_db.write(grant(7, 1)), ANSWER_WITHIN_S)


async def test_transactions_failing_again_and_again_make_the_database_unusable(flaky_db, faults):
    faults.commits = 1_000  # every COMMIT fails (ROLLBACK works): e.g. a disk that stays full
    outcomes = []
    for _ in range(3):
        outcomes += await answered(flaky_db.write(grant(7, 1)))
    assert all(isinstance(result, sqlite3.OperationalError) for result in outcomes)
    assert flaky_db.unusable is not None

    queued_after = await answered(flaky_db.write(grant(7, 1)))
    assert isinstance(queued_after[0], DatabaseError)
    faults.commits = 0
    assert await coins_of(flaky_db, 7) == 0


async def test_unusable_answers_writes_already_queued_behind_the_failing_batch(flaky_db, faults):
    faults.commits, faults.rollbacks, faults.refuse_connect = 1, 1, True
    writes = [flaky_db.write(grant(7, 1)) for _ in range(600)]  # more than two batches at once

    results = await answered(*writes)

    assert all(isinstance(result, (sqlite3.OperationalError, DatabaseError)) for result in results)
    assert flaky_db.unusable is not None

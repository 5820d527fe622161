"""The database: connections, PRAGMAs, migrations and the one writer that owns transactions.

Every query in `storage/` is a plain function taking a `sqlite3.Connection`. Reads run on a read
connection; writes are queued to a single writer task that commits them in groups (group commit):
one `BEGIN IMMEDIATE … COMMIT` per batch, a SAVEPOINT per operation so that one refused operation
undoes only its own statements, and each caller's future resolved only after COMMIT returned.

A whole batch runs as one call on the aiosqlite connection's thread. Awaiting each statement
separately costs a thread hop per statement and caps throughput far below the durable ceiling
(see shared/performance-notes.md), and it is what makes interleaved transactions possible at all.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], T]

MAX_BATCH = 256
BATCHES_IN_FLIGHT = 2
BUSY_TIMEOUT_MS = 5000


class DatabaseError(Exception):
    """The database cannot be used (missing file, newer schema, corrupt file)."""


class BalanceTooLow(Exception):  # noqa: N818 - a refusal, not a failure
    """A guarded debit found less than it needed; the operation's savepoint is rolled back."""

    def __init__(self, asset: str, needed: int, available: int) -> None:
        super().__init__(f"{asset}: needed {needed}, available {available}")
        self.asset = asset
        self.needed = needed
        self.available = available


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The numbered `NNN_name.sql` files shipped in storage/migrations, in order."""
    migrations = []
    for item in resources.files("storage").joinpath("migrations").iterdir():
        if item.name.endswith(".sql"):
            number, _, rest = item.name.partition("_")
            migrations.append(Migration(int(number), rest.removesuffix(".sql"), item.read_text("utf-8")))
    migrations.sort(key=lambda m: m.version)
    versions = [m.version for m in migrations]
    # Numbers are handed out to parallel branches, so one may land before a lower one: a gap is allowed
    # until the rest arrives, a duplicate never.
    if len(set(versions)) != len(versions) or (versions and versions[0] != 1):
        raise DatabaseError(f"migrations must be numbered from 1 without duplicates: {versions}")
    return migrations


def _apply_pragmas(conn: sqlite3.Connection, synchronous: str) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise DatabaseError(f"could not switch the database to WAL mode (got {mode})")
    conn.execute(f"PRAGMA synchronous = {synchronous}")


def _migrate(conn: sqlite3.Connection, migrations: list[Migration]) -> int:
    """Apply missing migrations in one transaction; returns the schema version afterwards."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        latest = migrations[-1].version if migrations else 0
        if current > latest:
            raise DatabaseError(
                f"the database is at schema version {current}, newer than this livegifts "
                f"(which knows up to {latest}); upgrade livegifts instead of using an older one"
            )
        for migration in migrations:
            if migration.version > current:
                log.info("applying migration %03d %s", migration.version, migration.name)
                for statement in _split_statements(migration.sql):
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {latest}")
        conn.execute("COMMIT")
        return latest
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _split_statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer)
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        statements.append(buffer)
    return statements


def _run_batch(conn: sqlite3.Connection, operations: list[Operation[Any]]) -> list[tuple[bool, Any]]:
    """Run queued operations in one transaction, each inside its own savepoint. Runs on the
    connection's thread, so nothing else can touch the connection until it returns."""
    outcomes: list[tuple[bool, Any]] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for operation in operations:
            conn.execute("SAVEPOINT operation")
            try:
                result = operation(conn)
            except Exception as error:  # a refusal: undo this operation only
                conn.execute("ROLLBACK TO operation")
                conn.execute("RELEASE operation")
                outcomes.append((False, error))
            else:
                conn.execute("RELEASE operation")
                outcomes.append((True, result))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes


class Database:
    """An open livegifts database. Use `await Database.open(path)` and `await db.close()`."""

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        checkpointer: aiosqlite.Connection,
    ) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._checkpointer = checkpointer
        self._loop = asyncio.get_running_loop()
        self._pending: deque[tuple[Operation[Any], asyncio.Future[Any]]] = deque()
        self._wakeup: asyncio.Future[None] | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        create: bool = True,
    ) -> Database:
        """Open (and, unless `create` is false, create) the database and bring its schema up to date."""
        path = Path(path)
        if not create and not path.exists():
            raise DatabaseError(f"database file {path} does not exist")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatabaseError(f"cannot create the folder of the database {path}: {error}") from error
        migrations = load_migrations()
        opened: list[aiosqlite.Connection] = []
        try:
            writer = await aiosqlite.connect(path, isolation_level=None)
            opened.append(writer)
            await writer._execute(_apply_pragmas, writer._conn, synchronous)
            await writer._execute(_migrate, writer._conn, migrations)
            # Reads and WAL checkpoints get connections (and threads) of their own: a checkpoint
            # copies pages and fsyncs the file, and must not hold up reads or commits behind it.
            side = []
            for _ in ("reader", "checkpointer"):
                connection = await aiosqlite.connect(path, isolation_level=None)
                opened.append(connection)
                await connection._execute(_apply_pragmas, connection._conn, synchronous)
                side.append(connection)
            reader, checkpointer = side
            await reader.execute("PRAGMA query_only = ON")
        except sqlite3.DatabaseError as error:  # e.g. "file is not a database"
            await _close_all(opened)
            raise DatabaseError(f"{path} is not a usable SQLite database: {error}") from error
        except BaseException:
            await _close_all(opened)
            raise
        db = cls(path, writer, reader, checkpointer)
        db._writer_task = asyncio.get_running_loop().create_task(db._write_loop(), name="livegifts-writer")
        return db

    async def write(self, operation: Operation[T]) -> T:
        """Run `operation(conn)` inside a write transaction; its exception (if any) is re-raised here
        after its own changes were rolled back. Returns only after the transaction committed.

        A caller that is cancelled while waiting does not cancel the operation: once queued it is
        committed or rolled back together with its batch, as a whole."""
        if self._closed:
            raise DatabaseError("the database is closed")
        future: asyncio.Future[T] = self._loop.create_future()
        self._pending.append((operation, future))
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)
        return await future

    async def read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run `query(conn)` on the read connection (a consistent snapshot for its duration)."""
        return await self._reader._execute(_run_read, self._reader._conn, query)

    async def _write_loop(self) -> None:
        # Up to two batches in flight: operations arriving while the connection thread runs batch N
        # are queued behind it as batch N+1, so the thread starts the next transaction as soon as N
        # commits instead of waiting for this loop to be scheduled. aiosqlite runs submitted calls in
        # order on its one thread, so the transactions themselves never overlap. Batches are not
        # split artificially: with the GIL, overlapping Python work starves the writer thread.
        slots = asyncio.Semaphore(BATCHES_IN_FLIGHT)
        in_flight: set[asyncio.Task[None]] = set()
        while True:
            if not self._pending:
                if self._closed:
                    break
                self._wakeup = self._loop.create_future()
                await self._wakeup
                continue
            await slots.acquire()
            size = min(MAX_BATCH, len(self._pending))
            batch = [self._pending.popleft() for _ in range(size)]
            task = self._loop.create_task(self._commit(batch))
            in_flight.add(task)
            task.add_done_callback(lambda done: (in_flight.discard(done), slots.release()))
        if in_flight:
            await asyncio.gather(*in_flight)

    async def _commit(self, batch: list[tuple[Operation[Any], asyncio.Future[Any]]]) -> None:
        operations = [operation for operation, _ in batch]
        try:
            outcomes = await self._writer._execute(_run_batch, self._writer._conn, operations)
        except Exception as error:  # the whole transaction failed (disk full, I/O error …)
            log.exception("write transaction failed; %d operations rolled back", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    async def checkpoint(self) -> None:
        """Move WAL pages into the database file off the commit path (keeps commit tail latency low)."""
        await self._checkpointer._execute(
            lambda conn: conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall(), self._checkpointer._conn
        )

    async def close(self) -> None:
        """Finish queued writes, then close every connection (aiosqlite hangs on exit otherwise)."""
        if self._closed:
            return
        self._closed = True
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)
        if self._writer_task is not None:
            await self._writer_task
        await _close_all([self._writer, self._reader, self._checkpointer])


async def _close_all(connections: list[aiosqlite.Connection]) -> None:
    for connection in reversed(connections):
        await connection.close()


def _run_read(conn: sqlite3.Connection, query: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN")
    try:
        return query(conn)
    finally:
        conn.execute("COMMIT")

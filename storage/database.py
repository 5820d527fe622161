"""The database: connections, PRAGMAs, migrations and the one writer that owns transactions.

Every query in `storage/` is a plain function taking a `sqlite3.Connection`. Reads run on a read
connection; writes are queued to a single writer task that commits them in groups (group commit):
one `BEGIN IMMEDIATE … COMMIT` per batch, a SAVEPOINT per operation so that one refused operation
undoes only its own statements, and each caller's future resolved only after COMMIT returned.

Each connection (writer, reader, checkpointer) is a stdlib `sqlite3` connection owned by a thread of
its own (a one-thread executor): everything done on it runs there, in the order submitted. A whole
batch runs as one call on the writer's thread. Awaiting each statement separately would cost a thread
hop (an event-loop round trip) per statement; with a dozen statements per gift that caps throughput
far below what SQLite commits durably, and it would let other coroutines interleave statements into
an open transaction.

A write transaction that fails as a whole (COMMIT or ROLLBACK refused, disk I/O error, an operation
raising a BaseException) answers every caller of its batch with an error, and the writer's
connection is closed and opened afresh before the next batch, so that a connection left inside a
transaction it cannot end does not refuse every later write. When the database cannot be reopened,
or several transactions in a row fail, the database declares itself unusable: every waiting and
later write is refused and `until_unusable()` returns, for the composition root to stop the process
with an error (a supervisor then restarts it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], T]
Synchronous = Literal["FULL", "NORMAL"]

BATCH_MAX = 256
BATCHES_IN_FLIGHT = 2
BUSY_TIMEOUT_MS = 5000
# A failed transaction is usually one bad moment (a full disk that is then cleared, a lock held too
# long); this many in a row, each on a freshly opened connection, means the database is not usable.
MAX_FAILED_TRANSACTIONS_IN_A_ROW = 3


class DatabaseError(Exception):
    """The database cannot be used (missing file, newer schema, corrupt file, failed transaction)."""


class BalanceTooLow(Exception):
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
    # A database remembers only the highest number applied: a gap filled later would never be applied.
    if versions != list(range(1, len(versions) + 1)):
        raise DatabaseError(f"migrations are not numbered 1..n without gaps: {versions}")
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
        return int(latest)
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


Outcome = tuple[bool, Any]


def _run_batch(conn: sqlite3.Connection, operations: list[Operation[Any]]) -> list[Outcome]:
    """Run queued operations in one transaction, each inside its own savepoint. Runs on the
    writer's thread, so nothing else can touch the connection until it returns."""
    outcomes: list[Outcome] = []
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


def _contained(error: BaseException) -> Exception:
    """An exception that may cross into the event loop: KeyboardInterrupt, SystemExit and the like,
    raised on a connection's thread, would otherwise stop the loop itself instead of failing one call."""
    if isinstance(error, Exception):
        return error
    wrapped = DatabaseError(f"a database call was aborted ({type(error).__name__}: {error})")
    wrapped.__cause__ = error
    return wrapped


class _Worker:
    """One thread and the SQLite connection it owns: calls run there one at a time, in order."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"livegifts-{name}")
        self.conn: sqlite3.Connection | None = None

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, _call_contained, function, args
        )

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.run(self._close_connection)
        self._executor.shutdown(wait=False)

    def _close_connection(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()


def _call_contained(function: Callable[..., T], args: tuple[Any, ...]) -> T:
    try:
        return function(*args)
    except BaseException as error:
        contained = _contained(error)
        if contained is error:
            raise
        raise contained from error


def _connect(path: Path, synchronous: str, factory: type[sqlite3.Connection]) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, factory=factory)
    try:
        _apply_pragmas(conn, synchronous)
    except BaseException:
        conn.close()
        raise
    return conn


@dataclass(frozen=True)
class _BatchFailed:
    """A whole write transaction failed; `unusable` is set when the writer could not recover."""

    error: BaseException
    unusable: DatabaseError | None


class _Writer(_Worker):
    """The writer's thread and connection; every method but `run`/`close` runs on that thread."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        super().__init__("writer")
        self._connect = connect
        self._failed_in_a_row = 0

    def open(self, migrations: list[Migration]) -> None:
        self.conn = self._connect()
        _migrate(self.conn, migrations)

    def run_batch(self, operations: list[Operation[Any]]) -> list[Outcome] | _BatchFailed:
        if self.conn is None:
            gone = DatabaseError("the writer has no usable connection")
            return _BatchFailed(gone, gone)
        try:
            outcomes = _run_batch(self.conn, operations)
        except BaseException as error:  # not raised further: the loop answers the batch's callers
            self._failed_in_a_row += 1
            return _BatchFailed(error, self._reopen())
        self._failed_in_a_row = 0
        return outcomes

    def _reopen(self) -> DatabaseError | None:
        """Replace the connection, which may still be inside a transaction it could not end."""
        old, self.conn = self.conn, None
        if old is not None:
            with contextlib.suppress(Exception):
                old.close()
        if self._failed_in_a_row >= MAX_FAILED_TRANSACTIONS_IN_A_ROW:
            return DatabaseError(f"{self._failed_in_a_row} write transactions in a row failed")
        try:
            conn = self._connect()
            try:  # can it still take the write lock and read the schema?
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
                conn.execute("ROLLBACK")
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.close()
                raise
        except BaseException as error:
            return DatabaseError(f"the database cannot be reopened after a failed write ({error})")
        self.conn = conn
        return None


class Database:
    """An open livegifts database. Use `await Database.open(path)` and `await db.close()`."""

    def __init__(self, path: Path, writer: _Writer, reader: _Worker, checkpointer: _Worker) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._checkpointer = checkpointer
        self._loop = asyncio.get_running_loop()
        self._pending: deque[tuple[Operation[Any], asyncio.Future[Any]]] = deque()
        self._wakeup: asyncio.Future[None] | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._closed = False
        self._unusable: DatabaseError | None = None
        self._unusable_event = asyncio.Event()

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        synchronous: Synchronous = "FULL",
        create: bool = True,
        factory: type[sqlite3.Connection] = sqlite3.Connection,
    ) -> Database:
        """Open (and, unless `create` is false, create) the database and bring its schema up to date.
        `factory` is the `sqlite3.Connection` class every connection is made with (as in
        `sqlite3.connect`)."""
        path = Path(path)
        if not create and not path.exists():
            raise DatabaseError(f"database file {path} does not exist")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatabaseError(f"cannot create the folder of the database {path}: {error}") from error
        migrations = load_migrations()

        def connect() -> sqlite3.Connection:
            return _connect(path, synchronous, factory)

        writer = _Writer(connect)
        # Reads and WAL checkpoints get connections (and threads) of their own: a checkpoint
        # copies pages and fsyncs the file, and must not hold up reads or commits behind it.
        reader, checkpointer = _Worker("reader"), _Worker("checkpointer")
        try:
            await writer.run(writer.open, migrations)
            for side in (reader, checkpointer):
                await side.run(_open_side, side, connect)
            await reader.run(_query_only, reader)
        except sqlite3.DatabaseError as error:  # e.g. "file is not a database"
            await _close_all([writer, reader, checkpointer])
            raise DatabaseError(f"{path} is not a usable SQLite database: {error}") from error
        except BaseException:
            await _close_all([writer, reader, checkpointer])
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
        if self._unusable is not None:
            raise DatabaseError(f"the database is unusable: {self._unusable}")
        future: asyncio.Future[T] = self._loop.create_future()
        self._pending.append((operation, future))
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)
        return await future

    async def read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run `query(conn)` on the read connection (a consistent snapshot for its duration)."""
        return await self._reader.run(_run_read, self._reader, query)

    @property
    def unusable(self) -> DatabaseError | None:
        """Why writes are refused for good, or None while the database works."""
        return self._unusable

    async def until_unusable(self) -> DatabaseError:
        """Return once the database has become unusable (never, while it works)."""
        await self._unusable_event.wait()
        assert self._unusable is not None
        return self._unusable

    async def _write_loop(self) -> None:
        # Up to two batches in flight: operations arriving while the writer thread runs batch N are
        # queued behind it as batch N+1, so the thread starts the next transaction as soon as N
        # commits instead of waiting for this loop to be scheduled. The one thread runs submitted
        # calls in order, so the transactions themselves never overlap. Batches are not split
        # artificially: with the GIL, overlapping Python work starves the writer thread.
        slots = asyncio.Semaphore(BATCHES_IN_FLIGHT)
        in_flight: set[asyncio.Task[None]] = set()

        def finished(done: asyncio.Task[None]) -> None:
            in_flight.discard(done)
            slots.release()

        while True:
            if not self._pending:
                if self._closed:
                    break
                self._wakeup = self._loop.create_future()
                await self._wakeup
                continue
            await slots.acquire()
            size = min(BATCH_MAX, len(self._pending))
            batch = [self._pending.popleft() for _ in range(size)]
            task = self._loop.create_task(self._commit(batch))
            in_flight.add(task)
            task.add_done_callback(finished)
        if in_flight:
            await asyncio.gather(*in_flight)

    async def _commit(self, batch: list[tuple[Operation[Any], asyncio.Future[Any]]]) -> None:
        operations = [operation for operation, _ in batch]
        try:
            result = await self._writer.run(self._writer.run_batch, operations)
        except Exception as error:  # the thread could not even be asked (shut down)
            result = _BatchFailed(error, DatabaseError(f"the writer stopped ({error})"))
        if isinstance(result, _BatchFailed):
            log.error(
                "write transaction failed; %d operations rolled back",
                len(batch),
                exc_info=(type(result.error), result.error, result.error.__traceback__),
            )
            answer = _contained(result.error)
            for _, future in batch:
                if not future.done():
                    future.set_exception(answer)
            if result.unusable is not None:
                self._declare_unusable(result.unusable)
            return
        for (_, future), (ok, value) in zip(batch, result, strict=True):
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _declare_unusable(self, reason: DatabaseError) -> None:
        if self._unusable is None:
            log.critical("the database is unusable, refusing every write: %s", reason)
            self._unusable = reason
            self._unusable_event.set()
        refusal = DatabaseError(f"the database is unusable: {reason}")
        while self._pending:
            _, future = self._pending.popleft()
            if not future.done():
                future.set_exception(refusal)

    async def checkpoint(self) -> None:
        """Move WAL pages into the database file off the commit path (keeps commit tail latency low)."""
        await self._checkpointer.run(_checkpoint, self._checkpointer)

    async def close(self) -> None:
        """Finish queued writes, then close every connection and its thread."""
        if self._closed:
            return
        self._closed = True
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)
        if self._writer_task is not None:
            await self._writer_task
        await _close_all([self._writer, self._reader, self._checkpointer])


async def _close_all(workers: list[_Worker]) -> None:
    for worker in reversed(workers):
        await worker.close()


def _open_side(worker: _Worker, connect: Callable[[], sqlite3.Connection]) -> None:
    worker.conn = connect()


def _query_only(worker: _Worker) -> None:
    _connection(worker).execute("PRAGMA query_only = ON")


def _connection(worker: _Worker) -> sqlite3.Connection:
    if worker.conn is None:
        raise DatabaseError("the database is closed")
    return worker.conn


def _checkpoint(worker: _Worker) -> None:
    _connection(worker).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _run_read(worker: _Worker, query: Callable[[sqlite3.Connection], T]) -> T:
    conn = _connection(worker)
    conn.execute("BEGIN")
    try:
        return query(conn)
    finally:
        conn.execute("COMMIT")

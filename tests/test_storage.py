"""The database: migrations, append-only ledger, and the group-commit writer on a real SQLite file."""

from __future__ import annotations

import asyncio
import random
import sqlite3

import pytest

import storage.database as database_module
from storage import BalanceTooLow, Database, DatabaseError
from storage.database import load_migrations
from storage.ledger import NewEntry, Posting, post_entry
from storage.ledger_check import find_discrepancies

GUILD = 1


def grant(user_id: int, coins: int, key: str | None = None):
    """A write op minting `coins` into a member's wallet."""

    def op(conn: sqlite3.Connection) -> int:
        return post_entry(
            conn,
            NewEntry(GUILD, "grant", 1, idempotency_key=key),
            [Posting("coins", coins, user_id=user_id), Posting("coins", -coins, system_account="mint")],
        )

    return op


def spend(user_id: int, coins: int):
    """A write op spending `coins` of a member's wallet (refused with BalanceTooLow if short)."""

    def op(conn: sqlite3.Connection) -> int:
        return post_entry(
            conn,
            NewEntry(GUILD, "gift", 1),
            [Posting("coins", -coins, user_id=user_id), Posting("coins", coins, system_account="spent")],
        )

    return op


async def coins_of(db: Database, user_id: int) -> int:
    row = await db.read(
        lambda c: c.execute(
            "SELECT coins FROM wallets WHERE guild_id = ? AND user_id = ?", (GUILD, user_id)
        ).fetchone()
    )
    return row[0] if row else 0


async def entry_count(db: Database) -> int:
    return await db.read(lambda c: c.execute("SELECT COUNT(*) FROM journal_entries").fetchone()[0])


# --- migrations -------------------------------------------------------------------------------


async def test_migrations_build_the_schema_from_an_empty_file(tmp_path):
    path = tmp_path / "fresh.db"
    db = await Database.open(path)
    try:
        latest = load_migrations()[-1].version
        assert await db.read(lambda c: c.execute("PRAGMA user_version").fetchone()[0]) == latest
        assert await db.read(lambda c: c.execute("PRAGMA foreign_keys").fetchone()[0]) == 1
        assert await db.write(lambda c: c.execute("PRAGMA foreign_keys").fetchone()[0]) == 1
        assert await db.read(lambda c: c.execute("PRAGMA busy_timeout").fetchone()[0]) > 0
        assert await db.read(lambda c: c.execute("PRAGMA synchronous").fetchone()[0]) == 2  # FULL
        tables = await db.read(
            lambda c: {
                r["name"]: r["strict"]
                for r in c.execute("PRAGMA table_list").fetchall()
                if r["schema"] == "main" and not r["name"].startswith("sqlite_")
            }
        )
        for table in ("regions", "default_coin_packages", "guild_settings", "coin_packages", "wallets"):
            assert tables[table] == 1, f"{table} is not STRICT"
        assert tables["journal_entries"] == 1 and tables["postings"] == 1
        assert (
            await db.read(lambda c: c.execute("SELECT COUNT(*) FROM default_coin_packages").fetchone()[0])
            == 27
        )
    finally:
        await db.close()

    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


async def test_reopening_applies_nothing_twice_and_keeps_data(tmp_path):
    path = tmp_path / "again.db"
    db = await Database.open(path)
    await db.write(grant(7, 70))
    await db.close()

    db = await Database.open(path, synchronous="NORMAL")
    try:
        assert await coins_of(db, 7) == 70
        assert await db.read(lambda c: c.execute("PRAGMA synchronous").fetchone()[0]) == 1  # NORMAL
        assert await db.read(find_discrepancies) == []
    finally:
        await db.close()


async def test_strict_tables_and_foreign_keys_refuse_bad_rows(db):
    with pytest.raises(sqlite3.IntegrityError):  # STRICT: text in an INTEGER column
        await db.write(
            lambda c: c.execute("INSERT INTO wallets (guild_id, user_id, coins) VALUES (1, 2, 'lots')")
        )
    with pytest.raises(sqlite3.IntegrityError):  # foreign key: no such region
        await db.write(
            lambda c: c.execute("INSERT INTO wallets (guild_id, user_id, region) VALUES (1, 2, 'XX')")
        )
    with pytest.raises(sqlite3.IntegrityError):  # CHECK (coins >= 0)
        await db.write(
            lambda c: c.execute("INSERT INTO wallets (guild_id, user_id, coins) VALUES (1, 2, -5)")
        )
    assert await db.read(lambda c: c.execute("SELECT COUNT(*) FROM wallets").fetchone()[0]) == 0


async def test_a_database_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "future.db"
    db = await Database.open(path)
    await db.write(grant(7, 70))
    await db.close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 999")
    raw.close()

    with pytest.raises(DatabaseError, match=r"schema version 999.*newer"):
        await Database.open(path)

    raw = sqlite3.connect(path)  # untouched: still version 999 with its data
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 999
        assert raw.execute("SELECT coins FROM wallets").fetchone()[0] == 70
    finally:
        raw.close()


async def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not sqlite, just some text that happens to be long enough" * 20)
    with pytest.raises(DatabaseError, match="not a usable SQLite database"):
        await Database.open(path)


async def test_open_without_create_refuses_a_missing_file_and_creates_nothing(tmp_path):
    path = tmp_path / "missing" / "nothing.db"
    with pytest.raises(DatabaseError, match="does not exist"):
        await Database.open(path, create=False)
    assert not path.exists()
    assert not path.parent.exists()


# --- the append-only ledger -------------------------------------------------------------------


async def test_postings_and_journal_entries_are_append_only(db):
    await db.write(grant(7, 70))
    statements = [
        "UPDATE postings SET amount = amount * 2",
        "DELETE FROM postings",
        "UPDATE journal_entries SET kind = 'gift'",
        "DELETE FROM journal_entries",
    ]
    for statement in statements:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await db.write(lambda c, s=statement: c.execute(s))
    rows = await db.read(lambda c: c.execute("SELECT asset, amount FROM postings ORDER BY id").fetchall())
    assert [tuple(r) for r in rows] == [("coins", 70), ("coins", -70)]
    assert await entry_count(db) == 1
    assert await db.read(find_discrepancies) == []


async def test_unbalanced_entries_are_refused_before_anything_is_written(db):
    def lopsided(conn):
        return post_entry(conn, NewEntry(GUILD, "grant", 1), [Posting("coins", 70, user_id=7)])

    with pytest.raises(ValueError, match="sum to zero"):
        await db.write(lopsided)
    assert await coins_of(db, 7) == 0
    assert await entry_count(db) == 0


# --- the group-commit writer ------------------------------------------------------------------


async def test_a_failing_operation_rolls_back_only_itself_within_its_batch(db, monkeypatch):
    batches: list[int] = []
    real_run_batch = database_module._run_batch

    def recording_run_batch(conn, operations):
        batches.append(len(operations))
        return real_run_batch(conn, operations)

    monkeypatch.setattr(database_module, "_run_batch", recording_run_batch)

    def grant_then_fail(conn):
        grant(8, 1_000)(conn)  # written, then undone by its own savepoint
        raise RuntimeError("boom")

    results = await asyncio.gather(
        db.write(grant(7, 70)),
        db.write(grant_then_fail),
        db.write(spend(9, 5)),  # BalanceTooLow: member 9 has nothing
        db.write(grant(9, 350)),
        db.write(grant(10, 1, key="k")),
        db.write(grant(10, 1, key="k")),  # UNIQUE idempotency key
        return_exceptions=True,
    )

    assert batches == [6], "all six operations should have shared one transaction"
    assert isinstance(results[0], int)
    assert isinstance(results[1], RuntimeError)
    assert isinstance(results[2], BalanceTooLow) and results[2].available == 0
    assert isinstance(results[3], int)
    assert isinstance(results[4], int)
    assert isinstance(results[5], sqlite3.IntegrityError)
    assert (await coins_of(db, 7), await coins_of(db, 8), await coins_of(db, 9)) == (70, 0, 350)
    assert await coins_of(db, 10) == 1
    assert await entry_count(db) == 3
    assert await db.read(find_discrepancies) == []


async def test_a_hundred_concurrent_operations_lose_nothing_and_invent_nothing(db):
    users = [1, 2, 3, 4]
    rng = random.Random(2026)
    plan = []
    for _ in range(100):
        user = rng.choice(users)
        if rng.random() < 0.35:
            plan.append(("grant", user, rng.choice([70, 350, 700])))
        else:
            plan.append(("spend", user, rng.choice([1, 30, 99, 299, 1000])))
    ops = [grant(u, n) if kind == "grant" else spend(u, n) for kind, u, n in plan]

    results = await asyncio.gather(*(db.write(op) for op in ops), return_exceptions=True)

    # The writer applies operations in the order they were queued: a sequential model must agree
    # with every acceptance and refusal, and with the final balances.
    model = dict.fromkeys(users, 0)
    expected_refusals = []
    for index, (kind, user, coins) in enumerate(plan):
        if kind == "grant":
            model[user] += coins
        elif model[user] >= coins:
            model[user] -= coins
        else:
            expected_refusals.append(index)
    refusals = [i for i, r in enumerate(results) if isinstance(r, BaseException)]
    assert refusals == expected_refusals
    assert expected_refusals, "the scenario must include refused spends"
    assert all(isinstance(results[i], BalanceTooLow) for i in refusals)
    assert {u: await coins_of(db, u) for u in users} == model
    assert await entry_count(db) == 100 - len(refusals)
    assert await db.read(find_discrepancies) == []
    minted = sum(n for kind, _, n in plan if kind == "grant")
    spent = await db.read(
        lambda c: c.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM postings WHERE system_account = 'spent'"
        ).fetchone()[0]
    )
    assert sum(model.values()) + spent == minted


async def test_close_finishes_queued_writes(tmp_path):
    path = tmp_path / "closing.db"
    db = await Database.open(path)
    pending = [asyncio.ensure_future(db.write(grant(7, 1))) for _ in range(300)]
    await asyncio.sleep(0)  # every write is queued, few or none committed yet
    await db.close()

    assert all(task.done() and not task.cancelled() and task.exception() is None for task in pending)
    with pytest.raises(DatabaseError, match="closed"):
        await db.write(grant(7, 1))

    db = await Database.open(path)
    try:
        assert await coins_of(db, 7) == 300
        assert await entry_count(db) == 300
    finally:
        await db.close()


async def test_a_caller_that_gives_up_does_not_undo_a_queued_write(db):
    task = asyncio.ensure_future(db.write(grant(7, 70)))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await db.write(grant(8, 1))  # after this commit, the earlier operation has run too
    assert await coins_of(db, 7) == 70
    assert await db.read(find_discrepancies) == []


async def test_the_read_connection_cannot_write_and_checkpoints_work(db):
    await db.write(grant(7, 70))
    with pytest.raises(sqlite3.OperationalError):
        await db.read(lambda c: c.execute("DELETE FROM wallets"))
    await db.checkpoint()
    assert await coins_of(db, 7) == 70


async def test_a_database_path_that_cannot_be_created_is_refused_clearly(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DatabaseError, match="cannot create the folder"):
        await Database.open(blocker / "livegifts.db")

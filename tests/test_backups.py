"""Backups: a consistent copy of a database that is being written to, audited like `bot check`; daily
backups keep only the newest BACKUP_KEEP; `python -m bot backup` as an operator runs it."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import backup_target
from bot.backups import JOB_ID, DailyBackups, backup_name, install_backup_job, take_backup
from bot.settings import SettingsError, load_settings
from storage import Database
from storage.ledger_check import check_file
from tests.support.clock import FakeClock
from tests.test_ledger_check_cli import run_bot
from tests.test_storage import grant, spend


async def keep_writing(db: Database, stop: asyncio.Event) -> int:
    """Grants and spends from many concurrent callers (so batches are large) until `stop`."""
    written = 0
    while not stop.is_set():
        results = await asyncio.gather(
            *(db.write(grant(user, 70)) for user in range(1, 40)),
            *(db.write(spend(user, 30)) for user in range(1, 40)),
        )
        written += len(results)
    return written


def committed(path: Path) -> tuple[int, int, int]:
    """Entries, the sum of wallet coins, the sum of the members' coin postings."""
    raw = sqlite3.connect(path)
    try:
        return (
            raw.execute("SELECT COUNT(*) FROM journal_entries").fetchone()[0],
            raw.execute("SELECT COALESCE(SUM(coins), 0) FROM wallets").fetchone()[0],
            raw.execute(
                "SELECT COALESCE(SUM(amount), 0) FROM postings WHERE user_id IS NOT NULL AND asset = 'coins'"
            ).fetchone()[0],
        )
    finally:
        raw.close()


async def test_a_backup_of_a_database_being_written_to_is_consistent_and_audits_clean(tmp_path):
    db = await Database.open(tmp_path / "live.db")
    stop = asyncio.Event()
    writer = asyncio.ensure_future(keep_writing(db, stop))
    try:
        await asyncio.sleep(0.2)
        reports = []
        for n in range(4):  # while transactions keep committing (and the WAL keeps growing)
            reports.append(await asyncio.to_thread(take_backup, db.path, tmp_path / f"copy-{n}.db"))
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        written = await writer
        await db.close()

    assert written > 0
    sizes = []
    for report in reports:
        assert report.problems == []
        entries, wallets, postings = committed(report.path)
        assert entries > 0 and wallets == postings  # whole transactions only
        assert not Path(f"{report.path}-wal").exists()  # one self-contained file
        sizes.append(entries)
    assert sizes == sorted(sizes)  # later copies hold more
    assert committed(tmp_path / "live.db")[0] >= sizes[-1]


async def test_backup_command_copies_a_running_database_and_audits_the_copy(tmp_path):
    db = await Database.open(tmp_path / "live.db")
    stop = asyncio.Event()
    writer = asyncio.ensure_future(keep_writing(db, stop))
    try:
        await asyncio.sleep(0.2)
        done = await asyncio.to_thread(
            run_bot, tmp_path, "backup", f"{tmp_path / 'copies'}/", "--database", str(db.path)
        )
    finally:
        stop.set()
        await writer
        await db.close()

    assert done.returncode == 0, done.stderr
    (copy,) = (tmp_path / "copies").iterdir()
    assert copy.name.startswith("livegifts-") and copy.suffix == ".db"
    assert f"{copy}: ledger is clean" in done.stdout
    assert check_file(copy) == []


def test_backup_command_reports_discrepancies_with_exit_1_and_a_missing_database_with_exit_2(tmp_path):
    path = tmp_path / "bad.db"
    asyncio.run(_make_and_corrupt(path))
    done = run_bot(tmp_path, "backup", str(tmp_path / "copy.db"), "--database", str(path))
    assert done.returncode == 1
    assert "1 discrepancies" in done.stdout and "wallet says 9999 coins" in done.stdout

    missing = run_bot(tmp_path, "backup", str(tmp_path / "copy2.db"), "--database", str(tmp_path / "no.db"))
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr and "Traceback" not in missing.stderr
    assert not (tmp_path / "copy2.db").exists()


async def _make_and_corrupt(path: Path) -> None:
    db = await Database.open(path)
    await db.write(grant(7, 70))
    await db.close()
    raw = sqlite3.connect(path)
    raw.execute("UPDATE wallets SET coins = 9999")
    raw.commit()
    raw.close()


async def test_daily_backups_keep_the_newest_n_and_leave_other_files_alone(tmp_path):
    db = await Database.open(tmp_path / "live.db")
    folder = tmp_path / "daily"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "livegifts-manual.db").write_text("mine too")
    clock = FakeClock(datetime(2026, 12, 1, 3, 30, tzinfo=UTC))
    backups = DailyBackups(db.path, folder, 3, clock)
    try:
        for _ in range(5):
            await db.write(grant(7, 70))
            report = await backups.run()
            assert report is not None and report.problems == []
            clock.advance(days=1)
    finally:
        await db.close()

    kept = sorted(p.name for p in folder.iterdir())
    assert kept == [
        "livegifts-20261203T033000Z.db",
        "livegifts-20261204T033000Z.db",
        "livegifts-20261205T033000Z.db",
        "livegifts-manual.db",
        "notes.txt",
    ]
    assert committed(folder / "livegifts-20261205T033000Z.db")[0] == 5  # the latest has every grant


def test_backup_names_sort_by_time():
    first = datetime(2026, 12, 9, 23, 59, tzinfo=UTC)
    assert backup_name(first) < backup_name(first + timedelta(minutes=1)) == "livegifts-20261210T000000Z.db"


async def test_the_daily_job_runs_at_the_configured_utc_time(tmp_path):
    scheduler = AsyncIOScheduler(timezone=UTC)
    backups = DailyBackups(tmp_path / "live.db", tmp_path, 7, FakeClock(datetime(2026, 12, 1, tzinfo=UTC)))
    install_backup_job(scheduler, backups, 3, 30)
    job = install_backup_job(scheduler, backups, 4, 15)  # a reload replaces, never duplicates
    assert [j.id for j in scheduler.get_jobs()] == [JOB_ID]
    after = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert job.trigger.get_next_fire_time(None, after) == datetime(2026, 12, 2, 4, 15, tzinfo=UTC)


def test_backup_settings_are_validated(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    settings = load_settings(backup_dir="", backup_time="7:05")
    assert settings.backup_dir is None and settings.backup_at == (7, 5)
    for bad in ("25:00", "noon", "07:5"):
        with pytest.raises(SettingsError, match="BACKUP_TIME"):
            load_settings(backup_time=bad)
    with pytest.raises(SettingsError, match="BACKUP_KEEP"):
        load_settings(backup_keep=0)


def test_backup_path_is_a_file_or_a_folder_for_dated_files(tmp_path):
    assert backup_target(str(tmp_path / "copy.db"), tmp_path / "default") == tmp_path / "copy.db"
    assert backup_target(str(tmp_path), tmp_path / "default").parent == tmp_path
    assert backup_target(f"{tmp_path / 'new'}/", tmp_path / "default").parent == tmp_path / "new"
    assert backup_target(None, tmp_path / "default").name.startswith("livegifts-")

"""Backups of the running bot's database: `python -m bot backup [PATH]` and the optional daily job.

Each backup is a consistent online copy (storage/backup.py) that is then checked with the ledger audit,
the same as `python -m bot check`. Daily backups go to BACKUP_DIR as `livegifts-YYYYMMDDTHHMMSSZ.db`;
after each one, only the newest BACKUP_KEEP of those files are kept (other files there are left alone).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.job import Job
from apscheduler.triggers.cron import CronTrigger

from bot.clock import Clock
from bot.economy.kinds import allowed_accounts
from storage.backup import backup_database
from storage.ledger_check import check_file

log = logging.getLogger(__name__)

JOB_ID = "daily-backup"
_BACKUP_NAME = re.compile(r"livegifts-\d{8}T\d{6}Z\.db")


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size: int
    problems: list[str]  # the ledger audit of the copy; empty: clean


def backup_name(moment: datetime) -> str:
    return f"livegifts-{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}.db"


def take_backup(database: Path, target: Path) -> BackupReport:
    """Back the database up to the file `target` and audit the copy. Blocking: run it off the loop."""
    target.parent.mkdir(parents=True, exist_ok=True)
    backup_database(database, target)
    return BackupReport(target, target.stat().st_size, check_file(target, allowed_accounts()))


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` dated backups in `directory`; the files deleted."""
    dated = sorted(p for p in directory.iterdir() if p.is_file() and _BACKUP_NAME.fullmatch(p.name))
    doomed = dated[:-keep] if keep > 0 else dated
    for path in doomed:
        path.unlink()
    return doomed


class DailyBackups:
    def __init__(self, database: Path, directory: Path, keep: int, clock: Clock) -> None:
        self._database = database
        self._directory = directory
        self._keep = keep
        self._clock = clock

    async def run(self) -> BackupReport | None:
        """Take one backup and prune old ones; failures are logged (the bot keeps running)."""
        target = self._directory / backup_name(self._clock())
        try:
            report = await asyncio.to_thread(take_backup, self._database, target)
        except Exception:
            log.exception("the daily backup to %s failed", target)
            return None
        if report.problems:
            log.error(
                "daily backup %s: the ledger audit of the copy found %d discrepancies, first: %s",
                report.path,
                len(report.problems),
                report.problems[0],
            )
        else:
            log.info("daily backup %s written (%d bytes), ledger clean", report.path, report.size)
        for path in await asyncio.to_thread(prune, self._directory, self._keep):
            log.info("removed old backup %s", path)
        return report


def install_backup_job(scheduler: Any, backups: DailyBackups, hour: int, minute: int) -> Job:
    """Add (or replace) the daily backup job on an APScheduler 3 scheduler, at HH:MM UTC."""
    if scheduler.get_job(JOB_ID) is not None:  # a not yet started scheduler would keep both
        scheduler.remove_job(JOB_ID)
    job: Job = scheduler.add_job(
        backups.run,
        CronTrigger(hour=hour, minute=minute, timezone=UTC),
        id=JOB_ID,
        name="daily database backup",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,  # a bot that was down at that moment backs up within the hour after
    )
    return job

"""The running bot schedules the daily backup only when BACKUP_DIR is set; the job writes an audited copy."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.backups import JOB_ID
from tests.e2e.conftest import RunningBot, e2e_settings
from tests.support.clock import FakeClock


async def test_the_bot_schedules_daily_backups_when_a_folder_is_set(fake_discord, tmp_path):
    folder = tmp_path / "daily"
    settings = e2e_settings(tmp_path, fake_discord).model_copy(
        update={"backup_dir": folder, "backup_keep": 2}
    )
    clock = FakeClock(datetime(2026, 12, 1, 3, 30, tzinfo=UTC))
    runner = await RunningBot(fake_discord, settings, clock).start()
    try:
        job = runner.bot.scheduler.get_job(JOB_ID)
        assert job is not None
        for _ in range(3):
            report = await job.func(*job.args, **job.kwargs)  # the run the scheduler makes every day
            assert report is not None and report.problems == [] and report.path.parent == folder
            clock.advance(days=1)
    finally:
        await runner.stop()
    assert sorted(p.name for p in folder.iterdir()) == [
        "livegifts-20261202T033000Z.db",
        "livegifts-20261203T033000Z.db",
    ]


async def test_without_a_backup_folder_no_backup_is_scheduled(running_bot):
    assert running_bot.bot.scheduler.get_job(JOB_ID) is None

"""The bot as `python -m bot` runs it, in a process of its own, pointed at the local simulator through
DISCORD_API_BASE_URL."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from simulator.fake_discord import FakeDiscord
from tests.e2e.conftest import FAKE_TOKEN

ROOT = Path(__file__).resolve().parents[2]


async def start_bot_process(fake: FakeDiscord, workdir: Path, **env: str) -> asyncio.subprocess.Process:
    """Start the bot on `workdir/livegifts.db` (log in `workdir/bot.log`) and wait until it has logged in."""
    environment = {
        **os.environ,
        "DISCORD_TOKEN": FAKE_TOKEN,
        "DATABASE_PATH": str(workdir / "livegifts.db"),
        "LOG_LEVEL": "INFO",
        "DISCORD_API_BASE_URL": fake.api_base,
        "PYTHONPATH": str(ROOT),
        **env,
    }
    fake.identified.clear()
    with (workdir / "bot.log").open("w") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=workdir, env=environment, stdout=log, stderr=log
        )
    try:
        await asyncio.wait_for(fake.identified.wait(), 60)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(
            f"the bot did not connect; its log:\n{(workdir / 'bot.log').read_text()}"
        ) from None
    await asyncio.sleep(0.5)  # READY and GUILD_CREATE handled
    return process

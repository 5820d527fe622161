"""The bot as `python -m bot` runs it, in a process of its own, pointed at the local fake Discord."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.e2e.conftest import FAKE_TOKEN
from tests.e2e.fake_discord import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]

# Point discord.py at the fake (the only change), then run the real entry point.
LAUNCHER = """
import os, sys, discord.http, discord.gateway, yarl
discord.http.Route.BASE = os.environ["FAKE_DISCORD_API"]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["FAKE_DISCORD_GATEWAY"])
from bot.app import main
sys.exit(main([]))
"""


async def start_bot_process(fake: FakeDiscord, workdir: Path, **env: str) -> asyncio.subprocess.Process:
    """Start the bot on `workdir/livegifts.db` (log in `workdir/bot.log`) and wait until it has logged in."""
    environment = {
        **os.environ,
        "DISCORD_TOKEN": FAKE_TOKEN,
        "DATABASE_PATH": str(workdir / "livegifts.db"),
        "LOG_LEVEL": "INFO",
        "FAKE_DISCORD_API": fake.api_base,
        "FAKE_DISCORD_GATEWAY": fake.gateway_url,
        "PYTHONPATH": str(ROOT),
        **env,
    }
    fake.identified.clear()
    with (workdir / "bot.log").open("w") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", LAUNCHER, cwd=workdir, env=environment, stdout=log, stderr=log
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

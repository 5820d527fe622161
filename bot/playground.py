"""`python -m bot playground`: the bot, as `python -m bot` runs it, against the local Discord simulator,
with a web page on 127.0.0.1 to act as the people of a demo server. Sandbox payments; a temporary database
unless one is given. The bot reaches the simulator through DISCORD_API_BASE_URL like any other API."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
from pathlib import Path

from pydantic import SecretStr

from bot.settings import Settings

DEFAULT_PORT = 8765
PLAYGROUND_TOKEN = "playground.token-for-the-local-simulator"  # noqa: S105 (the simulator accepts any)


class PortTakenError(Exception):
    """The page's port is in use; the message says what to do."""


def run_playground_command(settings: Settings, database: Path | None, port: int) -> int:
    from storage import DatabaseError

    with tempfile.TemporaryDirectory(prefix="livegifts-playground-") as directory:
        path = database or Path(directory) / "livegifts.db"
        try:
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C before the bot is up
                # SIGTERM and Ctrl+C once it is up: the bot's own orderly shutdown, then the simulator's
                return asyncio.run(run_playground(settings, path, port))
        except (PortTakenError, DatabaseError) as error:  # the port, a file that is not our database …
            print(f"livegifts playground: {error}", file=sys.stderr)
            return 2
    return 0


async def run_playground(settings: Settings, database_path: Path, port: int) -> int:
    """Until the bot stops; its exit status."""
    from bot.app import run_bot
    from simulator.demo import populate, set_up
    from simulator.driver import Driver
    from simulator.fake_discord import FakeDiscord
    from simulator.playground import Playground, wait_until_online

    fake = FakeDiscord()
    people = populate(fake)
    playground = Playground(fake, people)
    playground.install()
    try:
        await fake.start(port)
    except OSError as error:
        raise PortTakenError(
            f"cannot listen on 127.0.0.1:{port} ({error.strerror or error}). Choose another port with --port."
        ) from None
    bot_settings = settings.model_copy(
        update={
            "discord_token": SecretStr(PLAYGROUND_TOKEN),
            "discord_api_base_url": fake.api_base,
            "database_path": database_path,
            "dev_guild_ids": [],
            "payment_provider": "sandbox",
            "overlay_enabled": True,
            "overlay_host": "127.0.0.1",
            "overlay_port": 0,  # any free port: /overlay url says which
            "overlay_public_url": None,
        }
    )
    bot_task = asyncio.create_task(run_bot(bot_settings), name="bot")
    try:
        await wait_until_online(fake, bot_task)
        playground.overlays = await set_up(Driver(fake), people)
        print(
            f"livegifts playground: open http://127.0.0.1:{fake.port}  "
            f"(a local simulation, no money moves; database {database_path}; Ctrl+C stops it)",
            flush=True,
        )
        return await bot_task
    finally:
        bot_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot_task
        await playground.stop()
        await fake.stop()

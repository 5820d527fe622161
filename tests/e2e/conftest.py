"""Fixtures: a fake Discord on 127.0.0.1 and the real bot (composition-root pieces) logged in to it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

import discord
import discord.gateway
import discord.http
import pytest
from discord.webhook import async_ as webhook_async

from bot.client import LiveGiftsBot
from bot.clock import Clock, system_clock
from bot.economy.kinds import allowed_accounts
from bot.services import Services, build_services
from bot.settings import Settings
from simulator.discord_payloads import GUILD_ID
from simulator.driver import Driver
from simulator.fake_discord import FakeDiscord
from storage import Database
from storage.ledger_check import find_discrepancies

FAKE_TOKEN = "fake-token.for-the-local-fake-discord"


def restore_discord_py_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot points discord.py's class-wide REST base and gateway at the API base URL it is given;
    put Discord's back after the test."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    )


class RunningBot:
    """The bot as `bot.app.run_bot` runs it, but with handles the tests can look at, and restartable."""

    def __init__(self, fake: FakeDiscord, settings: Settings, clock: Clock = system_clock) -> None:
        self.fake = fake
        self.settings = settings
        self.clock = clock
        self.db: Database | None = None
        self.services: Services | None = None
        self.bot: LiveGiftsBot | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> RunningBot:
        self.fake.identified.clear()
        self.db = await Database.open(
            self.settings.database_path, synchronous=self.settings.sqlite_synchronous
        )
        self.services = await build_services(self.settings, self.db, self.clock)
        self.bot = LiveGiftsBot(self.settings, self.services)
        await self.bot.__aenter__()
        self._task = asyncio.create_task(self.bot.start(self.settings.discord_token.get_secret_value()))
        waiter = asyncio.create_task(self.fake.identified.wait())
        done, _ = await asyncio.wait({waiter, self._task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            waiter.cancel()
            self._task.result()  # raises what went wrong
        if waiter not in done:
            raise AssertionError("the bot did not connect to the fake gateway")
        for _ in range(200):  # the bot handles GUILD_CREATE right after READY
            if self.bot.get_guild(GUILD_ID) is not None:
                break
            await asyncio.sleep(0.005)
        return self

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.__aexit__(None, None, None)
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
                await asyncio.wait_for(self._task, 5)
        if self.db is not None:
            await self.db.close()
        self.bot = self.db = self.services = self._task = None

    async def restart(self) -> RunningBot:
        await self.stop()
        return await self.start()


def e2e_settings(tmp_path: Path, fake: FakeDiscord, **overrides: object) -> Settings:
    """The settings of a bot that talks to `fake`: DISCORD_API_BASE_URL, as a user of the simulator sets it;
    `overrides` for a test's own settings (e.g. the payment mode)."""
    return Settings(
        _env_file=None,
        discord_api_base_url=fake.api_base,
        database_path=tmp_path / "livegifts.db",
        discord_token=FAKE_TOKEN,
        log_level="WARNING",
        **overrides,
    )


def read_db(path: Path):
    """A read-only connection to the bot's database, for assertions independent of the bot."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def ledger_problems_in(path: Path) -> list[str]:
    """What the ledger check finds in the database file; [] when clean."""
    conn = read_db(path)
    try:
        return find_discrepancies(conn, allowed_accounts())
    finally:
        conn.close()


@pytest.fixture
def real_webhook_adapter():
    """discord.py's real HTTP webhook adapter for interaction responses: the in-process driver of
    tests/support/discord_fakes.py installs a recording one in a context variable that outlives its test."""
    token = webhook_async.async_context.set(webhook_async.AsyncWebhookAdapter())
    yield
    try:
        webhook_async.async_context.reset(token)
    except ValueError:  # set in another context: put the library's default back
        webhook_async.async_context.set(webhook_async.AsyncWebhookAdapter())


@pytest.fixture
async def fake_discord(monkeypatch, real_webhook_adapter):
    fake = await FakeDiscord().start()
    restore_discord_py_endpoints(monkeypatch)
    yield fake
    await fake.stop()
    assert not fake.unknown_requests, f"the bot called routes the fake does not know: {fake.unknown_requests}"
    assert not fake.client_errors, f"Discord would have refused these requests: {fake.client_errors}"


@pytest.fixture
def e2e_clock() -> Clock:
    return system_clock


@pytest.fixture
def e2e_setting_overrides() -> dict[str, object]:
    """Settings a test module changes (e.g. the payment mode); override this fixture."""
    return {}


@pytest.fixture
async def running_bot(fake_discord, tmp_path, e2e_clock, e2e_setting_overrides, caplog):
    caplog.set_level(logging.ERROR)
    settings = e2e_settings(tmp_path, fake_discord, **e2e_setting_overrides)
    runner = await RunningBot(fake_discord, settings, e2e_clock).start()
    yield runner
    await runner.stop()
    unexpected = [
        r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(("bot", "cogs"))
    ]
    assert not unexpected, "the bot logged errors: " + "; ".join(r.getMessage() for r in unexpected)
    assert ledger_problems_in(runner.settings.database_path) == []


@pytest.fixture
def e2e(running_bot, fake_discord) -> Driver:
    return Driver(fake_discord)

"""The Bot subclass: loads the cogs, syncs commands when they changed, runs background upkeep."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from datetime import UTC

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

from bot.backups import DailyBackups, install_backup_job
from bot.command_sync import sync_tree
from bot.discord_api import use_api_base, use_gateway_of
from bot.services import Services
from bot.settings import Settings
from bot.shutdown import InFlight
from bot.tree import LiveGiftsTree

log = logging.getLogger(__name__)

EXTENSIONS = (
    "cogs.wallet",
    "cogs.coins",
    "cogs.deals",
    "cogs.entitlements",
    "cogs.budget",
    "cogs.config",
    "cogs.catalog",
    "cogs.creator",
    "cogs.live",
    "cogs.gift",
    "cogs.leaderboard",
    "cogs.alerts",
    "cogs.overlay",
    "cogs.auto_live",
    "cogs.payouts",
    "cogs.ledger",
    "cogs.action_log",
    "cogs.charity",
    "cogs.subscriptions",
)
CHECKPOINT_EVERY_S = 1.0
# How long a shutdown waits for interactions already being answered (a gift's receipt waits up to
# a few seconds for its shout-out) before closing the connection to Discord anyway.
IN_FLIGHT_GRACE_S = 15.0


def freeze_long_lived_objects() -> None:
    """A full garbage collection walks every tracked object with the event loop stopped: with the
    libraries and discord.py's caches loaded that took 50–90 ms, the worst interaction latencies
    measured by bench/interaction_latency.py. What exists after start-up lives as long as the process,
    so move it out of the collector's sight."""
    gc.collect()
    gc.freeze()


class LiveGiftsBot(commands.Bot):
    def __init__(self, settings: Settings, services: Services, *, force_sync: bool = False) -> None:
        # The bot never joins voice: discord.py's start-up warnings about voice libraries are noise.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            tree_cls=LiveGiftsTree,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.settings = settings
        self.services = services
        self.force_sync = force_sync  # `python -m bot sync`: sync even when Discord has the same commands
        self.in_flight = InFlight()
        self._upkeep: asyncio.Task[None] | None = None
        # Cogs add their jobs when loaded (explicit ids, rebuilt from SQLite at every start);
        # it runs on the bot's loop once setup_hook starts it.
        self.scheduler = AsyncIOScheduler(timezone=UTC)

    async def login(self, token: str) -> None:
        use_api_base(self.settings.discord_api_base_url)
        await super().login(token)

    async def connect(self, *, reconnect: bool = True) -> None:
        await use_gateway_of(self.http)
        await super().connect(reconnect=reconnect)

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.settings.backup_dir is not None:
            backups = DailyBackups(
                self.settings.database_path,
                self.settings.backup_dir,
                self.settings.backup_keep,
                self.services.clock,
            )
            install_backup_job(self.scheduler, backups, *self.settings.backup_at)
        self.scheduler.start()
        self._upkeep = asyncio.create_task(self._checkpoint_loop(), name="wal-checkpoint")
        freeze_long_lived_objects()  # again in on_ready, once the guild caches are filled
        await self.sync_commands(force=self.force_sync)

    async def sync_commands(self, *, force: bool = False) -> None:
        """Dev guilds get the commands at once; otherwise a global sync (can take up to an hour).
        Only a tree that differs from Discord's copy is synced, unless `force`."""
        if self.settings.dev_guild_ids:
            for guild_id in self.settings.dev_guild_ids:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                await sync_tree(self.tree, guild, force=force)
        else:
            await sync_tree(self.tree, None, force=force)

    async def _checkpoint_loop(self) -> None:
        # WAL checkpoints off the commit path keep the writer's tail latency low.
        while True:
            await asyncio.sleep(CHECKPOINT_EVERY_S)
            try:
                await self.services.db.checkpoint()
            except Exception:
                log.warning("WAL checkpoint failed", exc_info=True)

    async def shut_down(self, grace_s: float = IN_FLIGHT_GRACE_S) -> None:
        """Stop taking interactions, let those in flight finish, then close: unloading the cogs
        posts the waiting shout-outs before the connection to Discord goes."""
        self.in_flight.stop_accepting()
        unfinished = await self.in_flight.drain(grace_s)
        if unfinished:
            log.warning("%d interactions were still being answered after %.0f s", unfinished, grace_s)
        await self.close()

    async def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._upkeep is not None:
            self._upkeep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._upkeep
        await super().close()

    async def on_ready(self) -> None:
        log.info("logged in as %s in %d guilds", self.user, len(self.guilds))
        freeze_long_lived_objects()

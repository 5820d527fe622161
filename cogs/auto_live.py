"""Auto-live on the Discord side: voice states (Go Live, Stage speakers) become calls to the auto-live
service (bot/live_auto.py); a session it ends posts its summary like `/live end`. Guild scheduled events
reach it through cogs/live.py, whose one listener tells the bot's own (`/live schedule`) from members'.

Only non-privileged intents: `voice_states` and `guild_scheduled_events` (both in discord.py's defaults).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.live import LiveSummary
from bot.live_auto import AutoLiveService, event_source, stage_source, stream_source
from cogs.live import post_summary, render_summary

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

log = logging.getLogger(__name__)


def sources_of(state: discord.VoiceState) -> dict[str, str | None]:
    """What in this voice state makes its member live: source → title."""
    channel = state.channel
    if channel is None:
        return {}
    found: dict[str, str | None] = {}
    if state.self_stream:
        found[stream_source(channel.id)] = None
    if isinstance(channel, discord.StageChannel) and not state.suppress and channel.instance is not None:
        found[stage_source(channel.id)] = channel.instance.topic
    return found


def live_now(guild: discord.Guild) -> dict[int, dict[str, str | None]]:
    """Who in the guild streams from what right now (member → source → title), from the gateway's caches."""
    found: dict[int, dict[str, str | None]] = {}
    for channel in (*guild.voice_channels, *guild.stage_channels):
        for user_id, state in channel.voice_states.items():
            sources = sources_of(state)
            if sources:
                found.setdefault(user_id, {}).update(sources)
    for event in guild.scheduled_events:
        if event.status is discord.EventStatus.active and event.creator_id is not None:
            found.setdefault(event.creator_id, {})[event_source(event.id)] = event.name
    return found


class AutoLiveCog(commands.Cog, name="AutoLive"):
    def __init__(self, bot: commands.Bot, service: AutoLiveService) -> None:
        self.bot = bot
        self.service = service

    async def cog_load(self) -> None:
        self.service.ended = self._post_summary

    async def cog_unload(self) -> None:
        self.service.ended = None
        await self.service.close()

    async def _post_summary(self, summary: LiveSummary) -> None:
        await post_summary(self.bot, summary, render_summary(summary))

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Whatever started or stopped while the bot was away: what is live now decides.
        for guild in self.bot.guilds:
            try:
                await self.service.resume(guild.id, live_now(guild))
            except Exception:
                log.exception("auto-live: could not resume guild %s", guild.id)

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if member.bot:
            return
        was, now = sources_of(before), sources_of(after)
        for source in was.keys() - now.keys():
            await self.service.source_stopped(member.guild.id, member.id, source)
        for source in now.keys() - was.keys():
            await self.service.source_started(member.guild.id, member.id, source, now[source])

    @commands.Cog.listener()
    async def on_stage_instance_create(self, stage: discord.StageInstance) -> None:
        channel = stage.channel
        if channel is None:
            return
        for user_id, state in channel.voice_states.items():
            if not state.suppress:
                await self.service.source_started(
                    stage.guild.id, user_id, stage_source(channel.id), stage.topic
                )

    @commands.Cog.listener()
    async def on_stage_instance_delete(self, stage: discord.StageInstance) -> None:
        channel = stage.channel
        if channel is None:
            return
        for user_id in list(channel.voice_states):
            await self.service.source_stopped(stage.guild.id, user_id, stage_source(channel.id))


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(AutoLiveCog(bot, bot.services.auto_live))

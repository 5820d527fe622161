"""/live: creators start and end a live stream; the end summary goes to the alerts channel."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta
from typing import TYPE_CHECKING

import discord
from apscheduler.triggers.interval import IntervalTrigger
from discord import app_commands
from discord.ext import commands

from bot.budgets import when_text
from bot.errors import Conflict, NotPermitted
from bot.live import TITLE_MAX, LiveSession, LiveSummary
from bot.moments import MOMENT_TEXT_MAX
from bot.scheduled_streams import EventGone, EventRequest, ScheduledStream
from bot.services import Services
from bot.text import diamond_count
from cogs.checks import guild_id_of
from cogs.receipts import tell

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

log = logging.getLogger(__name__)

COLOUR = discord.Colour.red()
MEDALS = ("🥇", "🥈", "🥉")
SCHEDULE_JOB_ID = "scheduled-streams"
SCHEDULE_CHECK_EVERY = timedelta(seconds=15)
# Discord needs an end for an event outside voice and stage channels; the session ends with the stream.
EXTERNAL_EVENT_LENGTH = timedelta(hours=3)
NO_MANAGE_EVENTS = (
    "I need the **Manage Events** permission to put your stream in the server's events. "
    "Ask a moderator to give it to me (Server Settings → Roles), then try again."
)


def format_duration(summary: LiveSummary) -> str:
    minutes = int(summary.duration.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def render_summary(summary: LiveSummary) -> discord.Embed:
    session = summary.session
    title = discord.utils.escape_markdown(session.title) if session.title else "Live stream"
    embed = discord.Embed(
        title=f"🔴 {title} — ended",
        description=f"<@{session.creator_id}> was live for **{format_duration(summary)}**.",
        colour=COLOUR,
        timestamp=session.ended_at,
    )
    embed.add_field(name="Gifts", value=f"🎁 {summary.gifts:,} from {summary.senders:,} viewers")
    embed.add_field(name="Coins", value=f"🪙 {summary.coins:,} (💎 {diamond_count(summary.coins)})")
    top = "\n".join(
        f"{MEDALS[i]} <@{g.user_id}>" + ("" if g.hidden else f" — 🪙 {g.coins:,}")
        for i, g in enumerate(summary.top_gifters)
    )
    embed.add_field(name="Top gifters", value=top or "No gifts this time.", inline=False)
    if summary.breakdown:
        lines = [
            f"{line.emoji} {discord.utils.escape_markdown(line.name)} ×{line.count:,} — 🪙 {line.coins:,}"
            for line in summary.breakdown
        ]
        embed.add_field(name="Gift breakdown", value="\n".join(lines)[:1024], inline=False)
    return embed


def render_started(session: LiveSession) -> str:
    title = f" **{discord.utils.escape_markdown(session.title)}**" if session.title else ""
    return (
        f"You are live{title}. Gifts sent to you now count for this stream; end it with `/live end` "
        "to post the summary."
    )


def render_scheduled(stream: ScheduledStream, now_text: str) -> str:
    stamp = int(stream.starts_at.timestamp())
    place = f" in <#{stream.channel_id}>" if stream.channel_id else ""
    return (
        f"**{discord.utils.escape_markdown(stream.title)}** is scheduled{place} for <t:{stamp}:F> "
        f"({now_text}). Members can press *Interested* on the event; your followers get a DM when it "
        "starts. Cancel with `/live schedule cancel`."
    )


class DiscordGuildEvents:
    """Guild scheduled events through the bot (bot/scheduled_streams.py's GuildEvents)."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    def _guild(self, guild_id: int) -> discord.Guild:
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise EventGone(f"guild {guild_id} is not available")
        return guild

    async def create(self, request: EventRequest) -> int:
        guild = self.bot.get_guild(request.guild_id)
        if guild is None:
            raise Conflict("I cannot reach this server's events right now; try again in a minute.")
        channel = guild.get_channel(request.channel_id) if request.channel_id else None
        try:
            if isinstance(channel, discord.VoiceChannel | discord.StageChannel):
                event = await guild.create_scheduled_event(
                    name=request.title,
                    start_time=request.starts_at,
                    channel=channel,
                    privacy_level=discord.PrivacyLevel.guild_only,
                )
            else:
                where = (
                    channel.jump_url if channel is not None else f"https://discord.com/channels/{guild.id}"
                )
                event = await guild.create_scheduled_event(
                    name=request.title,
                    start_time=request.starts_at,
                    end_time=request.starts_at + EXTERNAL_EVENT_LENGTH,
                    entity_type=discord.EntityType.external,
                    location=where,
                    privacy_level=discord.PrivacyLevel.guild_only,
                )
        except discord.Forbidden:
            raise NotPermitted(NO_MANAGE_EVENTS) from None
        except discord.HTTPException as error:
            raise Conflict(
                f"Discord did not create the event ({error.text[:100] or error.status}). Nothing was scheduled."
            ) from None
        return event.id

    async def _event(self, guild_id: int, event_id: int) -> discord.ScheduledEvent:
        guild = self._guild(guild_id)
        try:
            return guild.get_scheduled_event(event_id) or await guild.fetch_scheduled_event(event_id)
        except discord.NotFound:
            raise EventGone(f"scheduled event {event_id} is gone") from None

    async def start(self, guild_id: int, event_id: int) -> None:
        event = await self._event(guild_id, event_id)
        if event.status is discord.EventStatus.scheduled:
            try:
                await event.start()
            except discord.NotFound:
                raise EventGone(f"scheduled event {event_id} is gone") from None
        elif event.status is not discord.EventStatus.active:
            raise EventGone(f"scheduled event {event_id} is over")

    async def end(self, guild_id: int, event_id: int) -> None:
        try:
            event = await self._event(guild_id, event_id)
            if event.status is discord.EventStatus.active:
                await event.end()
            elif event.status is discord.EventStatus.scheduled:
                await event.cancel()
        except (EventGone, discord.NotFound):
            return


@app_commands.guild_only()
class LiveCog(commands.GroupCog, group_name="live", group_description="Creators: live streams"):
    schedule = app_commands.Group(name="schedule", description="Announce a stream ahead as a server event")

    def __init__(self, bot: LiveGiftsBot, services: Services) -> None:
        self.bot = bot
        self.services = services
        super().__init__()

    async def cog_load(self) -> None:
        self.services.scheduled_streams.events = DiscordGuildEvents(self.bot)
        scheduler = self.bot.scheduler
        if scheduler.get_job(SCHEDULE_JOB_ID) is not None:
            scheduler.remove_job(SCHEDULE_JOB_ID)
        scheduler.add_job(
            self.services.scheduled_streams.start_due,
            IntervalTrigger(seconds=SCHEDULE_CHECK_EVERY.total_seconds(), timezone=UTC),
            id=SCHEDULE_JOB_ID,
            name="start scheduled streams",
            coalesce=True,
            max_instances=1,
        )

    async def cog_unload(self) -> None:
        scheduler = self.bot.scheduler
        if scheduler.get_job(SCHEDULE_JOB_ID) is not None:
            scheduler.remove_job(SCHEDULE_JOB_ID)
        self.services.scheduled_streams.events = None

    @schedule.command(name="new", description="Announce your next stream as a server event")
    @app_commands.describe(
        when="A date and time in your time zone (2026-12-24 18:00) or a duration from now (2h)",
        title=f"What the stream is about (up to {TITLE_MAX} characters)",
        channel="Where it happens (a voice or stage channel hosts the event; default: this channel)",
    )
    async def schedule_new(
        self,
        interaction: discord.Interaction,
        when: app_commands.Range[str, 1, MOMENT_TEXT_MAX],
        title: app_commands.Range[str, 1, TITLE_MAX] | None = None,
        channel: discord.VoiceChannel | discord.StageChannel | discord.TextChannel | None = None,
    ) -> None:
        permissions = interaction.app_permissions
        if not (permissions.manage_events or permissions.create_events):
            await interaction.response.send_message(NO_MANAGE_EVENTS, ephemeral=True)
            return
        stream = await self.services.scheduled_streams.schedule(
            guild_id_of(interaction),
            interaction.user.id,
            when,
            title or f"{interaction.user.display_name} is live",
            channel.id if channel is not None else interaction.channel_id,
        )
        now = self.services.clock()
        await interaction.response.send_message(
            render_scheduled(stream, when_text(stream.starts_at, stream.zone, now)), ephemeral=True
        )

    @schedule.command(name="cancel", description="Cancel your scheduled stream and its server event")
    async def schedule_cancel(self, interaction: discord.Interaction) -> None:
        stream = await self.services.scheduled_streams.cancel(guild_id_of(interaction), interaction.user.id)
        await interaction.response.send_message(
            f"Cancelled **{discord.utils.escape_markdown(stream.title)}** and its server event.",
            ephemeral=True,
        )

    @commands.Cog.listener()
    async def on_scheduled_event_update(
        self, before: discord.ScheduledEvent, after: discord.ScheduledEvent
    ) -> None:
        # Every scheduled event, the bot's own (`/live schedule`) and members' (auto-live), goes through
        # the one service: it knows which is which.
        if before.status == after.status:
            return
        service = self.services.scheduled_streams
        if after.status is discord.EventStatus.active:
            await service.event_started(after.guild_id, after.id, after.creator_id, after.name)
        elif after.status in (discord.EventStatus.completed, discord.EventStatus.cancelled):
            await self._ended(after.guild_id, after.id, after.creator_id)

    @commands.Cog.listener()
    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        await self._ended(event.guild_id, event.id, event.creator_id)

    async def _ended(self, guild_id: int, event_id: int, creator_id: int | None) -> None:
        summary = await self.services.scheduled_streams.event_ended(guild_id, event_id, creator_id)
        if summary is not None:
            await self._post(summary, render_summary(summary))

    @app_commands.command(name="start", description="Start a live stream (creators)")
    @app_commands.describe(title=f"What the stream is about (up to {TITLE_MAX} characters)")
    async def start(
        self, interaction: discord.Interaction, title: app_commands.Range[str, 1, TITLE_MAX] | None = None
    ) -> None:
        session = await self.services.live.start(
            guild_id_of(interaction), interaction.user.id, title, interaction.channel_id
        )
        await interaction.response.send_message(render_started(session), ephemeral=True)

    @app_commands.command(name="end", description="End your live stream and post its summary")
    async def end(self, interaction: discord.Interaction) -> None:
        summary = await self.services.live.end(guild_id_of(interaction), interaction.user.id)
        embed = render_summary(summary)
        # The creator's answer first, then the channel post: a slow post cannot expire the interaction.
        await interaction.response.send_message("Your stream has ended.", embed=embed, ephemeral=True)
        if not await self._post(summary, embed):
            await tell(interaction, not_posted_reason(summary))

    async def _post(self, summary: LiveSummary, embed: discord.Embed) -> bool:
        return await post_summary(self.bot, summary, embed)


async def post_summary(bot: commands.Bot, summary: LiveSummary, embed: discord.Embed) -> bool:
    """Post a live's summary in the alerts channel; False when there is none or it cannot be used."""
    if summary.alerts_channel_id is None:
        return False
    channel = bot.get_channel(summary.alerts_channel_id)
    if not isinstance(channel, discord.abc.Messageable):
        log.warning(
            "alerts channel %s of guild %s is gone", summary.alerts_channel_id, summary.session.guild_id
        )
        return False
    try:
        await channel.send(embed=embed, allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException:
        log.warning("could not post the live summary in channel %s", channel.id, exc_info=True)
        return False
    return True


def not_posted_reason(summary: LiveSummary) -> str:
    if summary.alerts_channel_id is None:
        return (
            "No alerts channel is set, so the summary was not posted (moderators: `/config alerts-channel`)."
        )
    return "I could not post the summary in the alerts channel (it may be gone, or I lack permission there)."


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(LiveCog(bot, bot.services))

"""/live: creators start and end a live stream; the end summary goes to the alerts channel."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.live import TITLE_MAX, LiveSession, LiveSummary
from bot.services import Services
from bot.text import diamond_count
from cogs.checks import guild_id_of
from cogs.receipts import tell

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

log = logging.getLogger(__name__)

COLOUR = discord.Colour.red()
MEDALS = ("🥇", "🥈", "🥉")


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


@app_commands.guild_only()
class LiveCog(commands.GroupCog, group_name="live", group_description="Creators: live streams"):
    def __init__(self, bot: commands.Bot, services: Services) -> None:
        self.bot = bot
        self.services = services
        super().__init__()

    @app_commands.command(name="start", description="Start a live stream (creators)")
    @app_commands.describe(title=f"What the stream is about (up to {TITLE_MAX} characters)")
    async def start(
        self, interaction: discord.Interaction, title: app_commands.Range[str, 1, TITLE_MAX] | None = None
    ) -> None:
        session = await self.services.live.start(guild_id_of(interaction), interaction.user.id, title)
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

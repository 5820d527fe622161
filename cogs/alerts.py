"""The Discord side of thank-you shout-outs: runs the alerts engine (bot/alerts) with discord.py.

No slash commands here: `/config alerts-channel`, `/creator thanks` and `/creator shoutout-threshold` store
the settings; the gift service publishes each gift to `services.alerts`; this cog starts that engine when
loaded, gives it a sink that posts and edits messages, and stops it (posting what still waits) when unloaded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.alerts import AlertDeliveryError, AlertEngine, split_for_embeds
from bot.overlay import OverlayService
from cogs.overlay import hide_from_stream_view

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

log = logging.getLogger(__name__)

PACKED_COLOUR = discord.Colour.gold()


def shoutout_body(text: str) -> tuple[str | None, list[discord.Embed]]:
    """Content for a shout-out that fits a message's 2,000 characters; embeds (up to 6,000 characters
    together) for the packed ones of a burst."""
    if len(text) <= 2000:
        return text, []
    return None, [discord.Embed(description=part, colour=PACKED_COLOUR) for part in split_for_embeds(text)]


def shoutout_mentions(mention_ids: Sequence[int]) -> discord.AllowedMentions:
    """Only the senders named in the shout-out may be pinged: never everyone, here or a role."""
    return discord.AllowedMentions(
        everyone=False,
        roles=False,
        users=[discord.Object(id=user_id) for user_id in mention_ids],
        replied_user=False,
    )


def _reason(error: discord.HTTPException, what: str) -> str:
    if isinstance(error, discord.Forbidden):
        return f"missing permission for {what} (the bot needs View Channel and Send Messages) [{error.code}]"
    return f"{what} no longer exists [{error.code}]"


class DiscordAlertSink:
    """Posts and edits shout-outs; a gone channel or a missing permission becomes AlertDeliveryError
    (the engine logs it and answers the gifts' futures with False; the gifts themselves stand)."""

    def __init__(self, bot: commands.Bot, overlay: OverlayService) -> None:
        self._bot = bot
        self._overlay = overlay

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self._bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self._bot.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden) as error:
                raise AlertDeliveryError(_reason(error, "the channel")) from None
        if not isinstance(channel, discord.abc.Messageable):
            raise AlertDeliveryError(
                f"#{getattr(channel, 'name', channel_id)} is not a channel I can post in"
            )
        return channel

    async def send(
        self, channel_id: int, text: str, mention_ids: Sequence[int], *, gift_entry_id: int | None = None
    ) -> discord.Message:
        channel = await self._channel(channel_id)
        content, embeds = shoutout_body(text)
        mentions = shoutout_mentions(mention_ids)
        try:
            if gift_entry_id is not None and await self._overlay.hideable(gift_entry_id):
                view = hide_from_stream_view(gift_entry_id)
                return await channel.send(content, embeds=embeds, allowed_mentions=mentions, view=view)
            return await channel.send(content, embeds=embeds, allowed_mentions=mentions)
        except (discord.NotFound, discord.Forbidden) as error:
            raise AlertDeliveryError(_reason(error, "the channel")) from None

    async def edit(self, handle: discord.Message, text: str, mention_ids: Sequence[int]) -> None:
        content, embeds = shoutout_body(text)
        try:
            await handle.edit(content=content, embeds=embeds, allowed_mentions=shoutout_mentions(mention_ids))
        except (discord.NotFound, discord.Forbidden) as error:
            raise AlertDeliveryError(_reason(error, "the shout-out message")) from None


class AlertsCog(commands.Cog, name="Alerts"):
    """Owns the alerts engine's lifecycle."""

    def __init__(self, bot: commands.Bot, engine: AlertEngine, overlay: OverlayService) -> None:
        self.bot = bot
        self.engine = engine
        self.overlay = overlay

    async def cog_load(self) -> None:
        await self.engine.start(DiscordAlertSink(self.bot, self.overlay))
        log.info("alerts engine started")

    async def cog_unload(self) -> None:
        await self.engine.stop()  # posts what waits (within the rate limit), then fails the rest
        log.info("alerts engine stopped")


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(AlertsCog(bot, bot.services.alerts, bot.services.overlay))

"""The command tree and the one place where errors become replies."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.errors import DomainError
from bot.shutdown import RESTARTING, InFlight

log = logging.getLogger(__name__)

# The failure may come after money moved (the reply to a committed purchase failed), so the apology
# never says whether anything was charged: it sends the member where they can see for themselves.
APOLOGY = (
    "Sorry, something went wrong on our side (error reference `{reference}`). If you were buying, "
    "sending or cashing out, check `/wallet history` to see whether it went through before trying "
    "again; moderators can find the reference in the bot's log."
)


def error_reference() -> str:
    """A short code shown to the member and written in the log line, to find one from the other."""
    return secrets.token_hex(3).upper()


def apology(reference: str) -> str:
    return APOLOGY.format(reference=reference)


def describe_error(error: BaseException) -> str | None:
    """The message a member should read for a known refusal, or None for an unexpected failure."""
    original = getattr(error, "original", error)
    if isinstance(original, DomainError):
        return original.message
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works inside a server."
    if isinstance(error, app_commands.MissingPermissions):
        return "Only moderators (Manage Server permission) can do that."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.TransformerError):
        return "One of the options has a value I cannot use. Check it and try again."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You cannot use this command here."
    return None


async def reply_with_error(interaction: discord.Interaction, error: BaseException) -> None:
    message = describe_error(error)
    if message is None:
        reference = error_reference()
        command = interaction.command.qualified_name if interaction.command else "component"
        log.error("unexpected error %s in %s", reference, command, exc_info=getattr(error, "original", error))
        message = apology(reference)
    await send_ephemeral(interaction, message)


WORKING = "working"  # the interaction's `extras` key set while its first answer is a progress line


async def show_working(interaction: discord.Interaction, text: str) -> None:
    """Answer at once with what the command is doing ("⏳ Reading your statement…"), for commands that
    can take longer than Discord's three seconds; the result (or a refusal) then replaces that line."""
    await interaction.response.send_message(f"⏳ {text}", ephemeral=True)
    interaction.extras[WORKING] = True


async def send_ephemeral(interaction: discord.Interaction, message: str) -> None:
    allowed = discord.AllowedMentions.none()
    try:
        if interaction.extras.pop(WORKING, False):  # the progress line becomes the refusal
            await interaction.edit_original_response(content=message, allowed_mentions=allowed)
        elif interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True, allowed_mentions=allowed)
        else:
            await interaction.response.send_message(message, ephemeral=True, allowed_mentions=allowed)
    except discord.HTTPException:
        log.warning("could not tell the member about an error", exc_info=True)


async def admit(interaction: discord.Interaction) -> bool:
    """Register the interaction as in flight, or, once the bot is shutting down, say so and refuse it."""
    in_flight = getattr(interaction.client, "in_flight", None)
    if not isinstance(in_flight, InFlight) or in_flight.admit():
        return True
    if interaction.type is not discord.InteractionType.autocomplete:
        await send_ephemeral(interaction, RESTARTING)
    return False


class LiveGiftsTree(app_commands.CommandTree):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if not await admit(interaction):
            return False
        # `guild_only` only asks Discord to hide commands in DMs; refuse them here as well.
        if interaction.guild_id is None:
            if interaction.type is discord.InteractionType.autocomplete:
                return False
            raise app_commands.NoPrivateMessage()
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await reply_with_error(interaction, error)

"""Receipts of what already happened: once money moved, the member is told, whatever Discord does.

Commands that move money defer first (Discord gives a first answer three seconds; a payment or a busy
writer may take longer) and then deliver the receipt with `deliver_receipt`, which never raises: the
money has moved, so no error reply may follow that would make the member think otherwise."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import discord

from bot.tree import error_reference

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    content: str | None = None
    embed: discord.Embed | None = None


async def deliver_receipt(
    interaction: discord.Interaction, render: Callable[[], Receipt], fallback: str
) -> bool:
    """Show the receipt in place of the deferred reply ("thinking…" or the confirmation prompt); when
    Discord refuses that (a 5xx, an expired token), as a follow-up; when that fails too, log it with a
    reference. `fallback` needs no rendering: it is shown if rendering the receipt fails. Returns
    whether the member got it."""
    try:
        receipt = render()
    except Exception:
        reference = error_reference()
        log.exception("could not render a receipt (%s); sent the plain one", reference)
        receipt = Receipt(content=f"{fallback} (error reference `{reference}`)")
    allowed = discord.AllowedMentions.none()
    try:
        await interaction.edit_original_response(
            content=receipt.content, embed=receipt.embed, view=None, allowed_mentions=allowed
        )
        return True
    except discord.HTTPException:
        log.warning("a receipt could not replace the reply; sending it as a follow-up", exc_info=True)
    try:
        if receipt.embed is not None:
            await interaction.followup.send(
                receipt.content or "", embed=receipt.embed, ephemeral=True, allowed_mentions=allowed
            )
        else:
            await interaction.followup.send(
                receipt.content or fallback, ephemeral=True, allowed_mentions=allowed
            )
        return True
    except discord.HTTPException:
        reference = error_reference()
        log.error("receipt %s was not delivered: %s", reference, fallback, exc_info=True)
        return False


async def tell(interaction: discord.Interaction, message: str) -> None:
    """A further ephemeral note after the receipt (a DM or a channel post that failed); best effort."""
    try:
        await interaction.followup.send(
            message, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
    except discord.HTTPException:
        log.warning("could not send a note after a receipt", exc_info=True)

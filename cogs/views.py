"""Shared interactive pieces: a confirm/cancel view that only its owner can press."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

import discord

from bot.tree import admit, reply_with_error

OnConfirm = Callable[[discord.Interaction], Awaitable[None]]


class ConfirmView(discord.ui.View):
    """Confirm defers and runs `on_confirm`, which answers with `cogs.receipts.deliver_receipt` and must
    be idempotent: a double click or a re-sent interaction
    calls it again and must find the first result. Cancel or a timeout closes the prompt.

    The view keeps listening until its timeout even after a decision, so that a click arriving late
    (a double click racing the first) still gets an answer instead of Discord's "interaction failed"."""

    def __init__(
        self, owner_id: int, on_confirm: OnConfirm, *, confirm_label: str = "Confirm", timeout: float = 60.0
    ) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self._on_confirm = on_confirm
        self.confirm.label = confirm_label
        self.prompt: discord.Interaction | None = None
        self.state = "open"  # open → confirming → confirmed, or open → cancelled

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if not await admit(interaction):
            return False
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message("These buttons are not for you.", ephemeral=True)
            return False
        return True

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]) -> None:
        if self.state == "cancelled":
            await interaction.response.send_message(
                "You cancelled this; nothing was charged.", ephemeral=True
            )
            return
        previous, self.state = self.state, "confirming"
        try:
            # Acknowledge at once: what the button does (a card payment, a busy writer) may take longer
            # than the three seconds Discord allows for a first answer. The receipt replaces the prompt.
            await interaction.response.defer()
            await self._on_confirm(interaction)
        except BaseException:
            if previous == "open":  # refused (e.g. not enough coins): the member may still cancel
                self.state = "open"
            raise
        self.state = "confirmed"

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]) -> None:
        if self.state in ("confirming", "confirmed"):
            await interaction.response.send_message(
                "Too late to cancel: this was already confirmed.", ephemeral=True
            )
            return
        self.state = "cancelled"
        await interaction.response.edit_message(
            content="Cancelled. Nothing was charged.", embed=None, view=None
        )

    async def on_timeout(self) -> None:
        if self.prompt is not None and self.state == "open":
            with contextlib.suppress(discord.HTTPException):
                await self.prompt.edit_original_response(
                    content="This confirmation expired. Nothing was charged.", embed=None, view=None
                )

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[ConfirmView]
    ) -> None:
        await reply_with_error(interaction, error)

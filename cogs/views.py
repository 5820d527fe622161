"""Shared interactive pieces: a confirm/cancel view that only its owner can press."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

import discord

from bot.tree import reply_with_error

OnConfirm = Callable[[discord.Interaction], Awaitable[None]]


class ConfirmView(discord.ui.View):
    """Confirm runs `on_confirm` (which must be idempotent: a double click or a re-sent interaction
    calls it again); cancel or a timeout closes the prompt without doing anything."""

    def __init__(
        self, owner_id: int, on_confirm: OnConfirm, *, confirm_label: str = "Confirm", timeout: float = 60.0
    ) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self._on_confirm = on_confirm
        self.confirm.label = confirm_label
        self.prompt: discord.Interaction | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message("These buttons are not for you.", ephemeral=True)
            return False
        return True

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._on_confirm(interaction)
        self.stop()

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(
            content="Cancelled. Nothing was charged.", embed=None, view=None
        )

    async def on_timeout(self) -> None:
        if self.prompt is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.prompt.edit_original_response(
                    content="This confirmation expired. Nothing was charged.", embed=None, view=None
                )

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item
    ) -> None:
        await reply_with_error(interaction, error)

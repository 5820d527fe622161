"""/ledger: moderators reverse a mistaken entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.economy.corrections import ReversalResult
from bot.economy.payouts import REASON_MAX
from bot.services import Services
from cogs.checks import guild_id_of, moderator_only
from cogs.receipts import Receipt, deliver_receipt

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

COLOUR = discord.Colour.dark_teal()


# --- renderers -------------------------------------------------------------------------------------


def render_reversal(result: ReversalResult) -> str:
    moves = []
    for move in result.movements:
        if move.user_id is None:
            continue
        unit = "coins" if move.asset == "coins" else "diamonds"
        moves.append(f"<@{move.user_id}> {move.amount:+,} {unit}")
    done = "was already reversed by" if result.replayed else "is reversed by"
    along = "".join(
        f"; entry `#{entry_id}` belonging to it is reversed too" for entry_id in result.also_reversed
    )
    return (
        f"Entry `#{result.original_id}` ({result.original_kind}) {done} entry `#{result.entry_id}`: "
        + (", ".join(moves) or "no wallet changed")
        + along
    )


# --- /ledger -------------------------------------------------------------------------------------------


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class LedgerCog(commands.GroupCog, group_name="ledger", group_description="Moderators: correct the ledger"):
    def __init__(self, services: Services) -> None:
        self.services = services
        super().__init__()

    @app_commands.command(name="reverse", description="Undo a mistaken entry with an audited reversal entry")
    @app_commands.describe(entry="The entry's number (see /wallet history or /audit log)", reason="Why")
    @moderator_only
    async def reverse(
        self, interaction: discord.Interaction, entry: int, reason: app_commands.Range[str, 1, REASON_MAX]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.services.corrections.reverse(
            guild_id_of(interaction), interaction.user.id, entry, reason, str(interaction.id)
        )
        await deliver_receipt(
            interaction, lambda: Receipt(render_reversal(result)), f"Reversed by entry #{result.entry_id}."
        )

    @reverse.autocomplete("entry")
    async def entry_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if not interaction.permissions.manage_guild:
            return []
        found = await self.services.corrections.recent_entries(guild_id_of(interaction), current)
        return [app_commands.Choice(name=s.label()[:100], value=s.entry_id) for s in found][:25]


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(LedgerCog(bot.services))

"""/ledger: moderators reverse a mistaken entry. Also the bodies of `/coins grant` (an audited mint)
and `/wallet export` (a CSV statement), which live in the members' groups."""

from __future__ import annotations

import asyncio
import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.economy.corrections import GRANT_MAX, GrantResult, ReversalResult
from bot.economy.payouts import MAX_REASON
from bot.services import Services
from bot.statements import Statement, to_csv
from bot.text import coin_count
from cogs.checks import moderator_only

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
    return f"Entry `#{result.original_id}` ({result.original_kind}) {done} entry `#{result.entry_id}`: " + (
        ", ".join(moves) or "no wallet changed"
    )


def render_grant(result: GrantResult) -> str:
    return (
        f"Granted **{coin_count(result.coins)}** to <@{result.member_id}> (entry `#{result.entry_id}`). "
        f"Their balance: 🪙 {result.balance:,}."
    )


def render_statement_note(statement: Statement) -> str:
    period = f"for {statement.month}" if statement.month else "of your whole history"
    if not statement.rows:
        return f"Your statement {period} has no entries yet (the file has just the header row)."
    text = (
        f"Your statement {period}: {len(statement.rows):,} entries, times in {statement.timezone}. "
        "Open it in any spreadsheet."
    )
    if statement.truncated:
        text += " It was cut at the first 100,000 entries; export month by month for the rest."
    return text


def member_names(guild: discord.Guild | None, ids: set[int]) -> dict[int, str]:
    """Display names of the members the bot has cached (no API calls); others stay ids."""
    if guild is None:
        return {}
    names = {}
    for user_id in ids:
        member = guild.get_member(user_id)
        if member is not None:
            names[user_id] = member.display_name
    return names


# --- bodies used by other groups --------------------------------------------------------------------


async def send_statement(services: Services, interaction: discord.Interaction, month: str | None) -> None:
    # A long history takes a moment to read and write out: "thinking…" first, the file follows.
    await interaction.response.defer(ephemeral=True, thinking=True)
    statement = await services.statements.statement(interaction.guild_id, interaction.user.id, month)
    names = member_names(interaction.guild, statement.counterparties())
    data = await asyncio.to_thread(to_csv, statement, names)  # off the event loop
    await interaction.followup.send(
        render_statement_note(statement),
        file=discord.File(io.BytesIO(data), filename=statement.filename),
        ephemeral=True,
    )


async def grant_coins(
    services: Services, interaction: discord.Interaction, member: discord.Member, coins: int, reason: str
) -> None:
    result = await services.corrections.grant(
        interaction.guild_id, interaction.user.id, member.id, coins, reason, str(interaction.id)
    )
    await interaction.response.send_message(render_grant(result), ephemeral=True)


GRANT_RANGE = app_commands.Range[int, 1, GRANT_MAX]
REASON_RANGE = app_commands.Range[str, 1, MAX_REASON]


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
    async def reverse(self, interaction: discord.Interaction, entry: int, reason: REASON_RANGE) -> None:
        result = await self.services.corrections.reverse(
            interaction.guild_id, interaction.user.id, entry, reason, str(interaction.id)
        )
        await interaction.response.send_message(render_reversal(result), ephemeral=True)

    @reverse.autocomplete("entry")
    async def entry_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if not interaction.permissions.manage_guild:
            return []
        found = await self.services.corrections.recent_entries(interaction.guild_id, current)
        return [app_commands.Choice(name=s.label()[:100], value=s.entry_id) for s in found][:25]


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(LedgerCog(bot.services))

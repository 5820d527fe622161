"""/leaderboard: top gifters and creators today, this week or of all time (public)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.leaderboards import Board, BoardRow
from bot.services import Services
from cogs.checks import guild_id_of

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

COLOUR = discord.Colour.gold()
PERIOD_WORDS = {"today": "today", "week": "this week", "all-time": "of all time"}
KIND_WORDS = {"gifters": ("Top gifters", "sent"), "creators": ("Top creators", "received")}
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
PeriodOption = Literal["today", "week", "all-time"]


def board_line(row: BoardRow) -> str:
    place = MEDALS.get(row.rank, f"`#{row.rank}`")
    amount = "🔒 hidden" if row.hidden else f"🪙 {row.coins:,}"
    return f"{place} <@{row.user_id}> — {amount}"


def render_own_hidden(board: Board, own: BoardRow) -> str:
    _, verb = KIND_WORDS[board.kind]
    return (
        f"Only you can see this: you are `#{own.rank}` with 🪙 {own.coins:,} {verb} {PERIOD_WORDS[board.period]}. "
        "Your amounts stay hidden on the public board (`/wallet privacy`)."
    )


def render_board(board: Board) -> discord.Embed:
    title, verb = KIND_WORDS[board.kind]
    embed = discord.Embed(title=f"{title} {PERIOD_WORDS[board.period]}", colour=COLOUR)
    if not board.rows:
        embed.description = "No gifts yet in this period. Be the first with `/gift send`!"
    else:
        lines = [board_line(row) for row in board.rows]
        if board.caller is not None:
            lines += ["…", f"You: {board_line(board.caller)}"]
        embed.description = "\n".join(lines)
    since = f"since {board.since:%a %d %b %H:%M} " if board.since else ""
    embed.set_footer(text=f"Coins {verb} {since}({board.timezone}) · hide your amounts: /wallet privacy")
    return embed


@app_commands.guild_only()
class LeaderboardCog(
    commands.GroupCog, group_name="leaderboard", group_description="Top gifters and creators"
):
    def __init__(self, services: Services) -> None:
        self.services = services
        super().__init__()

    async def _show(self, interaction: discord.Interaction, kind: str, period: str) -> None:
        board = await self.services.leaderboards.board(
            guild_id_of(interaction), interaction.user.id, kind, period
        )
        await interaction.response.send_message(
            embed=render_board(board), allowed_mentions=discord.AllowedMentions.none()
        )
        if board.own_hidden is not None:  # the public board keeps them hidden, the caller included
            await interaction.followup.send(render_own_hidden(board, board.own_hidden), ephemeral=True)

    @app_commands.command(name="gifters", description="Members who sent the most coins in gifts")
    @app_commands.describe(period="today, week (from Monday) or all-time; days use the server's time zone")
    async def gifters(self, interaction: discord.Interaction, period: PeriodOption = "week") -> None:
        await self._show(interaction, "gifters", period)

    @app_commands.command(name="creators", description="Creators who received the most coins in gifts")
    @app_commands.describe(period="today, week (from Monday) or all-time; days use the server's time zone")
    async def creators(self, interaction: discord.Interaction, period: PeriodOption = "week") -> None:
        await self._show(interaction, "creators", period)


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(LeaderboardCog(bot.services))

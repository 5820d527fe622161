"""/wallet: a member's private balance, region, history and CSV statement."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.economy.kinds import entry_kind
from bot.economy.wallets import HISTORY_MAX, HistoryItem, WalletView
from bot.money import CoinRate
from bot.services import Services
from bot.statement_files import StatementFiles, statement_files
from bot.statements import Statement
from bot.text import coin_count
from bot.tree import show_working
from cogs.checks import guild_id_of

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

COLOUR = discord.Colour.gold()
ATTACHMENTS_MAX = 10  # files in one Discord message


def render_balance(view: WalletView) -> discord.Embed:
    embed = discord.Embed(title="Your wallet", colour=COLOUR)
    embed.add_field(name="Coins", value=f"🪙 {view.coins:,}\n≈ {view.rate.show(view.coins)}")
    embed.add_field(name="Diamonds", value=f"💎 {view.diamonds:,}")
    if view.owed:
        embed.add_field(
            name="Owed after a refund",
            value=f"🪙 {view.owed:,}: coins you get next pay this first; no gifts until it is paid",
            inline=False,
        )
    embed.set_footer(text=f"Region: {view.rate.region.name} ({view.rate.region.currency}) · /wallet region")
    return embed


def render_region(rate: CoinRate) -> str:
    region = rate.region
    return (
        f"Region set to **{region.name}** ({region.currency}). "
        f"{coin_count(rate.coins)} cost {rate.show(rate.coins)} here."
    )


def history_line(item: HistoryItem, rate: CoinRate) -> str:
    when = discord.utils.format_dt(item.at, "R")
    wording = entry_kind(item.kind).wording
    parts = []
    if item.coins:
        parts.append(f"{item.coins:+,} coins (≈ {rate.show(abs(item.coins))})")
    if item.diamonds:
        parts.append(f"{item.diamonds:+,} diamonds")
    if item.money is not None:
        parts.append(f"{wording.money} {item.money.format(rate.region.locale)}")
    detail = discord.utils.escape_markdown(item.memo) if item.memo and wording.memo_in_history else ""
    suffix = f" — {detail}" if detail else ""
    return f"`#{item.entry_id}` {when} **{wording.history}**: {', '.join(parts)}{suffix}"


def render_history(items: list[HistoryItem], rate: CoinRate) -> discord.Embed:
    embed = discord.Embed(title="Your history", colour=COLOUR)
    if not items:
        embed.description = "Nothing yet. Buy coins with `/coins buy`."
    else:
        embed.description = "\n".join(history_line(item, rate) for item in items)[:4096]
    return embed


def render_statement_note(statement: Statement, packed: StatementFiles) -> str:
    period = f"for {statement.month}" if statement.month else "of your whole history"
    if not statement.rows:
        return f"Your statement {period} has no entries yet (the file has just the header row)."
    text = f"Your statement {period}: {len(statement.rows):,} entries, times in {statement.timezone}. "
    limit = f"Discord's upload limit here ({packed.limit / 1_000_000:.0f} MB)"
    if packed.parts > 1:
        text += (
            f"It is too large for {limit} even compressed, so it comes as {packed.parts} ZIP files, "
            "consecutive parts of one CSV (each with the header row). "
        )
    elif packed.compressed:
        text += f"It is compressed as a ZIP to fit {limit}: unzip it, then open the CSV. "
    else:
        text += "Open it in any spreadsheet. "
    if statement.truncated:
        text += "It was cut at the first 100,000 entries; export month by month for the rest."
    return text.rstrip()


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


EXPORT_WORKING = "Reading your statement and writing the file…"


@app_commands.guild_only()
class WalletCog(commands.GroupCog, group_name="wallet", group_description="Your coins and diamonds"):
    def __init__(self, services: Services) -> None:
        self.services = services
        super().__init__()

    @app_commands.command(name="balance", description="Your coins and diamonds, and what they are worth")
    async def balance(self, interaction: discord.Interaction) -> None:
        view = await self.services.wallets.balance(guild_id_of(interaction), interaction.user.id)
        await interaction.response.send_message(embed=render_balance(view), ephemeral=True)

    @app_commands.command(name="region", description="Choose your region: prices and values use its currency")
    @app_commands.describe(region="Your country")
    async def region(self, interaction: discord.Interaction, region: str) -> None:
        rate = await self.services.wallets.set_region(guild_id_of(interaction), interaction.user.id, region)
        await interaction.response.send_message(render_region(rate), ephemeral=True)

    @region.autocomplete("region")
    async def region_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=f"{r.name} ({r.currency})", value=r.code)
            for r in self.services.regions.search(current)
        ][:25]

    @app_commands.command(name="history", description="Your most recent coin and diamond movements")
    @app_commands.describe(limit=f"How many rows (1–{HISTORY_MAX})")
    async def history(
        self, interaction: discord.Interaction, limit: app_commands.Range[int, 1, HISTORY_MAX] = 10
    ) -> None:
        items = await self.services.wallets.history(guild_id_of(interaction), interaction.user.id, limit)
        rate = await self.services.regions.member_rate(guild_id_of(interaction), interaction.user.id)
        await interaction.response.send_message(embed=render_history(items, rate), ephemeral=True)

    @app_commands.command(name="privacy", description="Hide your amounts on public leaderboards")
    @app_commands.describe(hidden="True: you are still ranked, but without figures")
    async def privacy(self, interaction: discord.Interaction, hidden: bool) -> None:
        hidden = await self.services.leaderboards.set_privacy(
            guild_id_of(interaction), interaction.user.id, hidden
        )
        text = (
            "Your amounts are now hidden on public leaderboards and live summaries (you are still ranked)."
            if hidden
            else "Your amounts are shown on public leaderboards again."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="export", description="Download your statement as a CSV file")
    @app_commands.describe(month="A month as YYYY-MM, e.g. 2026-11 (leave empty for your whole history)")
    async def export(self, interaction: discord.Interaction, month: str | None = None) -> None:
        guild_id, user_id = guild_id_of(interaction), interaction.user.id
        with self.services.cooldowns.running("export", guild_id, user_id):
            # A long history takes a moment to read and write out: say so at once (Discord waits three
            # seconds for a first answer), then put the files in that same message.
            await show_working(interaction, EXPORT_WORKING)
            statement = await self.services.statements.statement(guild_id, user_id, month)
            names = member_names(interaction.guild, statement.counterparties())
            packed = await asyncio.to_thread(statement_files, statement, names, interaction.filesize_limit)
            note = render_statement_note(statement, packed)
            for start in range(0, packed.parts, ATTACHMENTS_MAX):
                files = [
                    discord.File(io.BytesIO(f.data), filename=f.name)
                    for f in packed.files[start : start + ATTACHMENTS_MAX]
                ]
                if start == 0:
                    await interaction.edit_original_response(content=note, attachments=files)
                else:
                    await interaction.followup.send(files=files, ephemeral=True)


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(WalletCog(bot.services))

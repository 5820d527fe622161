"""/deals: moderators put bonus coins on a coin package for a while; members see them in /coins."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.budgets import when_text
from bot.economy.deals import BONUS_PERCENT_MAX, BONUS_PERCENT_MIN, DealChange
from bot.moments import MOMENT_TEXT_MAX
from bot.services import Services
from bot.text import coin_count
from cogs.checks import guild_id_of, moderator_only

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

COLOUR = discord.Colour.gold()


def render_started(change: DealChange) -> str:
    deal = change.deal
    return (
        f"Deal started: the **{coin_count(deal.package_coins)}** package comes with **{deal.bonus_percent} %** "
        f"bonus (+{coin_count(deal.bonus_coins)}) until {when_text(deal.ends_at, change.zone, change.now)}. "
        "Members see it in `/coins packages` and `/coins buy`."
    )


def render_ended(change: DealChange) -> str:
    return (
        f"The deal on the **{coin_count(change.deal.package_coins)}** package has ended. Members who chose "
        "the package before now still get the bonus they were shown."
    )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class DealsCog(commands.GroupCog, group_name="deals", group_description="Moderators: deals on coin packages"):
    def __init__(self, services: Services) -> None:
        self.services = services
        super().__init__()

    @app_commands.command(name="start", description="Bonus coins on a package until a given time")
    @app_commands.describe(
        package="The package, by its number of coins (e.g. 700)",
        percent=f"Bonus coins, as a percentage of the package ({BONUS_PERCENT_MIN}–{BONUS_PERCENT_MAX})",
        ends="When it ends: a duration (12h, 3d) or a date and time in your time zone (2026-12-24 18:00)",
    )
    @moderator_only
    async def start(
        self,
        interaction: discord.Interaction,
        package: int,
        percent: app_commands.Range[int, BONUS_PERCENT_MIN, BONUS_PERCENT_MAX],
        ends: app_commands.Range[str, 1, MOMENT_TEXT_MAX],
    ) -> None:
        change = await self.services.deals.start(
            guild_id_of(interaction), interaction.user.id, package, percent, ends
        )
        await interaction.response.send_message(render_started(change), ephemeral=True)

    @app_commands.command(name="end", description="End a package's deal now")
    @app_commands.describe(package="The package, by its number of coins")
    @moderator_only
    async def end(self, interaction: discord.Interaction, package: int) -> None:
        change = await self.services.deals.end(guild_id_of(interaction), interaction.user.id, package)
        await interaction.response.send_message(render_ended(change), ephemeral=True)

    @app_commands.command(name="list", description="The deals running now")
    @moderator_only
    async def list_deals(self, interaction: discord.Interaction) -> None:
        running, zone, now = await self.services.deals.running(guild_id_of(interaction), interaction.user.id)
        embed = discord.Embed(title="Deals running", colour=COLOUR)
        embed.description = (
            "\n".join(
                f"🪙 **{coin_count(d.package_coins)}** +{d.bonus_percent} % (+{coin_count(d.bonus_coins)}) — "
                f"ends {when_text(d.ends_at, zone, now)}"
                for d in running
            )
            or "No deals are running. Start one with `/deals start`."
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(DealsCog(bot.services))

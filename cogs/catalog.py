"""/catalog: moderators list, add, edit and retire gifts (every change is audited)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import NAME_MAX, PRICE_MAX, Gift
from bot.services import Services
from bot.text import coin_count
from cogs.checks import guild_id_of, moderator_only

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

COLOUR = discord.Colour.blurple()


def gift_line(gift: Gift) -> str:
    state = "" if gift.active else " — *retired*"
    return f"{gift.emoji} **{discord.utils.escape_markdown(gift.name)}** — 🪙 {gift.coins:,}{state}"


def render_catalog(gifts: list[Gift]) -> discord.Embed:
    embed = discord.Embed(title="Gift catalog (moderators)", colour=COLOUR)
    embed.description = "\n".join(gift_line(g) for g in gifts)[:4096] if gifts else "The catalog is empty."
    active = sum(g.active for g in gifts)
    embed.set_footer(text=f"{active} active, {len(gifts) - active} retired")
    return embed


def render_change(verb: str, gift: Gift) -> str:
    return f"{verb}: {gift_line(gift)}"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class CatalogCog(commands.GroupCog, group_name="catalog", group_description="Moderators: the gift catalog"):
    def __init__(self, services: Services) -> None:
        self.services = services
        super().__init__()

    @app_commands.command(name="list", description="Every gift, retired ones included")
    @moderator_only
    async def list_gifts(self, interaction: discord.Interaction) -> None:
        gifts = await self.services.catalog.gifts(guild_id_of(interaction), include_retired=True)
        await interaction.response.send_message(embed=render_catalog(gifts), ephemeral=True)

    @app_commands.command(name="add", description="Add a gift to the catalog")
    @app_commands.describe(
        name=f"Name (up to {NAME_MAX} characters, unique)", emoji="Its emoji", coins="Price in coins"
    )
    @moderator_only
    async def add(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, NAME_MAX],
        emoji: str,
        coins: app_commands.Range[int, 1, PRICE_MAX],
    ) -> None:
        gift = await self.services.catalog.add(
            guild_id_of(interaction), interaction.user.id, name, emoji, coins
        )
        await interaction.response.send_message(render_change("Added", gift), ephemeral=True)

    @app_commands.command(name="edit", description="Change a gift's price or emoji (sent gifts keep theirs)")
    @app_commands.describe(
        gift="The gift", coins="New price in coins", emoji="New emoji", active="Bring a retired gift back"
    )
    @moderator_only
    async def edit(
        self,
        interaction: discord.Interaction,
        gift: str,
        coins: app_commands.Range[int, 1, PRICE_MAX] | None = None,
        emoji: str | None = None,
        active: bool | None = None,
    ) -> None:
        changed = await self.services.catalog.edit(
            guild_id_of(interaction), interaction.user.id, gift, coins=coins, emoji=emoji, active=active
        )
        await interaction.response.send_message(render_change("Updated", changed), ephemeral=True)

    @app_commands.command(name="retire", description="Take a gift out of the catalog (history keeps it)")
    @app_commands.describe(gift="The gift")
    @moderator_only
    async def retire(self, interaction: discord.Interaction, gift: str) -> None:
        retired = await self.services.catalog.retire(guild_id_of(interaction), interaction.user.id, gift)
        await interaction.response.send_message(render_change("Retired", retired), ephemeral=True)

    @edit.autocomplete("gift")
    @retire.autocomplete("gift")
    async def gift_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not interaction.permissions.manage_guild:
            return []
        gifts = await self.services.catalog.search(guild_id_of(interaction), current, include_retired=True)
        return [
            app_commands.Choice(name=f"{g.emoji} {g.name} — {coin_count(g.coins)}"[:100], value=g.name)
            for g in gifts
        ][:25]


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(CatalogCog(bot.services))

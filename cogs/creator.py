"""/creator: become a creator, set the thank-you shout-out; moderators remove creators."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.creators import TEMPLATE_MAX, Creator
from bot.services import Services
from bot.text import coin_count
from cogs import payouts as payouts_ui
from cogs.checks import moderator_only

COLOUR = discord.Colour.purple()
PLACEHOLDERS = "`{sender}` `{gift}` `{count}` `{coins}` `{creator}`"


def render_registered(creator: Creator) -> str:
    return (
        "You are now a creator here. Members can send you gifts with `/gift send`.\n"
        f"Go live with `/live start`, set your thank-you message with `/creator thanks` ({PLACEHOLDERS}), "
        f"and choose which gifts always get their own shout-out with `/creator shoutout-threshold` "
        f"(now {coin_count(creator.shoutout_threshold)})."
    )


def render_thanks(creator: Creator) -> str:
    if creator.thanks_template is None:
        return "Your shout-outs use the default thank-you message again."
    return f"Your thank-you message is now:\n> {discord.utils.escape_markdown(creator.thanks_template)}"


@app_commands.guild_only()
class CreatorCog(commands.GroupCog, group_name="creator", group_description="Creators: receive gifts"):
    def __init__(self, services: Services) -> None:
        self.services = services
        super().__init__()

    @app_commands.command(name="register", description="Become a creator in this server and receive gifts")
    async def register(self, interaction: discord.Interaction) -> None:
        creator = await self.services.creators.register(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(render_registered(creator), ephemeral=True)

    @app_commands.command(name="remove", description="Moderators: remove a member's creator status")
    @app_commands.describe(member="The creator to remove", reason="Why (kept in the audit log)")
    @moderator_only
    async def remove(
        self, interaction: discord.Interaction, member: discord.Member, reason: str | None = None
    ) -> None:
        await self.services.creators.remove(interaction.guild_id, interaction.user.id, member.id, reason)
        await interaction.response.send_message(
            f"{member.mention} is no longer a creator here. Their diamonds stay theirs.", ephemeral=True
        )

    @app_commands.command(name="thanks", description="Your thank-you shout-out (leave empty for the default)")
    @app_commands.describe(
        template=f"Up to {TEMPLATE_MAX} characters with {{sender}} {{gift}} {{count}} {{coins}} {{creator}}"
    )
    async def thanks(self, interaction: discord.Interaction, template: str | None = None) -> None:
        creator = await self.services.creators.set_thanks(interaction.guild_id, interaction.user.id, template)
        await interaction.response.send_message(render_thanks(creator), ephemeral=True)

    @app_commands.command(
        name="shoutout-threshold", description="Gifts worth at least this many coins get their own shout-out"
    )
    @app_commands.describe(coins="Coins (at least 1)")
    async def shoutout_threshold(self, interaction: discord.Interaction, coins: int) -> None:
        creator = await self.services.creators.set_threshold(interaction.guild_id, interaction.user.id, coins)
        await interaction.response.send_message(
            f"Gifts worth {coin_count(creator.shoutout_threshold)} or more now always get their own shout-out.",
            ephemeral=True,
        )

    # Earnings and cash-out (issue 6): the bodies live in cogs/payouts.py.
    @app_commands.command(name="earnings", description="Your diamonds, their cash value and who supports you")
    async def earnings(self, interaction: discord.Interaction) -> None:
        await payouts_ui.show_earnings(self.services, interaction)

    @app_commands.command(name="cashout", description="Exchange diamonds for money (a moderator approves it)")
    @app_commands.describe(diamonds="How many diamonds (at least the server's minimum, 1,000 by default)")
    async def cashout(self, interaction: discord.Interaction, diamonds: app_commands.Range[int, 1]) -> None:
        await payouts_ui.start_cashout(self.services, interaction, diamonds)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(CreatorCog(bot.services))

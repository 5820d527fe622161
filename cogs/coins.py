"""/coins: packages in the member's currency, and buying one after a confirmation; moderators grant
coins (giveaways) with an audited entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.budgets import when_text
from bot.economy.corrections import GRANT_MAX, GrantResult
from bot.economy.deals import DealOffer
from bot.economy.payouts import REASON_MAX
from bot.economy.purchases import Offer, PurchaseResult
from bot.services import Services
from bot.text import coin_count
from cogs.checks import guild_id_of, moderator_only
from cogs.receipts import Receipt, deliver_receipt
from cogs.views import ConfirmView

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

COLOUR = discord.Colour.gold()


def deal_text(deal: DealOffer) -> str:
    return (
        f"🎁 +{coin_count(deal.bonus_coins)} bonus ({deal.bonus_percent} % deal, ends "
        f"{when_text(deal.ends_at, deal.zone, deal.now)})"
    )


def render_packages(offers: list[Offer]) -> discord.Embed:
    embed = discord.Embed(title="Coin packages", colour=COLOUR)
    if not offers:
        embed.description = "No packages are on sale in your region."
        return embed
    region = offers[0].region
    embed.description = "\n".join(
        f"🪙 **{coin_count(o.coins)}** — {o.price_text()}" + (f"\n  {deal_text(o.deal)}" if o.deal else "")
        for o in offers
    )
    embed.set_footer(text=f"Prices for {region.name} ({region.currency}) · buy with /coins buy")
    return embed


def render_offer(offer: Offer) -> discord.Embed:
    bonus = ""
    if offer.deal is not None:
        bonus = f"\n{deal_text(offer.deal)}\nThe bonus is yours with this purchase even if you pay after the deal ends."
    return discord.Embed(
        title="Confirm your purchase",
        description=(
            f"Buy **{coin_count(offer.coins)}** for **{offer.price_text()}**?{bonus}\n"
            "Coins are non-refundable and cannot be transferred."
        ),
        colour=COLOUR,
    )


def render_receipt(result: PurchaseResult, offer: Offer) -> discord.Embed:
    embed = discord.Embed(
        title="Purchase complete",
        description=(
            f"You bought **{coin_count(result.coins)}** for {result.price.format(offer.region.locale)}."
            + (f"\n🎁 Deal bonus: **+{coin_count(result.bonus)}**." if result.bonus else "")
        ),
        colour=discord.Colour.green(),
    )
    embed.add_field(name="Balance", value=f"🪙 {result.balance:,}")
    embed.set_footer(text=f"Receipt #{result.entry_id}")
    return embed


def render_grant(result: GrantResult) -> str:
    return (
        f"Granted **{coin_count(result.coins)}** to <@{result.member_id}> (entry `#{result.entry_id}`). "
        f"Their balance: 🪙 {result.balance:,}."
    )


@app_commands.guild_only()
class CoinsCog(commands.GroupCog, group_name="coins", group_description="Buy coins"):
    def __init__(self, services: Services) -> None:
        self.services = services
        super().__init__()

    @app_commands.command(name="packages", description="Coin packages and their prices in your currency")
    async def packages(self, interaction: discord.Interaction) -> None:
        offers = await self.services.purchases.packages(guild_id_of(interaction), interaction.user.id)
        await interaction.response.send_message(embed=render_packages(offers), ephemeral=True)

    @app_commands.command(name="buy", description="Buy a coin package (you confirm before paying)")
    @app_commands.describe(package="Number of coins in the package")
    async def buy(self, interaction: discord.Interaction, package: int) -> None:
        guild_id, user_id = guild_id_of(interaction), interaction.user.id
        roles = [role.id for role in getattr(interaction.user, "roles", [])]
        # The slash command's id is the idempotency key: a second click on Confirm, or Discord
        # re-sending the click, finds the first purchase instead of making another. Choosing the
        # package here fixes a running deal for that purchase.
        key = str(interaction.id)
        offer = await self.services.purchases.offer(
            guild_id, user_id, package, role_ids=roles, idempotency_key=key
        )

        async def confirmed(click: discord.Interaction) -> None:
            result = await self.services.purchases.purchase(
                guild_id, user_id, offer.coins, key, role_ids=roles, expected_price=offer.price
            )
            await deliver_receipt(
                click,
                lambda: Receipt(embed=render_receipt(result, offer)),
                f"Purchase complete: {coin_count(result.coins)}, receipt #{result.entry_id}.",
            )

        view = ConfirmView(user_id, confirmed, confirm_label=f"Pay {offer.price_text()}")
        await interaction.response.send_message(embed=render_offer(offer), view=view, ephemeral=True)
        view.prompt = interaction

    @buy.autocomplete("package")
    async def package_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        offers = await self.services.purchases.packages(guild_id_of(interaction), interaction.user.id)
        return [
            app_commands.Choice(
                name=f"{coin_count(o.coins)} — {o.price_text()}"
                + (f" (+{coin_count(o.deal.bonus_coins)} bonus)" if o.deal else ""),
                value=o.coins,
            )
            for o in offers
            if current.strip() in str(o.coins)
        ][:25]

    # Giveaways: a moderator command inside the members' group, hidden from members by default.
    @app_commands.command(name="grant", description="Moderators: give a member coins (giveaways), audited")
    @app_commands.describe(member="Who receives the coins", coins="How many coins", reason="Why (audit log)")
    @app_commands.default_permissions(manage_guild=True)
    @moderator_only
    async def grant(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        coins: app_commands.Range[int, 1, GRANT_MAX],
        reason: app_commands.Range[str, 1, REASON_MAX],
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.services.corrections.grant(
            guild_id_of(interaction), interaction.user.id, member.id, coins, reason, str(interaction.id)
        )
        await deliver_receipt(
            interaction, lambda: Receipt(render_grant(result)), f"Granted: entry #{result.entry_id}."
        )


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(CoinsCog(bot.services))

"""/coins: the coin shop. With Discord purchases, Discord's premium button for the package (Discord shows
the price in the member's currency and takes the payment); in the sandbox, free test coins after a
confirmation, prices shown as not charged; with no payments, how members get coins here. Moderators
grant coins (giveaways) with an audited entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.budgets import when_text
from bot.economy.corrections import GRANT_MAX, GrantResult
from bot.economy.deals import DealOffer
from bot.economy.payments import PaymentMode
from bot.economy.payouts import REASON_MAX
from bot.economy.purchases import Offer, PurchaseResult
from bot.errors import DomainError
from bot.services import Services
from bot.text import coin_count
from cogs.checks import guild_id_of, moderator_only
from cogs.receipts import Receipt, deliver_receipt
from cogs.views import ConfirmView

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

COLOUR = discord.Colour.gold()


SANDBOX_NOTE = "Sandbox: these are free test coins. Prices are shown for testing and never charged."
DEAL_KEPT = "The bonus is yours with this package even if the payment completes after the deal ends."


def deal_text(deal: DealOffer) -> str:
    return (
        f"🎁 +{coin_count(deal.bonus_coins)} bonus ({deal.bonus_percent} % deal, ends "
        f"{when_text(deal.ends_at, deal.zone, deal.now)})"
    )


def with_deal(line: str, offer: Offer) -> str:
    return line + (f"\n  {deal_text(offer.deal)}" if offer.deal else "")


def render_packages(offers: list[Offer], mode: PaymentMode) -> discord.Embed:
    embed = discord.Embed(title="Coin packages", colour=COLOUR)
    if not offers:
        embed.description = "No packages are on sale in your region."
        return embed
    region = offers[0].region
    if mode is PaymentMode.DISCORD:
        embed.description = "\n".join(
            with_deal(f"🪙 **{coin_count(o.coins)}** — {o.price_text()} list price", o) for o in offers
        )
        embed.set_footer(text="Paid through Discord, which shows the price in your currency · /coins buy")
        return embed
    embed.description = (
        "\n".join(
            with_deal(f"🪙 **{coin_count(o.coins)}** — ~~{o.price_text()}~~ free (not charged)", o)
            for o in offers
        )
        + f"\n\n{SANDBOX_NOTE}"
    )
    embed.set_footer(text=f"Test prices for {region.name} ({region.currency}) · get them with /coins buy")
    return embed


def render_offer(offer: Offer) -> discord.Embed:
    return discord.Embed(
        title="Get test coins",
        description=(
            f"Get **{coin_count(offer.coins)}** of test coins (list price {offer.price_text()}, **not charged**)?"
            + (f"\n{deal_text(offer.deal)}\n{DEAL_KEPT}" if offer.deal else "")
            + f"\n{SANDBOX_NOTE}"
        ),
        colour=COLOUR,
    )


def render_discord_offer(offer: Offer) -> discord.Embed:
    return discord.Embed(
        title=f"Buy {coin_count(offer.coins)}",
        description=(
            f"Press Discord's button below to buy **{coin_count(offer.coins)}** ({offer.price_text()} list price; "
            "Discord shows your price and takes the payment).\n"
            + (f"{deal_text(offer.deal)}\n{DEAL_KEPT}\n" if offer.deal else "")
            + "The coins go to your wallet **in this server** as soon as Discord confirms the purchase; you "
            "get a receipt by DM. Purchases work on desktop and in the browser."
        ),
        colour=COLOUR,
    )


def render_discord_shop(offers: list[Offer]) -> discord.Embed:
    embed = render_packages(offers, PaymentMode.DISCORD)
    embed.title = "Buy coins"
    embed.description = (
        f"{embed.description}\n\nPress a package's button: Discord shows your price and takes the payment "
        "(a deal shown here is kept if you pay within a day). "
        "The coins go to your wallet **in this server**, with a receipt by DM. Desktop and browser only."
    )
    return embed


def premium_buttons(*offers: Offer) -> discord.ui.View:
    """Discord's premium button for each package's SKU: it sends the bot no interaction; Discord renders
    the SKU's name and price and, once paid, sends the ENTITLEMENT_CREATE that credits the coins."""
    view = discord.ui.View(timeout=None)
    for offer in offers[:25]:  # Discord's limit of components on a message
        view.add_item(discord.ui.Button(sku_id=offer.sku_id))
    return view


def render_receipt(result: PurchaseResult, offer: Offer) -> discord.Embed:
    embed = discord.Embed(
        title="Test coins added",
        description=(
            f"You got **{coin_count(result.coins)}** of free test coins "
            f"(list price {result.price.format(offer.region.locale)}, not charged)."
            + (f"\n🎁 Deal bonus: **+{coin_count(result.bonus)}**." if result.bonus else "")
        ),
        colour=discord.Colour.green(),
    )
    embed.add_field(name="Balance", value=f"🪙 {result.balance:,}")
    embed.set_footer(text=f"Receipt #{result.entry_id}")
    return embed


def render_grant(result: GrantResult) -> str:
    text = (
        f"Granted **{coin_count(result.coins)}** to <@{result.member_id}> (entry `#{result.entry_id}`). "
        f"Their balance: 🪙 {result.balance:,}."
    )
    if result.debt_repaid:
        text += f" {result.debt_repaid:,} of the coins paid what they owed after a refunded purchase."
    if result.owed:
        text += f" They still owe 🪙 {result.owed:,}."
    return text


@app_commands.guild_only()
class CoinsCog(commands.GroupCog, group_name="coins", group_description="Buy coins"):
    def __init__(self, services: Services) -> None:
        self.services = services
        super().__init__()

    @app_commands.command(name="packages", description="Coin packages and their prices in your currency")
    async def packages(self, interaction: discord.Interaction) -> None:
        offers = await self.services.purchases.packages(guild_id_of(interaction), interaction.user.id)
        mode = self.services.purchases.mode
        await interaction.response.send_message(embed=render_packages(offers, mode), ephemeral=True)

    @app_commands.command(name="buy", description="Buy a coin package")
    @app_commands.describe(package="Number of coins in the package (leave empty to see every package)")
    async def buy(self, interaction: discord.Interaction, package: int | None = None) -> None:
        guild_id, user_id = guild_id_of(interaction), interaction.user.id
        roles = [role.id for role in getattr(interaction.user, "roles", [])]
        # The slash command's id keys the purchase: a second click on Confirm, or Discord re-sending the
        # click, finds the first purchase instead of making another. Choosing a package here fixes a
        # running deal for it.
        key = str(interaction.id)
        if package is None:
            offers = await self.services.purchases.shop(
                guild_id, user_id, role_ids=roles, idempotency_key=key
            )
            mode = self.services.purchases.mode
            if mode is PaymentMode.DISCORD:
                await interaction.response.send_message(
                    embed=render_discord_shop(offers), view=premium_buttons(*offers), ephemeral=True
                )
            else:
                await interaction.response.send_message(embed=render_packages(offers, mode), ephemeral=True)
            return
        offer = await self.services.purchases.offer(
            guild_id, user_id, package, role_ids=roles, idempotency_key=key
        )
        if offer.sku_id is not None:
            await interaction.response.send_message(
                embed=render_discord_offer(offer), view=premium_buttons(offer), ephemeral=True
            )
            return

        async def confirmed(click: discord.Interaction) -> None:
            result = await self.services.purchases.purchase(
                guild_id, user_id, offer.coins, key, role_ids=roles, expected_price=offer.price
            )
            await deliver_receipt(
                click,
                lambda: Receipt(embed=render_receipt(result, offer)),
                f"Test coins added: {coin_count(result.coins)} (free, not charged), receipt #{result.entry_id}.",
            )

        view = ConfirmView(user_id, confirmed, confirm_label="Get test coins (free)")
        await interaction.response.send_message(embed=render_offer(offer), view=view, ephemeral=True)
        view.prompt = interaction

    @buy.autocomplete("package")
    async def package_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        try:
            offers = await self.services.purchases.packages(guild_id_of(interaction), interaction.user.id)
        except DomainError:  # no shop here: the command itself explains
            return []
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

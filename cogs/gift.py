"""/gift: send a gift to a creator (confirmation above the guild's threshold), see the catalog."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import Gift
from bot.economy.gifts import COUNT_MAX, MESSAGE_MAX, GiftQuote, GiftReceipt
from bot.money import CoinRate, Money
from bot.services import Services
from bot.text import coin_count, diamond_count
from cogs.checks import guild_id_of
from cogs.receipts import Receipt, deliver_receipt
from cogs.views import ConfirmView

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

log = logging.getLogger(__name__)

COLOUR = discord.Colour.magenta()
SHOUTOUT_WAIT_S = 4.0
SHOUTOUT_FAILED = (
    "Your gift went through, but the thank-you shout-out could not be posted in the alerts channel. "
    "A moderator may need to check the bot's permissions there."
)


def role_ids(member: discord.abc.User) -> list[int]:
    return [role.id for role in getattr(member, "roles", [])]


def render_catalog(gifts: list[Gift], rate: CoinRate) -> discord.Embed:
    embed = discord.Embed(title="Gift catalog", colour=COLOUR)
    if not gifts:
        embed.description = "There are no gifts in the catalog right now."
        return embed
    embed.description = "\n".join(
        f"{g.emoji} **{discord.utils.escape_markdown(g.name)}** — 🪙 {g.coins:,} (≈ {rate.show(g.coins)})"
        for g in gifts
    )
    embed.set_footer(text=f"Prices in {rate.region.currency} for {rate.region.name} · send with /gift send")
    return embed


def choice_name(gift: Gift, rate: CoinRate) -> str:
    return f"{gift.emoji} {gift.name} — {coin_count(gift.coins)} (≈ {rate.show(gift.coins)})"[:100]


def render_quote(quote: GiftQuote, creator_name: str) -> discord.Embed:
    gift = quote.gift
    embed = discord.Embed(
        title="Confirm your gift",
        description=(
            f"Send **{gift.emoji} {discord.utils.escape_markdown(gift.name)} ×{quote.count:,}** to "
            f"**{discord.utils.escape_markdown(creator_name)}** for **{coin_count(quote.total_coins)}** "
            f"(≈ {quote.show(quote.total_coins)})?\n\n" + "\n".join(f"• {reason}" for reason in quote.reasons)
        ),
        colour=discord.Colour.orange(),
    )
    embed.set_footer(text="Gifts are final: coins are not refunded.")
    return embed


def cash_text(money: Money, locale: str, *, nothing: bool = False) -> str:
    """ "≈ $5.28"; a positive amount below the smallest unit reads "less than $0.01", not "$0"."""
    if money.minor == 0 and not nothing:
        return f"less than {Money(1, money.currency).format(locale)}"
    return f"≈ {money.format(locale)}"


def render_receipt(receipt: GiftReceipt, creator_name: str) -> discord.Embed:
    split = receipt.split
    locale = receipt.rate.region.locale
    embed = discord.Embed(
        title="Gift sent" if not receipt.replayed else "Gift already sent",
        description=(
            f"You sent **{receipt.gift_emoji} {discord.utils.escape_markdown(receipt.gift_name)} "
            f"×{receipt.count:,}** to **{discord.utils.escape_markdown(creator_name)}**: "
            f"🪙 {coin_count(receipt.total_coins)} (≈ {split.value.format(locale)})."
        ),
        colour=discord.Colour.green(),
    )
    embed.add_field(name="Balance", value=f"🪙 {receipt.balance:,}\n≈ {receipt.rate.show(receipt.balance)}")
    embed.add_field(
        name="Where it goes",
        value=(
            f"Creator receives 💎 {diamond_count(split.diamonds)}, worth {cash_text(split.creator_cash, locale, nothing=split.fee_percent == 100)} "
            f"at cash-out; the platform fee ({split.fee_percent} %) is ≈ {split.fee.format(locale)}."
        ),
        inline=False,
    )
    embed.set_footer(text=f"Receipt #{receipt.entry_id}")
    return embed


async def deliver_gift_receipt(
    interaction: discord.Interaction, receipt: GiftReceipt, creator_name: str
) -> None:
    await deliver_receipt(
        interaction,
        lambda: Receipt(embed=render_receipt(receipt, creator_name)),
        f"Gift sent: {receipt.gift_name} ×{receipt.count:,} for {coin_count(receipt.total_coins)}, "
        f"receipt #{receipt.entry_id}.",
    )


async def shoutout_follow_up(interaction: discord.Interaction, receipt: GiftReceipt) -> None:
    """Wait a little for the shout-out; tell the sender if it could not be posted."""
    if receipt.alert is None or receipt.alerts_channel_id is None:
        return
    try:
        posted = await asyncio.wait_for(asyncio.shield(receipt.alert), SHOUTOUT_WAIT_S)
    except TimeoutError:
        return  # still queued (a burst): it will be posted, merged into a streak
    except Exception:
        log.exception("shout-out of gift %s failed", receipt.entry_id)
        posted = False
    if not posted:
        with contextlib.suppress(discord.HTTPException):
            await interaction.followup.send(SHOUTOUT_FAILED, ephemeral=True)


@app_commands.guild_only()
class GiftCog(commands.GroupCog, group_name="gift", group_description="Send gifts to creators"):
    def __init__(self, services: Services) -> None:
        self.services = services
        super().__init__()

    @app_commands.command(name="send", description="Send a gift to a creator")
    @app_commands.describe(
        gift="The gift (prices in coins and your currency)",
        creator="The creator who receives it",
        count=f"How many (1–{COUNT_MAX:,})",
        message=f"A short message (up to {MESSAGE_MAX} characters)",
    )
    async def send(
        self,
        interaction: discord.Interaction,
        gift: str,
        creator: discord.Member,
        count: app_commands.Range[int, 1, COUNT_MAX] = 1,
        message: app_commands.Range[str, 1, MESSAGE_MAX] | None = None,
    ) -> None:
        gifts, sender = self.services.gifts, interaction.user
        quote = await gifts.quote(
            guild_id_of(interaction), sender.id, role_ids(sender), gift, creator.id, count, message
        )
        key = str(interaction.id)  # a re-sent or double-clicked confirmation finds the first gift
        name = creator.display_name
        if not quote.needs_confirmation:
            await interaction.response.defer(ephemeral=True, thinking=True)
            receipt = await gifts.send(quote, key)
            await deliver_gift_receipt(interaction, receipt, name)
            await shoutout_follow_up(interaction, receipt)
            return

        async def confirmed(click: discord.Interaction) -> None:
            receipt = await gifts.send(quote, key, confirmed=True)
            await deliver_gift_receipt(click, receipt, name)
            if not receipt.replayed:
                await shoutout_follow_up(click, receipt)

        view = ConfirmView(sender.id, confirmed, confirm_label=f"Send for {coin_count(quote.total_coins)}")
        await interaction.response.send_message(embed=render_quote(quote, name), view=view, ephemeral=True)
        view.prompt = interaction

    @send.autocomplete("gift")
    async def gift_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        gifts, rate = await self.services.gifts.catalog(
            guild_id_of(interaction), interaction.user.id, current
        )
        return [app_commands.Choice(name=choice_name(g, rate), value=g.name) for g in gifts][:25]

    @app_commands.command(name="catalog", description="All gifts with their price in coins and your currency")
    async def catalog(self, interaction: discord.Interaction) -> None:
        gifts, rate = await self.services.gifts.catalog(guild_id_of(interaction), interaction.user.id)
        await interaction.response.send_message(embed=render_catalog(gifts, rate), ephemeral=True)


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(GiftCog(bot.services))

"""/payouts: moderators decide creators' cash-out requests, and the DM that tells the creator."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.economy.payouts import REASON_MAX, Decision, Payout
from bot.provenance import SenderSource
from bot.services import Services
from bot.text import diamond_count
from cogs.checks import guild_id_of, moderator_only
from cogs.receipts import Receipt, deliver_receipt, tell

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

log = logging.getLogger(__name__)

COLOUR = discord.Colour.purple()


# --- renderers (pure) ------------------------------------------------------------------------------


def payout_line(payout: Payout) -> str:
    when = discord.utils.format_dt(payout.requested_at, "R")
    return (
        f"`#{payout.id}` <@{payout.creator_id}> — 💎 {payout.diamonds:,} "
        f"(fee {payout.fee_percent} %, paid in {payout.region.currency}) — requested {when}"
    )


def source_line(source: SenderSource) -> str:
    parts = [f"bought {source.bought:,}", f"granted {source.granted:,}"]
    if source.test_coins:
        parts.append(f"test coins {source.test_coins:,}")
    if source.bonus:
        parts.append(f"deal bonus {source.bonus:,}")
    if source.refunded:
        parts.append(f"⚠️ refunded {source.refunded:,}")
    if source.owed:
        parts.append(f"owes {source.owed:,}")
    return f"　↳ <@{source.user_id}> gave 💎 {source.diamonds:,} · coins: " + " · ".join(parts)


def render_pending(payouts: list[Payout], sources: dict[int, list[SenderSource]]) -> discord.Embed:
    embed = discord.Embed(title="Pending cash-outs", colour=COLOUR)
    if not payouts:
        embed.description = "No cash-out requests are waiting. 🎉"
        return embed
    lines = []
    for payout in payouts:
        lines.append(payout_line(payout))
        lines.extend(source_line(s) for s in sources.get(payout.creator_id, []))
    embed.description = "\n".join(lines)[:4096]
    embed.set_footer(text="Top senders and where their coins came from · /payouts approve|reject <id>")
    return embed


def render_decision(decision: Decision) -> str:
    payout = decision.payout
    if payout.status == "approved":
        text = (
            f"Approved cash-out `#{payout.id}`: <@{payout.creator_id}> is paid **{payout.money_text()}** "
            f"for {diamond_count(payout.diamonds)} (fee {payout.fee_percent} %)."
        )
    else:
        text = (
            f"Rejected cash-out `#{payout.id}`: {diamond_count(payout.diamonds)} went back to "
            f"<@{payout.creator_id}>."
        )
    return text + " I'm telling them by DM."


def render_not_told(payout: Payout) -> str:
    return (
        f"I could not DM <@{payout.creator_id}> about cash-out `#{payout.id}` (their DMs may be closed); "
        "please let them know."
    )


def render_payout_dm(payout: Payout, guild_name: str) -> discord.Embed:
    if payout.status == "approved":
        embed = discord.Embed(
            title="Your cash-out was approved 🎉",
            description=(
                f"Your cash-out `#{payout.id}` of 💎 {payout.diamonds:,} in **{guild_name}** was approved: "
                f"you receive **{payout.money_text()}** (after the {payout.fee_percent} % platform fee)."
            ),
            colour=discord.Colour.green(),
        )
    else:
        embed = discord.Embed(
            title="Your cash-out was not approved",
            description=(
                f"Your cash-out `#{payout.id}` of 💎 {payout.diamonds:,} in **{guild_name}** was rejected, "
                "and the diamonds are back in your wallet."
            ),
            colour=discord.Colour.orange(),
        )
        if payout.reason:
            embed.add_field(name="Reason", value=payout.reason[:1024])
    return embed


# --- DMs ---------------------------------------------------------------------------------------------


class DiscordPayoutNotifier:
    """DMs the creator about a decision; closed DMs are logged, never fatal."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def payout_decided(self, payout: Payout) -> bool:
        guild = self.bot.get_guild(payout.guild_id)
        guild_name = guild.name if guild is not None else "the server"
        try:
            user = self.bot.get_user(payout.creator_id) or await self.bot.fetch_user(payout.creator_id)
            await user.send(
                embed=render_payout_dm(payout, guild_name), allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.Forbidden:
            log.info(
                "creator %s has closed DMs; payout #%s decision not delivered", payout.creator_id, payout.id
            )
            return False
        except discord.HTTPException:
            log.warning(
                "could not DM creator %s about payout #%s", payout.creator_id, payout.id, exc_info=True
            )
            return False
        return True


# --- /payouts ----------------------------------------------------------------------------------------


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class PayoutsCog(
    commands.GroupCog, group_name="payouts", group_description="Moderators: creators' cash-outs"
):
    def __init__(self, services: Services) -> None:
        self.services = services
        super().__init__()

    @app_commands.command(name="pending", description="Cash-out requests waiting for a decision")
    @moderator_only
    async def pending(self, interaction: discord.Interaction) -> None:
        guild_id = guild_id_of(interaction)
        payouts = await self.services.payouts.pending(guild_id)
        sources = await self.services.provenance.sources(guild_id, [p.creator_id for p in payouts])
        await interaction.response.send_message(embed=render_pending(payouts, sources), ephemeral=True)

    @app_commands.command(name="approve", description="Approve a cash-out: the creator is paid")
    @app_commands.describe(payout="The request's number (see /payouts pending)")
    @moderator_only
    async def approve(self, interaction: discord.Interaction, payout: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        decision = await self.services.payouts.approve(guild_id_of(interaction), interaction.user.id, payout)
        await self._announce(interaction, decision)

    @app_commands.command(name="reject", description="Reject a cash-out: the diamonds go back to the creator")
    @app_commands.describe(payout="The request's number (see /payouts pending)", reason="Told to the creator")
    @moderator_only
    async def reject(
        self, interaction: discord.Interaction, payout: int, reason: app_commands.Range[str, 1, REASON_MAX]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        decision = await self.services.payouts.reject(
            guild_id_of(interaction), interaction.user.id, payout, reason
        )
        await self._announce(interaction, decision)

    async def _announce(self, interaction: discord.Interaction, decision: Decision) -> None:
        """The moderator's answer first, then the creator's DM: a slow DM cannot expire the interaction."""
        payout = decision.payout
        await deliver_receipt(
            interaction, lambda: Receipt(render_decision(decision)), f"Cash-out #{payout.id} {payout.status}."
        )
        if not await self.services.payouts.tell_creator(payout):
            await tell(interaction, render_not_told(payout))

    @approve.autocomplete("payout")
    @reject.autocomplete("payout")
    async def payout_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if not interaction.permissions.manage_guild:
            return []
        needle = current.strip().lstrip("#")
        choices = []
        for payout in await self.services.payouts.pending(guild_id_of(interaction)):
            member = interaction.guild.get_member(payout.creator_id) if interaction.guild else None
            name = member.display_name if member else f"member {payout.creator_id}"
            label = f"#{payout.id} · {name} · {diamond_count(payout.diamonds)}"
            if needle and needle not in str(payout.id) and needle.lower() not in name.lower():
                continue
            choices.append(app_commands.Choice(name=label[:100], value=payout.id))
        return choices[:25]


async def setup(bot: LiveGiftsBot) -> None:
    services: Services = bot.services
    services.payouts.notifier = DiscordPayoutNotifier(bot)
    await bot.add_cog(PayoutsCog(services))

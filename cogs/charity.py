"""/charity: moderators run charity campaigns, members donate coins to them.

The scheduler ends campaigns whose time has come (every minute, asking SQLite which are due)."""

from __future__ import annotations

import io
import logging
from datetime import UTC, timedelta
from typing import TYPE_CHECKING

import discord
from apscheduler.triggers.interval import IntervalTrigger
from discord import app_commands
from discord.ext import commands

from bot.charity_board import plain, progress_bar
from bot.economy.charity import (
    DESCRIPTION_MAX,
    GOAL_MAX,
    NAME_MAX,
    Campaign,
    CampaignEnd,
    CharityPayout,
    DonationQuote,
    DonationReceipt,
)
from bot.economy.payouts import REASON_MAX
from bot.moments import MOMENT_TEXT_MAX
from bot.money import CoinRate
from bot.services import Services
from cogs.checks import guild_id_of, moderator_only
from cogs.receipts import Receipt, deliver_receipt
from cogs.views import ConfirmView

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

log = logging.getLogger(__name__)

COLOUR = discord.Colour.gold()
JOB_ID = "charity-ends"
CHECK_EVERY = timedelta(minutes=1)


# --- renderers (pure) ------------------------------------------------------------------------------


def campaign_line(campaign: Campaign, rate: CoinRate) -> str:
    ends = discord.utils.format_dt(campaign.ends_at, "R")
    donors = "1 donor" if campaign.donors == 1 else f"{campaign.donors:,} donors"
    return (
        f"**{plain(campaign.name)}** (`#{campaign.id}`)\n"
        f"{progress_bar(campaign.raised, campaign.goal)} {campaign.percent} % · 🪙 {campaign.raised:,} "
        f"(≈ {rate.show(campaign.raised)}) of {campaign.goal:,} (≈ {rate.show(campaign.goal)}) · "
        f"{donors} · ends {ends}"
    )


def render_list(campaigns: list[Campaign], rate: CoinRate) -> discord.Embed:
    embed = discord.Embed(title="Charity campaigns", colour=COLOUR)
    if not campaigns:
        embed.description = "No campaign is running right now."
        return embed
    embed.description = "\n\n".join(campaign_line(c, rate) for c in campaigns)[:4096]
    embed.set_footer(text="Donate with /charity donate · values in your currency")
    return embed


def render_started(campaign: Campaign, posted: bool) -> str:
    ends = discord.utils.format_dt(campaign.ends_at, "F")
    where = (
        "Its progress is shown in the alerts channel."
        if posted
        else "No alerts channel is set, so no progress message is shown (`/config alerts-channel`)."
    )
    return (
        f"Campaign **{plain(campaign.name)}** (`#{campaign.id}`) is running until {ends}, "
        f"with a goal of 🪙 {campaign.goal:,}. {where}"
    )


def render_quote(quote: DonationQuote) -> discord.Embed:
    who = "anonymously" if quote.anonymous else "under your name"
    embed = discord.Embed(
        title="Confirm your donation",
        description="\n".join(
            (
                *quote.reasons,
                f"Donate **🪙 {quote.coins:,}** (≈ {quote.rate.show(quote.coins)}) to "
                f"**{plain(quote.campaign.name)}** {who}?",
            )
        ),
        colour=COLOUR,
    )
    return embed


def render_receipt(receipt: DonationReceipt) -> str:
    who = " anonymously" if receipt.anonymous else ""
    again = " (already done: this is the same donation)" if receipt.replayed else ""
    return (
        f"Thank you! You donated 🪙 {receipt.coins:,} (≈ {receipt.rate.show(receipt.coins)}){who} to "
        f"**{plain(receipt.campaign.name)}**{again}. It has raised 🪙 {receipt.campaign.raised:,} of "
        f"{receipt.campaign.goal:,}. You have 🪙 {receipt.balance:,} left."
    )


def render_end(end: CampaignEnd) -> str:
    campaign = end.campaign
    text = (
        f"**{plain(campaign.name)}** has ended with 🪙 {campaign.raised:,} from {campaign.donors:,} donors."
    )
    if end.payout is None:
        return text + " Nothing was raised, so there is nothing to pay out."
    return (
        f"{text} A payout of 🪙 {end.payout.coins:,} (≈ {end.value_text()}) to the cause is waiting for a "
        f"moderator: `/charity approve` or `/charity reject`. The statement is attached."
    )


def render_payouts(payouts: list[CharityPayout]) -> discord.Embed:
    embed = discord.Embed(title="Charity payouts waiting for a decision", colour=COLOUR)
    if not payouts:
        embed.description = "No charity payout is waiting."
        return embed
    embed.description = "\n".join(
        f"`#{p.campaign_id}` **{plain(p.campaign_name)}** — 🪙 {p.coins:,} (paid in {p.region.currency}) — "
        f"requested {discord.utils.format_dt(p.requested_at, 'R')}"
        for p in payouts
    )[:4096]
    embed.set_footer(text="/charity approve <campaign> · /charity reject <campaign> <reason>")
    return embed


def render_decision(payout: CharityPayout) -> str:
    if payout.status == "approved":
        fee = f", after the {payout.fee_percent} % platform fee" if payout.fee_percent else ""
        return (
            f"Approved: **{plain(payout.campaign_name)}** pays **{payout.money_text()}** "
            f"(🪙 {payout.coins:,}{fee}) to its cause."
        )
    return (
        f"Rejected the payout of **{plain(payout.campaign_name)}**. Its 🪙 {payout.coins:,} stay in the "
        "charity account; reverse donations with `/ledger reverse` to give coins back."
    )


# --- the cog -----------------------------------------------------------------------------------------


@app_commands.guild_only()
class CharityCog(commands.GroupCog, group_name="charity", group_description="Donate coins to good causes"):
    def __init__(self, bot: LiveGiftsBot, services: Services) -> None:
        self.bot = bot
        self.services = services
        super().__init__()

    async def cog_load(self) -> None:
        scheduler = self.bot.scheduler
        scheduler.add_job(
            self.services.charity.end_due,
            IntervalTrigger(seconds=CHECK_EVERY.total_seconds(), timezone=UTC),
            id=JOB_ID,
            name="end charity campaigns",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(CHECK_EVERY.total_seconds()),
        )

    async def cog_unload(self) -> None:
        scheduler = self.bot.scheduler
        if scheduler.get_job(JOB_ID) is not None:
            scheduler.remove_job(JOB_ID)

    @app_commands.command(name="start", description="Moderators: start a charity campaign")
    @app_commands.describe(
        name=f"The campaign's name (up to {NAME_MAX} characters)",
        goal="The goal in coins",
        ends="When it ends: 90m, 12h, 3d, or a date and time such as 2026-12-24 18:00 (your time zone)",
        description=f"What the coins are for (up to {DESCRIPTION_MAX} characters)",
    )
    @moderator_only
    async def start(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, NAME_MAX],
        goal: app_commands.Range[int, 1, GOAL_MAX],
        ends: app_commands.Range[str, 1, MOMENT_TEXT_MAX],
        description: app_commands.Range[str, 1, DESCRIPTION_MAX] | None = None,
    ) -> None:
        campaign = await self.services.charity.start(
            guild_id_of(interaction), interaction.user.id, name, goal, ends, description
        )
        posted = (
            await self.services.guild_config.get(guild_id_of(interaction))
        ).alerts_channel_id is not None
        await interaction.response.send_message(render_started(campaign, posted), ephemeral=True)

    @app_commands.command(name="end", description="Moderators: end a campaign now and request its payout")
    @app_commands.describe(campaign="The campaign")
    @moderator_only
    async def end(self, interaction: discord.Interaction, campaign: int) -> None:
        ended = await self.services.charity.end(guild_id_of(interaction), interaction.user.id, campaign)
        statement = await self.services.charity.statement(guild_id_of(interaction), campaign)
        await interaction.response.send_message(
            render_end(ended),
            file=discord.File(io.BytesIO(statement.csv), filename=statement.filename),
            ephemeral=True,
        )

    @app_commands.command(name="donate", description="Donate coins to a charity campaign")
    @app_commands.describe(
        campaign="The campaign", coins="How many coins", anonymous="Keep your name out of public messages"
    )
    async def donate(
        self,
        interaction: discord.Interaction,
        campaign: int,
        coins: app_commands.Range[int, 1],
        anonymous: bool = False,
    ) -> None:
        roles = [role.id for role in getattr(interaction.user, "roles", [])]
        quote = await self.services.charity.quote(
            guild_id_of(interaction), interaction.user.id, roles, campaign, coins, anonymous
        )
        key = str(interaction.id)  # a double click or a re-sent click donates once
        if not quote.needs_confirmation:
            receipt = await self.services.charity.donate(quote, key)
            await interaction.response.send_message(render_receipt(receipt), ephemeral=True)
            return

        async def confirmed(click: discord.Interaction) -> None:
            receipt = await self.services.charity.donate(quote, key, confirmed=True)
            await deliver_receipt(
                click,
                lambda: Receipt(content=render_receipt(receipt)),
                f"Donation complete: receipt #{receipt.entry_id}.",
            )

        view = ConfirmView(interaction.user.id, confirmed, confirm_label=f"Donate {quote.coins:,} coins")
        await interaction.response.send_message(embed=render_quote(quote), view=view, ephemeral=True)
        view.prompt = interaction

    @app_commands.command(name="list", description="Running charity campaigns and their progress")
    async def list_campaigns(self, interaction: discord.Interaction) -> None:
        campaigns = await self.services.charity.running(guild_id_of(interaction))
        rate = await self.services.charity.viewer_rate(guild_id_of(interaction), interaction.user.id)
        await interaction.response.send_message(embed=render_list(campaigns, rate), ephemeral=True)

    @app_commands.command(name="statement", description="Moderators: a campaign's donations as CSV")
    @app_commands.describe(campaign="The campaign")
    @moderator_only
    async def statement(self, interaction: discord.Interaction, campaign: int) -> None:
        found = await self.services.charity.statement(guild_id_of(interaction), campaign)
        await interaction.response.send_message(
            f"**{plain(found.campaign.name)}**: 🪙 {found.total_coins:,} "
            f"(≈ {found.total_value.format(found.region.locale)}) in donations that stand.",
            file=discord.File(io.BytesIO(found.csv), filename=found.filename),
            ephemeral=True,
        )

    @app_commands.command(name="payouts", description="Moderators: charity payouts waiting for a decision")
    @moderator_only
    async def payouts(self, interaction: discord.Interaction) -> None:
        pending = await self.services.charity.pending_payouts(guild_id_of(interaction))
        await interaction.response.send_message(embed=render_payouts(pending), ephemeral=True)

    @app_commands.command(name="approve", description="Moderators: pay an ended campaign out to its cause")
    @app_commands.describe(campaign="The ended campaign")
    @moderator_only
    async def approve(self, interaction: discord.Interaction, campaign: int) -> None:
        payout = await self.services.charity.approve(guild_id_of(interaction), interaction.user.id, campaign)
        await interaction.response.send_message(render_decision(payout), ephemeral=True)

    @app_commands.command(name="reject", description="Moderators: refuse an ended campaign's payout")
    @app_commands.describe(campaign="The ended campaign", reason="Why (kept in the audit log)")
    @moderator_only
    async def reject(
        self,
        interaction: discord.Interaction,
        campaign: int,
        reason: app_commands.Range[str, 1, REASON_MAX],
    ) -> None:
        payout = await self.services.charity.reject(
            guild_id_of(interaction), interaction.user.id, campaign, reason
        )
        await interaction.response.send_message(render_decision(payout), ephemeral=True)

    @donate.autocomplete("campaign")
    @end.autocomplete("campaign")
    async def running_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        return _choices(await self.services.charity.running(guild_id_of(interaction)), current)

    @statement.autocomplete("campaign")
    @approve.autocomplete("campaign")
    @reject.autocomplete("campaign")
    async def any_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            return []
        return _choices(await self.services.charity.recent(guild_id_of(interaction)), current)


def _choices(campaigns: list[Campaign], current: str) -> list[app_commands.Choice[int]]:
    needle = current.strip().lstrip("#").casefold()
    choices = []
    for campaign in campaigns:
        if needle and needle not in str(campaign.id) and needle not in campaign.name.casefold():
            continue
        state = "running" if campaign.running else "ended"
        label = f"#{campaign.id} · {campaign.name} · {campaign.raised:,}/{campaign.goal:,} coins · {state}"
        choices.append(app_commands.Choice(name=label[:100], value=campaign.id))
    return choices[:25]


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(CharityCog(bot, bot.services))

"""/budget: daily and monthly budgets, the spending guard's mode, and the daily reminder DM."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.budgets import (
    BUDGET_MAX,
    BUDGET_MIN,
    BudgetOverview,
    LimitChange,
    ModeChange,
    PendingSetting,
    PeriodBudget,
    ReminderSettings,
    Zone,
    when_text,
)
from bot.money import CoinRate
from bot.reminders import JOB_ID, DirectMessagesClosed, MemberLeft, ServerLeft, install_reminder_job
from bot.services import Services
from bot.text import coin_count
from bot.timezones import search_zones
from cogs.checks import guild_id_of

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

log = logging.getLogger(__name__)

COLOUR = discord.Colour.teal()
PERIOD_CHOICES = [
    app_commands.Choice(name="daily", value="daily"),
    app_commands.Choice(name="monthly", value="monthly"),
]
MODE_WORDS = {
    "warn": "**warn** — a gift that would go over a budget asks you to confirm first",
    "block": "**block** — a gift that would go over a budget is refused",
}
SOURCE_WORDS = {"yours": "your time zone", "server": "the server's time zone", "default": "the default"}
DM_LIMIT = 2000
UNKNOWN_MEMBER, UNKNOWN_USER = 10007, 10013  # Discord's error codes: not in the server / no such account


class DiscordDirectMessages:
    """Sends reminder DMs through the bot; closed DMs become DirectMessagesClosed (then: paused).

    Before each DM it asks Discord (REST) whether the bot and the member are still in the server: the
    member list is not cached, since that needs the privileged members intent."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def _server_of(self, guild_id: int, user_id: int) -> discord.Guild:
        """The guild, once Discord confirmed that the member is in it (ServerLeft / MemberLeft if not)."""
        try:
            guild = self._client.get_guild(guild_id) or await self._client.fetch_guild(guild_id)
            await guild.fetch_member(user_id)
        except discord.NotFound as error:
            if error.code in (UNKNOWN_MEMBER, UNKNOWN_USER):
                raise MemberLeft(str(error)) from error
            raise ServerLeft(str(error)) from error
        except discord.Forbidden as error:  # Missing Access: the bot is not in the server any more
            raise ServerLeft(str(error)) from error
        return guild

    async def send(self, guild_id: int, user_id: int, text: str) -> None:
        guild = await self._server_of(guild_id, user_id)
        text = f"From **{discord.utils.escape_markdown(guild.name)}**\n{text}"
        try:
            user = self._client.get_user(user_id) or await self._client.fetch_user(user_id)
            await user.send(text[:DM_LIMIT], allowed_mentions=discord.AllowedMentions.none())
        except (discord.Forbidden, discord.NotFound) as error:
            raise DirectMessagesClosed(str(error)) from error


def moment_text(pending: PendingSetting) -> str:
    """When a pending change takes effect, in the reader's own clock (a Discord timestamp)."""
    return f"{discord.utils.format_dt(pending.at, 'f')} ({discord.utils.format_dt(pending.at, 'R')})"


def _coins(coins: int, rate: CoinRate) -> str:
    return f"🪙 {coins:,} (≈ {rate.show(coins)})"


def render_period(budget: PeriodBudget, overview: BudgetOverview) -> str:
    snapshot, rate = overview.snapshot, overview.rate
    lines = [f"Spent {budget.noun}: {_coins(budget.spent, rate)}"]
    if budget.limit is None:
        lines.append(f"No {budget.period} budget. Set one with `/budget set`.")
    elif budget.over:
        lines.append(f"Budget {coin_count(budget.limit)}: **{budget.over:,} over**")
    else:
        assert budget.left is not None
        lines.append(f"Left: {_coins(budget.left, rate)} of {budget.limit:,}")
    if budget.limit is not None:
        lines.append(f"Resets at {when_text(budget.resets, snapshot.zone, snapshot.now)}")
    if budget.pending is not None:
        change = (
            "is cleared" if budget.pending.coins is None else f"rises to {coin_count(budget.pending.coins)}"
        )
        lines.append(
            f"Cooling-off: it {change} at {when_text(budget.pending.at, snapshot.zone, snapshot.now)}"
        )
    return "\n".join(lines)


def render_reminder_setting(reminders: ReminderSettings, zone: Zone) -> str:
    if reminders.paused_at is not None:
        return (
            "⚠️ **Paused**: I could not send you a reminder: your direct messages are closed, or you "
            "(or I) were not in this server. Allow DMs from this server's members (Privacy Settings), then run "
            "`/budget reminders enabled:on` to resume."
        )
    if not reminders.enabled:
        return "Off. Turn on with `/budget reminders enabled:on`."
    return f"On, every day at {reminders.time} ({zone.name})"


def render_overview(overview: BudgetOverview) -> discord.Embed:
    snapshot = overview.snapshot
    embed = discord.Embed(title="Your budgets", colour=COLOUR)
    embed.add_field(name="Daily budget", value=render_period(snapshot.daily, overview), inline=False)
    embed.add_field(name="Monthly budget", value=render_period(snapshot.monthly, overview), inline=False)
    guard = MODE_WORDS[snapshot.mode]
    if snapshot.pending_mode is not None:
        guard += f"\nCooling-off: it switches to **{snapshot.pending_mode.value}** at {moment_text(snapshot.pending_mode)}"
    embed.add_field(name="Guard", value=guard, inline=False)
    embed.add_field(
        name="Reminders", value=render_reminder_setting(snapshot.reminders, snapshot.zone), inline=False
    )
    footer = f"Days and months are counted in {snapshot.zone.name} ({SOURCE_WORDS[snapshot.zone.source]})."
    pending_zone = snapshot.reminders.pending_timezone
    if pending_zone is not None:
        local = pending_zone.at.astimezone(snapshot.zone.info)
        footer += f" From {local:%H:%M on %a} {local.day} {local:%b} ({snapshot.zone.name}) they are counted in {pending_zone.value}."
    embed.set_footer(text=footer)
    return embed


def render_limit_change(change: LimitChange) -> str:
    when = when_text(change.effective_at, change.zone, change.now)
    rate = change.rate
    if change.immediate:
        assert change.in_force is not None
        return f"Your {change.period} budget is now **{coin_count(change.in_force)}** (≈ {rate.show(change.in_force)})."
    current = f"{coin_count(change.in_force)}" if change.in_force is not None else "none"
    if change.requested is None:
        what = f"Your {change.period} budget will be cleared at {when}"
    else:
        what = (
            f"Your {change.period} budget will rise to **{coin_count(change.requested)}** "
            f"(≈ {rate.show(change.requested)}) at {when}"
        )
    return (
        f"{what}. Raising or clearing a budget has a 24-hour cooling-off; until then it stays at {current}. "
        "Lowering a budget takes effect at once."
    )


def render_mode_change(change: ModeChange) -> str:
    if change.pending is None:
        return f"Guard mode: {MODE_WORDS[change.mode]}."
    return (
        f"Guard mode stays {MODE_WORDS[change.mode]}, until {moment_text(change.pending)}; then it switches "
        f"to **{change.pending.value}**. Loosening the guard has a 24-hour cooling-off; `block` applies at once."
    )


def render_reminders(reminders: ReminderSettings, zone: Zone) -> str:
    if not reminders.enabled:
        text = "Daily reminders are **off**."
    else:
        text = (
            f"Daily reminders are **on**: every day at **{reminders.time}** ({zone.name}), by direct message. "
            "Make sure you accept DMs from this server's members."
        )
    pending = reminders.pending_timezone
    if pending is not None:
        text += (
            f"\nYour days, months and reminders move to **{pending.value}** at {moment_text(pending)}: while "
            f"you have a budget, a new time zone has a 24-hour cooling-off. Until then they stay in {zone.name}."
        )
    return text


@app_commands.guild_only()
class BudgetCog(commands.GroupCog, group_name="budget", group_description="Limit what you spend on gifts"):
    def __init__(self, bot: LiveGiftsBot, services: Services) -> None:
        self.bot = bot
        self.services = services
        super().__init__()

    async def cog_load(self) -> None:
        # The reminder state lives in SQLite; the job only asks it every minute, so (re)building the
        # job at start is all a restart needs.
        install_reminder_job(self.bot.scheduler, self.services.reminders, DiscordDirectMessages(self.bot))

    async def cog_unload(self) -> None:
        if self.bot.scheduler.get_job(JOB_ID) is not None:
            self.bot.scheduler.remove_job(JOB_ID)

    @app_commands.command(name="show", description="What you spent today and this month, and what is left")
    async def show(self, interaction: discord.Interaction) -> None:
        overview = await self.services.budgets.overview(guild_id_of(interaction), interaction.user.id)
        await interaction.response.send_message(embed=render_overview(overview), ephemeral=True)

    @app_commands.command(name="set", description="Set a daily or monthly budget (raising one takes 24 h)")
    @app_commands.describe(
        period="daily or monthly", coins=f"The budget in coins ({BUDGET_MIN:,}–{BUDGET_MAX:,})"
    )
    @app_commands.choices(period=PERIOD_CHOICES)
    async def set_budget(
        self,
        interaction: discord.Interaction,
        period: str,
        coins: app_commands.Range[int, BUDGET_MIN, BUDGET_MAX],
    ) -> None:
        change = await self.services.budgets.set_limit(
            guild_id_of(interaction), interaction.user.id, period, coins
        )
        await interaction.response.send_message(render_limit_change(change), ephemeral=True)

    @app_commands.command(name="clear", description="Remove a budget (after a 24-hour cooling-off)")
    @app_commands.describe(period="daily or monthly")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def clear(self, interaction: discord.Interaction, period: str) -> None:
        change = await self.services.budgets.clear_limit(
            guild_id_of(interaction), interaction.user.id, period
        )
        await interaction.response.send_message(render_limit_change(change), ephemeral=True)

    @app_commands.command(
        name="mode", description="Going over a budget: confirm first (warn) or refuse (block)"
    )
    @app_commands.describe(mode="warn: ask me to confirm · block: refuse the gift")
    @app_commands.choices(
        mode=[
            app_commands.Choice(name="warn", value="warn"),
            app_commands.Choice(name="block", value="block"),
        ]
    )
    async def mode(self, interaction: discord.Interaction, mode: str) -> None:
        change = await self.services.budgets.set_mode(guild_id_of(interaction), interaction.user.id, mode)
        await interaction.response.send_message(render_mode_change(change), ephemeral=True)

    @app_commands.command(name="reminders", description="A daily DM with what you spent and what is left")
    @app_commands.describe(
        enabled="on or off",
        time="Local time as HH:MM, 24-hour clock (default 09:00)",
        timezone="Your time zone, e.g. Europe/London (also your budget's days; a change waits 24 h)",
    )
    @app_commands.choices(
        enabled=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
    )
    async def reminders(
        self,
        interaction: discord.Interaction,
        enabled: str,
        time: str | None = None,
        timezone: str | None = None,
    ) -> None:
        settings, zone = await self.services.budgets.set_reminders(
            guild_id_of(interaction), interaction.user.id, enabled, time, timezone
        )
        await interaction.response.send_message(render_reminders(settings, zone), ephemeral=True)

    @reminders.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name) for name in search_zones(current)]


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(BudgetCog(bot, bot.services))

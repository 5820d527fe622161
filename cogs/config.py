"""/config: moderators see and set the guild's settings (time zone, alerts channel, spender role, gift
confirmation, platform fee, cash-out minimum, hold and switch)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.economy.payments import PaymentMode
from bot.errors import InvalidOption
from bot.guild_config import CASHOUT_HOLD_MAX, CASHOUT_MINIMUM_MAX, GuildConfig
from bot.services import Services
from bot.text import coin_count
from bot.timezones import search_zones
from bot.tree import show_working
from cogs.checks import guild_id_of, moderator_only

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot


def cashouts_line(config: GuildConfig, mode: PaymentMode) -> str:
    if mode is PaymentMode.SANDBOX:
        return "Cash-outs: off (sandbox mode: coins are free test coins)"
    if mode is PaymentMode.DISCORD:
        return "Cash-outs: on (coins are bought through Discord)"
    state = "on (the server pays for coins it gave away)" if config.cashouts_enabled else "off"
    return f"Cash-outs: {state} · `/config cashouts`"


def render_config(config: GuildConfig, mode: PaymentMode) -> str:
    channel = f"<#{config.alerts_channel_id}>" if config.alerts_channel_id else "not set"
    role = f"<@&{config.spender_role_id}>" if config.spender_role_id else "everyone may spend"
    return (
        f"Time zone: **{config.timezone}**\n"
        f"Alerts channel: {channel}\n"
        f"Spender role: {role}\n"
        f"Gifts of {coin_count(config.gift_confirm_threshold)} or more ask for confirmation\n"
        f"Platform fee on cash-outs: {config.fee_percent} %\n"
        f"Cash-out minimum: 💎 {config.cashout_minimum:,}\n"
        f"Cash-out hold: {config.cashout_hold_days} days after a gift\n"
        f"{cashouts_line(config, mode)}\n"
        f"Auto-live (Go Live, Stages, scheduled events): {'on' if config.auto_live else 'off'}"
    )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class ConfigCog(commands.GroupCog, group_name="config", group_description="Moderators: server settings"):
    def __init__(self, services: Services) -> None:
        self.services = services
        super().__init__()

    @app_commands.command(name="show", description="The server's current settings")
    @moderator_only
    async def show(self, interaction: discord.Interaction) -> None:
        config = await self.services.guild_config.get(guild_id_of(interaction))
        await interaction.response.send_message(
            render_config(config, self.services.payments.mode), ephemeral=True
        )

    @app_commands.command(name="timezone", description="The time zone for days and weeks (an IANA name)")
    @app_commands.describe(timezone="e.g. Europe/London, America/New_York, Asia/Kolkata")
    @moderator_only
    async def timezone(self, interaction: discord.Interaction, timezone: str) -> None:
        # Re-keying a large server's daily totals to the new zone can take a few seconds: say so at once.
        await show_working(
            interaction, "Setting the time zone and moving the leaderboards' days and weeks to it…"
        )
        config = await self.services.guild_config.set_timezone(
            guild_id_of(interaction), interaction.user.id, timezone
        )
        await interaction.edit_original_response(
            content=f"Time zone set to **{config.timezone}**: days and weeks of leaderboards start there."
        )

    @timezone.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=zone, value=zone) for zone in search_zones(current)]

    @app_commands.command(name="alerts-channel", description="Where gift shout-outs and live summaries go")
    @app_commands.describe(channel="A text channel the bot can post in (leave empty to turn alerts off)")
    @moderator_only
    async def alerts_channel(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        channel_id = channel.id if channel is not None else None
        await self.services.guild_config.set_alerts_channel(
            guild_id_of(interaction), interaction.user.id, channel_id
        )
        text = f"Shout-outs will be posted in {channel.mention}." if channel else "Shout-outs are turned off."
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="spender-role", description="Only members with this role may buy or gift")
    @app_commands.describe(role="The required role (leave empty so that everyone may spend)")
    @moderator_only
    async def spender_role(self, interaction: discord.Interaction, role: discord.Role | None = None) -> None:
        role_id = role.id if role is not None else None
        await self.services.guild_config.set_spender_role(
            guild_id_of(interaction), interaction.user.id, role_id
        )
        text = (
            f"Only members with {role.mention} can now buy coins or send gifts."
            if role
            else "Everyone can buy coins and send gifts again."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="gift-confirmation", description="Gifts of at least this many coins ask first")
    @app_commands.describe(coins="Coins (default 1,000)")
    @moderator_only
    async def gift_confirmation(self, interaction: discord.Interaction, coins: int) -> None:
        config = await self.services.guild_config.set_gift_confirm_threshold(
            guild_id_of(interaction), interaction.user.id, coins
        )
        await interaction.response.send_message(
            f"Gifts of {coin_count(config.gift_confirm_threshold)} or more now ask the sender to confirm.",
            ephemeral=True,
        )

    @app_commands.command(
        name="auto-live", description="Creators go live by themselves (Go Live, Stage, events)"
    )
    @app_commands.describe(state="on: a creator's live starts with their Go Live, Stage or scheduled event")
    @moderator_only
    async def auto_live(self, interaction: discord.Interaction, state: Literal["on", "off"]) -> None:
        if state not in ("on", "off"):  # a crafted request can send anything
            raise InvalidOption("Choose on or off.")
        enabled = state == "on"
        await self.services.guild_config.set_auto_live(guild_id_of(interaction), interaction.user.id, enabled)
        text = (
            "Auto-live is **on**: a creator's live starts when they Go Live in a voice channel, speak on a "
            "live Stage or start a scheduled event they created, and ends a little after it stops. "
            "`/live start` and `/live end` still work."
            if enabled
            else "Auto-live is **off**: creators start and end their lives with `/live start` and `/live end`."
        )
        await interaction.response.send_message(text, ephemeral=True)

    # Cash-out settings.
    @app_commands.command(name="fee", description="The platform's share of cash-outs, in percent")
    @app_commands.describe(percent="0–100 (default 50); applies to cash-outs requested from now on")
    @moderator_only
    async def fee(self, interaction: discord.Interaction, percent: app_commands.Range[int, 0, 100]) -> None:
        change = await self.services.guild_config.set_fee(
            guild_id_of(interaction), interaction.user.id, percent
        )
        await interaction.response.send_message(
            f"The platform fee is now **{change.after} %** (was {change.before} %). It applies to cash-outs "
            "requested from now on; requests already waiting keep the fee they were made with.",
            ephemeral=True,
        )

    @app_commands.command(name="cashout-minimum", description="The fewest diamonds a creator can cash out")
    @app_commands.describe(diamonds="Diamonds (default 1,000)")
    @moderator_only
    async def cashout_minimum(
        self, interaction: discord.Interaction, diamonds: app_commands.Range[int, 1, CASHOUT_MINIMUM_MAX]
    ) -> None:
        change = await self.services.guild_config.set_cashout_minimum(
            guild_id_of(interaction), interaction.user.id, diamonds
        )
        await interaction.response.send_message(
            f"Creators can now cash out from **💎 {change.after:,}** (was {change.before:,}).", ephemeral=True
        )

    @app_commands.command(
        name="cashout-hold", description="Days before diamonds from a gift can be cashed out"
    )
    @app_commands.describe(days=f"0–{CASHOUT_HOLD_MAX} (default 7): time to see refunds before money leaves")
    @moderator_only
    async def cashout_hold(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 0, CASHOUT_HOLD_MAX]
    ) -> None:
        change = await self.services.guild_config.set_cashout_hold(
            guild_id_of(interaction), interaction.user.id, days
        )
        await interaction.response.send_message(
            f"Diamonds can now be cashed out **{change.after} days** after the gift (was {change.before}).",
            ephemeral=True,
        )

    @app_commands.command(name="cashouts", description="Let creators cash out where coins are given away")
    @app_commands.describe(enabled="on: creators may cash out diamonds, paid by the server")
    @app_commands.choices(
        enabled=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
    )
    @moderator_only
    async def cashouts(self, interaction: discord.Interaction, enabled: str) -> None:
        if enabled not in ("on", "off"):  # a crafted request outside the choices
            raise InvalidOption("Choose on or off.")
        change = await self.services.guild_config.set_cashouts(
            guild_id_of(interaction), interaction.user.id, enabled == "on"
        )
        text = (
            "Cash-outs are **on**: creators can cash out diamonds, and the server pays for the coins it gave "
            "away."
            if change.after
            else "Cash-outs are **off**."
        )
        mode = self.services.payments.mode
        if mode is not PaymentMode.NONE:
            text += f" (This setting only matters where coins are not sold; the bot runs in `{mode}` mode.)"
        await interaction.response.send_message(text, ephemeral=True)


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(ConfigCog(bot.services))

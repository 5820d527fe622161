"""/creator: become a creator, set the thank-you shout-out, see earnings and cash out; moderators
remove creators."""

from __future__ import annotations

import asyncio
import contextlib
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.alerts import TEMPLATE_MAX
from bot.budgets import time_text
from bot.charts import daily_diamonds_chart
from bot.creators import Creator
from bot.earnings import Earnings
from bot.economy.payouts import CashoutQuote, Payout
from bot.economy.subscriptions import PRICE_MAX
from bot.followers import FollowerSettings, Following, GoLiveNotice
from bot.reminders import DirectMessagesClosed
from bot.services import Services
from bot.text import coin_count
from bot.tree import show_working
from cogs import subscriptions as subscriptions_ui
from cogs.checks import guild_id_of, moderator_only
from cogs.receipts import Receipt, deliver_receipt
from cogs.views import ConfirmView

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

COLOUR = discord.Colour.purple()
PLACEHOLDERS = "`{sender}` `{gift}` `{count}` `{coins}` `{creator}`"
CHART_FILE = "earnings.png"
DM_LIMIT = 2000
SWITCH = [app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]


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


def render_quote(quote: CashoutQuote) -> discord.Embed:
    return discord.Embed(
        title="Confirm your cash-out",
        description=(
            f"Cash out **💎 {quote.diamonds:,}** for **{quote.value_text()}** "
            f"(after the {quote.fee_percent} % platform fee)?\n"
            "The diamonds are set aside until a moderator approves the request; the amount is final at "
            "approval. If it is rejected, the diamonds come back to you."
        ),
        colour=COLOUR,
    )


def render_requested(payout: Payout, quote: CashoutQuote) -> discord.Embed:
    embed = discord.Embed(
        title="Cash-out requested",
        description=(
            f"Request `#{payout.id}`: 💎 {payout.diamonds:,} (≈ {quote.value_text()}) are waiting for a "
            "moderator. You'll get a DM when it is decided."
        ),
        colour=discord.Colour.green(),
    )
    embed.add_field(name="Diamonds left", value=f"💎 {quote.held - payout.diamonds:,}")
    return embed


def render_earnings(earnings: Earnings, with_chart: bool) -> discord.Embed:
    embed = discord.Embed(title="Your earnings", colour=COLOUR)
    embed.add_field(name="Diamonds", value=f"💎 {earnings.held:,}")
    pending = f"💎 {earnings.pending:,}"
    if earnings.pending:
        pending += f" (≈ {earnings.pending_value_text()})"
    embed.add_field(name="Pending cash-out", value=pending)
    value = f"{earnings.value_text()} ({earnings.fee_percent} % fee, {earnings.rate.region.currency})"
    local = earnings.local_value_text()
    if local:
        value += f"\n≈ {local} in your currency (approximate)"
    embed.add_field(name="Cash value after fee", value=value)
    maturity = earnings.maturity
    embed.add_field(name="Cashable now", value=f"💎 {maturity.cashable:,}")
    if maturity.maturing:
        embed.add_field(
            name=f"Maturing ({maturity.hold_days}-day hold)",
            value=f"💎 {maturity.maturing:,} from recent gifts, cashable once the hold is over",
        )
    if earnings.cashouts_refusal:
        embed.add_field(name="Cash-outs", value=earnings.cashouts_refusal, inline=False)
    embed.add_field(name="Followers", value=f"👥 {earnings.followers:,}")
    if earnings.subscribers or earnings.renewals_this_month:
        embed.add_field(
            name="Subscribers",
            value=f"{earnings.subscribers:,} (renewals this month: {earnings.renewals_this_month:,})",
        )
    if not earnings.has_gifts:
        embed.description = (
            "No gifts yet — when members send you gifts with `/gift send`, your diamonds, top supporters "
            "and a chart of your daily earnings show up here. Going live with `/live start` helps! ✨"
        )
        return embed
    if earnings.supporters:
        embed.add_field(
            name="Top supporters",
            value="\n".join(
                f"{rank}. <@{s.user_id}> — 💎 {s.diamonds:,}" for rank, s in enumerate(earnings.supporters, 1)
            ),
            inline=False,
        )
    if with_chart:
        embed.set_image(url=f"attachment://{CHART_FILE}")
        embed.set_footer(
            text=f"Diamonds per day, last {len(earnings.daily)} days ({earnings.timezone}) · /creator cashout"
        )
    else:
        embed.set_footer(text=f"No gifts in the last {len(earnings.daily)} days · /creator cashout")
    return embed


def channel_link(guild_id: int, channel_id: int | None) -> str:
    return f"https://discord.com/channels/{guild_id}" + (f"/{channel_id}" if channel_id else "")


def render_settings(settings: FollowerSettings) -> str:
    if settings.paused_at is not None:
        return (
            "⚠️ **Paused**: I could not DM you because your direct messages are closed. Allow DMs from this "
            "server's members (Privacy Settings), then run `/creator following notifications enabled:on`."
        )
    if not settings.notifications:
        return "Go-live DMs are **off** (`/creator following notifications enabled:on` to turn them on)."
    quiet = (
        f"quiet hours {settings.quiet} ({settings.zone.name})"
        if settings.quiet
        else "no quiet hours (`/creator following quiet`)"
    )
    return f"Go-live DMs are **on**, at most one per creator in 4 hours; {quiet}."


def render_following(following: Following) -> discord.Embed:
    embed = discord.Embed(title="Creators you follow", colour=COLOUR)
    if following.creators:
        embed.description = "\n".join(
            f"<@{f.creator_id}>" + (" — 🔴 live now" if f.live else "") for f in following.creators
        )
    else:
        embed.description = "You follow nobody yet. Follow a creator with `/creator follow`."
    embed.add_field(name="Notifications", value=render_settings(following.settings), inline=False)
    return embed


def render_go_live(notice: GoLiveNotice, creator_name: str, guild_name: str) -> str:
    title = f": **{discord.utils.escape_markdown(notice.title)}**" if notice.title else ""
    return (
        f"🔴 **{discord.utils.escape_markdown(creator_name)}** is live now in "
        f"**{discord.utils.escape_markdown(guild_name)}**{title}\n"
        f"{channel_link(notice.guild_id, notice.channel_id)}\n"
        "-# You follow them. `/creator unfollow` stops these; `/creator following quiet` sets quiet hours."
    )


class DiscordGoLiveMessages:
    """Sends go-live DMs through the bot; closed DMs become DirectMessagesClosed (then: paused)."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def send_go_live(self, notice: GoLiveNotice) -> None:
        guild = self._client.get_guild(notice.guild_id)
        text = render_go_live(
            notice, await self._creator_name(guild, notice.creator_id), guild.name if guild else "a server"
        )
        try:
            user = self._client.get_user(notice.follower_id) or await self._client.fetch_user(
                notice.follower_id
            )
            await user.send(text[:DM_LIMIT], allowed_mentions=discord.AllowedMentions.none())
        except (discord.Forbidden, discord.NotFound) as error:
            raise DirectMessagesClosed(str(error)) from error

    async def _creator_name(self, guild: discord.Guild | None, creator_id: int) -> str:
        member = guild.get_member(creator_id) if guild is not None else None
        if member is not None:
            return member.display_name
        try:
            user = self._client.get_user(creator_id) or await self._client.fetch_user(creator_id)
        except discord.HTTPException:
            return "A creator you follow"
        return user.display_name


@app_commands.guild_only()
class CreatorCog(commands.GroupCog, group_name="creator", group_description="Creators: receive gifts"):
    following_group = app_commands.Group(name="following", description="Creators you follow and their DMs")

    def __init__(self, bot: commands.Bot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self._go_live_sender: asyncio.Task[None] | None = None
        super().__init__()

    async def cog_load(self) -> None:
        # One sender for every go-live DM: the queue lives in SQLite, so a restart picks it up.
        self._go_live_sender = asyncio.create_task(
            self.services.followers.run(DiscordGoLiveMessages(self.bot)), name="go-live-dms"
        )

    async def cog_unload(self) -> None:
        if self._go_live_sender is not None:
            self._go_live_sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._go_live_sender

    @app_commands.command(name="follow", description="Get a DM when a creator goes live")
    @app_commands.describe(creator="The creator to follow")
    async def follow(self, interaction: discord.Interaction, creator: discord.User) -> None:
        await self.services.followers.follow(guild_id_of(interaction), interaction.user.id, creator.id)
        await interaction.response.send_message(
            f"You now follow {creator.mention}: I will DM you when they go live "
            "(at most once in 4 hours; set quiet hours with `/creator following quiet`).",
            ephemeral=True,
        )

    @app_commands.command(name="unfollow", description="Stop following a creator")
    @app_commands.describe(creator="The creator to unfollow")
    async def unfollow(self, interaction: discord.Interaction, creator: discord.User) -> None:
        await self.services.followers.unfollow(guild_id_of(interaction), interaction.user.id, creator.id)
        await interaction.response.send_message(f"You no longer follow {creator.mention}.", ephemeral=True)

    @following_group.command(name="list", description="The creators you follow and your go-live DM settings")
    async def following_list(self, interaction: discord.Interaction) -> None:
        following = await self.services.followers.following(guild_id_of(interaction), interaction.user.id)
        await interaction.response.send_message(embed=render_following(following), ephemeral=True)

    @following_group.command(name="quiet", description="Hours without go-live DMs (leave empty for none)")
    @app_commands.describe(
        start="From, as HH:MM (24-hour clock) in your time zone, e.g. 22:00",
        end="To, as HH:MM, e.g. 08:00",
    )
    @app_commands.rename(start="from", end="to")
    async def following_quiet(
        self, interaction: discord.Interaction, start: str | None = None, end: str | None = None
    ) -> None:
        settings = await self.services.followers.set_quiet_hours(
            guild_id_of(interaction), interaction.user.id, start, end
        )
        if settings.quiet is None:
            text = "No quiet hours: go-live DMs can come at any time."
        else:
            text = (
                f"Quiet hours: no go-live DMs from {time_text(settings.quiet.start)} to "
                f"{time_text(settings.quiet.end)} ({settings.zone.name}; your time zone is the one of "
                "`/budget reminders`, else the server's)."
            )
        await interaction.response.send_message(text, ephemeral=True)

    @following_group.command(name="notifications", description="Turn go-live DMs on or off")
    @app_commands.describe(enabled="on (also resumes after closed DMs) or off")
    @app_commands.choices(enabled=SWITCH)
    async def following_notifications(self, interaction: discord.Interaction, enabled: str) -> None:
        settings = await self.services.followers.set_notifications(
            guild_id_of(interaction), interaction.user.id, enabled
        )
        await interaction.response.send_message(render_settings(settings), ephemeral=True)

    @app_commands.command(name="register", description="Become a creator in this server and receive gifts")
    async def register(self, interaction: discord.Interaction) -> None:
        creator = await self.services.creators.register(guild_id_of(interaction), interaction.user.id)
        await interaction.response.send_message(render_registered(creator), ephemeral=True)

    @app_commands.command(name="remove", description="Moderators: remove a member's creator status")
    @app_commands.describe(member="The creator to remove", reason="Why (kept in the audit log)")
    @moderator_only
    async def remove(
        self, interaction: discord.Interaction, member: discord.Member, reason: str | None = None
    ) -> None:
        await self.services.creators.remove(guild_id_of(interaction), interaction.user.id, member.id, reason)
        await interaction.response.send_message(
            f"{member.mention} is no longer a creator here. Their diamonds stay theirs.", ephemeral=True
        )

    @app_commands.command(name="thanks", description="Your thank-you shout-out (leave empty for the default)")
    @app_commands.describe(
        template=f"Up to {TEMPLATE_MAX} characters with {{sender}} {{gift}} {{count}} {{coins}} {{creator}}"
    )
    async def thanks(self, interaction: discord.Interaction, template: str | None = None) -> None:
        creator = await self.services.creators.set_thanks(
            guild_id_of(interaction), interaction.user.id, template
        )
        await interaction.response.send_message(render_thanks(creator), ephemeral=True)

    @app_commands.command(
        name="shoutout-threshold", description="Gifts worth at least this many coins get their own shout-out"
    )
    @app_commands.describe(coins="Coins (at least 1)")
    async def shoutout_threshold(self, interaction: discord.Interaction, coins: int) -> None:
        creator = await self.services.creators.set_threshold(
            guild_id_of(interaction), interaction.user.id, coins
        )
        await interaction.response.send_message(
            f"Gifts worth {coin_count(creator.shoutout_threshold)} or more now always get their own shout-out.",
            ephemeral=True,
        )

    @app_commands.command(name="earnings", description="Your diamonds, their cash value and who supports you")
    async def earnings(self, interaction: discord.Interaction) -> None:
        guild_id, user_id = guild_id_of(interaction), interaction.user.id
        earnings = await self.services.earnings.earnings(guild_id, user_id)
        if not earnings.has_gifts or earnings.recent_total == 0:
            await interaction.response.send_message(embed=render_earnings(earnings, False), ephemeral=True)
            return
        with self.services.cooldowns.running("chart", guild_id, user_id):  # drawing it is the costly part
            await show_working(interaction, "Drawing your earnings chart…")
            chart = await asyncio.to_thread(daily_diamonds_chart, earnings.daily)  # matplotlib off the loop
            await interaction.edit_original_response(
                content=None,
                embed=render_earnings(earnings, True),
                attachments=[discord.File(io.BytesIO(chart.png), filename=CHART_FILE)],
            )

    @app_commands.command(name="cashout", description="Exchange diamonds for money (a moderator approves it)")
    @app_commands.describe(diamonds="How many diamonds (at least the server's minimum, 1,000 by default)")
    async def cashout(self, interaction: discord.Interaction, diamonds: app_commands.Range[int, 1]) -> None:
        guild_id, user_id = guild_id_of(interaction), interaction.user.id
        quote = await self.services.payouts.quote(guild_id, user_id, diamonds)
        key = str(interaction.id)  # a double click or a re-sent click finds the same request

        async def confirmed(click: discord.Interaction) -> None:
            payout = await self.services.payouts.request(guild_id, user_id, quote.diamonds, key)
            await deliver_receipt(
                click,
                lambda: Receipt(embed=render_requested(payout, quote)),
                f"Cash-out requested: request #{payout.id} for 💎 {payout.diamonds:,}.",
            )

        view = ConfirmView(user_id, confirmed, confirm_label=f"Cash out {quote.value_text()}")
        await interaction.response.send_message(embed=render_quote(quote), view=view, ephemeral=True)
        view.prompt = interaction

    subscription = app_commands.Group(name="subscription", description="Your monthly subscription in coins")

    @subscription.command(
        name="set", description="Offer a monthly subscription: its price and the role it gives"
    )
    @app_commands.describe(coins="Coins per month", role="The role your subscribers get")
    async def subscription_set(
        self,
        interaction: discord.Interaction,
        coins: app_commands.Range[int, 1, PRICE_MAX],
        role: discord.Role,
    ) -> None:
        await subscriptions_ui.set_plan(self.services, interaction, coins, role)

    @subscription.command(name="off", description="Stop new subscriptions (running ones last their period)")
    async def subscription_off(self, interaction: discord.Interaction) -> None:
        await subscriptions_ui.turn_off(self.services, interaction)


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(CreatorCog(bot, bot.services))

"""/subscribe, /subscriptions, /unsubscribe: members subscribe to creators with coins. Also the bodies of
`/creator subscription set|off`, the Discord side of subscriber roles, and the scheduler's jobs: renewals
every minute (SQLite says who is due), role reconciliation at start and daily."""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord
from apscheduler.triggers.interval import IntervalTrigger
from discord import app_commands
from discord.ext import commands

from bot.economy.subscriptions import (
    MembershipUnknown,
    PlanChange,
    RoleFacts,
    Subscribed,
    Subscription,
    SubscriptionQuote,
)
from bot.money import CoinRate
from bot.services import Services
from cogs.budget import DiscordDirectMessages
from cogs.checks import guild_id_of
from cogs.receipts import Receipt, deliver_receipt
from cogs.views import ConfirmView

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

log = logging.getLogger(__name__)

COLOUR = discord.Colour.magenta()
RENEW_JOB_ID = "subscription-renewals"
RECONCILE_JOB_ID = "subscription-roles"
RENEW_EVERY = timedelta(minutes=1)
RECONCILE_EVERY = timedelta(days=1)
ROLE_REASON = "livegifts subscription"


# --- renderers (pure) ------------------------------------------------------------------------------


def local_text(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} ({zone.key})"


def render_plan(change: PlanChange) -> str:
    plan = change.plan
    text = f"Members can now subscribe to you for **🪙 {plan.coins:,} a month** and get <@&{plan.role_id}>."
    if change.previous_coins is not None and change.previous_coins != plan.coins:
        text += (
            f" The price was {change.previous_coins:,} coins; running subscriptions renew at the new price from "
            f"their next renewal ({change.subscribers_told:,} subscribers told by DM)."
        )
    return text


def render_quote(quote: SubscriptionQuote) -> discord.Embed:
    lines = [
        f"Subscribe to <@{quote.creator_id}> for **🪙 {quote.coins:,} a month** (≈ {quote.rate.show(quote.coins)})?",
        f"You get <@&{quote.role_id}> and it renews on **{local_text(quote.renews_at, quote.zone)}** at the "
        "price of that day; stop any time with `/unsubscribe` (nothing is refunded).",
    ]
    if quote.warning:
        lines.insert(0, quote.warning)
    return discord.Embed(title="Confirm your subscription", description="\n".join(lines), colour=COLOUR)


def render_subscribed(done: Subscribed) -> str:
    subscription = done.subscription
    role = (
        f"You now have <@&{subscription.role_id}>."
        if done.role_given
        else "I could not give you the subscriber role just now; it will follow shortly."
    )
    again = " (already done: this is the same subscription)" if done.replayed else ""
    return (
        f"You subscribed to <@{subscription.creator_id}>{again} for 🪙 {subscription.price:,} "
        f"(≈ {done.rate.show(subscription.price)}). {role} It renews on "
        f"{local_text(subscription.paid_until, subscription.zone)}. You have 🪙 {done.balance:,} left."
    )


def subscription_line(subscription: Subscription, rate: CoinRate) -> str:
    price = f"🪙 {subscription.price:,} (≈ {rate.show(subscription.price)}) a month"
    if subscription.status == "grace" and subscription.grace_until is not None:
        state = (
            f"⚠️ renewal failed — buy coins before {local_text(subscription.grace_until, subscription.zone)}"
        )
    elif subscription.renews:
        state = f"renews {local_text(subscription.paid_until, subscription.zone)}"
    else:
        state = f"ends {local_text(subscription.paid_until, subscription.zone)}"
    if subscription.pending_price is not None:
        price += f", then 🪙 {subscription.pending_price:,}"
    return f"<@{subscription.creator_id}> — {price} — {state}"


def render_mine(subscriptions: list[Subscription], rate: CoinRate) -> discord.Embed:
    embed = discord.Embed(title="Your subscriptions", colour=COLOUR)
    if not subscriptions:
        embed.description = "You do not subscribe to anyone. Subscribe to a creator with `/subscribe`."
        return embed
    embed.description = "\n".join(subscription_line(s, rate) for s in subscriptions)[:4096]
    return embed


def render_unsubscribed(subscription: Subscription) -> str:
    return (
        f"Your subscription to <@{subscription.creator_id}> will not renew. You keep <@&{subscription.role_id}> "
        f"until {local_text(subscription.paid_until, subscription.zone)}; nothing is refunded."
    )


# --- /creator subscription bodies -----------------------------------------------------------------


async def role_facts(interaction: discord.Interaction, role: discord.Role) -> RoleFacts:
    """What the bot can do with `role`: Manage Roles, and whether the role is below its highest."""
    guild = interaction.guild
    me: discord.Member | None = guild.me if guild is not None else None
    if guild is not None and interaction.client.user is not None:
        # without the members intent the cached member of the bot may lack its roles
        with contextlib.suppress(discord.HTTPException):
            me = await guild.fetch_member(interaction.client.user.id)
    top = me.top_role if me is not None else None
    return RoleFacts(
        role_id=role.id,
        name=discord.utils.escape_markdown(role.name)[:100],
        is_everyone=role.is_default(),
        managed=role.managed,
        bot_can_manage_roles=interaction.app_permissions.manage_roles,
        below_bot_top_role=top is not None and role < top,
    )


async def set_plan(
    services: Services, interaction: discord.Interaction, coins: int, role: discord.Role
) -> None:
    facts = await role_facts(interaction, role)
    change = await services.subscriptions.set_plan(
        guild_id_of(interaction), interaction.user.id, coins, facts
    )
    await interaction.response.send_message(render_plan(change), ephemeral=True)


async def turn_off(services: Services, interaction: discord.Interaction) -> None:
    running = await services.subscriptions.turn_off(guild_id_of(interaction), interaction.user.id)
    await interaction.response.send_message(
        "Your subscription is off: nobody new can subscribe. "
        f"{running:,} running subscriptions last until the end of their period and do not renew.",
        ephemeral=True,
    )


# --- the Discord side of subscriber roles ----------------------------------------------------------


class DiscordMemberRoles:
    """Gives and removes subscriber roles. Members are fetched over REST (the bot runs without the
    privileged members intent, and a cached member may be stale after a role was changed by hand)."""

    def __init__(self, bot: commands.Bot) -> None:
        self._bot = bot

    async def _member(self, guild_id: int, user_id: int) -> discord.Member | None:
        guild = self._bot.get_guild(guild_id)
        if guild is None:
            raise MembershipUnknown(f"the bot is not in guild {guild_id} (or it is unavailable)")
        try:
            return await guild.fetch_member(user_id)
        except discord.NotFound:
            return None
        except discord.HTTPException as error:
            raise MembershipUnknown(f"Discord did not say ({error.status})") from error

    async def is_member(self, guild_id: int, user_id: int) -> bool:
        return await self._member(guild_id, user_id) is not None

    def role_exists(self, guild_id: int, role_id: int) -> bool:
        guild = self._bot.get_guild(guild_id)
        return guild is not None and guild.get_role(role_id) is not None

    async def add_role(self, guild_id: int, user_id: int, role_id: int) -> bool:
        member = await self._member(guild_id, user_id)
        if member is None:
            return False
        if any(role.id == role_id for role in member.roles):
            return True
        try:
            await member.add_roles(discord.Object(id=role_id), reason=ROLE_REASON)
        except (discord.Forbidden, discord.NotFound):
            log.warning(
                "cannot give role %s in guild %s (missing permission or role gone)", role_id, guild_id
            )
            return False
        return True

    async def remove_role(self, guild_id: int, user_id: int, role_id: int) -> bool:
        member = await self._member(guild_id, user_id)
        if member is None or not any(role.id == role_id for role in member.roles):
            return True  # gone from the server, or the role already removed
        try:
            await member.remove_roles(discord.Object(id=role_id), reason=ROLE_REASON)
        except (discord.Forbidden, discord.NotFound):
            log.warning("cannot remove role %s in guild %s (missing permission)", role_id, guild_id)
            return False
        return True


# --- the cog -----------------------------------------------------------------------------------------


@app_commands.guild_only()
class SubscriptionsCog(commands.Cog, name="Subscriptions"):
    def __init__(self, bot: LiveGiftsBot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self._reconciled_at_start = False

    async def cog_load(self) -> None:
        service = self.services.subscriptions
        service.roles = DiscordMemberRoles(self.bot)
        service.messages = DiscordDirectMessages(self.bot)
        scheduler = self.bot.scheduler
        scheduler.add_job(
            service.renew_due,
            IntervalTrigger(seconds=RENEW_EVERY.total_seconds(), timezone=UTC),
            id=RENEW_JOB_ID,
            name="subscription renewals",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(RENEW_EVERY.total_seconds()),
        )
        scheduler.add_job(
            service.reconcile_roles,
            IntervalTrigger(seconds=RECONCILE_EVERY.total_seconds(), timezone=UTC),
            id=RECONCILE_JOB_ID,
            name="subscriber roles follow the ledger",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )

    async def cog_unload(self) -> None:
        scheduler = self.bot.scheduler
        for job_id in (RENEW_JOB_ID, RECONCILE_JOB_ID):
            if scheduler.get_job(job_id) is not None:
                scheduler.remove_job(job_id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # At start (once the guilds are known): put back roles that paid subscriptions give, and take
        # away those of subscriptions that ended while the bot was away.
        if self._reconciled_at_start:
            return
        self._reconciled_at_start = True
        try:
            result = await self.services.subscriptions.reconcile_roles()
        except Exception:
            log.exception("subscriber roles could not be reconciled at start")
            return
        log.info(
            "subscriber roles: %d held, %d removed, %d failed",
            len(result.given), len(result.removed), len(result.failed),
        )  # fmt: skip

    @app_commands.command(name="subscribe", description="Subscribe to a creator with coins (monthly)")
    @app_commands.describe(creator="The creator")
    async def subscribe(self, interaction: discord.Interaction, creator: discord.User) -> None:
        roles = [role.id for role in getattr(interaction.user, "roles", [])]
        service = self.services.subscriptions
        quote = await service.quote(guild_id_of(interaction), interaction.user.id, roles, creator.id)
        key = str(interaction.id)  # a double click or a re-sent click subscribes once

        async def confirmed(click: discord.Interaction) -> None:
            done = await service.subscribe(quote, key)
            await deliver_receipt(
                click,
                lambda: Receipt(content=render_subscribed(done)),
                f"Subscribed to <@{done.subscription.creator_id}>.",
            )

        view = ConfirmView(
            interaction.user.id, confirmed, confirm_label=f"Subscribe for {quote.coins:,} coins"
        )
        await interaction.response.send_message(embed=render_quote(quote), view=view, ephemeral=True)
        view.prompt = interaction

    @app_commands.command(name="subscriptions", description="Your subscriptions: price, renewal or end")
    async def subscriptions(self, interaction: discord.Interaction) -> None:
        service = self.services.subscriptions
        mine = await service.mine(guild_id_of(interaction), interaction.user.id)
        rate = await service.rate(guild_id_of(interaction), interaction.user.id)
        await interaction.response.send_message(embed=render_mine(mine, rate), ephemeral=True)

    @app_commands.command(name="unsubscribe", description="Stop a subscription from renewing")
    @app_commands.describe(creator="The creator")
    async def unsubscribe(self, interaction: discord.Interaction, creator: discord.User) -> None:
        stopped = await self.services.subscriptions.unsubscribe(
            guild_id_of(interaction), interaction.user.id, creator.id
        )
        await interaction.response.send_message(render_unsubscribed(stopped), ephemeral=True)


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(SubscriptionsCog(bot, bot.services))

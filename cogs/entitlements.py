"""Discord purchases: the ENTITLEMENT_* events, the reconciliation with Discord's list of entitlements
(at start and every few minutes: events go to shard 0 only and are missed while the bot is down), and
the DM receipt. Every path hands the entitlement to the one service entry point; nothing is ever
credited from `interaction.entitlements`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.economy.entitlements import EntitlementFacts, Outcome, Settlement
from bot.economy.payments import PaymentMode
from bot.services import Services
from bot.settings import SettingsError
from bot.text import coin_count

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

log = logging.getLogger(__name__)

RECONCILE_EVERY_S = 300.0


def facts_of(entitlement: discord.Entitlement, *, deleted: bool = False) -> EntitlementFacts:
    return EntitlementFacts(
        id=entitlement.id,
        sku_id=entitlement.sku_id,
        user_id=entitlement.user_id,
        guild_id=entitlement.guild_id,
        test=entitlement.type is discord.EntitlementType.test_mode_purchase,
        deleted=deleted or entitlement.deleted,
        consumed=entitlement.consumed,
    )


def render_receipt(settlement: Settlement, guild_name: str) -> discord.Embed:
    package = settlement.package
    assert package is not None
    kind = "test purchase, no money charged" if settlement.test else "paid through Discord"
    embed = discord.Embed(
        title="Thanks for your purchase 🪙",
        description=f"**{coin_count(package.coins)}** were added to your wallet in **{guild_name}**.",
        colour=discord.Colour.green(),
    )
    if settlement.debt_repaid:
        embed.description = (
            f"**{coin_count(package.coins)}** arrived in **{guild_name}**; {settlement.debt_repaid:,} of them "
            "paid what you owed after a refunded purchase."
        )
    embed.add_field(name="Balance", value=f"🪙 {settlement.balance or 0:,}")
    embed.set_footer(text=f"Receipt #{settlement.entry_id} · {kind}")
    return embed


def render_refund_notice(settlement: Settlement, guild_name: str) -> discord.Embed:
    package = settlement.package
    assert package is not None
    text = f"Discord refunded your purchase of **{coin_count(package.coins)}** in **{guild_name}**, so they were taken back."
    if settlement.debt:
        text += (
            f" You had already spent {settlement.debt:,} of them, so you owe {settlement.debt:,} coins. Coins you "
            "get next pay that first, and you cannot send gifts until it is paid."
        )
    return discord.Embed(title="Purchase refunded", description=text, colour=discord.Colour.orange())


class EntitlementsCog(commands.Cog):
    def __init__(self, bot: commands.Bot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self._loop_task: asyncio.Task[None] | None = None
        self._reconciling = asyncio.Lock()

    @property
    def active(self) -> bool:
        return self.services.payments.mode is PaymentMode.DISCORD

    async def cog_load(self) -> None:
        if not self.active:
            return
        await self.check_skus()
        self._loop_task = asyncio.create_task(self._reconcile_loop(), name="entitlement-reconciliation")

    async def cog_unload(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task

    async def check_skus(self) -> None:
        """Every SKU of COIN_SKUS must be a consumable SKU of this application: fail at start otherwise."""
        skus = {sku.id: sku for sku in await self.bot.fetch_skus()}
        for package in self.services.payments.skus:
            sku = skus.get(package.sku_id)
            if sku is None:
                raise SettingsError(
                    f"invalid setting COIN_SKUS: SKU {package.sku_id} is not a SKU of this application "
                    "(Developer Portal → your application → Monetization → SKUs)"
                )
            if sku.type is not discord.SKUType.consumable:
                raise SettingsError(
                    f"invalid setting COIN_SKUS: SKU {package.sku_id} ({sku.name}) is not a consumable SKU"
                )

    # ------------------------------------------------------------------ events

    @commands.Cog.listener()
    async def on_entitlement_create(self, entitlement: discord.Entitlement) -> None:
        await self.settle(entitlement)

    @commands.Cog.listener()
    async def on_entitlement_update(self, entitlement: discord.Entitlement) -> None:
        await self.settle(entitlement)

    @commands.Cog.listener()
    async def on_entitlement_delete(self, entitlement: discord.Entitlement) -> None:
        await self.settle(entitlement, deleted=True)

    async def settle(self, entitlement: discord.Entitlement, *, deleted: bool = False) -> Settlement | None:
        if not self.active:
            return None
        settlement = await self.services.entitlements.settle(
            facts_of(entitlement, deleted=deleted), entitlement.consume
        )
        # A credit a crash left unconsumed gets its receipt when reconciliation consumes it.
        credited = settlement.outcome is Outcome.CREDITED or (
            settlement.outcome is Outcome.ALREADY_CREDITED and settlement.consumed_now
        )
        if credited or settlement.outcome is Outcome.REFUNDED:
            await self._tell_member(settlement)
        return settlement

    # ------------------------------------------------------------------ reconciliation

    async def _reconcile_loop(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            try:
                await self.reconcile()
            except Exception:
                log.warning(
                    "entitlement reconciliation failed; retried in %.0f s", RECONCILE_EVERY_S, exc_info=True
                )
            await asyncio.sleep(RECONCILE_EVERY_S)

    async def reconcile(self) -> list[Settlement]:
        """List the application's entitlements of the coin SKUs, deleted ones included: credit what is
        missing, consume what is credited but not consumed, refund what was deleted."""
        async with self._reconciling:
            skus = [discord.Object(id=p.sku_id) for p in self.services.payments.skus]
            seen: set[int] = set()
            settled = []
            async for entitlement in self.bot.entitlements(
                limit=None,
                skus=skus,
                # `before` selects the paginated strategy that passes exclude_deleted on to Discord.
                before=discord.utils.utcnow() + timedelta(minutes=1),
                exclude_deleted=False,
            ):
                if entitlement.id in seen:  # pages can overlap
                    continue
                seen.add(entitlement.id)
                settlement = await self.settle(entitlement)
                if settlement is not None:
                    settled.append(settlement)
            return settled

    # ------------------------------------------------------------------ DMs

    async def _tell_member(self, settlement: Settlement) -> None:
        if settlement.user_id is None or settlement.guild_id is None:
            return
        guild = self.bot.get_guild(settlement.guild_id)
        guild_name = guild.name if guild is not None else "the server"
        embed = (
            render_receipt(settlement, guild_name)
            if settlement.outcome is not Outcome.REFUNDED
            else render_refund_notice(settlement, guild_name)
        )
        try:
            user = self.bot.get_user(settlement.user_id) or await self.bot.fetch_user(settlement.user_id)
            await user.send(embed=embed, allowed_mentions=discord.AllowedMentions.none())
        except discord.Forbidden:  # closed DMs: the coins are in the wallet all the same
            log.info("user %s has closed DMs; entitlement %s notice not delivered", settlement.user_id,
                     settlement.entitlement_id)  # fmt: skip
        except Exception:  # a DM is a courtesy: whatever went wrong, the books are already right
            log.warning("could not DM user %s about entitlement %s", settlement.user_id,
                        settlement.entitlement_id, exc_info=True)  # fmt: skip


async def setup(bot: LiveGiftsBot) -> None:
    services: Services = bot.services
    await bot.add_cog(EntitlementsCog(bot, services))

"""The services a running bot uses, built once by the composition root."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.action_log import ActionLogService
from bot.alerts import AlertEngine
from bot.budgets import BudgetGuard, BudgetService
from bot.catalog import CatalogService
from bot.clock import Clock
from bot.cooldowns import Cooldowns
from bot.creators import CreatorService
from bot.earnings import EarningsService
from bot.economy.cashout_rules import CashoutRules
from bot.economy.charity import CharityService
from bot.economy.corrections import CorrectionService
from bot.economy.deals import DealService
from bot.economy.debts import DebtGuard
from bot.economy.entitlements import EntitlementService
from bot.economy.gifts import GiftService
from bot.economy.payments import CoinSku, PaymentMode, PaymentSetup, SandboxProvider
from bot.economy.payouts import PayoutService
from bot.economy.purchases import PurchaseService
from bot.economy.regions import RegionBook
from bot.economy.subscriptions import SubscriptionService
from bot.economy.wallets import WalletService
from bot.followers import FollowerService
from bot.guild_config import GuildConfigService
from bot.guilds import GuildDirectory
from bot.leaderboards import LeaderboardService
from bot.live import LiveService, LiveSession
from bot.live_auto import AutoLiveService
from bot.money import Money
from bot.overlay import OverlayHub, OverlayService
from bot.provenance import ProvenanceService
from bot.reminders import ReminderService
from bot.scheduled_streams import ScheduledStreamService
from bot.settings import Settings
from bot.spending import SpendingGuard
from bot.statements import StatementService
from storage import Database


@dataclass
class Services:
    db: Database
    clock: Clock
    guilds: GuildDirectory
    regions: RegionBook
    wallets: WalletService
    payments: PaymentSetup
    purchases: PurchaseService
    entitlements: EntitlementService  # Discord purchases: cogs.entitlements feeds it events
    budgets: BudgetService
    spending: SpendingGuard  # asked before every gift: refund debt first, then budgets
    reminders: ReminderService
    guild_config: GuildConfigService
    catalog: CatalogService
    creators: CreatorService
    live: LiveService
    gifts: GiftService
    leaderboards: LeaderboardService
    payouts: PayoutService  # its `notifier` (DMs to creators) is attached by cogs.payouts
    corrections: CorrectionService
    provenance: ProvenanceService  # where a cash-out's diamonds came from
    action_log: ActionLogService
    earnings: EarningsService
    statements: StatementService
    alerts: AlertEngine  # thank-you shout-outs; cogs.alerts starts it with the Discord side
    followers: FollowerService  # go-live DMs: cogs.creator runs the sender
    deals: DealService  # bonus coins on packages; purchases credit them
    scheduled_streams: ScheduledStreamService  # its `events` (Discord's scheduled events) come from cogs.live
    overlay: OverlayService  # stream overlays; bot.app serves them (bot/overlay/server.py)
    auto_live: AutoLiveService  # live sessions from Go Live, Stages and scheduled events (cogs.auto_live)
    cooldowns: Cooldowns  # per-member waits between expensive commands (export, earnings chart)
    charity: CharityService
    subscriptions: (
        SubscriptionService  # its `roles` and `messages` (Discord side) come from cogs.subscriptions
    )


def payment_setup(settings: Settings) -> PaymentSetup:
    return PaymentSetup(
        mode=PaymentMode(settings.payment_provider),
        skus=tuple(CoinSku(sku, coins, Money(cents, "USD")) for sku, coins, cents in settings.coin_skus),
        test_purchases=settings.discord_test_purchases,
    )


async def build_services(settings: Settings, db: Database, clock: Clock) -> Services:
    guilds = GuildDirectory(db, settings.platform_fee_percent, clock)
    regions = await RegionBook.load(db, settings.default_region)
    payments = payment_setup(settings)
    rules = CashoutRules(payments, regions)
    budgets = BudgetService(db, regions, clock)
    spending = DebtGuard(db, BudgetGuard(budgets))
    guild_config = GuildConfigService(db, guilds, clock)
    catalog = CatalogService(db, guilds, clock)
    creators = CreatorService(db, guilds, clock)
    alerts = AlertEngine()  # publishes nothing (False) until cogs.alerts starts it
    gifts = GiftService(
        db,
        catalog_service=catalog,
        creators_service=creators,
        guild_config=guild_config,
        regions=regions,
        spending=spending,
        alerts=alerts,
        clock=clock,
    )
    overlay = OverlayService(
        db, creators, clock, OverlayHub(time.time), public_url=settings.overlay_public_url
    )
    gifts.committed = overlay.gift_committed
    deals = DealService(db, guilds, payments, clock)
    live = LiveService(db, creators, guild_config, clock)

    async def overlay_follows_live(session: LiveSession) -> None:
        overlay.gift_committed(session.guild_id, session.creator_id)  # the goal and top widgets

    live.when_started(overlay_follows_live)
    live.when_ended(overlay_follows_live)
    followers = FollowerService(db, guilds, creators, clock)
    live.when_started(followers.session_started)
    auto_live = AutoLiveService(db, guild_config, live, creators, clock)
    subscriptions = SubscriptionService(
        db,
        guild_config=guild_config,
        creators_service=creators,
        regions=regions,
        spending=spending,
        alerts=alerts,
        clock=clock,
    )
    subscriptions.committed = overlay.gift_committed  # a new subscriber's overlay alert is in the log
    return Services(
        db=db,
        clock=clock,
        guilds=guilds,
        regions=regions,
        wallets=WalletService(db, regions),
        payments=payments,
        purchases=PurchaseService(
            db, regions, guilds, guild_config, SandboxProvider(), payments, deals, clock
        ),
        entitlements=EntitlementService(db, guilds, payments, clock),
        budgets=budgets,
        spending=spending,
        reminders=ReminderService(db, budgets, regions, clock),
        guild_config=guild_config,
        catalog=catalog,
        creators=creators,
        live=live,
        gifts=gifts,
        leaderboards=LeaderboardService(db, guild_config, clock),
        payouts=PayoutService(db, regions, guilds, clock, rules),
        corrections=CorrectionService(db, guilds, clock),
        provenance=ProvenanceService(db),
        action_log=ActionLogService(db),
        earnings=EarningsService(db, regions, guilds, clock, rules),
        statements=StatementService(db, clock),
        alerts=alerts,
        followers=followers,
        deals=deals,
        scheduled_streams=ScheduledStreamService(db, guilds, creators, live, auto_live, clock),
        overlay=overlay,
        auto_live=auto_live,
        cooldowns=Cooldowns(clock),
        charity=CharityService(
            db,
            guilds=guilds,
            guild_config=guild_config,
            regions=regions,
            rules=rules,
            spending=spending,
            alerts=alerts,
            clock=clock,
        ),
        subscriptions=subscriptions,
    )

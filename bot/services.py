"""The services a running bot uses, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.economy.payments import provider_named
from bot.economy.purchases import PurchaseService
from bot.economy.regions import RegionBook
from bot.economy.wallets import WalletService
from bot.guilds import GuildDirectory
from bot.settings import Settings
from storage import Database


@dataclass
class Services:
    db: Database
    clock: Clock
    guilds: GuildDirectory
    regions: RegionBook
    wallets: WalletService
    purchases: PurchaseService


async def build_services(settings: Settings, db: Database, clock: Clock) -> Services:
    guilds = GuildDirectory(db, settings.platform_fee_percent, clock)
    regions = await RegionBook.load(db, settings.default_region)
    return Services(
        db=db,
        clock=clock,
        guilds=guilds,
        regions=regions,
        wallets=WalletService(db, regions),
        purchases=PurchaseService(db, regions, guilds, provider_named(settings.payment_provider), clock),
    )

"""Reading a member's wallet and history; choosing their region."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_micros
from bot.economy.regions import RegionBook
from bot.errors import InvalidAmount
from bot.money import CoinRate, Money
from storage import Database, debts, ledger, wallets

HISTORY_MAX = 25


@dataclass(frozen=True)
class WalletView:
    coins: int
    diamonds: int
    rate: CoinRate
    owed: int = 0  # refund debt: coins the member owes after a refunded purchase

    @property
    def coins_value(self) -> Money:
        return self.rate.value_of(self.coins)


@dataclass(frozen=True)
class HistoryItem:
    entry_id: int
    at: datetime
    kind: str
    reference: str | None
    memo: str | None
    coins: int
    diamonds: int
    money: Money | None
    reverses_entry_id: int | None


class WalletService:
    def __init__(self, db: Database, regions: RegionBook) -> None:
        self._db = db
        self._regions = regions

    async def balance(self, guild_id: int, user_id: int) -> WalletView:
        row = await self._db.read(lambda conn: wallets.wallet(conn, guild_id, user_id))
        owed = await self._db.read(lambda conn: debts.owed(conn, guild_id, user_id))
        rate = await self._regions.member_rate(guild_id, user_id)
        return WalletView(row["coins"] if row else 0, row["diamonds"] if row else 0, rate, owed)

    async def set_region(self, guild_id: int, user_id: int, code: str) -> CoinRate:
        region = self._regions.get(code)
        await self._db.write(lambda conn: wallets.set_region(conn, guild_id, user_id, region.code))
        return await self._regions.rate(guild_id, region)

    async def history(self, guild_id: int, user_id: int, limit: int = 10) -> list[HistoryItem]:
        if type(limit) is not int or not 1 <= limit <= HISTORY_MAX:
            raise InvalidAmount(f"Choose between 1 and {HISTORY_MAX} rows.")
        rows = await self._db.read(lambda conn: ledger.user_history(conn, guild_id, user_id, limit))
        return [
            HistoryItem(
                entry_id=r["id"],
                at=from_micros(r["created_at"]),
                kind=r["kind"],
                reference=r["reference"],
                memo=r["memo"],
                coins=r["coins"],
                diamonds=r["diamonds"],
                money=Money(r["money_minor"], r["currency"]) if r["currency"] else None,
                reverses_entry_id=r["reverses_entry_id"],
            )
            for r in rows
        ]

"""A creator's earnings: diamonds held and pending cash-out, their cash value after the guild's fee in
the server's payout currency (the creator's own currency as an approximation), what is cashable and
what still waits out the hold, top supporters, and diamonds received per day (for the chart)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta

from bot.clock import Clock, to_micros
from bot.economy.cashout_rules import CashoutRules, Maturity
from bot.economy.payouts import cash_value
from bot.economy.regions import RegionBook
from bot.guilds import GuildDirectory
from bot.money import CoinRate, Money
from bot.timezones import local_moment, month_bounds_at, zone_or_utc
from storage import Connection, Database, Row, follows, payouts, statements, subscriptions, wallets

CHART_DAYS = 30
TOP_SUPPORTERS = 5


@dataclass(frozen=True)
class Supporter:
    user_id: int
    diamonds: int
    gifts: int


@dataclass(frozen=True)
class Earnings:
    creator_id: int
    held: int
    pending: int
    fee_percent: int
    rate: CoinRate  # the server's payout value of a diamond
    value_after_fee: Money  # of the diamonds held, rounded down (what a cash-out would pay now)
    local_value: Money | None  # the same in the creator's own currency, an approximation (None: same)
    local_locale: str
    maturity: Maturity
    cashouts_refusal: str | None  # why this server cannot cash out, if it cannot
    total_received: int  # diamonds from gifts, all time (reversed gifts left out)
    supporters: list[Supporter]
    daily: list[tuple[date, int]]  # CHART_DAYS days, oldest first, today (creator's time zone) last
    timezone: str
    followers: int = 0  # members who follow the creator (go-live DMs)
    subscribers: int = 0  # running subscriptions to the creator
    renewals_this_month: int = 0  # subscription renewals charged this month (creator's time zone)

    @property
    def has_gifts(self) -> bool:
        return self.total_received > 0

    @property
    def recent_total(self) -> int:
        return sum(value for _, value in self.daily)

    def value_text(self) -> str:
        return self.value_after_fee.format(self.rate.region.locale)

    def local_value_text(self) -> str | None:
        return self.local_value.format(self.local_locale) if self.local_value else None

    def pending_value_text(self) -> str:
        return cash_value(self.pending, self.rate, self.fee_percent).format(self.rate.region.locale)


class EarningsService:
    def __init__(
        self, db: Database, regions: RegionBook, guilds: GuildDirectory, clock: Clock, rules: CashoutRules
    ) -> None:
        self._db = db
        self._regions = regions
        self._guilds = guilds
        self._clock = clock
        self._rules = rules

    async def earnings(self, guild_id: int, creator_id: int, days: int = CHART_DAYS) -> Earnings:
        await self._guilds.ensure(guild_id)
        local_rate = await self._regions.member_rate(guild_id, creator_id)
        now = self._clock()

        zone_name = await self._db.read(
            lambda conn: statements.member_timezone(conn, guild_id, creator_id, to_micros(now))
        )
        zone = zone_or_utc(zone_name)
        today = now.astimezone(zone).date()
        days_shown = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
        starts = [to_micros(local_moment(day, 0, zone)) for day in days_shown]
        month_start, month_end = (to_micros(moment) for moment in month_bounds_at(now, zone))

        def look(
            conn: Connection,
        ) -> tuple[int, int, int, int, list[Row], list[Row], int, tuple[int, int]]:
            wallet = wallets.wallet(conn, guild_id, creator_id)
            held: int = wallet["diamonds"] if wallet else 0
            return (
                held,
                statements.pending_diamonds(conn, guild_id, creator_id),
                payouts.fee_percent(conn, guild_id),
                statements.gift_income_total(conn, guild_id, creator_id),
                statements.top_supporters(conn, guild_id, creator_id, TOP_SUPPORTERS),
                statements.gift_income(conn, guild_id, creator_id, starts[0]),
                follows.follower_count(conn, guild_id, creator_id),
                subscriptions.creator_counts(conn, guild_id, creator_id, month_start, month_end),
            )

        held, pending, fee, total, top, income, followers, subscribed = await self._db.read(look)

        def judge(conn: Connection) -> tuple[CoinRate, Maturity, str | None]:
            return (
                self._rules.rate_on(conn, guild_id),
                self._rules.maturity_on(conn, guild_id, creator_id, held, now),
                self._rules.refusal_on(conn, guild_id),
            )

        rate, maturity, refusal = await self._db.read(judge)
        # Quarter-hours of income, each added to the local day it starts in (every zone's days begin
        # on a quarter-hour, so no quarter straddles two days).
        per_day = [0] * days
        for row in income:
            index = bisect_right(starts, row["start"]) - 1
            if index >= 0:
                per_day[index] += row["diamonds"]
        return Earnings(
            creator_id=creator_id,
            held=held,
            pending=pending,
            fee_percent=fee,
            rate=rate,
            value_after_fee=cash_value(held, rate, fee),
            local_value=(
                cash_value(held, local_rate, fee)
                if local_rate.region.currency != rate.region.currency
                else None
            ),
            local_locale=local_rate.region.locale,
            maturity=maturity,
            cashouts_refusal=refusal,
            total_received=total,
            supporters=[Supporter(r["sender_id"], r["diamonds"], r["gifts"]) for r in top],
            daily=list(zip(days_shown, per_day, strict=True)),
            timezone=zone.key,
            followers=followers,
            subscribers=subscribed[0],
            renewals_this_month=subscribed[1],
        )

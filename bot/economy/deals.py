"""Deals: bonus coins on top of a coin package for a while (`/deals start 700 50 3d`).

A member who chooses a package while its deal runs gets a quote, recorded under the purchase's key:
whenever that purchase is credited (at once, or when a payment completes later, after the deal ended)
the quoted bonus is credited with it as an entry of its own, from the promotions account, belonging to
the purchase entry, so reversing or refunding the purchase takes the bonus back too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.budgets import Zone, member_zone
from bot.clock import Clock, from_micros, to_micros
from bot.economy.debts import claw_back, credit_coins
from bot.economy.kinds import DEAL_BONUS, DEAL_BONUS_REFUND, PROMOTIONS, PURCHASE, attached_kinds
from bot.economy.payments import PaymentMode, PaymentSetup
from bot.errors import Conflict, NotFound, UnknownPackage
from bot.guilds import GuildDirectory
from bot.moments import parse_moment
from bot.text import whole_number
from storage import Connection, Database, Row, action_log, deals, ledger
from storage.ledger import NewEntry

BONUS_PERCENT_MIN, BONUS_PERCENT_MAX = 1, 100
# A Discord purchase is paid on Discord's own button, out of the bot's sight: the bonus of the member's
# last choice of the package counts if the payment completes within this long.
QUOTE_VALID = timedelta(hours=24)
PACKAGE_MAX = 10_000_000


def bonus_coins(package_coins: int, percent: int) -> int:
    """The bonus of a deal, rounded down to whole coins."""
    return package_coins * percent // 100


@dataclass(frozen=True)
class Deal:
    id: int
    package_coins: int
    bonus_percent: int
    starts_at: datetime
    ends_at: datetime

    @property
    def bonus_coins(self) -> int:
        return bonus_coins(self.package_coins, self.bonus_percent)


@dataclass(frozen=True)
class DealOffer:
    """A deal as one member sees it: the bonus, and its end in their time zone."""

    deal_id: int
    bonus_coins: int
    bonus_percent: int
    ends_at: datetime
    zone: Zone
    now: datetime


@dataclass(frozen=True)
class DealChange:
    deal: Deal
    zone: Zone  # the moderator's, to show the end in
    now: datetime


def _deal(row: Row) -> Deal:
    return Deal(
        row["id"],
        row["package_coins"],
        row["bonus_percent"],
        from_micros(row["starts_at"]),
        from_micros(row["ends_at"]),
    )


def _offer(row: Row, zone: Zone, now: datetime, bonus: int | None = None) -> DealOffer:
    deal = _deal(row)
    return DealOffer(
        deal.id, deal.bonus_coins if bonus is None else bonus, deal.bonus_percent, deal.ends_at, zone, now
    )


class DealService:
    def __init__(self, db: Database, guilds: GuildDirectory, payments: PaymentSetup, clock: Clock) -> None:
        self._db = db
        self._guilds = guilds
        self._payments = payments
        self._clock = clock

    def _sizes(self, conn: Connection, guild_id: int) -> list[int]:
        """The package sizes on sale here: Discord's coin SKUs, or the server's regional packages."""
        if self._payments.mode is PaymentMode.DISCORD:
            return sorted({s.coins for s in self._payments.skus})
        return deals.package_sizes(conn, guild_id)

    async def start(
        self, guild_id: int, moderator_id: int, package_coins: int, percent: int, ends: str
    ) -> DealChange:
        """Start a deal on the package: `percent` bonus coins until `ends` (a duration, or a date and
        time in the moderator's zone). One deal per package at a time."""
        package_coins = whole_number(package_coins, 1, PACKAGE_MAX, "The package")
        percent = whole_number(percent, BONUS_PERCENT_MIN, BONUS_PERCENT_MAX, "The bonus percent")
        if bonus_coins(package_coins, percent) < 1:
            raise Conflict(
                f"{percent} % of {package_coins:,} coins is less than one coin; choose a larger bonus."
            )
        await self._guilds.ensure(guild_id)
        now = self._clock()
        zone = await self._db.read(lambda conn: member_zone(conn, guild_id, moderator_id, to_micros(now)))
        ends_at = parse_moment(ends, now, zone.info)
        at, until = to_micros(now), to_micros(ends_at)

        def write(conn: Connection) -> Row:
            on_sale = self._sizes(conn, guild_id)
            if package_coins not in on_sale:
                sizes = ", ".join(f"{s:,}" for s in on_sale) or "none"
                raise UnknownPackage(f"There is no {package_coins:,}-coin package. Packages: {sizes}.")
            running = deals.active_for(conn, guild_id, package_coins, at)
            if running is not None:
                raise Conflict(
                    f"The {package_coins:,}-coin package already has a deal ({running['bonus_percent']} % bonus). "
                    "End it first with `/deals end`."
                )
            deal_id = deals.start(conn, guild_id, package_coins, percent, at, until, moderator_id)
            action_log.record(
                conn, guild_id, at, moderator_id, "deals.start", f"deal:{deal_id}", None,
                {"package": package_coins, "bonus_percent": percent, "ends_at": ends_at.isoformat()},
            )  # fmt: skip
            row = deals.deal(conn, deal_id)
            assert row is not None
            return row

        return DealChange(_deal(await self._db.write(write)), zone, now)

    async def end(self, guild_id: int, moderator_id: int, package_coins: int) -> DealChange:
        """End the package's running deal now. Members who chose the package before keep their bonus."""
        package_coins = whole_number(package_coins, 1, PACKAGE_MAX, "The package")
        now = self._clock()
        at = to_micros(now)

        def write(conn: Connection) -> tuple[Row, Zone]:
            running = deals.active_for(conn, guild_id, package_coins, at)
            if running is None or not deals.end(conn, running["id"], at, moderator_id):
                raise NotFound(f"The {package_coins:,}-coin package has no deal running.")
            action_log.record(
                conn, guild_id, at, moderator_id, "deals.end", f"deal:{running['id']}",
                {"package": package_coins, "bonus_percent": running["bonus_percent"],
                 "ends_at": from_micros(running["ends_at"]).isoformat()},
                {"ends_at": now.isoformat()},
            )  # fmt: skip
            row = deals.deal(conn, running["id"])
            assert row is not None
            return row, member_zone(conn, guild_id, moderator_id, at)

        row, zone = await self._db.write(write)
        return DealChange(_deal(row), zone, now)

    async def running(self, guild_id: int, user_id: int) -> tuple[list[Deal], Zone, datetime]:
        """The deals running now, and the zone of `user_id` to show their ends in."""
        now = self._clock()
        at = to_micros(now)

        def read(conn: Connection) -> tuple[list[Row], Zone]:
            return deals.active(conn, guild_id, at), member_zone(conn, guild_id, user_id, at)

        rows, zone = await self._db.read(read)
        return [_deal(r) for r in rows], zone, now

    async def offers(self, guild_id: int, user_id: int) -> dict[int, DealOffer]:
        """The running deals as the member sees them, by package size."""
        found, zone, now = await self.running(guild_id, user_id)
        return {
            d.package_coins: DealOffer(d.id, d.bonus_coins, d.bonus_percent, d.ends_at, zone, now)
            for d in found
        }

    async def quote(
        self, guild_id: int, user_id: int, package_coins: int, purchase_key: str
    ) -> DealOffer | None:
        """The member chose the package: fix the running deal's bonus for the purchase under
        `purchase_key` (the same key again keeps the first quote). None when no deal runs."""
        now = self._clock()
        at = to_micros(now)

        def write(conn: Connection) -> DealOffer | None:
            running = deals.active_for(conn, guild_id, package_coins, at)
            if running is not None:
                bonus = bonus_coins(package_coins, running["bonus_percent"])
                deals.add_quote(
                    conn, purchase_key, guild_id, user_id, package_coins, running["id"], bonus, at
                )
            quoted = deals.quote(conn, purchase_key)
            if quoted is None or (quoted["guild_id"], quoted["user_id"], quoted["package_coins"]) != (
                guild_id,
                user_id,
                package_coins,
            ):
                return None
            deal_row = deals.deal(conn, quoted["deal_id"])
            assert deal_row is not None  # a quote's deal is never deleted
            return _offer(deal_row, member_zone(conn, guild_id, user_id, at), now, quoted["bonus_coins"])

        return await self._db.write(write)


def credit_bonus(
    conn: Connection,
    purchase_key: str,
    guild_id: int,
    user_id: int,
    package_coins: int,
    purchase_entry_id: int,
    created_at: int,
) -> int:
    """Inside the purchase's transaction: credit the bonus quoted for `purchase_key`, as an entry of its
    own belonging to the purchase entry. Returns the bonus coins (0 without a matching quote)."""
    quoted = deals.quote(conn, purchase_key)
    if (
        quoted is None
        or quoted["bonus_entry_id"] is not None
        or (quoted["guild_id"], quoted["user_id"], quoted["package_coins"])
        != (guild_id, user_id, package_coins)
    ):
        return 0
    return _credit(conn, quoted, purchase_entry_id, created_at)


def credit_chosen_bonus(
    conn: Connection, guild_id: int, user_id: int, package_coins: int, purchase_entry_id: int, created_at: int
) -> int:
    """Inside a Discord purchase's transaction (its payment has no key the bot chose): credit the bonus
    of the member's latest choice of this package, if it was quoted within QUOTE_VALID and not used."""
    since = created_at - int(QUOTE_VALID.total_seconds()) * 1_000_000
    quoted = deals.latest_open_quote(conn, guild_id, user_id, package_coins, since)
    return 0 if quoted is None else _credit(conn, quoted, purchase_entry_id, created_at)


def _credit(conn: Connection, quoted: Row, purchase_entry_id: int, created_at: int) -> int:
    bonus = int(quoted["bonus_coins"])
    credited = credit_coins(
        conn,
        NewEntry(
            guild_id=quoted["guild_id"],
            kind=DEAL_BONUS.name,
            created_at=created_at,
            actor_id=quoted["user_id"],
            reference=f"entry:{purchase_entry_id}",
            memo=(
                f"deal #{quoted['deal_id']}: {quoted['bonus_percent']} % on the "
                f"{quoted['package_coins']:,}-coin package"
            ),
        ),
        quoted["user_id"],
        bonus,
        source=PROMOTIONS,
    )
    deals.mark_credited(conn, quoted["purchase_key"], credited.entry_id)
    return bonus


def take_back_bonus(
    conn: Connection, guild_id: int, user_id: int, purchase_entry_id: int, created_at: int, memo: str
) -> int:
    """Inside a refund's transaction: take back the bonus credited with the refunded purchase (the
    wallet first, the rest becomes refund debt, as for the purchase). Returns the coins taken back."""
    total = 0
    for bonus in ledger.attached_entries(conn, guild_id, purchase_entry_id, attached_kinds(PURCHASE.name)):
        if bonus["kind"] != DEAL_BONUS.name:
            continue
        coins = deals.bonus_coins_of(conn, bonus["id"])
        claw_back(
            conn,
            NewEntry(
                guild_id=guild_id,
                kind=DEAL_BONUS_REFUND.name,
                created_at=created_at,
                reference=f"entry:{bonus['id']}",
                reverses_entry_id=bonus["id"],  # the bonus counts as undone: never taken back twice
                memo=memo,
            ),
            user_id,
            coins,
            source=PROMOTIONS,
        )
        total += coins
    return total

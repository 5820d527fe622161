"""Charity campaigns: moderators start and end them, members donate coins (a spending entry of kind
DONATION into the `charity` account, never to a creator), a public progress board in the alerts channel
follows the donations, and at the end a payout request to the cause is decided by a moderator like a
cash-out (kind CHARITY_PAYOUT: `charity` → `charity_paid`, the cash computed at approval).

Anonymous donors are counted everywhere but named nowhere public: the board, the end summary and the
list name only donors who did not ask to stay anonymous."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from bot.alerts import Notice, NoticePublisher
from bot.charity_board import board_text, summary_text
from bot.clock import Clock, from_micros, to_micros
from bot.economy.cashout_rules import CashoutRules
from bot.economy.kinds import CHARITY, CHARITY_PAID, CHARITY_PAYOUT, COINS, DONATION, PLATFORM
from bot.economy.payouts import cash_value, clean_reason, split_diamonds
from bot.economy.posting import Replay, exactly_once, find_earlier, post
from bot.economy.regions import RegionBook
from bot.errors import Conflict, DomainError, InsufficientCoins, NotFound
from bot.guild_config import GuildConfigService
from bot.guilds import GuildDirectory
from bot.moments import parse_moment
from bot.money import CoinRate, Money, Region
from bot.spending import SpendingGuard
from bot.statements import escape_cell, money_cell
from bot.text import short_text, whole_number
from bot.timezones import zone_or_utc
from storage import (
    BalanceTooLow,
    Connection,
    ConstraintViolation,
    Database,
    Row,
    action_log,
    guilds,
    statements,
    wallets,
)
from storage import charity as rows
from storage.ledger import NewEntry, Posting

log = logging.getLogger(__name__)

NAME_MAX = 60
DESCRIPTION_MAX = 300
GOAL_MAX = 1_000_000_000
DONATION_MAX = 10_000_000
LIST_MAX = 25
TOP_DONORS = 3
ID_MAX = 2**63 - 1
STATEMENT_COLUMNS = ("entry", "time", "donor", "coins", "value", "currency", "status")


class NeedsConfirmation(DomainError):
    """`donate` was asked to send a donation that needs the member's confirmation first."""


@dataclass(frozen=True)
class Campaign:
    id: int
    guild_id: int
    name: str
    description: str | None
    goal: int
    raised: int
    donations: int
    donors: int
    created_by: int
    ends_at: datetime
    ended_at: datetime | None
    named_donors: tuple[tuple[int, int], ...]  # (member, coins) of the largest donors who gave their name
    board_message_id: int | None = None  # the progress message in the alerts channel, once posted

    @property
    def running(self) -> bool:
        return self.ended_at is None

    @property
    def percent(self) -> int:
        return self.raised * 100 // self.goal


@dataclass(frozen=True)
class DonationQuote:
    guild_id: int
    donor_id: int
    campaign: Campaign
    coins: int
    anonymous: bool
    rate: CoinRate
    needs_confirmation: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class DonationReceipt:
    entry_id: int
    campaign: Campaign
    coins: int
    anonymous: bool
    balance: int
    rate: CoinRate
    replayed: bool
    board: asyncio.Future[bool] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class CharityPayout:
    id: int
    campaign_id: int
    campaign_name: str
    coins: int
    fee_percent: int
    region: Region
    status: str
    requested_at: datetime
    decided_by: int | None
    reason: str | None
    money: Money | None

    def money_text(self) -> str | None:
        return self.money.format(self.region.locale) if self.money else None


@dataclass(frozen=True)
class CampaignEnd:
    campaign: Campaign
    payout: CharityPayout | None  # None when nothing was raised
    payout_value: Money  # what the raised coins are worth now in the payout currency
    region: Region
    summary_posted: asyncio.Future[bool] | None = field(default=None, compare=False)

    def value_text(self) -> str:
        return self.payout_value.format(self.region.locale)


@dataclass(frozen=True)
class CampaignStatement:
    campaign: Campaign
    csv: bytes
    total_coins: int
    total_value: Money
    region: Region

    @property
    def filename(self) -> str:
        return f"charity-campaign-{self.campaign.id}.csv"


@dataclass(frozen=True)
class _Donated:
    entry_id: int
    balance: int
    alerts_channel_id: int | None


def _campaign(conn: Connection, row: Row) -> Campaign:
    named = tuple((r["donor_id"], r["coins"]) for r in rows.named_donors(conn, row["id"], TOP_DONORS))
    return Campaign(
        id=row["id"],
        guild_id=row["guild_id"],
        name=row["name"],
        description=row["description"],
        goal=row["goal"],
        raised=row["raised"],
        donations=row["donations"],
        donors=rows.donors(conn, row["id"]),
        created_by=row["created_by"],
        ends_at=from_micros(row["ends_at"]),
        ended_at=from_micros(row["ended_at"]) if row["ended_at"] is not None else None,
        named_donors=named,
        board_message_id=row["board_message_id"],
    )


def _board_key(campaign: Campaign) -> str:
    return f"charity:{campaign.id}"


def _check_campaign_id(campaign_id: object) -> int:
    if type(campaign_id) is not int or not 0 < campaign_id <= ID_MAX:
        raise NotFound("There is no such campaign; pick one from the list as you type.")
    return campaign_id


def _require(conn: Connection, guild_id: int, campaign_id: int) -> Row:
    row = rows.campaign(conn, guild_id, campaign_id)
    if row is None:
        raise NotFound(f"There is no charity campaign #{campaign_id} in this server.")
    return row


class CharityService:
    def __init__(
        self,
        db: Database,
        *,
        guilds: GuildDirectory,
        guild_config: GuildConfigService,
        regions: RegionBook,
        rules: CashoutRules,
        spending: SpendingGuard,
        alerts: NoticePublisher | None,
        clock: Clock,
    ) -> None:
        self._db = db
        self._guilds = guilds
        self._config = guild_config
        self._regions = regions
        self._rules = rules
        self.spending = spending
        self.alerts = alerts
        self._clock = clock
        self._writes: set[asyncio.Task[None]] = set()  # board message ids being saved

    # --- campaigns -------------------------------------------------------------------------------

    async def start(
        self,
        guild_id: int,
        moderator_id: int,
        name: str,
        goal: int,
        ends: str,
        description: str | None = None,
    ) -> Campaign:
        """Start a campaign ending at `ends` (a duration or a date and time in the moderator's zone)."""
        title = short_text(name, NAME_MAX, "The campaign's name")
        assert title is not None
        about = short_text(description, DESCRIPTION_MAX, "The description", required=False)
        goal = whole_number(goal, 1, GOAL_MAX, "The goal in coins")
        await self._guilds.ensure(guild_id)
        now = self._clock()
        zone = zone_or_utc(
            await self._db.read(
                lambda conn: statements.member_timezone(conn, guild_id, moderator_id, to_micros(now))
            )
        )
        ends_at = parse_moment(ends, now, zone)
        now_us = to_micros(now)

        def create(conn: Connection) -> Campaign:
            try:
                campaign_id = rows.insert_campaign(
                    conn, guild_id=guild_id, name=title, description=about, goal=goal,
                    created_by=moderator_id, created_at=now_us, ends_at=to_micros(ends_at),
                )  # fmt: skip
            except ConstraintViolation:
                raise Conflict(f"A campaign called **{title}** is already running here.") from None
            action_log.record(
                conn, guild_id, now_us, moderator_id, "charity.start", f"charity:{campaign_id}", None,
                {"name": title, "goal": goal, "ends_at": to_micros(ends_at)}, None,
            )  # fmt: skip
            return _campaign(conn, _require(conn, guild_id, campaign_id))

        campaign = await self._db.write(create)
        self._show_board(campaign, (await self._config.get(guild_id)).alerts_channel_id)
        return campaign

    async def running(self, guild_id: int, limit: int = LIST_MAX) -> list[Campaign]:
        await self._guilds.ensure(guild_id)
        return await self._db.read(
            lambda conn: [_campaign(conn, r) for r in rows.running(conn, guild_id, limit)]
        )

    async def recent(self, guild_id: int, limit: int = LIST_MAX) -> list[Campaign]:
        """Running campaigns, then ended ones (for moderators' autocomplete)."""
        return await self._db.read(
            lambda conn: [_campaign(conn, r) for r in rows.recent(conn, guild_id, limit)]
        )

    async def get(self, guild_id: int, campaign_id: int) -> Campaign:
        _check_campaign_id(campaign_id)
        return await self._db.read(lambda conn: _campaign(conn, _require(conn, guild_id, campaign_id)))

    async def viewer_rate(self, guild_id: int, user_id: int) -> CoinRate:
        return await self._regions.member_rate(guild_id, user_id)

    async def end(self, guild_id: int, moderator_id: int, campaign_id: int) -> CampaignEnd:
        """End a running campaign now: post the summary and request the payout to the cause."""
        _check_campaign_id(campaign_id)
        return await self._end(guild_id, campaign_id, moderator_id)

    async def end_due(self) -> list[CampaignEnd]:
        """End every campaign whose end time has come (run by the scheduler)."""
        now = to_micros(self._clock())
        due = await self._db.read(lambda conn: rows.due(conn, now))
        ended = []
        for row in due:
            try:
                ended.append(await self._end(row["guild_id"], row["id"], None))
            except Conflict:  # a moderator ended it meanwhile
                continue
            except Exception:
                log.exception("could not end charity campaign %s", row["id"])
        return ended

    async def _end(self, guild_id: int, campaign_id: int, moderator_id: int | None) -> CampaignEnd:
        now = to_micros(self._clock())

        def close(conn: Connection) -> tuple[Campaign, CharityPayout | None, CoinRate]:
            row = _require(conn, guild_id, campaign_id)
            if row["ended_at"] is not None or not rows.end_campaign(
                conn, guild_id, campaign_id, now, moderator_id
            ):
                raise Conflict(f"**{row['name']}** has already ended.")
            rate = self._rules.rate_on(conn, guild_id)
            settings = guilds.settings(conn, guild_id)
            fee = settings["charity_fee_percent"] if settings is not None else 0
            payout = None
            if row["raised"] > 0:
                payout_id = rows.insert_payout(
                    conn, guild_id=guild_id, campaign_id=campaign_id, coins=row["raised"], fee_percent=fee,
                    region=rate.region.code, currency=rate.region.currency, requested_at=now,
                )  # fmt: skip
                payout = self._payout(conn, guild_id, campaign_id, payout_id)
            action_log.record(
                conn, guild_id, now, moderator_id, "charity.end", f"charity:{campaign_id}",
                {"status": "running"}, {"status": "ended", "raised": row["raised"]}, None,
            )  # fmt: skip
            return _campaign(conn, _require(conn, guild_id, campaign_id)), payout, rate

        campaign, payout, rate = await self._db.write(close)
        channel_id = (await self._config.get(guild_id)).alerts_channel_id
        posted = None
        if self.alerts is not None and channel_id is not None:
            self._show_board(campaign, channel_id)  # its last edit says it ended
            self.alerts.forget_board(channel_id, _board_key(campaign))
            posted = self.alerts.publish_notice(
                Notice(guild_id, channel_id, summary_text(campaign, rate), key=None)
            )
        value = cash_value(campaign.raised, rate, payout.fee_percent if payout is not None else 0)
        return CampaignEnd(campaign, payout, value, rate.region, posted)

    def _show_board(self, campaign: Campaign, channel_id: int | None) -> asyncio.Future[bool] | None:
        """Publish the campaign's progress board: posted once, then edited in place as donations
        arrive, within the alerts channel's rate limit. The donation stands whatever happens to it."""
        if self.alerts is None or channel_id is None:
            return None
        notice = Notice(
            campaign.guild_id,
            channel_id,
            board_text(campaign),
            key=_board_key(campaign),
            message_id=campaign.board_message_id,
            on_posted=lambda message_id: self._remember_board(campaign.id, message_id),
        )
        try:
            return self.alerts.publish_notice(notice)
        except Exception:
            log.exception("could not publish the board of campaign %s", campaign.id)
            return None

    def _remember_board(self, campaign_id: int, message_id: int) -> None:
        """Keep the board's message id, so that after a restart the same message is edited."""

        async def save() -> None:
            try:
                await self._db.write(lambda conn: rows.set_board_message(conn, campaign_id, message_id))
            except Exception:  # the board is only re-posted after a restart then
                log.warning("could not remember the board of campaign %s", campaign_id, exc_info=True)

        task = asyncio.get_running_loop().create_task(save())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    # --- donations -------------------------------------------------------------------------------

    async def quote(
        self,
        guild_id: int,
        donor_id: int,
        role_ids: Collection[int],
        campaign_id: int,
        coins: int,
        anonymous: bool = False,
    ) -> DonationQuote:
        """Check a donation without making it (raises the refusal the member reads)."""
        _check_campaign_id(campaign_id)
        coins = whole_number(coins, 1, DONATION_MAX, "The donation in coins")
        config = await self._config.require_spender(guild_id, donor_id, role_ids)
        campaign = await self.get(guild_id, campaign_id)
        if not campaign.running or campaign.ends_at <= self._clock():
            raise Conflict(f"**{campaign.name}** has ended; it takes no more donations.")
        balance = await self._db.read(lambda conn: wallets.coins(conn, guild_id, donor_id))
        if balance < coins:
            raise InsufficientCoins(coins, balance)
        review = await self.spending.review(guild_id, donor_id, coins)
        rate = await self._regions.member_rate(guild_id, donor_id)
        reasons = []
        if coins >= config.gift_confirm_threshold:
            reasons.append(
                f"This donation is **{coins:,} coins** (≈ {rate.show(coins)}). Donations are final."
            )
        if review.warning:
            reasons.append(review.warning)
        return DonationQuote(
            guild_id, donor_id, campaign, coins, bool(anonymous), rate, bool(reasons), tuple(reasons)
        )

    async def donate(
        self, quote: DonationQuote, idempotency_key: str, *, confirmed: bool = False
    ) -> DonationReceipt:
        """Donate once per `idempotency_key`; the same key again returns the first receipt."""
        if not idempotency_key:
            raise ValueError("a donation needs an idempotency key")
        key = f"donation:{idempotency_key}"
        fingerprint = (
            f"{quote.guild_id}:{quote.donor_id}:{quote.campaign.id}:{quote.coins}:{int(quote.anonymous)}"
        )
        if confirmed:  # time passed since the quote: a budget may refuse now (a replay may not)
            earlier = await find_earlier(self._db, DONATION, key, fingerprint)
            if earlier is not None:
                return await self._replay(quote, earlier)
            await self.spending.review(quote.guild_id, quote.donor_id, quote.coins)
        elif quote.needs_confirmation:
            raise NeedsConfirmation("Please confirm this donation first.")
        guild_id, donor_id, coins = quote.guild_id, quote.donor_id, quote.coins
        campaign_id = quote.campaign.id
        now = self._clock()
        now_us = to_micros(now)
        entry = NewEntry(
            guild_id=guild_id,
            kind=DONATION.name,
            created_at=now_us,
            actor_id=donor_id,
            reference=f"charity:{campaign_id}",
            idempotency_key=key,
            request_fingerprint=fingerprint,
            memo=quote.campaign.name,
        )
        postings = [Posting(COINS, -coins, user_id=donor_id), Posting(COINS, coins, system_account=CHARITY)]

        def give(conn: Connection) -> _Donated:
            row = _require(conn, guild_id, campaign_id)
            if row["ended_at"] is not None or row["ends_at"] <= now_us:
                raise Conflict(f"**{row['name']}** has ended; nothing was donated.")
            try:
                entry_id = post(conn, entry, postings, self.spending)
            except BalanceTooLow as low:
                raise InsufficientCoins(low.needed, low.available) from None
            rows.record_donation(
                conn, entry_id=entry_id, guild_id=guild_id, campaign_id=campaign_id, donor_id=donor_id,
                coins=coins, anonymous=quote.anonymous, created_at=now_us,
            )  # fmt: skip
            settings = guilds.settings(conn, guild_id)
            channel_id = settings["alerts_channel_id"] if settings is not None else None
            return _Donated(entry_id, wallets.coins(conn, guild_id, donor_id), channel_id)

        done = await self._db.write(exactly_once(DONATION, key, fingerprint, give))
        if isinstance(done, Replay):
            return await self._replay(quote, done)
        campaign = await self.get(guild_id, campaign_id)
        board = self._show_board(campaign, done.alerts_channel_id)
        return DonationReceipt(
            done.entry_id, campaign, coins, quote.anonymous, done.balance, quote.rate, False, board
        )

    async def _replay(self, quote: DonationQuote, replay: Replay) -> DonationReceipt:
        entry_id = replay.entry["id"]
        guild_id = quote.guild_id

        def look(conn: Connection) -> tuple[Row, Campaign, int]:
            detail = rows.donation(conn, entry_id)
            assert detail is not None, "a donation entry always has its details"
            campaign = _campaign(conn, _require(conn, guild_id, detail["campaign_id"]))
            return detail, campaign, wallets.coins(conn, guild_id, detail["donor_id"])

        detail, campaign, balance = await self._db.read(look)
        return DonationReceipt(
            entry_id, campaign, detail["coins"], bool(detail["anonymous"]), balance, quote.rate, True
        )

    # --- statements and payouts ------------------------------------------------------------------

    async def statement(self, guild_id: int, campaign_id: int) -> CampaignStatement:
        """The campaign's donations as CSV (moderators only: donors are named, anonymous or not), with
        values in the payout currency."""
        _check_campaign_id(campaign_id)

        def look(conn: Connection) -> tuple[Campaign, list[Row], CoinRate, str]:
            campaign = _campaign(conn, _require(conn, guild_id, campaign_id))
            rate = self._rules.rate_on(conn, guild_id)
            settings = guilds.settings(conn, guild_id)
            zone = settings["timezone"] if settings is not None else "UTC"
            return campaign, rows.campaign_donations(conn, campaign_id), rate, zone

        campaign, donations, rate, zone_name = await self._db.read(look)
        zone = zone_or_utc(zone_name)
        buffer = io.StringIO()
        writer = csv.writer(buffer, dialect="excel", lineterminator="\r\n")
        writer.writerow(STATEMENT_COLUMNS)
        total = 0
        for donation in donations:
            standing = not donation["reversed"]
            if standing:
                total += donation["coins"]
            donor = f"user:{donation['donor_id']}" + (" (anonymous)" if donation["anonymous"] else "")
            writer.writerow(
                (
                    donation["entry_id"],
                    from_micros(donation["created_at"]).astimezone(zone).isoformat(timespec="seconds"),
                    escape_cell(donor),
                    donation["coins"],
                    money_cell(rate.value_of(donation["coins"])),
                    rate.region.currency,
                    "donated" if standing else "reversed",
                )
            )
        total_value = cash_value(total, rate, 0)
        writer.writerow(("total", "", "", total, money_cell(total_value), rate.region.currency, ""))
        return CampaignStatement(campaign, buffer.getvalue().encode("utf-8"), total, total_value, rate.region)

    async def pending_payouts(self, guild_id: int, limit: int = LIST_MAX) -> list[CharityPayout]:
        def look(conn: Connection) -> list[CharityPayout]:
            return [
                self._payout(conn, guild_id, r["campaign_id"], r["id"])
                for r in rows.pending_payouts(conn, guild_id, limit)
            ]

        return await self._db.read(look)

    async def approve(self, guild_id: int, moderator_id: int, campaign_id: int) -> CharityPayout:
        """Pay the campaign's coins out to its cause: `charity` → `charity_paid` (and the fee's share, if
        the server set one when it ended, → `platform`), the cash computed now and rounded down."""
        _check_campaign_id(campaign_id)
        now = to_micros(self._clock())

        def settle(conn: Connection) -> CharityPayout:
            payout = self._pending(conn, guild_id, campaign_id)
            self._rules.require_on(conn, guild_id)  # coins nobody paid for never become cash
            rate = self._rules.rate_on(conn, guild_id)
            coins, fee = payout["coins"], payout["fee_percent"]
            money = cash_value(coins, rate, fee)
            cause_share, platform_share = split_diamonds(coins, fee)  # the same split as cash-outs
            postings = [
                Posting(COINS, -coins, system_account=CHARITY),
                Posting(COINS, cause_share, system_account=CHARITY_PAID),
            ]
            if platform_share:
                postings.append(Posting(COINS, platform_share, system_account=PLATFORM))
            postings = [p for p in postings if p.amount]
            if not rows.decide_payout(
                conn, guild_id, payout["id"], status=rows.APPROVED, decided_at=now, decided_by=moderator_id,
                reason=None, money_minor=money.minor, region=rate.region.code, currency=money.currency,
            ):  # fmt: skip
                raise Conflict("This payout was just decided by another moderator; nothing changed.")
            entry_id = post(
                conn,
                NewEntry(
                    guild_id=guild_id,
                    kind=CHARITY_PAYOUT.name,
                    created_at=now,
                    actor_id=moderator_id,
                    reference=f"charity:{campaign_id}",
                    idempotency_key=f"charity-payout:{payout['id']}:decision",
                    money_minor=money.minor,
                    currency=money.currency,
                    memo=f"charity campaign #{campaign_id} paid out",
                ),
                postings,
            )
            rows.set_payout_entry(conn, payout["id"], entry_id)
            action_log.record(
                conn, guild_id, now, moderator_id, "charity.payout.approve", f"charity:{campaign_id}",
                {"status": "pending"},
                {"status": "approved", "coins": payout["coins"], "money_minor": money.minor,
                 "currency": money.currency, "entry": entry_id},
                None,
            )  # fmt: skip
            return self._payout(conn, guild_id, campaign_id, payout["id"])

        return await self._db.write(settle)

    async def reject(self, guild_id: int, moderator_id: int, campaign_id: int, reason: str) -> CharityPayout:
        """Refuse the payout: the coins stay in the charity account (a moderator may reverse donations)."""
        _check_campaign_id(campaign_id)
        why = clean_reason(reason)
        now = to_micros(self._clock())

        def refuse(conn: Connection) -> CharityPayout:
            payout = self._pending(conn, guild_id, campaign_id)
            if not rows.decide_payout(
                conn, guild_id, payout["id"], status=rows.REJECTED, decided_at=now, decided_by=moderator_id,
                reason=why, money_minor=None,
            ):  # fmt: skip
                raise Conflict("This payout was just decided by another moderator; nothing changed.")
            action_log.record(
                conn, guild_id, now, moderator_id, "charity.payout.reject", f"charity:{campaign_id}",
                {"status": "pending"}, {"status": "rejected", "coins": payout["coins"]}, why,
            )  # fmt: skip
            return self._payout(conn, guild_id, campaign_id, payout["id"])

        return await self._db.write(refuse)

    def _pending(self, conn: Connection, guild_id: int, campaign_id: int) -> Row:
        campaign = _require(conn, guild_id, campaign_id)
        payout = rows.payout_of(conn, guild_id, campaign_id)
        if payout is None:
            if campaign["ended_at"] is None:
                raise Conflict(f"**{campaign['name']}** is still running; end it first with `/charity end`.")
            raise NotFound(f"**{campaign['name']}** raised nothing, so there is nothing to pay out.")
        if payout["status"] != rows.PENDING:
            raise Conflict(
                f"The payout of **{campaign['name']}** was already {payout['status']} by "
                f"<@{payout['decided_by']}>; nothing changed."
            )
        return payout

    def _payout(self, conn: Connection, guild_id: int, campaign_id: int, payout_id: int) -> CharityPayout:
        row = rows.payout_of(conn, guild_id, campaign_id)
        assert row is not None and row["id"] == payout_id
        campaign = _require(conn, guild_id, campaign_id)
        region = self._regions.get(row["region"])
        return CharityPayout(
            id=row["id"],
            campaign_id=campaign_id,
            campaign_name=campaign["name"],
            coins=row["coins"],
            fee_percent=row["fee_percent"],
            region=region,
            status=row["status"],
            requested_at=from_micros(row["requested_at"]),
            decided_by=row["decided_by"],
            reason=row["reason"],
            money=Money(row["money_minor"], row["currency"]) if row["money_minor"] is not None else None,
        )

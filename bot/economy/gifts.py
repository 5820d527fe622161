"""Sending gifts: the sender's coins are spent, the creator receives as many diamonds, in one
journal entry of kind GIFT, exactly once per interaction; then the shout-out is handed to the
alerts engine.

The cog calls `quote(...)` (every check, no balance change) and, when the quote needs confirmation,
shows a confirm button; then `send(quote, key)`. The key is the slash command's interaction id, so a
double click, or Discord re-sending the click, sends once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from bot.alerts import AlertPublisher, GiftAlert
from bot.catalog import CatalogService, Gift
from bot.clock import Clock, to_micros
from bot.creators import CreatorService, NotACreator
from bot.economy.kinds import COINS, DIAMOND_MINT, DIAMONDS, GIFT, SPENT
from bot.economy.posting import Replay, exactly_once, find_earlier, post
from bot.economy.regions import RegionBook
from bot.errors import Conflict, DomainError, InsufficientCoins, InvalidAmount, NotFound
from bot.guild_config import GuildConfigService
from bot.money import CoinRate, Money
from bot.spending import SpendingGuard
from bot.text import short_text, whole_number
from storage import BalanceTooLow, Connection, Database, catalog, creators, guilds, live, wallets
from storage import gifts as gift_rows
from storage.gifts import GiftDetails
from storage.ledger import NewEntry, Posting
from storage.rows import required

log = logging.getLogger(__name__)

COUNT_MAX = 10_000
MESSAGE_MAX = 200


class NeedsConfirmation(DomainError):
    """`send` was asked to send a gift that needs the member's confirmation first."""


@dataclass(frozen=True)
class Split:
    """What a gift is worth in the sender's currency and how it splits at cash-out."""

    diamonds: int
    value: Money  # the coins' value
    creator_cash: Money  # the diamonds' cash value after the guild's fee
    fee: Money
    fee_percent: int


def split_of(coins: int, rate: CoinRate, fee_percent: int) -> Split:
    """Integer arithmetic only: the value rounds half up (as displayed everywhere), the creator's share
    rounds down like a cash-out, the fee is the rest."""
    scaled = coins * rate.price_minor  # value = scaled / rate.coins minor units
    value = Money((2 * scaled + rate.coins) // (2 * rate.coins), rate.region.currency)
    creator = Money(scaled * (100 - fee_percent) // (rate.coins * 100), rate.region.currency)
    return Split(coins, value, creator, Money(value.minor - creator.minor, value.currency), fee_percent)


@dataclass(frozen=True)
class GiftQuote:
    guild_id: int
    sender_id: int
    creator_id: int
    gift: Gift
    count: int
    message: str | None
    total_coins: int
    rate: CoinRate
    fee_percent: int
    needs_confirmation: bool
    reasons: tuple[str, ...] = ()

    @property
    def split(self) -> Split:
        return split_of(self.total_coins, self.rate, self.fee_percent)

    def show(self, coins: int) -> str:
        return self.rate.show(coins)


@dataclass(frozen=True)
class GiftReceipt:
    entry_id: int
    sender_id: int
    creator_id: int
    gift_name: str
    gift_emoji: str
    count: int
    unit_price: int
    total_coins: int
    balance: int
    rate: CoinRate
    fee_percent: int
    live_session_id: int | None
    alerts_channel_id: int | None
    replayed: bool
    alert: asyncio.Future[bool] | None = field(default=None, compare=False)

    @property
    def split(self) -> Split:
        return split_of(self.total_coins, self.rate, self.fee_percent)


@dataclass(frozen=True)
class _Sent:
    entry_id: int
    live_session_id: int | None
    template: str | None
    threshold: int
    balance: int
    fee_percent: int
    alerts_channel_id: int | None


def fingerprint_of(quote: GiftQuote) -> str:
    """The parameters behind an idempotency key (the same key with others is refused)."""
    return f"{quote.guild_id}:{quote.sender_id}:{quote.creator_id}:{quote.gift.id}:{quote.count}:{quote.gift.coins}"


def gift_operation(
    quote: GiftQuote, key: str, now: int, spending: SpendingGuard
) -> Callable[[Connection], _Sent | Replay]:
    """The write operation of one gift (runs inside the writer's transaction, in its own savepoint):
    re-checks the key, the gift's price and state, the creator and the member's hard spending limits,
    then posts the entry and its details. Returns what the receipt needs, or the `Replay` of the entry
    that already holds `key`."""
    guild_id, sender_id, creator_id, gift = quote.guild_id, quote.sender_id, quote.creator_id, quote.gift
    memo = f"{gift.emoji} {gift.name} ×{quote.count}" + (f": {quote.message}" if quote.message else "")
    entry = NewEntry(
        guild_id=guild_id,
        kind=GIFT.name,
        created_at=now,
        actor_id=sender_id,
        reference=f"gift:{gift.id}",
        idempotency_key=key,
        request_fingerprint=fingerprint_of(quote),
        memo=memo,
    )
    total = quote.total_coins
    postings = [
        Posting(COINS, -total, user_id=sender_id),
        Posting(COINS, total, system_account=SPENT),
        Posting(DIAMONDS, total, user_id=creator_id),
        Posting(DIAMONDS, -total, system_account=DIAMOND_MINT),
    ]

    def send(conn: Connection) -> _Sent:
        row = catalog.gift_by_id(conn, guild_id, gift.id)
        if row is None or not row["active"]:
            raise NotFound(f"**{gift.name}** was just retired from the catalog. Nothing was spent.")
        if row["coins"] != gift.coins:
            raise Conflict(
                f"The price of **{gift.name}** changed to {row['coins']:,} coins since you chose it. "
                "Nothing was spent; send it again to see the new price."
            )
        creator = creators.creator(conn, guild_id, creator_id)
        if creator is None:
            raise NotACreator(creator_id)
        session = live.open_session(conn, guild_id, creator_id)
        session_id = session["id"] if session is not None else None
        try:
            entry_id = post(conn, entry, postings, spending)
        except BalanceTooLow as low:
            raise InsufficientCoins(low.needed, low.available) from None
        gift_rows.record(
            conn,
            GiftDetails(
                entry_id=entry_id,
                guild_id=guild_id,
                sender_id=sender_id,
                creator_id=creator_id,
                gift_id=gift.id,
                gift_name=gift.name,
                count=quote.count,
                unit_price=gift.coins,
                live_session_id=session_id,
                created_at=now,
                message=quote.message,
            ),
        )
        settings = guilds.settings(conn, guild_id)
        return _Sent(
            entry_id=entry_id,
            live_session_id=session_id,
            template=creator["thanks_template"],
            threshold=creator["shoutout_threshold"],
            balance=wallets.coins(conn, guild_id, sender_id),
            fee_percent=settings["fee_percent"],
            alerts_channel_id=settings["alerts_channel_id"],
        )

    return exactly_once(GIFT, key, fingerprint_of(quote), send)


class GiftService:
    def __init__(
        self,
        db: Database,
        *,
        catalog_service: CatalogService,
        creators_service: CreatorService,
        guild_config: GuildConfigService,
        regions: RegionBook,
        spending: SpendingGuard,
        alerts: AlertPublisher | None,
        clock: Clock,
    ) -> None:
        self._db = db
        self._catalog = catalog_service
        self._creators = creators_service
        self._config = guild_config
        self._regions = regions
        self.spending = spending
        self.alerts = alerts
        self._clock = clock
        # Called with (guild id, creator id) after a gift committed: the overlay's streams read it then.
        self.committed: Callable[[int, int], None] | None = None

    async def catalog(self, guild_id: int, user_id: int, search: str = "") -> tuple[list[Gift], CoinRate]:
        """Active gifts (optionally those matching `search`) and the viewer's coin rate."""
        gifts = (
            await self._catalog.search(guild_id, search) if search else await self._catalog.gifts(guild_id)
        )
        return gifts, await self._regions.member_rate(guild_id, user_id)

    async def quote(
        self,
        guild_id: int,
        sender_id: int,
        role_ids: Collection[int],
        gift_name: str,
        creator_id: int,
        count: int = 1,
        message: str | None = None,
    ) -> GiftQuote:
        """Check everything about a gift without sending it (raises the refusal a member reads)."""
        count = whole_number(count, 1, COUNT_MAX, "The number of gifts")
        note = short_text(message, MESSAGE_MAX, "The message", required=False)
        if type(creator_id) is not int or creator_id <= 0:
            raise NotFound("Choose a member of this server as the creator.")
        if creator_id == sender_id:
            raise InvalidAmount("You cannot send a gift to yourself.")
        config = await self._config.require_spender(guild_id, sender_id, role_ids)
        await self._creators.require(guild_id, creator_id)
        gift = await self._catalog.find(guild_id, gift_name)
        total = count * gift.coins
        # The guard first: a member in refund debt has no coins, and should read why.
        review = await self.spending.review(guild_id, sender_id, total)
        balance = await self._db.read(lambda conn: wallets.coins(conn, guild_id, sender_id))
        if balance < total:
            raise InsufficientCoins(total, balance)
        rate = await self._regions.member_rate(guild_id, sender_id)
        reasons = []
        if total >= config.gift_confirm_threshold:
            reasons.append(f"This gift costs **{total:,} coins** (≈ {rate.show(total)}). Gifts are final.")
        if review.warning:
            reasons.append(review.warning)
        return GiftQuote(
            guild_id=guild_id,
            sender_id=sender_id,
            creator_id=creator_id,
            gift=gift,
            count=count,
            message=note,
            total_coins=total,
            rate=rate,
            fee_percent=config.fee_percent,
            needs_confirmation=bool(reasons),
            reasons=tuple(reasons),
        )

    async def send(self, quote: GiftQuote, idempotency_key: str, *, confirmed: bool = False) -> GiftReceipt:
        """Send the quoted gift once per `idempotency_key`: the same key again returns the first
        receipt (and no second shout-out); with different parameters it raises IdempotencyConflict."""
        if not idempotency_key:
            raise ValueError("a gift needs an idempotency key")
        guild_id, sender_id = quote.guild_id, quote.sender_id
        key = f"gift:{idempotency_key}"
        if confirmed:  # time passed since the quote: a budget may refuse now (a replay may not)
            earlier = await find_earlier(self._db, GIFT, key, fingerprint_of(quote))
            if earlier is not None:
                return await self._replay(earlier)
            await self.spending.review(guild_id, sender_id, quote.total_coins)
        elif quote.needs_confirmation:
            raise NeedsConfirmation("Please confirm this gift first.")
        gift, total = quote.gift, quote.total_coins
        send = gift_operation(quote, key, to_micros(self._clock()), self.spending)
        sent = await self._db.write(send)
        if isinstance(sent, Replay):  # a request with the same key committed first
            return await self._replay(sent)
        if self.committed is not None:
            self.committed(guild_id, quote.creator_id)
        alert = self._publish(quote, sent)
        return GiftReceipt(
            entry_id=sent.entry_id,
            sender_id=sender_id,
            creator_id=quote.creator_id,
            gift_name=gift.name,
            gift_emoji=gift.emoji,
            count=quote.count,
            unit_price=gift.coins,
            total_coins=total,
            balance=sent.balance,
            rate=quote.rate,
            fee_percent=sent.fee_percent,
            live_session_id=sent.live_session_id,
            alerts_channel_id=sent.alerts_channel_id,
            replayed=False,
            alert=alert,
        )

    def _publish(self, quote: GiftQuote, sent: _Sent) -> asyncio.Future[bool] | None:
        """Hand the shout-out to the alerts engine; the gift stands whatever happens to it. No alerts
        channel set: shout-outs are off, nothing to publish."""
        if self.alerts is None or sent.alerts_channel_id is None:
            return None
        alert = GiftAlert(
            guild_id=quote.guild_id,
            channel_id=sent.alerts_channel_id,
            entry_id=sent.entry_id,
            creator_id=quote.creator_id,
            sender_id=quote.sender_id,
            gift_name=quote.gift.name,
            gift_emoji=quote.gift.emoji,
            count=quote.count,
            coins=quote.total_coins,
            template=sent.template,
            threshold=sent.threshold,
            message=quote.message,
        )
        try:
            return self.alerts.publish(alert)
        except Exception:
            log.exception("could not hand gift %s to the alerts engine", sent.entry_id)
            failed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            failed.set_result(False)
            return failed

    async def _replay(self, replay: Replay) -> GiftReceipt:
        earlier = replay.entry
        guild_id = earlier["guild_id"]
        found = await self._db.read(lambda conn: gift_rows.details(conn, earlier["id"]))
        details = required(found, f"the gift of entry #{earlier['id']}")
        config = await self._config.get(guild_id)
        rate = await self._regions.member_rate(guild_id, details["sender_id"])
        total = details["count"] * details["unit_price"]
        return GiftReceipt(
            entry_id=earlier["id"],
            sender_id=details["sender_id"],
            creator_id=details["creator_id"],
            gift_name=details["gift_name"],
            gift_emoji=details["emoji"],
            count=details["count"],
            unit_price=details["unit_price"],
            total_coins=total,
            balance=await self._db.read(lambda conn: wallets.coins(conn, guild_id, details["sender_id"])),
            rate=rate,
            fee_percent=config.fee_percent,
            live_session_id=details["live_session_id"],
            alerts_channel_id=config.alerts_channel_id,
            replayed=True,
        )

"""Stream overlays, discord-free: each creator's secret address, settings, goal, test alerts, status, and
what an overlay page is sent (the alert log since an id, merged when much is waiting; widget states).

Gifts reach the alert log through a trigger in the gift's own transaction (storage/migrations/009); the
gift service calls `gift_committed` after the commit so open streams read it at once.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import Clock, from_micros, to_micros
from bot.creators import CreatorService
from bot.errors import NotFound, NotPermitted
from bot.overlay.hub import Connection, CreatorKey, OverlayHub
from bot.text import short_text, single_line, whole_number
from storage import Connection as DbConnection
from storage import Database, Row, live, overlay

SECRET_BYTES = 24  # 192 random bits
BACKLOG_US = 10 * 60 * 1_000_000  # a reconnecting page gets what it missed in the last 10 minutes
BACKLOG_MAX_ROWS = 5_000
MERGE_ABOVE = 10  # more alerts than this waiting: merged per sender and gift
LIVE_BATCH = 200
GOAL_MAX = 1_000_000_000
GOAL_TITLE_MAX = 60
DURATION_RANGE = (2, 60)
DELAY_MAX = 120
COINS_MAX = 1_000_000_000
KEEP_ALERTS_US = 24 * 3600 * 1_000_000  # older log rows are pruned (nothing replays them)

NameLookup = Callable[[int, int], str | None]  # (guild id, user id) → display name, or None if unknown


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class OverlaySettings:
    min_coins: int
    duration_s: int
    tts: bool
    tts_min_coins: int
    sound: bool
    delay_s: int

    def page(self) -> dict[str, Any]:
        return {
            "duration_ms": self.duration_s * 1000,
            "tts": self.tts,
            "tts_min_coins": self.tts_min_coins,
            "sound": self.sound,
        }


@dataclass(frozen=True)
class OverlayAlert:
    """One alert as the page shows it (several log rows when merged)."""

    id: int  # the highest log id it covers
    test: bool
    sender_id: int
    gift: str
    emoji: str
    count: int
    coins: int
    message: str | None


@dataclass(frozen=True)
class LiveBatch:
    alerts: list[OverlayAlert]
    last_id: int  # the stream has dealt with every row up to here (shown or below the minimum)
    next_due_us: int | None  # a held-back row becomes due then (the creator's delay)


@dataclass(frozen=True)
class OverlayStatus:
    connections: list[Connection]
    last_seen: dict[str, datetime]
    waiting: int
    url: str | None


def _settings(row: Row) -> OverlaySettings:
    return OverlaySettings(
        min_coins=row["min_coins"],
        duration_s=row["duration_s"],
        tts=bool(row["tts"]),
        tts_min_coins=row["tts_min_coins"],
        sound=bool(row["sound"]),
        delay_s=row["delay_s"],
    )


def _alert(row: Row) -> OverlayAlert:
    return OverlayAlert(
        id=row["id"],
        test=row["kind"] == "test",
        sender_id=row["sender_id"],
        gift=row["gift_name"],
        emoji=row["emoji"],
        count=row["count"],
        coins=row["coins"],
        message=None if row["message_hidden"] else row["message"],
    )


def merge(alerts: list[OverlayAlert]) -> list[OverlayAlert]:
    """Many waiting alerts become one per sender and gift (counts and coins added, the latest message),
    in the order each group first appeared."""
    groups: dict[tuple[bool, int, str], OverlayAlert] = {}
    for alert in alerts:
        key = (alert.test, alert.sender_id, alert.gift.casefold())
        earlier = groups.get(key)
        if earlier is None:
            groups[key] = alert
            continue
        groups[key] = OverlayAlert(
            id=max(earlier.id, alert.id),
            test=alert.test,
            sender_id=alert.sender_id,
            gift=alert.gift,
            emoji=alert.emoji,
            count=earlier.count + alert.count,
            coins=earlier.coins + alert.coins,
            message=alert.message or earlier.message,
        )
    return list(groups.values())


def display_ms(settings: OverlaySettings, coins: int) -> int:
    """Bigger gifts stay longer: the base duration, up to three times it for the most valuable."""
    bonus = min(2.0, math.log10(max(coins, 1)) / 2)
    return int(settings.duration_s * 1000 * (1 + bonus))


class OverlayService:
    def __init__(
        self,
        db: Database,
        creators: CreatorService,
        clock: Clock,
        hub: OverlayHub,
        *,
        public_url: str | None = None,
    ) -> None:
        self._db = db
        self._creators = creators
        self.clock = clock
        self.hub = hub
        self.public_url = public_url
        self.bound_url: str | None = None  # set by the web server once it listens
        self.names: NameLookup = lambda guild_id, user_id: None  # the Discord side plugs in its cache

    # --- addresses -------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str | None:
        return self.public_url or self.bound_url

    def url_of(self, secret: str, widget: str = "alerts") -> str | None:
        base = self.base_url
        return f"{base}/o/{secret}/{widget}" if base else None

    async def secret(self, guild_id: int, creator_id: int) -> str:
        """The creator's overlay secret, made on first use."""
        await self._creators.require(guild_id, creator_id, yourself=True)
        row = await self._db.read(lambda conn: overlay.key_of(conn, guild_id, creator_id))
        if row is not None:
            return str(row["secret"])
        fresh = secrets.token_urlsafe(SECRET_BYTES)
        now = to_micros(self.clock())

        def create(conn: DbConnection) -> str:
            existing = overlay.key_of(conn, guild_id, creator_id)
            if existing is not None:  # a concurrent first use won
                return str(existing["secret"])
            overlay.put_key(conn, guild_id, creator_id, fresh, digest_of(fresh), now)
            return fresh

        return await self._db.write(create)

    async def rotate(self, guild_id: int, creator_id: int) -> str:
        """A new secret; the old address stops at once, open connections included."""
        await self._creators.require(guild_id, creator_id, yourself=True)
        fresh = secrets.token_urlsafe(SECRET_BYTES)
        now = to_micros(self.clock())
        await self._db.write(
            lambda conn: overlay.put_key(conn, guild_id, creator_id, fresh, digest_of(fresh), now)
        )
        self.hub.revoke((guild_id, creator_id))
        return fresh

    async def authenticate(self, secret: str) -> CreatorKey | None:
        """The creator whose secret this is, or None (compared in constant time)."""
        if not secret or len(secret) > 100:
            return None
        row = await self._db.read(lambda conn: overlay.key_by_digest(conn, digest_of(secret)))
        if row is None or not hmac.compare_digest(str(row["secret"]).encode(), secret.encode()):
            return None
        return (row["guild_id"], row["creator_id"])

    # --- settings, goal, test ------------------------------------------------------------------------

    async def settings(self, guild_id: int, creator_id: int) -> OverlaySettings:
        return _settings(await self._db.read(lambda conn: overlay.settings(conn, guild_id, creator_id)))

    async def update_settings(
        self,
        guild_id: int,
        creator_id: int,
        *,
        min_coins: int | None = None,
        duration_s: int | None = None,
        tts: bool | None = None,
        tts_min_coins: int | None = None,
        sound: bool | None = None,
        delay_s: int | None = None,
    ) -> OverlaySettings:
        await self._creators.require(guild_id, creator_id, yourself=True)
        changes: dict[str, int] = {}
        if min_coins is not None:
            changes["min_coins"] = whole_number(min_coins, 1, COINS_MAX, "The minimum coins")
        if duration_s is not None:
            changes["duration_s"] = whole_number(duration_s, *DURATION_RANGE, "The duration")
        if tts_min_coins is not None:
            changes["tts_min_coins"] = whole_number(tts_min_coins, 1, COINS_MAX, "The speech threshold")
        if delay_s is not None:
            changes["delay_s"] = whole_number(delay_s, 0, DELAY_MAX, "The delay")
        if tts is not None:
            changes["tts"] = int(bool(tts))
        if sound is not None:
            changes["sound"] = int(bool(sound))

        def update(conn: DbConnection) -> Row:
            if changes:
                overlay.update_settings(conn, guild_id, creator_id, changes)
            return overlay.settings(conn, guild_id, creator_id)

        result = _settings(await self._db.write(update))
        if changes:
            self.hub.notify((guild_id, creator_id), settings=True)
        return result

    async def set_goal(self, guild_id: int, creator_id: int, coins: int, title: str | None) -> str | None:
        """Set the goal the goal bar shows during the creator's live; returns the title as stored."""
        await self._creators.require(guild_id, creator_id, yourself=True)
        target = whole_number(coins, 1, GOAL_MAX, "The goal")
        clean = short_text(title, GOAL_TITLE_MAX, "The goal's title", required=False)
        now = to_micros(self.clock())
        await self._db.write(lambda conn: overlay.set_goal(conn, guild_id, creator_id, target, clean, now))
        self.hub.notify((guild_id, creator_id))
        return clean

    async def send_test(self, guild_id: int, creator_id: int) -> int:
        """A test alert on the creator's overlays (marked as a test; no coins move)."""
        await self._creators.require(guild_id, creator_id, yourself=True)
        now = to_micros(self.clock())
        alert_id = await self._db.write(
            lambda conn: overlay.add_test_alert(
                conn,
                guild_id,
                creator_id,
                creator_id,
                "Test Gift",
                "🎁",
                1,
                100,
                "This is a test alert.",
                now,
            )
        )
        self.hub.notify((guild_id, creator_id))
        return alert_id

    async def hideable(self, entry_id: int) -> bool:
        """Whether the gift's message is still held back by its creator's delay (a button can hide it)."""
        now = to_micros(self.clock())
        row = await self._db.read(lambda conn: overlay.alert_of_entry(conn, entry_id))
        return row is not None and row["message"] is not None and row["show_at"] > now

    async def hide_message(self, guild_id: int, entry_id: int, actor_id: int, *, moderator: bool) -> bool:
        """The gift's creator or a moderator keeps its message off the stream; False when too late (the
        alert was already shown with it)."""
        now = to_micros(self.clock())

        def hide(conn: DbConnection) -> tuple[bool, int]:
            row = overlay.alert_of_entry(conn, entry_id)
            if row is None or row["guild_id"] != guild_id:
                raise NotFound("That gift has no overlay alert.")
            if not moderator and row["creator_id"] != actor_id:
                raise NotPermitted(
                    "Only the gift's creator or a moderator can hide its message from the stream."
                )
            if row["message_hidden"]:
                return True, row["creator_id"]
            if row["show_at"] <= now:
                return False, row["creator_id"]
            return overlay.hide_message(conn, row["id"]), row["creator_id"]

        hidden, creator_id = await self._db.write(hide)
        if hidden:
            self.hub.notify((guild_id, creator_id))
        return hidden

    def gift_committed(self, guild_id: int, creator_id: int) -> None:
        """Called after a gift's transaction committed: its alert is in the log; wake the streams."""
        self.hub.notify((guild_id, creator_id))

    async def status(self, guild_id: int, creator_id: int) -> OverlayStatus:
        await self._creators.require(guild_id, creator_id, yourself=True)
        now = to_micros(self.clock())

        def read(conn: DbConnection) -> tuple[list[Row], int, Row | None]:
            return (
                overlay.last_seen(conn, guild_id, creator_id),
                overlay.waiting_count(conn, guild_id, creator_id, now),
                overlay.key_of(conn, guild_id, creator_id),
            )

        seen, waiting, key = await self._db.read(read)
        return OverlayStatus(
            connections=self.hub.connections((guild_id, creator_id)),
            last_seen={row["widget"]: from_micros(row["last_seen_at"]) for row in seen},
            waiting=waiting,
            url=self.url_of(str(key["secret"])) if key is not None else None,
        )

    # --- what streams read ---------------------------------------------------------------------------

    async def last_id(self, key: CreatorKey) -> int:
        return await self._db.read(lambda conn: overlay.last_alert_id(conn, *key))

    async def start_id(self, key: CreatorKey) -> int:
        """Where a fresh page starts: after everything already shown, before what a delay still holds."""
        now = to_micros(self.clock())

        def read(conn: DbConnection) -> int:
            held = overlay.first_held_id(conn, *key, now)
            return held - 1 if held is not None else overlay.last_alert_id(conn, *key)

        return await self._db.read(read)

    async def backlog(self, key: CreatorKey, after_id: int) -> tuple[list[OverlayAlert], int]:
        """What a reconnecting page missed (the last 10 minutes, merged when many), and the id it
        resumes from afterwards. Rows held back by a delay stay for the live stream."""
        now = to_micros(self.clock())

        def read(conn: DbConnection) -> tuple[list[Row], Row]:
            rows = overlay.alerts_after(conn, *key, after_id, now - BACKLOG_US, BACKLOG_MAX_ROWS)
            return rows, overlay.settings(conn, *key)

        rows, settings_row = await self._db.read(read)
        settings = _settings(settings_row)
        shown: list[OverlayAlert] = []
        last = after_id
        for row in rows:
            if row["show_at"] > now:
                break
            last = row["id"]
            if row["coins"] >= settings.min_coins or row["kind"] == "test":
                shown.append(_alert(row))
        if len(shown) > MERGE_ABOVE:
            shown = merge(shown)
        return shown, last

    async def alerts_after(self, key: CreatorKey, after_id: int) -> LiveBatch:
        """New alerts in id order, stopping at the first one still held back by the creator's delay."""
        now = to_micros(self.clock())

        def read(conn: DbConnection) -> tuple[list[Row], Row]:
            return (
                overlay.alerts_after(conn, *key, after_id, 0, LIVE_BATCH),
                overlay.settings(conn, *key),
            )

        rows, settings_row = await self._db.read(read)
        settings = _settings(settings_row)
        alerts: list[OverlayAlert] = []
        last = after_id
        for row in rows:
            if row["show_at"] > now:
                return LiveBatch(alerts, last, row["show_at"])
            last = row["id"]
            if row["coins"] >= settings.min_coins or row["kind"] == "test":
                alerts.append(_alert(row))
        more = len(rows) == LIVE_BATCH
        return LiveBatch(alerts, last, now if more else None)

    def page_alert(self, key: CreatorKey, alert: OverlayAlert, settings: OverlaySettings) -> dict[str, Any]:
        """The JSON an alert page receives (member text is data: the page inserts it as text)."""
        sender = single_line(self.names(key[0], alert.sender_id) or "") or "Someone"
        return {
            "id": alert.id,
            "test": alert.test,
            "sender": sender[:64],
            "gift": alert.gift,
            "emoji": alert.emoji,
            "count": alert.count,
            "coins": alert.coins,
            "message": alert.message,
            "duration_ms": display_ms(settings, alert.coins),
            "speak": settings.tts and alert.message is not None and alert.coins >= settings.tts_min_coins,
        }

    async def goal_state(self, key: CreatorKey) -> dict[str, Any]:
        def read(conn: DbConnection) -> tuple[Row | None, int | None]:
            goal = overlay.goal(conn, *key)
            session = live.open_session(conn, *key)
            return goal, overlay.session_coins(conn, session["id"]) if session is not None else None

        goal, coins = await self._db.read(read)
        return {
            "live": coins is not None,
            "coins": coins or 0,
            "goal": goal["coins"] if goal is not None else None,
            "title": goal["title"] if goal is not None else None,
        }

    async def top_state(self, key: CreatorKey) -> dict[str, Any]:
        def read(conn: DbConnection) -> list[Row] | None:
            session = live.open_session(conn, *key)
            return live.top_gifters(conn, session["id"], 3) if session is not None else None

        rows = await self._db.read(read)
        top = [
            {
                "name": single_line(self.names(key[0], row["sender_id"]) or "")[:64] or "Someone",
                "coins": None if row["hidden"] else row["coins"],
            }
            for row in rows or []
        ]
        return {"live": rows is not None, "top": top}

    async def mark_seen(self, key: CreatorKey, widget: str) -> None:
        now = to_micros(self.clock())
        await self._db.write(lambda conn: overlay.mark_seen(conn, *key, [widget], now))

    async def prune(self) -> int:
        before = to_micros(self.clock()) - KEEP_ALERTS_US
        return await self._db.write(lambda conn: overlay.prune_alerts(conn, before))

"""Followers: members follow creators and get a DM when one goes live.

When a session starts (however it started) every follower who wants DMs is queued in SQLite; one sender
drains the queue at a pace Discord accepts. Each DM is decided when its turn comes: the session must
still be live, the member must still follow, must not be in their quiet hours (in their time zone, read
afresh each time, so midnight and DST need no special case), and must not have had a DM about this
creator in the last four hours. Closed DMs pause the member's go-live DMs until they turn them on again.

Discord-free: the sender is given a `GoLiveMessages` (cogs/creator.py sends real DMs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.budgets import Zone, check_switch, member_zone, parse_time_of_day, resolve_zone, time_text
from bot.clock import Clock, from_micros, to_micros
from bot.creators import CreatorService
from bot.errors import Conflict, InvalidOption, InvalidTimeOfDay, NotFound
from bot.guilds import GuildDirectory
from bot.live import LiveSession
from bot.reminders import DirectMessagesClosed
from storage import Connection, Database, Row, follows

log = logging.getLogger(__name__)

NOTIFY_AT_MOST_EVERY = timedelta(hours=4)  # one go-live DM per creator per follower in this window
# Discord allows a bot 50 requests a second in all, but mass DMs get a bot flagged as spam long
# before that: a DM is two requests (open the channel, send), and one DM a second leaves room for
# everything else the bot does.
DM_PACE = timedelta(seconds=1)
FOLLOWING_MAX = 200
BATCH = 50


@dataclass(frozen=True)
class QuietHours:
    start: int  # minutes after local midnight
    end: int

    def __str__(self) -> str:
        return f"{time_text(self.start)}–{time_text(self.end)}"

    def contains(self, moment: datetime, zone: ZoneInfo) -> bool:
        """Whether `moment` falls in these hours on the local clock (a span may cross midnight)."""
        local = moment.astimezone(zone)
        minute = local.hour * 60 + local.minute
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


@dataclass(frozen=True)
class FollowerSettings:
    quiet: QuietHours | None
    notifications: bool
    paused_at: datetime | None
    zone: Zone


@dataclass(frozen=True)
class Followed:
    creator_id: int
    followed_at: datetime
    live: bool


@dataclass(frozen=True)
class Following:
    creators: list[Followed]
    settings: FollowerSettings


@dataclass(frozen=True)
class GoLiveNotice:
    """One DM to send: `creator_id` went live in `guild_id`."""

    guild_id: int
    follower_id: int
    creator_id: int
    title: str | None
    channel_id: int | None


class GoLiveMessages(Protocol):
    async def send_go_live(self, notice: GoLiveNotice) -> None:
        """DM the follower; raise DirectMessagesClosed when they do not accept DMs from the bot."""
        ...


@dataclass
class DeliveryRun:
    sent: list[GoLiveNotice] = field(default_factory=list)
    skipped: list[GoLiveNotice] = field(default_factory=list)  # quiet hours, 4-hour rule, stream over
    paused: list[GoLiveNotice] = field(default_factory=list)
    failed: list[GoLiveNotice] = field(default_factory=list)


Sleep = Callable[[float], Awaitable[None]]


def parse_quiet_hours(start: str | None, end: str | None) -> QuietHours | None:
    """Both given: the quiet hours; neither: none (turned off); one alone is refused."""
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise InvalidTimeOfDay(
            "Give both `from` and `to` (e.g. 22:00 and 08:00), or neither to turn quiet hours off."
        )
    quiet = QuietHours(parse_time_of_day(start), parse_time_of_day(end))
    if quiet.start == quiet.end:
        raise InvalidTimeOfDay("Quiet hours need a start and an end that differ (e.g. 22:00 to 08:00).")
    return quiet


def _settings(row: Row | None, zone: Zone) -> FollowerSettings:
    if row is None:
        return FollowerSettings(None, True, None, zone)
    quiet = QuietHours(row["quiet_from"], row["quiet_to"]) if row["quiet_from"] is not None else None
    paused = from_micros(row["paused_at"]) if row["paused_at"] is not None else None
    return FollowerSettings(quiet, bool(row["notifications"]), paused, zone)


class FollowerService:
    def __init__(
        self,
        db: Database,
        guilds: GuildDirectory,
        creators: CreatorService,
        clock: Clock,
        *,
        pace: timedelta = DM_PACE,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._db = db
        self._guilds = guilds
        self._creators = creators
        self._clock = clock
        self._pace = pace
        self._sleep = sleep
        self._queued = asyncio.Event()
        self._last_sent: datetime | None = None  # the pace holds across delivery rounds

    # --- members -------------------------------------------------------------------------------------

    async def follow(self, guild_id: int, follower_id: int, creator_id: int) -> None:
        if follower_id == creator_id:
            raise InvalidOption("You cannot follow yourself.")
        await self._creators.require(guild_id, creator_id)
        await self._guilds.ensure(guild_id)
        now = to_micros(self._clock())

        def write(conn: Connection) -> None:
            if follows.following_count(conn, guild_id, follower_id) >= FOLLOWING_MAX:
                raise Conflict(f"You follow {FOLLOWING_MAX} creators already; unfollow one first.")
            if not follows.follow(conn, guild_id, creator_id, follower_id, now):
                raise Conflict(f"You already follow <@{creator_id}>.")

        await self._db.write(write)

    async def unfollow(self, guild_id: int, follower_id: int, creator_id: int) -> None:
        def write(conn: Connection) -> None:
            if not follows.unfollow(conn, guild_id, creator_id, follower_id):
                raise NotFound(f"You do not follow <@{creator_id}>.")

        await self._db.write(write)

    async def following(self, guild_id: int, follower_id: int) -> Following:
        now = to_micros(self._clock())

        def read(conn: Connection) -> tuple[list[Row], Row | None, Zone]:
            return (
                follows.following(conn, guild_id, follower_id),
                follows.settings(conn, guild_id, follower_id),
                member_zone(conn, guild_id, follower_id, now),
            )

        rows, settings, zone = await self._db.read(read)
        creators = [Followed(r["creator_id"], from_micros(r["followed_at"]), bool(r["live"])) for r in rows]
        return Following(creators, _settings(settings, zone))

    async def set_quiet_hours(
        self, guild_id: int, user_id: int, start: str | None, end: str | None
    ) -> FollowerSettings:
        """Quiet hours on the member's local clock (their time zone of `/budget reminders`, else the
        server's); neither end given turns them off."""
        quiet = parse_quiet_hours(start, end)
        await self._guilds.ensure(guild_id)
        now = to_micros(self._clock())

        def write(conn: Connection) -> FollowerSettings:
            follows.set_quiet_hours(
                conn, guild_id, user_id, quiet.start if quiet else None, quiet.end if quiet else None
            )
            return _settings(
                follows.settings(conn, guild_id, user_id), member_zone(conn, guild_id, user_id, now)
            )

        return await self._db.write(write)

    async def set_notifications(self, guild_id: int, user_id: int, enabled: bool | str) -> FollowerSettings:
        """Go-live DMs on (which lifts a pause after closed DMs) or off."""
        on = check_switch(enabled)
        await self._guilds.ensure(guild_id)
        now = to_micros(self._clock())

        def write(conn: Connection) -> FollowerSettings:
            follows.set_notifications(conn, guild_id, user_id, on)
            return _settings(
                follows.settings(conn, guild_id, user_id), member_zone(conn, guild_id, user_id, now)
            )

        return await self._db.write(write)

    async def follower_count(self, guild_id: int, creator_id: int) -> int:
        return await self._db.read(lambda conn: follows.follower_count(conn, guild_id, creator_id))

    # --- go-live DMs ---------------------------------------------------------------------------------

    async def session_started(self, session: LiveSession) -> None:
        """Queue the go-live DMs of the session's creator's followers (a LiveService listener)."""
        now = to_micros(self._clock())
        queued = await self._db.write(
            lambda conn: follows.queue_followers(conn, session.guild_id, session.creator_id, session.id, now)
        )
        if queued:
            self._queued.set()

    async def deliver(self, messages: GoLiveMessages) -> DeliveryRun:
        """Send every queued go-live DM that is still due, one per `pace`."""
        run = DeliveryRun()
        while True:
            rows = await self._next_queued()
            if not rows:
                return run
            for row in rows:
                notice = GoLiveNotice(
                    row["guild_id"], row["follower_id"], row["creator_id"], row["title"], row["channel_id"]
                )
                if not await self._claim(row):
                    run.skipped.append(notice)
                    continue
                if self._last_sent is not None:
                    wait = (self._last_sent + self._pace - self._clock()).total_seconds()
                    if wait > 0:
                        await self._sleep(wait)
                self._last_sent = self._clock()
                try:
                    await messages.send_go_live(notice)
                except DirectMessagesClosed:
                    await self._pause(notice)
                    run.paused.append(notice)
                    log.info(
                        "DMs closed: paused go-live DMs of %s in guild %s",
                        notice.follower_id,
                        notice.guild_id,
                    )
                except Exception:  # one member's failure must not stop the others'
                    log.warning("could not send a go-live DM to %s", notice.follower_id, exc_info=True)
                    run.failed.append(notice)
                else:
                    run.sent.append(notice)

    async def _next_queued(self) -> list[Row]:
        at = to_micros(self._clock())
        return await self._db.read(lambda conn: follows.next_queued(conn, BATCH, at))

    async def _pause(self, notice: GoLiveNotice) -> None:
        at = to_micros(self._clock())
        await self._db.write(lambda conn: follows.pause(conn, notice.guild_id, notice.follower_id, at))

    async def _claim(self, row: Row) -> bool:
        """Take the queued DM off the queue; True if it is to be sent now (and is recorded as sent)."""
        now = self._clock()
        due = (
            row["ended_at"] is None
            and bool(row["following"])
            and bool(row["notifications"])
            and row["paused_at"] is None
        )
        if due and row["quiet_from"] is not None:
            zone = resolve_zone(row["timezone"], row["guild_timezone"])
            due = not QuietHours(row["quiet_from"], row["quiet_to"]).contains(now, zone.info)
        at, not_since = to_micros(now), to_micros(now - NOTIFY_AT_MOST_EVERY)

        def claim(conn: Connection) -> bool:
            if not follows.take(conn, row["id"]) or not due:
                return False
            return follows.claim_notification(
                conn, row["guild_id"], row["creator_id"], row["follower_id"], at, not_since
            )

        return await self._db.write(claim)

    async def run(self, messages: GoLiveMessages) -> None:
        """Deliver whenever something is queued, for as long as the bot runs (one task)."""
        self._queued.set()  # DMs queued before a restart go out first
        while True:
            await self._queued.wait()
            self._queued.clear()
            try:
                await self.deliver(messages)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("go-live DMs: a delivery round failed")

"""Scheduled streams: a creator announces a stream ahead (`/live schedule`), the bot makes it a Discord
scheduled event (members press "Interested" in Discord), starts the event when its time comes, and the
event going live starts the creator's session (their followers are notified like for any start);
the event ending, or the creator ending the session, ends both.

Every guild scheduled event's start and end comes through `event_started` / `event_ended`: events
announced here are handled here whatever `/config auto-live` says; the others go to auto-live. Every path
tolerates the others: a session already open (by hand or by auto-live) is reused, an event that is
already live or gone is taken as it is, and the gateway's echo of the bot's own changes does nothing
twice. Discord-free: the cog gives the service a `GuildEvents`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.budgets import Zone, member_zone
from bot.clock import Clock, from_micros, to_micros
from bot.creators import CreatorService
from bot.errors import Conflict, NotFound
from bot.guilds import GuildDirectory
from bot.live import TITLE_MAX, LiveService, LiveSession, LiveSummary
from bot.live_auto import AutoLiveService
from bot.moments import parse_moment
from bot.text import short_text
from storage import Connection, ConstraintViolation, Database, Row, scheduled_streams

log = logging.getLogger(__name__)


class EventGone(Exception):
    """The Discord scheduled event no longer exists (deleted in Discord)."""


@dataclass(frozen=True)
class EventRequest:
    guild_id: int
    creator_id: int
    title: str
    starts_at: datetime
    channel_id: int | None  # a voice or stage channel hosts the event; otherwise it links there


class GuildEvents(Protocol):
    async def create(self, request: EventRequest) -> int:
        """Create the scheduled event; its id. Raises a DomainError the member can read."""
        ...

    async def start(self, guild_id: int, event_id: int) -> None:
        """Set the event live (nothing if it already is); EventGone if it was deleted."""
        ...

    async def end(self, guild_id: int, event_id: int) -> None:
        """Complete the live event (or cancel it if it never started); nothing if it is gone."""
        ...


@dataclass(frozen=True)
class ScheduledStream:
    id: int
    guild_id: int
    creator_id: int
    event_id: int
    title: str
    channel_id: int | None
    starts_at: datetime
    status: str
    zone: Zone  # the creator's, to show the time in


def _stream(row: Row, zone: Zone) -> ScheduledStream:
    return ScheduledStream(
        row["id"],
        row["guild_id"],
        row["creator_id"],
        row["event_id"],
        row["title"],
        row["channel_id"],
        from_micros(row["starts_at"]),
        row["status"],
        zone,
    )


class ScheduledStreamService:
    def __init__(
        self,
        db: Database,
        guilds: GuildDirectory,
        creators: CreatorService,
        live: LiveService,
        auto_live: AutoLiveService,
        clock: Clock,
    ) -> None:
        self._db = db
        self._guilds = guilds
        self._creators = creators
        self._live = live
        self._auto_live = auto_live
        self._clock = clock
        self.events: GuildEvents | None = None  # attached by cogs.live
        self._lock = asyncio.Lock()  # the job and the gateway may report one start at once
        live.when_ended(self.session_ended)

    def _discord(self) -> GuildEvents:
        if self.events is None:
            raise Conflict("Scheduled streams are not available right now; try again in a minute.")
        return self.events

    async def schedule(
        self, guild_id: int, creator_id: int, when: str, title: str | None, channel_id: int | None
    ) -> ScheduledStream:
        """Announce the creator's next stream at `when` (a duration from now or a date and time in the
        creator's time zone) as a Discord scheduled event. One scheduled stream per creator at a time."""
        clean_title = short_text(title, TITLE_MAX, "The title")
        assert clean_title is not None
        await self._creators.require(guild_id, creator_id, yourself=True)
        await self._guilds.ensure(guild_id)
        now = self._clock()
        zone = await self._db.read(lambda conn: member_zone(conn, guild_id, creator_id, to_micros(now)))
        starts_at = parse_moment(when, now, zone.info)
        if await self.current(guild_id, creator_id) is not None:
            raise Conflict(
                "You already have a scheduled stream. Cancel it first with `/live schedule cancel`."
            )
        events = self._discord()
        event_id = await events.create(EventRequest(guild_id, creator_id, clean_title, starts_at, channel_id))
        created_at = to_micros(self._clock())

        def record(conn: Connection) -> Row:
            stream_id = scheduled_streams.add(
                conn,
                guild_id,
                creator_id,
                event_id,
                clean_title,
                channel_id,
                to_micros(starts_at),
                created_at,
            )
            row = scheduled_streams.stream(conn, stream_id)
            assert row is not None
            return row

        try:
            row = await self._db.write(record)
        except ConstraintViolation:  # a second /live schedule of the same creator won the race
            await events.end(guild_id, event_id)
            raise Conflict(
                "You already have a scheduled stream. Cancel it first with `/live schedule cancel`."
            ) from None
        return _stream(row, zone)

    async def current(self, guild_id: int, creator_id: int) -> ScheduledStream | None:
        now = to_micros(self._clock())

        def read(conn: Connection) -> tuple[Row | None, Zone]:
            return scheduled_streams.open_for(conn, guild_id, creator_id), member_zone(
                conn, guild_id, creator_id, now
            )

        row, zone = await self._db.read(read)
        return _stream(row, zone) if row else None

    async def cancel(self, guild_id: int, creator_id: int) -> ScheduledStream:
        """Cancel the creator's scheduled stream (and its Discord event) before it starts."""
        stream = await self.current(guild_id, creator_id)
        if stream is None:
            raise NotFound("You have no scheduled stream. Announce one with `/live schedule new`.")
        if stream.status == "live":
            raise Conflict("Your scheduled stream is live now: end it with `/live end`.")
        await self._discord().end(guild_id, stream.event_id)
        await self._close(stream.id, "cancelled")
        return stream

    # --- the event's life -------------------------------------------------------------------------

    async def start_due(self) -> list[LiveSession]:
        """Start the events whose time has come (a job runs this every few seconds)."""
        now = to_micros(self._clock())
        started = []
        for row in await self._db.read(lambda conn: scheduled_streams.due(conn, now)):
            try:
                await self._discord().start(row["guild_id"], row["event_id"])
            except EventGone:
                await self._close(row["id"], "cancelled")
                continue
            except Exception:
                log.warning("could not start scheduled event %s", row["event_id"], exc_info=True)
                continue
            session = await self.event_started(row["guild_id"], row["event_id"])
            if session is not None:
                started.append(session)
        return started

    async def event_started(
        self, guild_id: int, event_id: int, creator_id: int | None = None, title: str | None = None
    ) -> LiveSession | None:
        """Any guild scheduled event went live (the one entry point for the gateway): one announced with
        `/live schedule` starts its creator's session whatever auto-live says (or keeps the open one);
        another, made by `creator_id`, is auto-live's to decide. The session if one started."""
        async with self._lock:
            row = await self._db.read(lambda conn: scheduled_streams.by_event(conn, guild_id, event_id))
            if row is None:
                if creator_id is None:
                    return None
                return await self._auto_live.scheduled_event_started(guild_id, creator_id, event_id, title)
            if row["status"] != "scheduled":
                return None  # the echo of the bot's own start, or over
            try:
                session, _ = await self._live.start_unless_live(
                    guild_id, row["creator_id"], row["title"], row["channel_id"]
                )
            except NotFound:  # no longer a creator
                await self._close(row["id"], "cancelled")
                return None
            await self._db.write(lambda conn: scheduled_streams.mark_live(conn, row["id"], session.id))
            log.info(
                "scheduled stream %s of %s is live (session %s)", row["id"], row["creator_id"], session.id
            )
            return session

    async def event_ended(
        self, guild_id: int, event_id: int, creator_id: int | None = None
    ) -> LiveSummary | None:
        """Any guild scheduled event ended, was cancelled or deleted (the one entry point for the
        gateway). One announced with `/live schedule`: the session it started ends (its summary is
        returned, for posting), or the announcement is dropped if it never started. Another is
        auto-live's (which posts its own summary)."""
        async with self._lock:
            row = await self._db.read(lambda conn: scheduled_streams.by_event(conn, guild_id, event_id))
            if row is None:
                if creator_id is not None:
                    await self._auto_live.scheduled_event_ended(guild_id, creator_id, event_id)
                return None
            if row["status"] not in ("scheduled", "live"):
                return None
            await self._close(row["id"], "ended" if row["status"] == "live" else "cancelled")
            if row["session_id"] is None:
                return None
            return await self._live.end_session(guild_id, row["creator_id"], row["session_id"])

    async def _close(self, stream_id: int, status: str) -> bool:
        return await self._db.write(lambda conn: scheduled_streams.close(conn, stream_id, status))

    async def session_ended(self, session: LiveSession) -> None:
        """A session ended (e.g. `/live end`): the scheduled event it belongs to ends too."""
        row = await self._db.read(lambda conn: scheduled_streams.by_session(conn, session.id))
        if row is None:
            return
        if await self._close(row["id"], "ended"):
            await self._discord().end(row["guild_id"], row["event_id"])

"""Live sessions: a creator goes live, gifts sent meanwhile belong to the session, and ending it
gives a summary (duration, gifts, coins, top gifters, breakdown). Sessions live in SQLite, so a
session left open by a restart is still open afterwards."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock, from_micros, to_micros
from bot.creators import CreatorService
from bot.errors import Conflict, NotFound
from bot.guild_config import GuildConfigService
from bot.text import short_text
from storage import Connection, Database, Row, live

log = logging.getLogger(__name__)

TITLE_MAX = 100


@dataclass(frozen=True)
class LiveSession:
    id: int
    guild_id: int
    creator_id: int
    title: str | None
    started_at: datetime
    ended_at: datetime | None
    channel_id: int | None = None  # where the stream happens, when known


# Told about every session that started (followers are notified) or ended, after the commit.
SessionListener = Callable[[LiveSession], Awaitable[None]]


@dataclass(frozen=True)
class GifterTotal:
    user_id: int
    coins: int
    hidden: bool = False  # the member hides their amounts from public boards


@dataclass(frozen=True)
class GiftLine:
    name: str
    emoji: str
    count: int
    coins: int


@dataclass(frozen=True)
class LiveSummary:
    session: LiveSession
    duration: timedelta
    sends: int
    gifts: int
    coins: int
    senders: int
    top_gifters: list[GifterTotal]
    breakdown: list[GiftLine]
    alerts_channel_id: int | None


def _session(row: Row) -> LiveSession:
    return LiveSession(
        id=row["id"],
        guild_id=row["guild_id"],
        creator_id=row["creator_id"],
        title=row["title"],
        started_at=from_micros(row["started_at"]),
        ended_at=from_micros(row["ended_at"]) if row["ended_at"] is not None else None,
        channel_id=row["channel_id"],
    )


class LiveService:
    def __init__(
        self, db: Database, creators: CreatorService, guild_config: GuildConfigService, clock: Clock
    ) -> None:
        self._db = db
        self._creators = creators
        self._config = guild_config
        self._clock = clock
        self._started: list[SessionListener] = []
        self._ended: list[SessionListener] = []

    async def current(self, guild_id: int, creator_id: int) -> LiveSession | None:
        row = await self._db.read(lambda conn: live.open_session(conn, guild_id, creator_id))
        return _session(row) if row else None

    def when_started(self, listener: SessionListener) -> None:
        """Call `listener` with each session that starts, whichever way it started."""
        self._started.append(listener)

    def when_ended(self, listener: SessionListener) -> None:
        """Call `listener` with each session that ends, whichever way it ended."""
        self._ended.append(listener)

    async def start(
        self, guild_id: int, creator_id: int, title: str | None = None, channel_id: int | None = None
    ) -> LiveSession:
        """Start the creator's session; Conflict if one is open."""
        session, started = await self.start_unless_live(guild_id, creator_id, title, channel_id)
        if not started:
            raise Conflict("You are already live. End that stream with `/live end` first.")
        return session

    async def start_unless_live(
        self, guild_id: int, creator_id: int, title: str | None = None, channel_id: int | None = None
    ) -> tuple[LiveSession, bool]:
        """Start the creator's session, or find the one already open (every way of going live uses this,
        so two of them at once never start two sessions): the session, and whether it started now."""
        clean_title = short_text(title, TITLE_MAX, "The title", required=False)
        await self._creators.require(guild_id, creator_id, yourself=True)
        now = to_micros(self._clock())

        def start(conn: Connection) -> tuple[Row | None, int]:
            row = live.open_session(conn, guild_id, creator_id)
            if row is not None:
                return row, row["id"]
            return None, live.start(conn, guild_id, creator_id, clean_title, now, channel_id)

        open_row, session_id = await self._db.write(start)
        if open_row is not None:
            return _session(open_row), False
        session = LiveSession(
            session_id, guild_id, creator_id, clean_title, from_micros(now), None, channel_id
        )
        await _tell(self._started, session)
        return session, True

    async def end(self, guild_id: int, creator_id: int) -> LiveSummary:
        summary = await self.end_session(guild_id, creator_id)
        if summary is None:
            raise NotFound("You are not live right now. Start with `/live start`.")
        return summary

    async def end_session(
        self, guild_id: int, creator_id: int, session_id: int | None = None
    ) -> LiveSummary | None:
        """End the creator's open session (only if it is `session_id`, when given); None if there is
        none to end."""
        now = to_micros(self._clock())

        def end(conn: Connection) -> int | None:
            row = live.open_session(conn, guild_id, creator_id)
            if row is None or (session_id is not None and row["id"] != session_id):
                return None
            live.end(conn, row["id"], now)
            return int(row["id"])

        ended_id = await self._db.write(end)
        if ended_id is None:
            return None
        summary = await self.summary(guild_id, ended_id)
        await _tell(self._ended, summary.session)
        return summary

    async def summary(self, guild_id: int, session_id: int) -> LiveSummary:
        def read(conn: Connection) -> tuple[Row | None, Row, list[Row], list[Row]]:
            return (
                live.session(conn, session_id),
                live.totals(conn, session_id),
                live.top_gifters(conn, session_id, 3),
                live.breakdown(conn, session_id),
            )

        row, totals, top, lines = await self._db.read(read)
        if row is None or row["guild_id"] != guild_id:
            raise NotFound("There is no such live session.")
        session = _session(row)
        config = await self._config.get(guild_id)
        end = session.ended_at or self._clock()
        return LiveSummary(
            session=session,
            duration=end - session.started_at,
            sends=totals["sends"],
            gifts=totals["gifts"],
            coins=totals["coins"],
            senders=totals["senders"],
            top_gifters=[GifterTotal(r["sender_id"], r["coins"], bool(r["hidden"])) for r in top],
            breakdown=[GiftLine(r["name"], r["emoji"], r["count"], r["coins"]) for r in lines],
            alerts_channel_id=config.alerts_channel_id,
        )


async def _tell(listeners: list[SessionListener], session: LiveSession) -> None:
    # The session already started or ended: a listener's failure is logged, never the caller's.
    for listener in listeners:
        try:
            await listener(session)
        except Exception:
            log.exception("a live-session listener failed for session %s", session.id)

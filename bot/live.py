"""Live sessions: a creator goes live, gifts sent meanwhile belong to the session, and ending it
gives a summary (duration, gifts, coins, top gifters, breakdown). Sessions live in SQLite, so a
session left open by a restart is still open afterwards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock, from_micros, to_micros
from bot.creators import CreatorService
from bot.errors import Conflict, NotFound
from bot.guild_config import GuildConfigService
from bot.text import short_text
from storage import Connection, Database, Row, live

TITLE_MAX = 100


@dataclass(frozen=True)
class LiveSession:
    id: int
    guild_id: int
    creator_id: int
    title: str | None
    started_at: datetime
    ended_at: datetime | None


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
    )


class LiveService:
    def __init__(
        self, db: Database, creators: CreatorService, guild_config: GuildConfigService, clock: Clock
    ) -> None:
        self._db = db
        self._creators = creators
        self._config = guild_config
        self._clock = clock
        # Called with (guild id, creator id) after a session started or ended (overlay widgets follow).
        self.changed: Callable[[int, int], None] | None = None

    async def current(self, guild_id: int, creator_id: int) -> LiveSession | None:
        row = await self._db.read(lambda conn: live.open_session(conn, guild_id, creator_id))
        return _session(row) if row else None

    async def start(self, guild_id: int, creator_id: int, title: str | None = None) -> LiveSession:
        clean_title = short_text(title, TITLE_MAX, "The title", required=False)
        await self._creators.require(guild_id, creator_id, yourself=True)
        now = to_micros(self._clock())

        def start(conn: Connection) -> int:
            if live.open_session(conn, guild_id, creator_id) is not None:
                raise Conflict("You are already live. End that stream with `/live end` first.")
            return live.start(conn, guild_id, creator_id, clean_title, now)

        session_id = await self._db.write(start)
        if self.changed is not None:
            self.changed(guild_id, creator_id)
        return LiveSession(session_id, guild_id, creator_id, clean_title, from_micros(now), None)

    async def end(self, guild_id: int, creator_id: int) -> LiveSummary:
        now = to_micros(self._clock())

        def end(conn: Connection) -> int:
            row = live.open_session(conn, guild_id, creator_id)
            if row is None:
                raise NotFound("You are not live right now. Start with `/live start`.")
            session_id: int = row["id"]
            live.end(conn, session_id, now)
            return session_id

        session_id = await self._db.write(end)
        if self.changed is not None:
            self.changed(guild_id, creator_id)
        return await self.summary(guild_id, session_id)

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

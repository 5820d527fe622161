"""Live sessions that start by themselves (`/config auto-live on`, a guild setting): a creator's session starts when they
Go Live in a voice channel, speak on a live Stage, or a scheduled event they created starts; it ends when
the last of those stops, after a grace period (a dropped connection does not split a stream).

Discord-free: cogs/auto_live.py turns gateway events into `source_started` / `source_stopped` calls and
`scheduled_event_started` / `scheduled_event_ended`, and after every (re)connection tells `resume` what is
live right now. Only sessions started here end here (SQLite remembers which, across restarts): a session
begun with `/live start` is the creator's to end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from bot.clock import Clock
from bot.creators import CreatorService
from bot.errors import Conflict, NotFound
from bot.guild_config import GuildConfigService
from bot.live import TITLE_MAX, LiveService, LiveSession, LiveSummary
from bot.overlay.hub import CreatorKey
from storage import Database, auto_live

log = logging.getLogger(__name__)

GRACE_S = 90.0
EndedHandler = Callable[[LiveSummary], Awaitable[None]]


def stream_source(channel_id: int) -> str:
    return f"stream:{channel_id}"


def stage_source(channel_id: int) -> str:
    return f"stage:{channel_id}"


def event_source(event_id: int) -> str:
    return f"event:{event_id}"


class AutoLiveService:
    def __init__(
        self,
        db: Database,
        guild_config: GuildConfigService,
        live: LiveService,
        creators: CreatorService,
        clock: Clock,
        *,
        grace_s: float = GRACE_S,
    ) -> None:
        self._db = db
        self._config = guild_config
        self._live = live
        self._creators = creators
        self._clock = clock
        self.grace_s = grace_s
        self.ended: EndedHandler | None = None  # the Discord side posts the summary
        self._sources: dict[CreatorKey, set[str]] = {}
        self._ending: dict[CreatorKey, asyncio.Task[None]] = {}
        self._locks: dict[CreatorKey, asyncio.Lock] = {}

    async def enabled(self, guild_id: int) -> bool:
        return (await self._config.get(guild_id)).auto_live

    # --- gateway facts ------------------------------------------------------------------------------

    async def source_started(
        self, guild_id: int, user_id: int, source: str, title: str | None = None
    ) -> LiveSession | None:
        """The member started streaming from `source`; the new session if one started."""
        key = (guild_id, user_id)
        async with self._lock(key):
            if not await self.enabled(guild_id) or await self._creators.get(guild_id, user_id) is None:
                return None
            self._sources.setdefault(key, set()).add(source)
            pending = self._ending.pop(key, None)
            if pending is not None:
                pending.cancel()
            if await self._live.current(guild_id, user_id) is not None:
                return None  # already live (by hand, or from another source)
            try:
                session = await self._live.start(guild_id, user_id, _title(title), _channel_of(source))
            except (Conflict, NotFound):
                return None
            # A second transaction: a crash in between leaves a session the creator ends by hand.
            await self._db.write(lambda conn: auto_live.mark(conn, session.id))
            log.info("auto-live: session %s of %s started (%s)", session.id, user_id, source)
            return session

    async def source_stopped(
        self, guild_id: int, user_id: int, source: str, *, grace_s: float | None = None
    ) -> None:
        """The member stopped streaming from `source`: when nothing is left, the session they were
        auto-started into ends after the grace period unless a source starts again."""
        key = (guild_id, user_id)
        async with self._lock(key):
            sources = self._sources.get(key)
            if sources is None or source not in sources:
                return
            sources.discard(source)
            if sources:
                return
            del self._sources[key]
            await self._end_later(key, self.grace_s if grace_s is None else grace_s)

    async def resume(self, guild_id: int, live_now: Mapping[int, Mapping[str, str | None]]) -> None:
        """After a (re)connection: `live_now` says who streams from what right now (member → source →
        title). Sessions auto-live started whose creator streams no more end after the grace period (they
        may have stopped while the bot was away); members streaming without a session get one."""
        if not await self.enabled(guild_id):
            return
        open_sessions = await self._db.read(lambda conn: auto_live.open_sessions(conn, guild_id))
        for _, creator_id in open_sessions:
            key = (guild_id, creator_id)
            if live_now.get(creator_id):
                continue
            async with self._lock(key):
                self._sources.pop(key, None)
                await self._end_later(key, self.grace_s)
        for user_id, sources in live_now.items():
            for source, title in sources.items():
                await self.source_started(guild_id, user_id, source, title)

    async def _end_later(self, key: CreatorKey, grace: float) -> None:
        """Schedule the end of the creator's session, if auto-live started it (caller holds the lock)."""
        if key in self._ending:
            return
        current = await self._live.current(*key)
        if current is None:
            return
        session_id = current.id
        if not await self._db.read(lambda conn: auto_live.is_auto(conn, session_id)):
            return
        self._ending[key] = asyncio.create_task(
            self._end_after(key, session_id, grace), name=f"auto-live-end-{key[1]}"
        )

    async def scheduled_event_started(
        self, guild_id: int, creator_id: int, event_id: int, title: str | None
    ) -> LiveSession | None:
        """A scheduled event the creator made went live: their session starts (titled after it)."""
        return await self.source_started(guild_id, creator_id, event_source(event_id), title)

    async def scheduled_event_ended(self, guild_id: int, creator_id: int, event_id: int) -> None:
        """The event ended (or was cancelled): the session it started ends, at once if nothing else
        keeps the creator live."""
        await self.source_stopped(guild_id, creator_id, event_source(event_id), grace_s=0.0)

    async def _end_after(self, key: CreatorKey, session_id: int, grace: float) -> None:
        try:
            if grace > 0:
                await asyncio.sleep(grace)
            async with self._lock(key):
                if self._sources.get(key):
                    return
                current = await self._live.current(*key)
                if current is None or current.id != session_id:
                    return  # ended by hand meanwhile
                summary = await self._live.end(*key)
            log.info("auto-live: session %s of %s ended", session_id, key[1])
            if self.ended is not None:
                await self.ended(summary)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("auto-live: could not end the session of %s", key[1])
        finally:
            if self._ending.get(key) is asyncio.current_task():
                del self._ending[key]

    def _lock(self, key: CreatorKey) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def live_sources(self, guild_id: int, user_id: int) -> frozenset[str]:
        return frozenset(self._sources.get((guild_id, user_id), ()))

    async def close(self) -> None:
        """Stop pending ends (the sessions stay open, as after any restart)."""
        tasks = list(self._ending.values())
        self._ending.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _channel_of(source: str) -> int | None:
    """The voice or stage channel a source streams in (the followers' go-live DM links there)."""
    kind, _, number = source.partition(":")
    return int(number) if kind in ("stream", "stage") and number.isdigit() else None


def _title(title: str | None) -> str | None:
    if title is None:
        return None
    title = " ".join(title.split())
    return title[:TITLE_MAX] or None

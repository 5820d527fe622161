"""Leaderboards of gifters and creators from the ledger's gift entries: today, this week or all
time, with day and week boundaries in the guild's time zone. Members who chose privacy are ranked
but shown without figures on the public board, also when they look at it themselves: their own figures
come separately (`Board.own_hidden`), for their eyes only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from bot.clock import Clock
from bot.errors import InvalidOption
from bot.guild_config import GuildConfigService
from bot.period_totals import day_number, keep_in_guild_zone, needs_rebuild
from storage import Connection, Database, Row, leaderboards

Period = Literal["today", "week", "all-time"]
PERIODS: tuple[str, ...] = ("today", "week", "all-time")
BOARDS = {"gifters": "sender_id", "creators": "creator_id"}
TOP = 10


@dataclass(frozen=True)
class BoardRow:
    rank: int
    user_id: int
    coins: int | None  # None: the member hides their amounts

    @property
    def hidden(self) -> bool:
        return self.coins is None


@dataclass(frozen=True)
class Board:
    kind: str
    period: str
    since: datetime | None  # local start of the period; None for all time
    timezone: str
    rows: list[BoardRow]
    caller: BoardRow | None  # the caller's own row when they are outside the top rows
    caller_id: int
    own_hidden: BoardRow | None = None  # the caller's own figures when they hide them: private only

    @property
    def caller_listed(self) -> bool:
        return any(row.user_id == self.caller_id for row in self.rows)


def period_start(period: str, now: datetime, zone: tzinfo) -> datetime | None:
    """Local midnight today, or local midnight of this week's Monday; None for all time."""
    if period == "all-time":
        return None
    local = now.astimezone(zone)
    day = local.date()
    if period == "week":
        day -= timedelta(days=local.weekday())
    elif period != "today":
        raise InvalidOption("Choose today, week or all-time.")
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _row(row: Row, *, public: bool = True) -> BoardRow:
    hidden = public and bool(row["hidden"])
    return BoardRow(row["rank"], row["user_id"], None if hidden else row["coins"])


class LeaderboardService:
    def __init__(self, db: Database, guild_config: GuildConfigService, clock: Clock) -> None:
        self._db = db
        self._config = guild_config
        self._clock = clock

    async def board(self, guild_id: int, caller_id: int, kind: str, period: str = "week") -> Board:
        if kind not in BOARDS:
            raise InvalidOption("Choose the gifters or the creators board.")
        if period not in PERIODS:
            raise InvalidOption("Choose today, week or all-time.")
        config = await self._config.get(guild_id)
        since = period_start(period, self._clock(), config.zone)
        key: leaderboards.Period = None
        if since is not None:
            key = ("day" if period == "today" else "week", day_number(since.date()))
        who = BOARDS[kind]

        def read(conn: Connection) -> tuple[list[Row], Row | None]:
            return (
                leaderboards.top(conn, guild_id, who, key, TOP),
                leaderboards.rank_of(conn, guild_id, who, key, caller_id),
            )

        def read_if_current(conn: Connection) -> tuple[list[Row], Row | None] | None:
            return None if needs_rebuild(conn, guild_id, config.timezone) else read(conn)

        found = await self._db.read(read_if_current) if key is not None else await self._db.read(read)
        if found is None:  # the day and week totals are keyed by an older zone: rebuild, then read
            await self._db.write(lambda conn: keep_in_guild_zone(conn, guild_id))
            found = await self._db.read(read)
        top, own = found
        rows = [_row(r) for r in top]
        caller = _row(own) if own is not None else None
        if caller is not None and any(r.user_id == caller_id for r in rows):
            caller = None
        own_hidden = _row(own, public=False) if own is not None and own["hidden"] else None
        return Board(kind, period, since, config.timezone, rows, caller, caller_id, own_hidden)

    async def set_privacy(self, guild_id: int, user_id: int, hidden: bool) -> bool:
        if not isinstance(hidden, bool):
            raise InvalidOption("Choose true or false.")
        await self._db.write(lambda conn: leaderboards.set_hidden(conn, guild_id, user_id, hidden))
        return hidden

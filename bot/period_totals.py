"""Keeping the leaderboards' day and week totals keyed by the guild's current time zone.

The totals are kept by the database in each gift's transaction, keyed by local dates under the UTC
offsets stored for the guild (see storage/migrations/008_daily_totals.sql). When the guild's zone is
not the one they were built for (the zone was just changed, or the database predates them), they are
rebuilt from the standing gifts in one write, before any board of a period is read."""

from __future__ import annotations

from datetime import date
from functools import cache

from bot.timezones import utc_offsets, zone_or_utc
from storage import Connection, guilds, leaderboards

EPOCH = date(1970, 1, 1)


@cache
def _offsets(zone_name: str) -> list[tuple[int, int]]:
    return utc_offsets(zone_or_utc(zone_name))


def day_number(day: date) -> int:
    """A local date as the totals key it: days since 1970-01-01."""
    return (day - EPOCH).days


def needs_rebuild(conn: Connection, guild_id: int, zone_name: str) -> bool:
    return leaderboards.period_zone(conn, guild_id) != zone_name


def keep_in_guild_zone(conn: Connection, guild_id: int) -> bool:
    """Inside a write: rebuild the guild's day and week totals if they are keyed by another zone than
    the guild's (re-read here, so a zone change racing this write is seen). True if it rebuilt."""
    settings = guilds.settings(conn, guild_id)
    zone_name = settings["timezone"] if settings is not None else "UTC"
    if not needs_rebuild(conn, guild_id, zone_name):
        return False
    leaderboards.rebuild_periods(conn, guild_id, zone_name, _offsets(zone_name))
    return True

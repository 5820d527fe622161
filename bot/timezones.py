"""IANA time zones: validating the names members and moderators type, and local days and months.

Day and month boundaries are local midnights converted to UTC one by one, so a DST day is 23 or 25
hours long and a month ends at the local midnight whatever the offset was when it began."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import InvalidTimezone

NAME_MAX = 64


@cache
def _names() -> dict[str, str]:
    """Every IANA zone name, by its lower-case spelling."""
    return {name.lower(): name for name in available_timezones() if not name.startswith(("posix/", "right/"))}


def canonical_zone_name(name: object) -> str:
    """The IANA name as spelled by the tz database (any case accepted), or InvalidTimezone."""
    found = _names().get(name.strip().lower()) if isinstance(name, str) and len(name) <= NAME_MAX else None
    if found is None:
        shown = repr(name[:NAME_MAX]) if isinstance(name, str) else "that"
        raise InvalidTimezone(
            f"I don't know the time zone {shown}. Use an IANA name such as Europe/London or "
            "America/New_York (start typing to see suggestions)."
        )
    return found


def search_zones(text: str, limit: int = 25) -> list[str]:
    """Zone names containing `text` (for autocomplete): exact and prefix matches first."""
    needle = text.strip().lower().replace(" ", "_")
    found = [name for key, name in _names().items() if needle in key]
    found.sort(key=lambda name: (name.lower() != needle, not name.lower().startswith(needle), name))
    return found[:limit]


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The named zone; UTC for none, or for a name the tz database no longer knows."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_moment(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """`day` at `minute` past local midnight, in UTC. A wall time skipped by a DST change is read with
    the offset before the change (02:30 on a spring-forward day is 03:30 new time); a repeated one
    is its first occurrence."""
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return wall.astimezone(UTC)


def day_bounds(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local day containing `now`, as [start, end) in UTC."""
    today = now.astimezone(zone).date()
    return local_moment(today, 0, zone), local_moment(today + timedelta(days=1), 0, zone)


def month_bounds(year: int, month: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local calendar month, as [start, end) in UTC."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return local_moment(first, 0, zone), local_moment(following, 0, zone)


def month_bounds_at(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local month containing `now`, as [start, end) in UTC."""
    today = now.astimezone(zone).date()
    return month_bounds(today.year, today.month, zone)


OFFSETS_FROM = datetime(1970, 1, 1, tzinfo=UTC)
OFFSETS_UNTIL = datetime(2100, 1, 1, tzinfo=UTC)


def utc_offsets(zone: ZoneInfo) -> list[tuple[int, int]]:
    """The zone's UTC offsets as (since, offset) in microseconds, one row per change between 1970 and
    2100, found by sampling every day and narrowing each change down to the second (no zone changes
    its offset twice within a day). The first row starts at the beginning of time."""

    def offset_at(moment: datetime) -> int:
        delta = moment.astimezone(zone).utcoffset()
        return int(delta.total_seconds() * 1_000_000) if delta is not None else 0

    offsets = [(-(2**62), offset_at(OFFSETS_FROM))]
    day = timedelta(days=1)
    before, moment = OFFSETS_FROM, OFFSETS_FROM + day
    while moment < OFFSETS_UNTIL:
        current = offset_at(moment)
        if current != offsets[-1][1]:
            low, high = before, moment  # offset_at(low) is the old offset, offset_at(high) the new one
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset_at(middle) == current:
                    high = middle
                else:
                    low = middle
            offsets.append((int((high - OFFSETS_FROM).total_seconds()) * 1_000_000, current))
        before, moment = moment, moment + day
    return offsets

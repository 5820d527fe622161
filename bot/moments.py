"""Moments typed by people: a duration from now (`90m`, `12h`, `3d`, `1d12h`) or a local date and time
(`2026-12-24 18:00`) in the caller's time zone. Every command that takes an end or a start uses this."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import InvalidMoment

MOMENT_TEXT_MAX = 40
HORIZON_DAYS_MAX = 366

_DURATION = re.compile(r"(\d{1,6})\s*([wdhm])")
_DURATION_WHOLE = re.compile(r"(?:\d{1,6}\s*[wdhm]\s*)+")
_LOCAL = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})")
_UNIT_SECONDS = {"w": 7 * 86_400, "d": 86_400, "h": 3_600, "m": 60}

EXAMPLES = "a duration such as `90m`, `12h` or `3d`, or a date and time such as `2026-12-24 18:00`"


def parse_duration(text: str) -> timedelta | None:
    """`90m`, `12h`, `3d`, `1w`, or combinations such as `1d12h`; None when `text` is not a duration."""
    compact = text.strip().lower()
    if not _DURATION_WHOLE.fullmatch(compact):
        return None
    seconds = sum(int(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION.findall(compact))
    return timedelta(seconds=seconds)


def local_wall_time(text: str, zone: ZoneInfo) -> datetime | None:
    """`YYYY-MM-DD HH:MM` read in `zone`, as an aware UTC datetime; None when `text` has another shape.
    A wall time that a DST change skips does not exist and is refused; a repeated one is its first
    occurrence (the earlier instant)."""
    match = _LOCAL.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute = (int(part) for part in match.groups())
    try:
        wall = datetime(year, month, day, hour, minute, tzinfo=zone)
    except ValueError:
        raise InvalidMoment(f"`{text.strip()}` is not a real date and time.") from None
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
        raise InvalidMoment(
            f"{text.strip()} does not exist in {zone.key}: the clocks skip that hour for daylight saving time."
        )
    return instant


def parse_moment(text: object, now: datetime, zone: ZoneInfo) -> datetime:
    """The moment `text` names, in UTC: strictly after `now` and at most a year ahead, or InvalidMoment."""
    if not isinstance(text, str) or not text.strip() or len(text) > MOMENT_TEXT_MAX:
        raise InvalidMoment(f"Give {EXAMPLES}.")
    duration = parse_duration(text)
    if duration is not None:
        if duration <= timedelta(0):
            raise InvalidMoment("The duration must be longer than zero.")
        if duration > timedelta(days=HORIZON_DAYS_MAX):
            raise InvalidMoment(f"That is too far ahead: at most {HORIZON_DAYS_MAX} days.")
        return now + duration
    moment = local_wall_time(text, zone)
    if moment is None:
        raise InvalidMoment(f"I can't read `{text.strip()[:MOMENT_TEXT_MAX]}`. Give {EXAMPLES}.")
    if moment <= now:
        raise InvalidMoment(f"{text.strip()} ({zone.key}) has already passed.")
    if moment - now > timedelta(days=HORIZON_DAYS_MAX):
        raise InvalidMoment(f"That is too far ahead: at most {HORIZON_DAYS_MAX} days.")
    return moment

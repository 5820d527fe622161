from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidMoment
from bot.moments import parse_moment

NOW = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90m", timedelta(minutes=90)),
        ("12h", timedelta(hours=12)),
        ("3d", timedelta(days=3)),
        ("1d12h", timedelta(days=1, hours=12)),
        (" 2H ", timedelta(hours=2)),
        ("1w", timedelta(weeks=1)),
    ],
)
def test_durations_count_from_now(text: str, delta: timedelta) -> None:
    assert parse_moment(text, NOW, NEW_YORK) == NOW + delta


def test_local_time_is_read_in_the_callers_zone() -> None:
    assert parse_moment("2026-12-24 18:00", NOW, NEW_YORK) == datetime(2026, 12, 24, 23, 0, tzinfo=UTC)
    assert parse_moment("2026-12-24T18:00", NOW, ZoneInfo("UTC")) == datetime(2026, 12, 24, 18, 0, tzinfo=UTC)


def test_a_time_across_a_dst_change_uses_that_days_offset() -> None:
    # New York moves to EDT (UTC-4) on 2026-03-08.
    assert parse_moment("2026-03-09 09:00", NOW, NEW_YORK) == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert parse_moment("2026-03-08 01:30", NOW, NEW_YORK) == datetime(2026, 3, 8, 6, 30, tzinfo=UTC)


def test_a_skipped_wall_time_is_refused_and_a_repeated_one_is_the_first() -> None:
    with pytest.raises(InvalidMoment, match="daylight saving"):
        parse_moment("2026-03-08 02:30", NOW, NEW_YORK)
    # 01:30 happens twice on 2026-11-01; the first is EDT.
    assert parse_moment("2026-11-01 01:30", NOW, NEW_YORK) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Give"),
        ("0h", "longer than zero"),
        ("soon", "can't read"),
        ("2026-02-30 10:00", "not a real date"),
        ("2026-03-01 10:00", "already passed"),
        ("400d", "too far ahead"),
        ("2028-01-01 00:00", "too far ahead"),
        ("1" * 10_000, "Give"),
        ("-3d", "can't read"),
        ("3d\x00", "can't read"),
    ],
)
def test_unreadable_or_out_of_range_moments_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidMoment, match=message):
        parse_moment(text, NOW, NEW_YORK)


def test_non_text_is_refused() -> None:
    with pytest.raises(InvalidMoment):
        parse_moment(12, NOW, NEW_YORK)

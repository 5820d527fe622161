"""Followers and go-live DMs: who gets one, when (quiet hours, the 4-hour rule), at what pace, and
what closed DMs do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import Conflict, InvalidOption, InvalidTimeOfDay, NotFound
from bot.followers import FollowerService, GoLiveNotice, QuietHours
from bot.reminders import DirectMessagesClosed
from tests.support.clock import FakeClock

GUILD = 1
CREATOR, OTHER_CREATOR = 201, 202
FANS = [301, 302, 303, 304, 305]
LONDON = ZoneInfo("Europe/London")


class Recorder:
    """Stands in for Discord: records each DM with the clock's time; `closed` members refuse DMs."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent: list[tuple[datetime, GoLiveNotice]] = []
        self.closed: set[int] = set()
        self.attempts: list[int] = []

    async def send_go_live(self, notice: GoLiveNotice) -> None:
        self.attempts.append(notice.follower_id)
        if notice.follower_id in self.closed:
            raise DirectMessagesClosed("403 Forbidden (50007)")
        self.sent.append((self.clock(), notice))

    def to(self, user_id: int) -> list[GoLiveNotice]:
        return [n for _, n in self.sent if n.follower_id == user_id]


@pytest.fixture
def sender(services, clock):
    """A FollowerService whose pauses advance the fake clock (the real one sleeps)."""
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds=seconds)

    service = FollowerService(
        services.db, services.guilds, services.creators, clock, pace=timedelta(seconds=1), sleep=sleep
    )
    service.sleeps = sleeps
    return service


@pytest.fixture(autouse=True)
async def creators(services):
    await services.creators.register(GUILD, CREATOR)
    await services.creators.register(GUILD, OTHER_CREATOR)


async def test_follow_unfollow_and_the_list(services):
    await services.followers.follow(GUILD, FANS[0], CREATOR)
    await services.followers.follow(GUILD, FANS[0], OTHER_CREATOR)
    with pytest.raises(Conflict, match="already follow"):
        await services.followers.follow(GUILD, FANS[0], CREATOR)
    with pytest.raises(InvalidOption, match="yourself"):
        await services.followers.follow(GUILD, CREATOR, CREATOR)
    with pytest.raises(NotFound, match="not a registered creator"):
        await services.followers.follow(GUILD, FANS[0], FANS[1])
    await services.live.start(GUILD, OTHER_CREATOR)

    following = await services.followers.following(GUILD, FANS[0])
    assert [(f.creator_id, f.live) for f in following.creators] == [(CREATOR, False), (OTHER_CREATOR, True)]
    assert following.settings.notifications and following.settings.quiet is None

    await services.followers.unfollow(GUILD, FANS[0], CREATOR)
    with pytest.raises(NotFound, match="do not follow"):
        await services.followers.unfollow(GUILD, FANS[0], CREATOR)
    assert [f.creator_id for f in (await services.followers.following(GUILD, FANS[0])).creators] == [
        OTHER_CREATOR
    ]
    assert await services.followers.follower_count(GUILD, OTHER_CREATOR) == 1


async def test_every_follower_gets_one_dm_with_title_and_channel_at_a_steady_pace(services, sender, clock):
    for fan in FANS:
        await services.followers.follow(GUILD, fan, CREATOR)
    await services.followers.follow(GUILD, FANS[0], OTHER_CREATOR)
    discord = Recorder(clock)

    await services.live.start(GUILD, CREATOR, "Sunday karaoke", channel_id=555)
    run = await sender.deliver(discord)

    assert sorted(n.follower_id for n in run.sent) == FANS
    assert {(n.creator_id, n.title, n.channel_id) for _, n in discord.sent} == {
        (CREATOR, "Sunday karaoke", 555)
    }
    times = [at for at, _ in discord.sent]
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert all(gap >= timedelta(seconds=1) for gap in gaps)  # never faster than the pace
    assert len(sender.sleeps) == len(FANS) - 1
    assert (await sender.deliver(discord)).sent == []  # the queue is empty: nothing twice


async def test_at_most_one_dm_per_creator_per_follower_in_four_hours(services, sender, clock):
    await services.followers.follow(GUILD, FANS[0], CREATOR)
    await services.followers.follow(GUILD, FANS[0], OTHER_CREATOR)
    discord = Recorder(clock)

    await services.live.start(GUILD, CREATOR, "first")
    await sender.deliver(discord)
    await services.live.end(GUILD, CREATOR)
    clock.advance(hours=3, minutes=59)
    await services.live.start(GUILD, CREATOR, "again, too soon")
    await services.live.start(GUILD, OTHER_CREATOR, "another creator")  # its own 4-hour window
    run = await sender.deliver(discord)
    assert [(n.creator_id, n.title) for n in run.sent] == [(OTHER_CREATOR, "another creator")]
    assert [n.creator_id for n in run.skipped] == [CREATOR]

    await services.live.end(GUILD, CREATOR)
    clock.advance(minutes=2)  # 4 h 1 min after the first DM
    await services.live.start(GUILD, CREATOR, "third")
    await sender.deliver(discord)
    assert [n.title for n in discord.to(FANS[0]) if n.creator_id == CREATOR] == ["first", "third"]


async def test_no_dm_when_the_stream_ended_before_its_turn(services, sender, clock):
    await services.followers.follow(GUILD, FANS[0], CREATOR)
    await services.live.start(GUILD, CREATOR, "short")
    await services.live.end(GUILD, CREATOR)
    discord = Recorder(clock)
    run = await sender.deliver(discord)
    assert discord.sent == [] and len(run.skipped) == 1


async def test_quiet_hours_across_midnight_in_the_followers_zone(services, sender, clock):
    fan = FANS[0]
    await services.followers.follow(GUILD, fan, CREATOR)
    await services.budgets.set_reminders(GUILD, fan, "off", timezone="Asia/Tokyo")
    settings = await services.followers.set_quiet_hours(GUILD, fan, "22:00", "07:30")
    assert settings.zone.name == "Asia/Tokyo" and str(settings.quiet) == "22:00–07:30"
    discord = Recorder(clock)

    clock.now = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo: quiet
    await services.live.start(GUILD, CREATOR, "late")
    assert (await sender.deliver(discord)).skipped and discord.sent == []
    await services.live.end(GUILD, CREATOR)

    clock.now = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)  # 07:00 the next morning in Tokyo: still quiet
    await services.live.start(GUILD, CREATOR, "early")
    await sender.deliver(discord)
    assert discord.sent == []
    await services.live.end(GUILD, CREATOR)

    clock.now = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)  # 07:30: quiet hours are over
    await services.live.start(GUILD, CREATOR, "breakfast")
    await sender.deliver(discord)
    assert [n.title for n in discord.to(fan)] == ["breakfast"]


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        # London, spring forward on 29 March 2026 (01:00 GMT → 02:00 BST): 07:30 BST is 06:30 UTC.
        (datetime(2026, 3, 29, 6, 15, tzinfo=UTC), True),  # 07:15 BST
        (datetime(2026, 3, 29, 6, 30, tzinfo=UTC), False),  # 07:30 BST
        (datetime(2026, 3, 28, 7, 15, tzinfo=UTC), True),  # the day before, 07:15 GMT
        # Fall back on 25 October 2026: 22:00 is 21:00 UTC before, 22:00 UTC after.
        (datetime(2026, 10, 24, 20, 59, tzinfo=UTC), False),  # 21:59 BST
        (datetime(2026, 10, 24, 21, 0, tzinfo=UTC), True),  # 22:00 BST
        (datetime(2026, 10, 25, 21, 59, tzinfo=UTC), False),  # 21:59 GMT
        (datetime(2026, 10, 25, 22, 0, tzinfo=UTC), True),  # 22:00 GMT
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), True),  # 01:30 GMT, the repeated hour
    ],
)
def test_quiet_hours_follow_the_local_clock_through_dst(moment, quiet):
    assert QuietHours(22 * 60, 7 * 60 + 30).contains(moment, LONDON) is quiet


async def test_quiet_hours_in_london_on_the_night_the_clocks_change(services, sender, clock):
    fan = FANS[0]
    await services.followers.follow(GUILD, fan, CREATOR)
    await services.budgets.set_reminders(GUILD, fan, "off", timezone="Europe/London")
    await services.followers.set_quiet_hours(GUILD, fan, "23:00", "01:30")
    discord = Recorder(clock)
    # 29 March 2026: 00:45 GMT is quiet; 01:15 UTC is 02:15 BST (after 01:30 local): not quiet.
    clock.now = datetime(2026, 3, 29, 0, 45, tzinfo=UTC)
    await services.live.start(GUILD, CREATOR, "during")
    await sender.deliver(discord)
    await services.live.end(GUILD, CREATOR)
    clock.now = datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
    await services.live.start(GUILD, CREATOR, "after")
    await sender.deliver(discord)
    assert [n.title for n in discord.to(fan)] == ["after"]


async def test_quiet_hours_input_is_checked(services):
    with pytest.raises(InvalidTimeOfDay, match="both"):
        await services.followers.set_quiet_hours(GUILD, FANS[0], "22:00", None)
    with pytest.raises(InvalidTimeOfDay, match="differ"):
        await services.followers.set_quiet_hours(GUILD, FANS[0], "22:00", "22:00")
    with pytest.raises(InvalidTimeOfDay):
        await services.followers.set_quiet_hours(GUILD, FANS[0], "25:00", "07:00")
    settings = await services.followers.set_quiet_hours(GUILD, FANS[0], None, None)
    assert settings.quiet is None


async def test_closed_dms_pause_the_follower_until_they_turn_dms_on(services, sender, clock):
    closed, open_ = FANS[0], FANS[1]
    for fan in (closed, open_):
        await services.followers.follow(GUILD, fan, CREATOR)
        await services.followers.follow(GUILD, fan, OTHER_CREATOR)
    discord = Recorder(clock)
    discord.closed.add(closed)

    await services.live.start(GUILD, CREATOR, "one")
    await services.live.start(GUILD, OTHER_CREATOR, "two")
    run = await sender.deliver(discord)
    assert [n.follower_id for n in run.paused] == [closed]
    assert discord.attempts.count(closed) == 1  # tried once; the other queued DM was dropped
    assert len(discord.to(open_)) == 2
    following = await services.followers.following(GUILD, closed)
    assert following.settings.paused_at is not None

    for creator in (CREATOR, OTHER_CREATOR):
        await services.live.end(GUILD, creator)
    clock.advance(hours=5)
    await services.live.start(GUILD, CREATOR, "three")
    await sender.deliver(discord)
    assert discord.attempts.count(closed) == 1  # paused: not tried again

    discord.closed.clear()
    settings = await services.followers.set_notifications(GUILD, closed, "on")
    assert settings.paused_at is None
    await services.live.end(GUILD, CREATOR)
    await services.live.start(GUILD, CREATOR, "four")
    await sender.deliver(discord)
    assert [n.title for n in discord.to(closed)] == ["four"]


async def test_notifications_off_and_unfollow_drop_queued_dms(services, sender, clock):
    await services.followers.follow(GUILD, FANS[0], CREATOR)
    await services.followers.follow(GUILD, FANS[1], CREATOR)
    await services.followers.set_notifications(GUILD, FANS[2], "off")
    await services.followers.follow(GUILD, FANS[2], CREATOR)
    await services.live.start(GUILD, CREATOR, "x")
    await services.followers.unfollow(GUILD, FANS[1], CREATOR)
    discord = Recorder(clock)
    await sender.deliver(discord)
    assert [n.follower_id for _, n in discord.sent] == [FANS[0]]


async def test_starting_while_live_starts_nothing_and_notifies_nobody_again(services, sender, clock):
    await services.followers.follow(GUILD, FANS[0], CREATOR)
    first, started = await services.live.start_unless_live(GUILD, CREATOR, "a", 7)
    again, started_again = await services.live.start_unless_live(GUILD, CREATOR, "b", 8)
    assert started and not started_again and again.id == first.id and again.channel_id == 7
    discord = Recorder(clock)
    await sender.deliver(discord)
    assert len(discord.sent) == 1

"""The alerts engine: turns gifts into shout-outs in a channel without ever exceeding Discord's rate limit.

Discord-free: it talks to an `AlertSink` (send a message / edit a message) and to a `Timer` (what time is it /
sleep until), so tests and the benchmark drive it with a virtual clock and a recording channel, and the cog
(cogs/alerts.py) plugs in discord.py.

How a channel is served (one worker task per channel, started on demand, gone when idle):
- a gift below the creator's threshold joins the open *streak* of (creator, sender, gift): one shout-out
  line whose count grows, edited in place ("Ana sent Rose ×57"); the streak closes after `quiet_s` without a
  gift, and the next one starts a new line;
- a gift at or above the threshold gets a message of its own; but one sender has at most
  `SENDER_WAITING_MAX` of them waiting: more of the same gift join the last one waiting (×N), so one
  fast sender (a creator with a threshold of 1) cannot hold back everybody else's shout-outs;
- at most `rate_limit` requests (sends and edits alike) per `rate_per_s` seconds per channel. Work that
  cannot go out yet waits and merges: streak lines waiting to be posted are packed together into one
  message (up to 6,000 characters: beyond the 2,000 of a message's content, the sink carries them in
  embeds, see `split_for_embeds`); updates waiting for the same message become one edit. Nothing is dropped: every gift's future
  resolves True once the gift's count is in a posted (or edited) message, False if the channel refused it.

Memory per channel is bounded by the number of distinct streaks and unposted big gifts, not by the number
of gifts: a streak of 10,000 roses is one record (plus the futures of gifts not yet shown).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from bot.alerts.templates import render_shoutout

log = logging.getLogger(__name__)

DISCORD_MESSAGE_MAX = 2000  # a message's content; longer shout-outs go into embeds
PACKED_MESSAGE_MAX = 6000  # what all embeds of one message may carry together
EMBED_DESCRIPTION_MAX = 4096
MENTIONS_MAX = 100  # Discord's limit on allowed_mentions users
SENDER_WAITING_MAX = 3  # separate big-gift shout-outs one sender may have waiting in a channel
_LINE_GROWTH = 12  # room kept in a packed message for its lines' counts to grow


def split_for_embeds(text: str) -> list[str]:
    """A shout-out too long for a message's content, as embed descriptions: whole lines, each part at
    most 4,096 characters (the engine keeps the whole within 6,000, so at most two parts)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= EMBED_DESCRIPTION_MAX:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = line[:EMBED_DESCRIPTION_MAX]
    if current:
        parts.append(current)
    return parts


@dataclass(frozen=True)
class GiftAlert:
    """One gift send, as the alerts engine needs it (built by the gift service after the commit)."""

    guild_id: int
    channel_id: int | None  # the guild's alerts channel; None: alerts are off
    entry_id: int
    creator_id: int
    sender_id: int
    gift_name: str
    gift_emoji: str
    count: int
    coins: int  # total coins of this send
    template: str | None  # the creator's thank-you template; None = the default
    threshold: int  # the creator's shout-out threshold in coins
    message: str | None = None  # the sender's optional gift message, quoted under the shout-out

    @property
    def solo(self) -> bool:
        """At or above the threshold: a message of its own, never merged into a streak."""
        return self.coins >= self.threshold


class AlertPublisher(Protocol):
    def publish(self, alert: GiftAlert) -> asyncio.Future[bool]:
        """True once the gift is represented in a posted or edited message; False if it could not be
        posted (no channel configured, channel deleted, missing permission, alerts not running)."""
        ...


class AlertSink(Protocol):
    """Where messages go. Raise (any exception; `AlertDeliveryError` for the expected ones) when the
    channel cannot take the message."""

    async def send(
        self, channel_id: int, text: str, mention_ids: Sequence[int], *, gift_entry_id: int | None = None
    ) -> Any:
        """Post `text`, letting it mention only `mention_ids`; returns a handle for `edit`. A big gift
        with a message posted on its own names its journal entry (`gift_entry_id`), so the Discord side
        can offer to hide the message from the stream overlay while the creator's delay runs."""
        ...

    async def edit(self, handle: Any, text: str, mention_ids: Sequence[int]) -> None: ...


class AlertDeliveryError(Exception):
    """The channel cannot take the message: it is gone, or the bot may not post there."""


class Timer(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""
        ...

    async def sleep_until(self, moment: float) -> None: ...


class MonotonicTimer:
    """Real time."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep_until(self, moment: float) -> None:
        await asyncio.sleep(max(0.0, moment - time.monotonic()))


def _resolve(futures: list[asyncio.Future[bool]], value: bool) -> None:
    for future in futures:
        if not future.done():
            future.set_result(value)


_PENDING, _IN_FLIGHT, _POSTED, _DEAD = "pending", "in flight", "posted", "dead"


@dataclass(eq=False)
class _Unit:
    """One shout-out line: a streak of cheap gifts, or one big gift."""

    key: tuple[int, int, str] | None  # (creator, sender, gift) for a streak; None for a solo gift
    alert: GiftAlert  # the latest gift (its template, emoji and message are shown)
    count: int
    coins: int
    queued_at: float
    last_gift_at: float
    waiters: list[asyncio.Future[bool]] = field(default_factory=list)  # gifts not shown yet
    waiting_since: float | None = None
    state: str = _PENDING
    message: _Message | None = None
    reposted: bool = False

    def add(self, alert: GiftAlert, future: asyncio.Future[bool], now: float) -> None:
        if alert.message or not self.alert.message:
            self.alert = alert
        else:  # the latest gift's details, keeping the streak's last gift message
            self.alert = replace(alert, message=self.alert.message)
        self.count += alert.count
        self.coins += alert.coins
        self.last_gift_at = now
        if not self.waiters:
            self.waiting_since = now
        self.waiters.append(future)

    def take_waiters(self) -> list[asyncio.Future[bool]]:
        waiters, self.waiters, self.waiting_since = self.waiters, [], None
        return waiters

    def render(self, *, with_message: bool = True) -> str:
        alert = self.alert
        return render_shoutout(
            alert.template,
            sender_mention=f"<@{alert.sender_id}>",
            creator_mention=f"<@{alert.creator_id}>",
            gift=alert.gift_name,
            emoji=alert.gift_emoji,
            count=self.count,
            coins=self.coins,
            message=alert.message if with_message else None,
        )


def _same_gift(units: Sequence[_Unit], alert: GiftAlert) -> _Unit | None:
    """The latest of `units` showing the same gift to the same creator as `alert`."""
    gift = alert.gift_name.casefold()
    for unit in reversed(units):
        if unit.alert.creator_id == alert.creator_id and unit.alert.gift_name.casefold() == gift:
            return unit
    return None


@dataclass(eq=False)
class _Message:
    handle: Any
    units: list[_Unit]
    dirty_since: float | None = None


def _compose(units: Sequence[_Unit]) -> tuple[str, list[int]]:
    text = "\n".join(unit.render() for unit in units)
    if len(text) > PACKED_MESSAGE_MAX:
        text = "\n".join(unit.render(with_message=False) for unit in units)
    if len(text) > PACKED_MESSAGE_MAX:
        text = text[: PACKED_MESSAGE_MAX - 1] + "…"
    mentions = list(dict.fromkeys(unit.alert.sender_id for unit in units))[:MENTIONS_MAX]
    return text, mentions


class _RateWindow:
    """At most `limit` actions in any `per` seconds (sliding window over completion times)."""

    def __init__(self, limit: int, per: float) -> None:
        self.limit = limit
        self.per = per
        self.times: deque[float] = deque(maxlen=limit)

    def wait_until(self, now: float) -> float | None:
        """None if a request may go out at `now`, else when to look again."""
        if len(self.times) < self.limit or now - self.times[0] >= self.per:
            return None
        # Compared by difference, as a reader of the timestamps would; step past rounding if needed.
        return max(self.times[0] + self.per, math.nextafter(now, math.inf))

    def record(self, moment: float) -> None:
        self.times.append(moment)

    def quiet_after(self) -> float:
        return self.times[-1] + self.per if self.times else float("-inf")


class _Channel:
    def __init__(self, engine: AlertEngine, channel_id: int) -> None:
        self.engine = engine
        self.channel_id = channel_id
        self.pending: deque[_Unit] = deque()
        self.solo_pending = 0
        self.dirty: dict[_Message, None] = {}
        self.streaks: dict[tuple[int, int, str], _Unit] = {}
        self.solo_waiting: dict[int, list[_Unit]] = {}  # sender → their big gifts not yet posted
        self.window = _RateWindow(engine.rate_limit, engine.rate_per_s)
        self.wake = asyncio.Event()
        self.closing = False
        self.task: asyncio.Task[None] | None = None
        self.last_prune = float("-inf")

    # --- intake (synchronous: called by publish) ---------------------------------------------------

    def add(self, alert: GiftAlert, future: asyncio.Future[bool], now: float) -> None:
        if alert.solo:
            waiting = [u for u in self.solo_waiting.get(alert.sender_id, ()) if u.state == _PENDING]
            same = _same_gift(waiting, alert) if len(waiting) >= SENDER_WAITING_MAX else None
            if same is not None:
                same.add(alert, future, now)
            else:
                fresh = _Unit(None, alert, 0, 0, queued_at=now, last_gift_at=now)
                fresh.add(alert, future, now)
                self._queue(fresh)
                waiting.append(fresh)
            self.solo_waiting[alert.sender_id] = waiting
        else:
            key = (alert.creator_id, alert.sender_id, alert.gift_name.casefold())
            streak = self.streaks.get(key)
            if streak is None or (streak.state == _POSTED and self._starts_new_line(streak, now)):
                unit = _Unit(key, alert, 0, 0, queued_at=now, last_gift_at=now)
                self.streaks[key] = unit
                unit.add(alert, future, now)
                self._queue(unit)
            else:
                streak.add(alert, future, now)
                if streak.state == _POSTED and streak.message is not None:
                    self._mark_dirty(streak.message, now)
        if now - self.last_prune >= self.engine.quiet_s:
            self.prune(now)
        self.wake.set()

    def _starts_new_line(self, streak: _Unit, now: float) -> bool:
        """A gift joins its posted streak's line (an edit) unless the streak went quiet, or a send is
        already waiting: in a burst one packed send shows a hundred lines, while an edit shows one
        message's, so a new line for the rest of the streak reaches the channel sooner."""
        if now - streak.last_gift_at >= self.engine.quiet_s:
            return True
        message = streak.message
        return bool(self.pending) and (message is None or message not in self.dirty)

    def _queue(self, unit: _Unit, *, front: bool = False) -> None:
        unit.state = _PENDING
        if front:
            self.pending.appendleft(unit)
        else:
            self.pending.append(unit)
        if unit.key is None:
            self.solo_pending += 1

    def _mark_dirty(self, message: _Message, since: float) -> None:
        if message not in self.dirty:
            message.dirty_since = since
            self.dirty[message] = None

    def prune(self, now: float) -> None:
        """Forget streaks that are closed and fully shown."""
        self.last_prune = now
        quiet = self.engine.quiet_s
        closed = [
            key
            for key, unit in self.streaks.items()
            if unit.state == _POSTED and not unit.waiters and now - unit.last_gift_at >= quiet
        ]
        for key in closed:
            del self.streaks[key]
        self.solo_waiting = {
            sender: waiting
            for sender, waiting in self.solo_waiting.items()
            if any(unit.state == _PENDING for unit in waiting)
        }

    # --- the worker ------------------------------------------------------------------------------------

    def has_work(self) -> bool:
        return bool(self.pending or self.dirty)

    def idle_until(self) -> float | None:
        """When an idle worker should look again (a streak closes, the rate window empties), or None."""
        moments = [unit.last_gift_at + self.engine.quiet_s for unit in self.streaks.values()]
        moments.append(self.window.quiet_after())
        moment = max(moments) if moments else None
        return moment if moment is not None and moment > self.engine.timer.now() else None

    async def run(self) -> None:
        timer = self.engine.timer
        try:
            while True:
                now = timer.now()
                if self.has_work():
                    not_before = self.window.wait_until(now)
                    if not_before is not None:
                        await timer.sleep_until(not_before)
                        continue
                    await self.act()
                    continue
                if self.closing:
                    return
                self.prune(now)
                until = self.idle_until()
                if until is None:
                    return
                self.wake.clear()
                await self._wait(until)
        except Exception:
            log.exception("alerts worker for channel %s failed", self.channel_id)
        finally:
            self.engine._worker_finished(self)

    async def _wait(self, moment: float) -> None:
        sleeper = asyncio.ensure_future(self.engine.timer.sleep_until(moment))
        waker = asyncio.ensure_future(self.wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    async def act(self) -> None:
        """One request: post the oldest waiting lines, or edit the message that has waited longest."""
        message = min(self.dirty, key=lambda m: m.dirty_since or 0.0) if self.dirty else None
        if message is not None and (
            not self.pending or (message.dirty_since or 0.0) <= self.pending[0].queued_at
        ):
            await self._edit(message)
        else:
            await self._send(self._take_batch())

    def _take_batch(self) -> list[_Unit]:
        engine = self.engine
        pack_solo = self.closing or self.solo_pending > engine.max_pending_solo
        head = self.pending[0]
        if head.key is None and not pack_solo:
            self.pending.popleft()
            self.solo_pending -= 1
            return [head]
        batch: list[_Unit] = []
        size = 0
        kept: list[_Unit] = []
        while self.pending:
            unit = self.pending[0]
            if unit.key is None and not pack_solo:
                kept.append(self.pending.popleft())
                continue
            length = len(unit.render()) + _LINE_GROWTH + 1
            if batch and (size + length > PACKED_MESSAGE_MAX or len(batch) >= engine.max_lines):
                break
            batch.append(self.pending.popleft())
            if unit.key is None:
                self.solo_pending -= 1
            size += length
        self.pending.extendleft(reversed(kept))
        return batch

    async def _send(self, batch: list[_Unit]) -> None:
        text, mentions = _compose(batch)
        shown = {id(unit): unit.take_waiters() for unit in batch}
        for unit in batch:
            unit.state = _IN_FLIGHT
        sink = self.engine.sink
        try:
            if sink is None:
                raise AlertDeliveryError("alerts are not running")
            lone = batch[0] if len(batch) == 1 else None
            if lone is not None and lone.key is None and lone.alert.message:
                handle = await sink.send(self.channel_id, text, mentions, gift_entry_id=lone.alert.entry_id)
            else:
                handle = await sink.send(self.channel_id, text, mentions)
        except asyncio.CancelledError:  # stopped mid-request: whether it was posted is unknown
            for unit in batch:
                _resolve(shown[id(unit)] + unit.take_waiters(), False)
                self._drop(unit)
            raise
        except Exception as error:
            self.window.record(self.engine.timer.now())
            self._log_failure("post in", error)
            for unit in batch:
                _resolve(shown[id(unit)] + unit.take_waiters(), False)
                self._drop(unit)
            return
        now = self.engine.timer.now()
        self.window.record(now)
        message = _Message(handle, list(batch))
        for unit in batch:
            unit.state = _POSTED
            unit.message = message
            _resolve(shown[id(unit)], True)
            if unit.waiters:  # gifts that joined while the message was on its way
                self._mark_dirty(message, unit.waiting_since or now)

    async def _edit(self, message: _Message) -> None:
        del self.dirty[message]
        message.dirty_since = None
        text, mentions = _compose(message.units)
        shown = {id(unit): unit.take_waiters() for unit in message.units}
        sink = self.engine.sink
        try:
            if sink is None:
                raise AlertDeliveryError("alerts are not running")
            await sink.edit(message.handle, text, mentions)
        except asyncio.CancelledError:
            for unit in message.units:
                _resolve(shown[id(unit)] + unit.take_waiters(), False)
            raise
        except Exception as error:
            self.window.record(self.engine.timer.now())
            self._log_failure("edit a shout-out in", error)
            self._repost(message, shown)
            return
        now = self.engine.timer.now()
        self.window.record(now)
        for unit in message.units:
            _resolve(shown[id(unit)], True)
            if unit.waiters:
                self._mark_dirty(message, unit.waiting_since or now)

    def _repost(self, message: _Message, shown: dict[int, list[asyncio.Future[bool]]]) -> None:
        """The message could not be edited (deleted?): post its lines again, once."""
        for unit in reversed(message.units):
            waiters = shown[id(unit)] + unit.waiters
            if unit.reposted or unit.state == _DEAD:
                _resolve(waiters, False)
                self._drop(unit)
                continue
            unit.reposted = True
            unit.message = None
            unit.waiters = waiters
            unit.waiting_since = unit.waiting_since or self.engine.timer.now()
            self._queue(unit, front=True)

    def _drop(self, unit: _Unit) -> None:
        unit.state = _DEAD
        if unit.key is not None and self.streaks.get(unit.key) is unit:
            del self.streaks[unit.key]

    def _log_failure(self, doing: str, error: Exception) -> None:
        if isinstance(error, AlertDeliveryError):
            log.warning("cannot %s alerts channel %s: %s", doing, self.channel_id, error)
        else:
            log.warning("cannot %s alerts channel %s", doing, self.channel_id, exc_info=error)

    def fail_everything(self) -> None:
        units = list(self.pending) + list(self.streaks.values())
        for message in self.dirty:
            units += message.units
        for unit in units:
            _resolve(unit.take_waiters(), False)
        self.pending.clear()
        self.dirty.clear()
        self.streaks.clear()
        self.solo_waiting.clear()
        self.solo_pending = 0

    def is_empty(self) -> bool:
        return not (self.pending or self.dirty or self.streaks)

    def waiting(self) -> int:
        units = set(self.pending) | set(self.streaks.values())
        for message in self.dirty:
            units.update(message.units)
        return sum(len(unit.waiters) for unit in units)


@dataclass(frozen=True)
class AlertStats:
    channels: int
    pending_lines: int
    open_streaks: int
    dirty_messages: int
    waiting_gifts: int


class AlertEngine:
    """The `AlertPublisher` the gift service talks to. `start(sink)` when the bot can post,
    `stop()` to flush and shut down; before `start` and after `stop`, `publish` answers False at once."""

    def __init__(
        self,
        *,
        timer: Timer | None = None,
        quiet_s: float = 5.0,
        rate_limit: int = 5,
        rate_per_s: float = 5.0,
        max_lines: int = MENTIONS_MAX,
        max_pending_solo: int = 10,
        flush_timeout_s: float = 10.0,
    ) -> None:
        if rate_limit < 1 or rate_per_s <= 0 or quiet_s <= 0 or max_lines < 1:
            raise ValueError("rate_limit, rate_per_s, quiet_s and max_lines must be positive")
        self.timer: Timer = timer or MonotonicTimer()
        self.quiet_s = quiet_s
        self.rate_limit = rate_limit
        self.rate_per_s = rate_per_s
        self.max_lines = max_lines
        self.max_pending_solo = max_pending_solo
        self.flush_timeout_s = flush_timeout_s
        self.sink: AlertSink | None = None
        self._channels: dict[int, _Channel] = {}
        self._accepting = False

    @property
    def running(self) -> bool:
        return self._accepting

    async def start(self, sink: AlertSink) -> None:
        if self._accepting:
            raise RuntimeError("the alerts engine is already running")
        self.sink = sink
        self._accepting = True

    def publish(self, alert: GiftAlert) -> asyncio.Future[bool]:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if not self._accepting or alert.channel_id is None or alert.count <= 0:
            future.set_result(False)
            return future
        channel = self._channels.get(alert.channel_id)
        if channel is None:
            channel = self._channels[alert.channel_id] = _Channel(self, alert.channel_id)
        channel.add(alert, future, self.timer.now())
        if channel.task is None or channel.task.done():
            channel.task = asyncio.create_task(channel.run(), name=f"alerts-{alert.channel_id}")
        return future

    async def stop(self, *, flush_timeout_s: float | None = None) -> None:
        """Stop taking gifts, post what is waiting (within the rate limit, for at most the flush
        timeout), then fail whatever is left."""
        self._accepting = False
        timeout = self.flush_timeout_s if flush_timeout_s is None else flush_timeout_s
        tasks = []
        for channel in self._channels.values():
            channel.closing = True
            channel.wake.set()
            if channel.task is not None and not channel.task.done():
                tasks.append(channel.task)
        if tasks:
            everything = asyncio.gather(*tasks, return_exceptions=True)
            deadline = asyncio.ensure_future(self.timer.sleep_until(self.timer.now() + timeout))
            waiting: set[asyncio.Future[Any]] = {everything, deadline}
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            deadline.cancel()
            if everything not in done:
                log.warning("alerts: flush timed out, %d shout-outs not posted", self.stats().waiting_gifts)
                for task in tasks:
                    task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await everything
        for channel in list(self._channels.values()):
            channel.fail_everything()
        self._channels.clear()
        self.sink = None

    def _worker_finished(self, channel: _Channel) -> None:
        """A worker ended: idle, stopped, or broken by a bug. Nothing it held may stay unanswered."""
        if channel.closing or channel.has_work():
            channel.fail_everything()
        quiet = channel.window.quiet_after() <= self.timer.now()
        if channel.is_empty() and quiet and self._channels.get(channel.channel_id) is channel:
            del self._channels[channel.channel_id]  # otherwise kept: its rate window still counts

    def stats(self) -> AlertStats:
        channels = list(self._channels.values())
        return AlertStats(
            channels=len(channels),
            pending_lines=sum(len(c.pending) for c in channels),
            open_streaks=sum(len(c.streaks) for c in channels),
            dirty_messages=sum(len(c.dirty) for c in channels),
            waiting_gifts=sum(c.waiting() for c in channels),
        )

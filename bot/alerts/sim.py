"""A virtual clock and a recording channel: the alerts engine without Discord and without waiting.

Used by the tests and by bench/alert_burst.py. `VirtualTimer.advance(seconds)` moves time forward,
waking every sleeper in order and letting the event loop settle after each wake-up.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.alerts.engine import AlertDeliveryError


class VirtualTimer:
    """Time that only moves when told to (satisfies the engine's `Timer`)."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep_until(self, moment: float) -> None:
        if moment <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (moment, next(self._order), future))
        await future

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self._now + seconds)

    async def advance(self, seconds: float) -> None:
        await self.advance_to(self._now + seconds)

    async def advance_to(self, moment: float) -> None:
        """Move to `moment`, waking sleepers at their exact deadlines along the way."""
        await settle()
        while self._sleepers and self._sleepers[0][0] <= moment:
            deadline, _, future = heapq.heappop(self._sleepers)
            if future.done():  # a sleeper that was cancelled
                continue
            self._now = max(self._now, deadline)
            future.set_result(None)
            await settle()
        self._now = max(self._now, moment)
        await settle()


async def settle(max_rounds: int = 10_000) -> None:
    """Run the event loop until every task is waiting on something (nothing is ready to run)."""
    loop = asyncio.get_running_loop()
    ready = getattr(loop, "_ready", None)  # CPython's queue of ready callbacks
    if ready is None:
        for _ in range(100):
            await asyncio.sleep(0)
        return
    for _ in range(max_rounds):
        await asyncio.sleep(0)
        if not ready:
            return


@dataclass
class RecordedMessage:
    id: int
    channel_id: int
    text: str
    mention_ids: tuple[int, ...]
    versions: list[tuple[float, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Action:
    at: float
    kind: str  # "send" or "edit"
    channel_id: int
    message_id: int


class RecordingSink:
    """A fake alerts channel that keeps every message and every request with its (virtual) time."""

    def __init__(self, timer: VirtualTimer) -> None:
        self.timer = timer
        self.messages: dict[int, RecordedMessage] = {}
        self.actions: list[Action] = []
        self.broken_channels: set[int] = set()  # sends there fail like a deleted channel
        self.deleted_messages: set[int] = set()  # edits of these fail like a message a moderator deleted
        self._ids = itertools.count(1)

    async def send(
        self, channel_id: int, text: str, mention_ids: Sequence[int], *, gift_entry_id: int | None = None
    ) -> RecordedMessage:
        if channel_id in self.broken_channels:
            self.actions.append(Action(self.timer.now(), "failed send", channel_id, 0))
            raise AlertDeliveryError("Unknown Channel")
        message = RecordedMessage(next(self._ids), channel_id, text, tuple(mention_ids))
        message.versions.append((self.timer.now(), text))
        self.messages[message.id] = message
        self.actions.append(Action(self.timer.now(), "send", channel_id, message.id))
        return message

    async def edit(self, handle: RecordedMessage, text: str, mention_ids: Sequence[int]) -> None:
        if handle.id in self.deleted_messages or handle.channel_id in self.broken_channels:
            self.actions.append(Action(self.timer.now(), "failed edit", handle.channel_id, handle.id))
            raise AlertDeliveryError("Unknown Message")
        handle.text = text
        handle.mention_ids = tuple(mention_ids)
        handle.versions.append((self.timer.now(), text))
        self.actions.append(Action(self.timer.now(), "edit", handle.channel_id, handle.id))

    def sent(self, channel_id: int | None = None) -> list[RecordedMessage]:
        return [m for m in self.messages.values() if channel_id is None or m.channel_id == channel_id]

    def max_in_window(self, channel_id: int, window: float = 5.0) -> int:
        """The most requests (sends, edits, failed ones too) to the channel in any `window` seconds."""
        times = sorted(a.at for a in self.actions if a.channel_id == channel_id)
        most = 0
        start = 0
        for end, moment in enumerate(times):
            while moment - times[start] >= window:
                start += 1
            most = max(most, end - start + 1)
        return most

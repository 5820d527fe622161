"""In-process pub/sub for open overlay streams, keyed by creator.

Writers call `notify` after their transaction committed; each open stream has a `Subscription` whose
event wakes it to read what is new from the durable log (so a wake-up can never carry stale or doubled
data: the log and the stream's last id decide). `revoke` ends every stream of a creator at once (a
rotated secret). The hub also knows which overlays are connected and when each was last seen.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

CreatorKey = tuple[int, int]  # (guild id, creator id)


@dataclass(eq=False)
class Subscription:
    key: CreatorKey
    widget: str  # "alerts", "goal" or "top"
    id: int
    connected_at: float
    last_seen: float
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    revoked: bool = False
    settings_changed: bool = False


@dataclass(frozen=True)
class Connection:
    widget: str
    connected_at: float
    last_seen: float


class OverlayHub:
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._streams: dict[CreatorKey, set[Subscription]] = {}
        self._ids = itertools.count(1)

    def subscribe(self, key: CreatorKey, widget: str) -> Subscription:
        moment = self._now()
        subscription = Subscription(key, widget, next(self._ids), moment, moment)
        self._streams.setdefault(key, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        streams = self._streams.get(subscription.key)
        if streams is None:
            return
        streams.discard(subscription)
        if not streams:
            del self._streams[subscription.key]

    def notify(self, key: CreatorKey, *, settings: bool = False) -> None:
        """Something committed for this creator: wake its streams (they read the log themselves)."""
        for subscription in self._streams.get(key, ()):
            if settings:
                subscription.settings_changed = True
            subscription.wake.set()

    def revoke(self, key: CreatorKey) -> None:
        """End every open stream of this creator (its secret changed)."""
        for subscription in self._streams.pop(key, set()):
            subscription.revoked = True
            subscription.wake.set()

    def seen(self, subscription: Subscription) -> None:
        subscription.last_seen = self._now()

    def connections(self, key: CreatorKey) -> list[Connection]:
        return sorted(
            (Connection(s.widget, s.connected_at, s.last_seen) for s in self._streams.get(key, ())),
            key=lambda c: (c.widget, c.connected_at),
        )

    def revoke_all(self) -> None:
        for key in list(self._streams):
            self.revoke(key)

    @property
    def open_streams(self) -> int:
        return sum(len(streams) for streams in self._streams.values())

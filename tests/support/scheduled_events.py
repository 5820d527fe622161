"""A stand-in for Discord's guild scheduled events behind bot/scheduled_streams.py's GuildEvents: it
keeps each event's status with Discord's rules (scheduled → active → completed, scheduled → cancelled)
and can refuse like Discord does (no permission, an event deleted meanwhile)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from bot.errors import NotPermitted
from bot.scheduled_streams import EventGone, EventRequest

SCHEDULED, ACTIVE, COMPLETED, CANCELLED = "scheduled", "active", "completed", "cancelled"
_TRANSITIONS = {(SCHEDULED, ACTIVE), (ACTIVE, COMPLETED), (SCHEDULED, CANCELLED)}
_ids = itertools.count(7_000_000_000_000_000_001)


@dataclass
class FakeEvent:
    request: EventRequest
    status: str = SCHEDULED


class FakeGuildEvents:
    def __init__(self) -> None:
        self.events: dict[int, FakeEvent] = {}
        self.allowed = True  # False: the bot lacks Manage Events

    def _get(self, event_id: int) -> FakeEvent:
        if event_id not in self.events:
            raise EventGone(f"event {event_id} is gone")
        return self.events[event_id]

    def _move(self, event: FakeEvent, status: str) -> None:
        assert (event.status, status) in _TRANSITIONS, f"Discord refuses {event.status} → {status}"
        event.status = status

    async def create(self, request: EventRequest) -> int:
        if not self.allowed:
            raise NotPermitted("I need the Manage Events permission.")
        event_id = next(_ids)
        self.events[event_id] = FakeEvent(request)
        return event_id

    async def start(self, guild_id: int, event_id: int) -> None:
        event = self._get(event_id)
        if event.status == SCHEDULED:
            self._move(event, ACTIVE)
        elif event.status != ACTIVE:
            raise EventGone(f"event {event_id} is over")

    async def end(self, guild_id: int, event_id: int) -> None:
        event = self.events.get(event_id)
        if event is not None and event.status in (SCHEDULED, ACTIVE):
            self._move(event, COMPLETED if event.status == ACTIVE else CANCELLED)

    def only(self) -> tuple[int, FakeEvent]:
        assert len(self.events) == 1, self.events
        return next(iter(self.events.items()))

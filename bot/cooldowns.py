"""Per-member cooldowns for expensive commands (a CSV export of a long history, a rendered chart).

A member may start such a command again only after its cooldown. A start that fails (bad input, an
error) is forgotten, so a typo never costs the member a wait. In memory only: a restart forgets
every cooldown, which costs at most one more run per member."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.errors import DomainError

EXPORT_COOLDOWN = timedelta(seconds=60)
CHART_COOLDOWN = timedelta(seconds=30)
COOLDOWNS = {"export": EXPORT_COOLDOWN, "chart": CHART_COOLDOWN}
_PRUNE_AT = 10_000  # remembered starts before the expired ones are swept


class CoolingDown(DomainError):
    def __init__(self, wait: timedelta) -> None:
        seconds = max(int(wait.total_seconds() + 0.999), 1)
        super().__init__(f"That takes a while to prepare: you can ask for it again in {seconds} s.")
        self.wait = wait


class Cooldowns:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._started: dict[tuple[str, int, int], datetime] = {}

    @contextmanager
    def running(self, what: str, guild_id: int, user_id: int) -> Iterator[None]:
        """Refuse (CoolingDown) if the member started `what` less than its cooldown ago; otherwise
        remember this start unless the body raises."""
        key = (what, guild_id, user_id)
        now = self._clock()
        cooldown = COOLDOWNS[what]
        last = self._started.get(key)
        if last is not None and now - last < cooldown:
            raise CoolingDown(cooldown - (now - last))
        if len(self._started) >= _PRUNE_AT:
            self._started = {k: t for k, t in self._started.items() if now - t < COOLDOWNS[k[0]]}
        self._started[key] = now
        try:
            yield
        except BaseException:
            if self._started.get(key) == now:
                del self._started[key]
            raise

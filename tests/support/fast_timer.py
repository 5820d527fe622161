"""A real-time timer for the alerts engine that runs faster than the wall clock.

The engine keeps to Discord's 5 messages per 5 s per channel and closes streaks after 5 s of quiet, in its
own timer's seconds; tests that go through real asyncio time (the end-to-end tests, the hostile-input tests)
give it this timer so those seconds pass `speed` times faster. The production code is unchanged.
"""

from __future__ import annotations

import asyncio
import time


class ScaledTimer:
    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.origin = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self.origin) * self.speed

    async def sleep_until(self, moment: float) -> None:
        await asyncio.sleep(max(0.0, (moment - self.now()) / self.speed))

"""A stand-in for the alerts engine in service tests."""

from __future__ import annotations

import asyncio

from bot.alerts import GiftAlert


class RecordingPublisher:
    """Records each gift alert and answers True (or `posted`), as if it had been posted."""

    def __init__(self, posted: bool = True) -> None:
        self.alerts: list[GiftAlert] = []
        self.posted = posted

    def publish(self, alert: GiftAlert) -> asyncio.Future[bool]:
        self.alerts.append(alert)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        future.set_result(self.posted)
        return future

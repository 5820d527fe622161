"""Overlay helpers: a real overlay server on a free port and a small Server-Sent Events reader."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.overlay import OverlayServer
from bot.services import Services


@dataclass
class Event:
    event: str
    data: Any
    id: int | None


@asynccontextmanager
async def overlay_server(services: Services, *, keepalive_s: float = 15.0) -> AsyncIterator[OverlayServer]:
    server = OverlayServer(services.overlay, "127.0.0.1", 0, keepalive_s=keepalive_s)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class EventStream:
    """An open text/event-stream response, read event by event (comments are kept as 'comment')."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.comments = 0

    async def next(self, timeout: float = 3.0) -> Event:
        return await asyncio.wait_for(self._next(), timeout)

    async def _next(self) -> Event:
        lines: list[str] = []
        while True:
            raw = await self.response.content.readline()
            if not raw:
                raise EOFError("the stream ended")
            line = raw.decode("utf-8").rstrip("\n")
            if line:
                lines.append(line)
                continue
            if not lines:
                continue
            fields: dict[str, str] = {}
            for item in lines:
                name, _, value = item.partition(":")
                fields[name] = value.removeprefix(" ")
            lines = []
            if "event" not in fields and "data" not in fields:
                if "" in fields:
                    self.comments += 1
                continue
            return Event(
                fields.get("event", "message"),
                json.loads(fields["data"]) if "data" in fields else None,
                int(fields["id"]) if "id" in fields else None,
            )

    async def until(self, event: str, timeout: float = 3.0) -> Event:
        while True:
            found = await self.next(timeout)
            if found.event == event:
                return found

    async def ended(self, timeout: float = 3.0) -> bool:
        try:
            await asyncio.wait_for(self._drain(), timeout)
        except TimeoutError:
            return False
        return True

    async def _drain(self) -> None:
        while await self.response.content.readline():
            pass


@asynccontextmanager
async def open_stream(
    session: aiohttp.ClientSession, url: str, last_event_id: int | None = None
) -> AsyncIterator[EventStream]:
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    async with session.get(url, headers=headers) as response:
        assert response.status == 200, response.status
        yield EventStream(response)

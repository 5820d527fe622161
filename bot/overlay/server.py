"""The overlay web server (aiohttp, inside the bot process): the pages OBS loads, their assets, and the
Server-Sent Event streams that feed them.

Routes (every one under /o/ needs a valid secret; anything else answers a bare 404 that leaks nothing):
  /o/{secret}/alerts          the alert box          /o/{secret}/alerts/events   its event stream
  /o/{secret}/goal            the live's goal bar    /o/{secret}/goal/events
  /o/{secret}/top             top three gifters      /o/{secret}/top/events
  /assets/{name}              scripts, styles, font, sound (no secret: they carry no data)
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web

from bot.clock import to_micros
from bot.overlay.hub import CreatorKey, Subscription
from bot.overlay.service import OverlayService

log = logging.getLogger(__name__)

KEEPALIVE_S = 15.0
RETRY_MS = 2000  # how soon a page's EventSource reconnects by itself
SHUTDOWN_TIMEOUT_S = 2.0
PAGES = {"alerts": "alerts.html", "goal": "goal.html", "top": "top.html"}
ASSET_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".wav": "audio/wav",
}
SECURITY_HEADERS = {
    # Member text is inserted as text by the scripts; this forbids inline script and anything remote.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; media-src 'self';"
        " img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the secret is in the address: never pass it on
}


class OverlayServerError(Exception):
    """The server cannot start; the message names the setting to change."""


def _not_found() -> web.Response:
    return web.Response(status=404, text="Not found", content_type="text/plain")


def _static(name: str) -> bytes | None:
    item = resources.files("bot.overlay").joinpath("static").joinpath(name)
    return item.read_bytes() if item.is_file() else None


def _last_event_id(request: web.Request) -> int | None:
    """The id a reconnecting page saw last: the header EventSource sends, or `?last=` from a page that
    opened a fresh EventSource itself."""
    for raw in (request.headers.get("Last-Event-ID"), request.query.get("last")):
        if raw is not None and raw.isdigit() and len(raw) < 19:
            return int(raw)
    return None


class _Stream:
    """One open text/event-stream response."""

    def __init__(self, response: web.StreamResponse, on_write: Callable[[], None]) -> None:
        self.response = response
        self.last_write = time.monotonic()
        self._on_write = on_write

    async def send(self, event: str, data: Any, event_id: int | None = None) -> None:
        text = ""
        if event_id is not None:
            text += f"id: {event_id}\n"
        text += f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"
        await self._write(text)

    async def keep_alive(self) -> None:
        await self._write(": keep-alive\n\n")

    async def _write(self, text: str) -> None:
        await self.response.write(text.encode("utf-8"))
        self.last_write = time.monotonic()
        self._on_write()


class OverlayServer:
    def __init__(
        self, service: OverlayService, host: str, port: int, *, keepalive_s: float = KEEPALIVE_S
    ) -> None:
        self.service = service
        self.host = host
        self.port = port
        self.keepalive_s = keepalive_s
        self._runner: web.AppRunner | None = None
        self.app = web.Application(middlewares=[self._headers])
        self.app.router.add_get("/o/{secret}/{widget}", self._page)
        self.app.router.add_get("/o/{secret}/{widget}/events", self._events)
        self.app.router.add_get("/assets/{name}", self._asset)

    async def start(self) -> str:
        """Listen; returns the base URL. A port in use fails with a message naming OVERLAY_PORT."""
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            if error.errno == errno.EADDRINUSE:
                raise OverlayServerError(
                    f"OVERLAY_PORT {self.port} is already in use on {self.host}: set OVERLAY_PORT to a free "
                    "port (0 takes any free one), or OVERLAY_ENABLED=false to run without overlays"
                ) from None
            raise OverlayServerError(
                f"cannot listen on OVERLAY_HOST {self.host!r}, OVERLAY_PORT {self.port}: {error.strerror}"
            ) from None
        self._runner = runner
        host, port = runner.addresses[0][:2]
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - naming, not binding
        if ":" in shown:
            shown = f"[{shown}]"
        self.service.bound_url = f"http://{shown}:{port}"
        self.port = port
        return self.service.bound_url

    async def stop(self) -> None:
        self.service.hub.revoke_all()  # open streams end, so the runner need not wait for them
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.service.bound_url = None

    def drop_connections(self, key: CreatorKey) -> None:
        """End the creator's open streams (their pages reconnect and resume)."""
        self.service.hub.revoke(key)

    # --- handlers ----------------------------------------------------------------------------------

    @web.middleware
    async def _headers(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            if error.status != 404 and error.status != 405:
                raise
            response = _not_found()
        if not response.prepared:
            response.headers.update(SECURITY_HEADERS)
        return response

    async def _authenticate(self, request: web.Request) -> CreatorKey | None:
        if request.match_info["widget"] not in PAGES:
            return None
        return await self.service.authenticate(request.match_info["secret"])

    async def _page(self, request: web.Request) -> web.StreamResponse:
        if await self._authenticate(request) is None:
            return _not_found()
        body = _static(PAGES[request.match_info["widget"]])
        if body is None:
            return _not_found()
        return web.Response(
            body=body, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-store"}
        )

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        kind = next((t for ext, t in ASSET_TYPES.items() if name.endswith(ext)), None)
        if kind is None or "/" in name or name.startswith("."):
            return _not_found()
        body = _static(name)
        if body is None:
            return _not_found()
        return web.Response(body=body, content_type=kind, headers={"Cache-Control": "max-age=3600"})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        key = await self._authenticate(request)
        if key is None:
            return _not_found()
        widget = request.match_info["widget"]
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",  # nginx: do not buffer the stream
                **SECURITY_HEADERS,
            }
        )
        await response.prepare(request)
        hub = self.service.hub
        subscription = hub.subscribe(key, widget)
        stream = _Stream(response, lambda: hub.seen(subscription))
        await self.service.mark_seen(key, widget)
        try:
            await response.write(f"retry: {RETRY_MS}\n\n".encode())
            if widget == "alerts":
                await self._alerts(stream, subscription, _last_event_id(request))
            else:
                await self._widget(stream, subscription)
        except (ConnectionResetError, ConnectionError):
            pass  # the page went away; it resumes from its last event id
        finally:
            hub.unsubscribe(subscription)
            with contextlib.suppress(Exception):
                await self.service.mark_seen(key, widget)
        return response

    async def _alerts(self, stream: _Stream, subscription: Subscription, last: int | None) -> None:
        service, key = self.service, subscription.key
        settings = await service.settings(*key)
        await stream.send("settings", settings.page())
        if last is not None and last > await service.last_id(key):
            last = None  # an id this log never gave (another database): start afresh
        if last is None:  # a fresh page: alerts from now on
            last = await service.start_id(key)
            await stream.send("hello", {}, last)
        else:
            missed, last = await service.backlog(key, last)
            alerts = [service.page_alert(key, alert, settings) for alert in missed]
            await stream.send("backlog" if alerts else "hello", alerts, last)
        while not subscription.revoked:
            subscription.wake.clear()  # before reading: a commit during the read wakes us again
            if subscription.settings_changed:
                subscription.settings_changed = False
                settings = await service.settings(*key)
                await stream.send("settings", settings.page())
            batch = await service.alerts_after(key, last)
            for alert in batch.alerts:
                await stream.send("alert", service.page_alert(key, alert, settings), alert.id)
            last = batch.last_id
            timeout = self.keepalive_s - (time.monotonic() - stream.last_write)
            if batch.next_due_us is not None:
                now = to_micros(service.clock())
                timeout = min(timeout, max(0.0, (batch.next_due_us - now) / 1e6) + 0.01)
            woken = await self._wait(subscription, timeout)
            if not woken and time.monotonic() - stream.last_write >= self.keepalive_s - 0.01:
                await stream.keep_alive()

    async def _widget(self, stream: _Stream, subscription: Subscription) -> None:
        service, key = self.service, subscription.key
        read = service.goal_state if subscription.widget == "goal" else service.top_state
        shown: dict[str, Any] | None = None
        while not subscription.revoked:
            subscription.wake.clear()
            state = await read(key)
            if state != shown:
                await stream.send("state", state)
                shown = state
            timeout = self.keepalive_s - (time.monotonic() - stream.last_write)
            if not await self._wait(subscription, timeout) and not subscription.revoked:
                await stream.keep_alive()

    @staticmethod
    async def _wait(subscription: Subscription, timeout: float) -> bool:
        """True when woken, False when `timeout` passed."""
        if timeout <= 0:
            return subscription.wake.is_set()
        try:
            await asyncio.wait_for(subscription.wake.wait(), timeout)
        except TimeoutError:
            return False
        return True

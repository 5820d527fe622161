"""Stream overlays: pages a creator adds to OBS as a browser source, fed by Server-Sent Events from a
durable per-creator alert log (bot/overlay/service.py), served by aiohttp inside the bot
(bot/overlay/server.py); `OverlayHub` wakes open streams after a commit."""

from bot.overlay.hub import CreatorKey, OverlayHub
from bot.overlay.server import OverlayServer, OverlayServerError
from bot.overlay.service import OverlayService, OverlaySettings, OverlayStatus

__all__ = [
    "CreatorKey",
    "OverlayHub",
    "OverlayServer",
    "OverlayServerError",
    "OverlayService",
    "OverlaySettings",
    "OverlayStatus",
]

"""Where the bot reaches Discord: REST at the API base URL, the gateway wherever that API says it is.

discord.py keeps both as class attributes (`Route.BASE` for REST and interaction webhooks,
`DiscordWebSocket.DEFAULT_GATEWAY` for the first connection and every fresh session), so pointing the bot
at another Discord-compatible API (the local simulator) changes those two and nothing else.
"""

from __future__ import annotations

import discord.gateway
import discord.http
import yarl


def use_api_base(base_url: str) -> None:
    """REST requests and interaction responses go to `base_url` (e.g. https://discord.com/api/v10)."""
    discord.http.Route.BASE = base_url.rstrip("/")


async def use_gateway_of(http: discord.http.HTTPClient) -> None:
    """Connect to the gateway the API names in GET /gateway/bot, as Discord asks bots to."""
    _shards, url, _limits = await http.get_bot_gateway()
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)

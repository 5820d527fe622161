"""The bot as `python -m bot` runs it, in discord payment mode, pointed at a fake Discord of the parent
test (tests/e2e/test_purchase_crash.py), which SIGKILLs it in the middle of a purchase.

Usage: python -m tests.support.purchase_crash_child DB API_BASE GATEWAY_URL COIN_SKUS
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import discord.gateway
import discord.http
import yarl

from bot.app import run_bot
from bot.settings import Settings


def main(db: Path, api_base: str, gateway_url: str, coin_skus: str) -> None:
    discord.http.Route.BASE = api_base  # the only change to discord.py, as in tests/e2e/conftest.py
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    settings = Settings(
        _env_file=None,
        database_path=db,
        discord_token="fake-token.for-the-local-fake-discord",
        log_level="WARNING",
        payment_provider="discord",
        coin_skus=coin_skus,
        overlay_enabled=False,  # no web server: a port in use elsewhere must not stop this bot
    )
    asyncio.run(run_bot(settings))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4])

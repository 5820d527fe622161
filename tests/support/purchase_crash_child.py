"""The bot as `python -m bot` runs it, in discord payment mode, pointed at a fake Discord of the parent
test (tests/e2e/test_purchase_crash.py) through DISCORD_API_BASE_URL; the parent SIGKILLs it in the
middle of a purchase.

Usage: python -m tests.support.purchase_crash_child DB API_BASE COIN_SKUS
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.app import run_bot
from bot.settings import Settings


def main(db: Path, api_base: str, coin_skus: str) -> None:
    settings = Settings(
        _env_file=None,
        discord_api_base_url=api_base,
        database_path=db,
        discord_token="fake-token.for-the-local-fake-discord",
        log_level="WARNING",
        payment_provider="discord",
        coin_skus=coin_skus,
        overlay_enabled=False,  # no web server: a port in use elsewhere must not stop this bot
    )
    asyncio.run(run_bot(settings))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3])

"""The composition root: `python -m bot` runs the bot, `python -m bot check` checks the ledger,
`python -m bot sync` registers the slash commands with Discord even if they look unchanged, then exits."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from bot.clock import system_clock
from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bot.overlay import OverlayServer, OverlayService

log = logging.getLogger("livegifts")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

HOW_TO_SET_UP = (
    "DISCORD_TOKEN is not set: copy .env.example to .env and put your bot's token there "
    "(Discord Developer Portal → your application → Bot → Reset Token), then run again."
)


LOGIN_REFUSED_HELP = (
    "Check the token in .env (Discord Developer Portal → your application → Bot → Reset Token, "
    "then paste the new one)."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="livegifts Discord bot")
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("check", help="check the ledger and exit (0 clean, 1 discrepancies, 2 error)")
    check.add_argument("--database", type=Path, help="database file (default: DATABASE_PATH)")
    sub.add_parser("sync", help="sync the slash commands to Discord now, even if unchanged, and exit")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"livegifts: {error}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if args.command == "check":
        return run_check(args.database or settings.database_path)
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        print(f"livegifts: {HOW_TO_SET_UP}", file=sys.stderr)
        return EXIT_USAGE
    from aiohttp import ClientError
    from discord import LoginFailure

    from bot.overlay import OverlayServerError
    from storage import DatabaseError

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_bot(settings, sync_only=args.command == "sync"))
    except (DatabaseError, OverlayServerError) as error:  # newer schema, overlay port in use …
        print(f"livegifts: {error}", file=sys.stderr)
        return EXIT_USAGE
    except LoginFailure:
        print(f"livegifts: Discord refused DISCORD_TOKEN. {LOGIN_REFUSED_HELP}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, ClientError) as error:  # no network, DNS, TLS: before the bot ever connected
        print(f"livegifts: cannot reach Discord ({error}). Check the network and try again.", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def run_check(path: Path) -> int:
    from bot.economy.kinds import allowed_accounts
    from storage import DatabaseError
    from storage.ledger_check import check_file

    try:
        problems = check_file(path, allowed_accounts())
    except DatabaseError as error:
        print(f"livegifts check: {error}", file=sys.stderr)
        return EXIT_USAGE
    if not problems:
        print(f"{path}: ledger is clean")
        return EXIT_OK
    print(f"{path}: {len(problems)} discrepancies")
    for problem in problems:
        print(f"  - {problem}")
    return EXIT_FAILED


async def run_bot(settings: Settings, *, sync_only: bool = False) -> None:
    """Run the bot until it is stopped; with `sync_only`, log in, force a command sync and return."""
    from bot.client import LiveGiftsBot
    from bot.services import build_services
    from storage import Database

    if settings.discord_token is None:  # main() refuses to get here without one
        raise ValueError("DISCORD_TOKEN is not set")
    token = settings.discord_token.get_secret_value()
    db = await Database.open(settings.database_path, synchronous=settings.sqlite_synchronous)
    try:
        services = await build_services(settings, db, system_clock)
        async with contextlib.AsyncExitStack() as stack:
            if settings.overlay_enabled and not sync_only:
                await stack.enter_async_context(serve_overlays(settings, services.overlay))
            bot = await stack.enter_async_context(LiveGiftsBot(settings, services, force_sync=sync_only))
            if sync_only:
                await bot.login(token)  # runs setup_hook, which syncs; no gateway connection
            else:
                await bot.start(token)
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def serve_overlays(settings: Settings, service: OverlayService) -> AsyncIterator[OverlayServer]:
    """The overlay web server, started before the bot logs in (a port in use stops the start)."""
    from bot.overlay import OverlayServer

    server = OverlayServer(service, settings.overlay_host, settings.overlay_port)
    url = await server.start()
    log.info("overlays served at %s%s", url, f" (public: {service.public_url})" if service.public_url else "")
    try:
        yield server
    finally:
        await server.stop()

"""The composition root: `python -m bot` runs the bot, `python -m bot check` checks the ledger,
`python -m bot backup` copies the database, `python -m bot sync` registers the slash commands with Discord
even if they look unchanged, then exits, `python -m bot playground` runs the bot against the local Discord
simulator with a web page to try it.

The bot runs until Discord ends the session, SIGTERM or SIGINT asks it to stop, or the database
becomes unusable; then it shuts down in order (bot/shutdown.py) and closes the database. An unusable
database exits with status 1, so that a supervisor (systemd, Docker) restarts the bot."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from bot.clock import system_clock
from bot.playground import DEFAULT_PORT, run_playground_command
from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot
    from bot.overlay import OverlayServer, OverlayService
    from storage import Database

log = logging.getLogger("livegifts")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGINT)
SESSION_END_WAIT_S = 10.0

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
    backup = sub.add_parser(
        "backup",
        help="copy the database consistently (also while the bot runs), then audit the copy"
        " (exit 0 clean, 1 discrepancies, 2 error)",
    )
    backup.add_argument(
        "path",
        nargs="?",
        help="file to write the backup to, or a folder (existing, or ending in /) to put a dated file in"
        " (default: BACKUP_DIR, else the folder backups next to the database)",
    )
    backup.add_argument("--database", type=Path, help="database file (default: DATABASE_PATH)")
    playground = sub.add_parser(
        "playground", help="try the bot without Discord: a local simulator and a web page on 127.0.0.1"
    )
    playground.add_argument("--database", type=Path, help="database file (default: a temporary one)")
    playground.add_argument("--port", type=int, default=DEFAULT_PORT, help="the page's port (default 8765)")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"livegifts: {error}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if args.command == "check":
        return run_check(args.database or settings.database_path)
    if args.command == "backup":
        database = args.database or settings.database_path
        return run_backup(
            database, backup_target(args.path, settings.backup_dir or database.parent / "backups")
        )
    if args.command == "playground":
        return run_playground_command(settings, args.database, args.port)
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        print(f"livegifts: {HOW_TO_SET_UP}", file=sys.stderr)
        return EXIT_USAGE
    from aiohttp import ClientError
    from discord import LoginFailure
    from discord.ext.commands import ExtensionFailed

    from bot.overlay import OverlayServerError
    from storage import DatabaseError

    code = EXIT_OK
    try:
        with contextlib.suppress(KeyboardInterrupt):  # a Ctrl-C before the bot took over the signal
            code = asyncio.run(run_bot(settings, sync_only=args.command == "sync"))
    except (DatabaseError, OverlayServerError) as error:  # newer schema, overlay port in use …
        print(f"livegifts: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ExtensionFailed as error:  # e.g. COIN_SKUS names a SKU the application does not have
        if not isinstance(error.original, SettingsError):
            raise
        print(f"livegifts: {error.original}", file=sys.stderr)
        return EXIT_USAGE
    except LoginFailure:
        print(f"livegifts: Discord refused DISCORD_TOKEN. {LOGIN_REFUSED_HELP}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, ClientError) as error:  # no network, DNS, TLS: before the bot ever connected
        print(f"livegifts: cannot reach Discord ({error}). Check the network and try again.", file=sys.stderr)
        return EXIT_FAILED
    return code


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


def backup_target(path: str | None, default_folder: Path) -> Path:
    """The backup file for the command line's PATH: a folder gets a dated file name."""
    from bot.backups import backup_name

    if path is None:
        folder = default_folder
    elif path.endswith(("/", os.sep)) or Path(path).is_dir():
        folder = Path(path)
    else:
        return Path(path)
    return folder / backup_name(system_clock())


def run_backup(database: Path, target: Path) -> int:
    from bot.backups import take_backup
    from storage import DatabaseError

    try:
        report = take_backup(database, target)
    except (DatabaseError, OSError) as error:
        print(f"livegifts backup: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{database}: backed up to {report.path} ({report.size:,} bytes)")
    if not report.problems:
        print(f"{report.path}: ledger is clean")
        return EXIT_OK
    print(f"{report.path}: {len(report.problems)} discrepancies (a faithful copy: the database has them too)")
    for problem in report.problems:
        print(f"  - {problem}")
    return EXIT_FAILED


def warn_about_sandbox(mode: str) -> None:
    """The one start-up line that says the sandbox is not for a real community."""
    if mode == "sandbox":
        log.warning(
            "PAYMENT_PROVIDER=sandbox: coins are free test coins and cash-outs are refused; "
            "set PAYMENT_PROVIDER=discord (or none) for a real community"
        )


async def run_bot(settings: Settings, *, sync_only: bool = False) -> int:
    """Run the bot until it is stopped (the exit status); with `sync_only`, log in, force a command
    sync and return."""
    from bot.client import LiveGiftsBot
    from bot.services import build_services
    from storage import Database

    if settings.discord_token is None:  # main() refuses to get here without one
        raise ValueError("DISCORD_TOKEN is not set")
    token = settings.discord_token.get_secret_value()
    db = await Database.open(settings.database_path, synchronous=settings.sqlite_synchronous)
    try:
        services = await build_services(settings, db, system_clock)
        warn_about_sandbox(services.payments.mode)
        async with contextlib.AsyncExitStack() as stack:
            if settings.overlay_enabled and not sync_only:
                await stack.enter_async_context(serve_overlays(settings, services.overlay))
            bot = await stack.enter_async_context(LiveGiftsBot(settings, services, force_sync=sync_only))
            if sync_only:
                await bot.login(token)  # runs setup_hook, which syncs; no gateway connection
                return EXIT_OK
            return await serve(bot, db, token)
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


async def serve(bot: LiveGiftsBot, db: Database, token: str) -> int:
    """Run the Discord session until it ends, a shutdown signal arrives or the database becomes
    unusable; the exit status."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for number in SHUTDOWN_SIGNALS:
        with contextlib.suppress(NotImplementedError):  # no signal handlers on this platform
            loop.add_signal_handler(number, _on_signal, signal.Signals(number), stop)
    session = asyncio.create_task(bot.start(token), name="discord-session")
    signalled = asyncio.create_task(stop.wait(), name="shutdown-signal")
    unusable = asyncio.create_task(db.until_unusable(), name="database-unusable")
    try:
        await asyncio.wait({session, signalled, unusable}, return_when=asyncio.FIRST_COMPLETED)
        if session.done():  # Discord ended the session, or it never started (login refused …)
            session.result()
            return EXIT_OK
        if unusable.done():
            log.critical("stopping: %s", unusable.result())
        await bot.shut_down()
        try:
            await asyncio.wait_for(session, SESSION_END_WAIT_S)
        except Exception:  # the session's end after close() says nothing about the shutdown
            log.warning("the Discord session did not end cleanly", exc_info=True)
        log.info("shut down")
        return EXIT_FAILED if unusable.done() else EXIT_OK
    finally:
        for task in (signalled, unusable):
            task.cancel()
        for number in SHUTDOWN_SIGNALS:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(number)


def _on_signal(number: signal.Signals, stop: asyncio.Event) -> None:
    if stop.is_set():
        log.info("%s: already shutting down", number.name)
        return
    log.info(
        "%s: shutting down (finishing the interactions in flight, posting waiting shout-outs)", number.name
    )
    stop.set()

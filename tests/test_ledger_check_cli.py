"""`python -m bot` as a person runs it: the ledger check, a missing token, invalid settings."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot import app
from storage import Database
from storage.ledger import NewEntry, Posting, post_entry

ROOT = Path(__file__).resolve().parents[1]
SETTING_NAMES = (
    "DISCORD_TOKEN",
    "DISCORD_API_BASE_URL",
    "DATABASE_PATH",
    "DEV_GUILD_IDS",
    "LOG_LEVEL",
    "PLATFORM_FEE_PERCENT",
    "DEFAULT_REGION",
    "PAYMENT_PROVIDER",
    "SQLITE_SYNCHRONOUS",
    "BACKUP_DIR",
    "BACKUP_KEEP",
    "BACKUP_TIME",
)


def run_bot(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in `cwd` (no .env there), with none of the bot's settings in the
    environment except `env`."""
    environment = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES}
    environment["PYTHONPATH"] = str(ROOT)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


async def make_ledger(path: Path) -> None:
    """A small clean ledger: two members bought coins, one spent some."""
    db = await Database.open(path)

    def write(conn):
        post_entry(
            conn,
            NewEntry(1, "purchase", 1, money_minor=370, currency="USD"),
            [Posting("coins", 350, user_id=11), Posting("coins", -350, system_account="mint")],
        )
        post_entry(
            conn,
            NewEntry(1, "purchase", 2, money_minor=74, currency="USD"),
            [Posting("coins", 70, user_id=12), Posting("coins", -70, system_account="mint")],
        )
        post_entry(
            conn,
            NewEntry(1, "gift", 3),
            [Posting("coins", -30, user_id=11), Posting("coins", 30, system_account="spent")],
        )

    await db.write(write)
    await db.close()


def tamper(path: Path, *statements: str) -> None:
    raw = sqlite3.connect(path)
    try:
        for statement in statements:
            raw.execute(statement)
        raw.commit()
    finally:
        raw.close()


@pytest.fixture
async def ledger_file(tmp_path) -> Path:
    path = tmp_path / "ledger.db"
    await make_ledger(path)
    return path


def test_check_reports_a_clean_ledger_with_exit_0(tmp_path, ledger_file):
    done = run_bot(tmp_path, "check", "--database", str(ledger_file))
    assert done.returncode == 0, done.stderr
    assert "ledger is clean" in done.stdout
    assert "Traceback" not in done.stderr


def test_check_uses_database_path_from_the_environment(tmp_path, ledger_file):
    done = run_bot(tmp_path, "check", DATABASE_PATH=str(ledger_file))
    assert done.returncode == 0, done.stderr
    assert str(ledger_file) in done.stdout


def test_check_lists_a_corrupted_wallet_with_exit_1(tmp_path, ledger_file):
    tamper(ledger_file, "UPDATE wallets SET coins = 9999 WHERE user_id = 11")

    done = run_bot(tmp_path, "check", "--database", str(ledger_file))

    assert done.returncode == 1
    assert "1 discrepancies" in done.stdout
    assert "user 11: wallet says 9999 coins / 0 diamonds, postings say 320 / 0" in done.stdout


def test_check_detects_postings_rewritten_behind_the_triggers_back(tmp_path, ledger_file):
    # A balanced rewrite (both legs and the wallet changed alike) only the digest can catch.
    tamper(
        ledger_file,
        "DROP TRIGGER postings_append_only_update",
        "UPDATE postings SET amount = amount * 10 WHERE entry_id = 2",
        "UPDATE wallets SET coins = 700 WHERE user_id = 12",
        "CREATE TRIGGER postings_append_only_update BEFORE UPDATE ON postings"
        " BEGIN SELECT RAISE(ABORT, 'postings are append-only'); END",
    )

    done = run_bot(tmp_path, "check", "--database", str(ledger_file))

    assert done.returncode == 1
    assert "entry 2: postings were changed after they were written" in done.stdout
    assert "1 discrepancies" in done.stdout


def test_check_reports_unbalanced_entries_negative_balances_and_missing_triggers(tmp_path, ledger_file):
    tamper(
        ledger_file,
        "DROP TRIGGER postings_append_only_delete",
        "DELETE FROM postings WHERE entry_id = 1 AND user_id IS NULL",  # the mint leg vanished
        "INSERT INTO postings (entry_id, guild_id, user_id, asset, amount) VALUES (3, 1, 12, 'coins', -500)",
    )

    done = run_bot(tmp_path, "check", "--database", str(ledger_file))

    assert done.returncode == 1
    out = done.stdout
    assert "entry 1: coins postings sum to 350, not 0" in out
    assert "entry 1: has fewer than two postings" in out
    assert "user 12: coins balance is negative (-430)" in out
    assert "trigger postings_append_only_delete (migration 001_ledger) is missing" in out


def test_check_of_a_missing_file_exits_2_and_creates_nothing(tmp_path):
    missing = tmp_path / "nowhere" / "livegifts.db"

    done = run_bot(tmp_path, "check", "--database", str(missing))

    assert done.returncode == 2
    assert "does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    assert not missing.exists() and not missing.parent.exists()
    default = run_bot(tmp_path, "check")  # DATABASE_PATH's default, data/livegifts.db
    assert default.returncode == 2
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("content", [b"", b"definitely not an sqlite database " * 50])
def test_check_of_a_file_that_is_not_a_livegifts_database_exits_2(tmp_path, content):
    path = tmp_path / "other.db"
    path.write_bytes(content)

    done = run_bot(tmp_path, "check", "--database", str(path))

    assert done.returncode == 2
    assert "not a livegifts database" in done.stderr
    assert "Traceback" not in done.stderr


def test_running_without_a_token_says_how_to_set_it_and_exits_2(tmp_path):
    done = run_bot(tmp_path)

    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "DISCORD_TOKEN" in lines[0] and ".env.example" in lines[0]
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "data").exists()  # nothing was created


def test_a_blank_token_in_dotenv_counts_as_missing(tmp_path):
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())  # copied, not yet filled in

    done = run_bot(tmp_path)

    assert done.returncode == 2
    assert "DISCORD_TOKEN is not set" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SQLITE_SYNCHRONOUS", "OFF"),
        ("PLATFORM_FEE_PERCENT", "150"),
        ("PLATFORM_FEE_PERCENT", "half"),
        ("DEV_GUILD_IDS", "abc"),
        ("DEFAULT_REGION", "XX"),
        ("LOG_LEVEL", "LOUD"),
        ("PAYMENT_PROVIDER", "stripe"),
        ("BACKUP_TIME", "25:00"),
        ("BACKUP_KEEP", "0"),
    ],
)
def test_an_invalid_setting_fails_at_start_naming_the_setting(tmp_path, name, value):
    done = run_bot(tmp_path, DISCORD_TOKEN="not-a-real-token", **{name: value})

    assert done.returncode == 2
    assert name in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_database_from_a_newer_version_stops_the_bot_with_a_clear_message(tmp_path, ledger_file):
    tamper(ledger_file, "PRAGMA user_version = 999")

    done = run_bot(tmp_path, DISCORD_TOKEN="not-a-real-token", DATABASE_PATH=str(ledger_file))

    assert done.returncode == 2
    assert "schema version 999" in done.stderr and "newer" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_token_discord_refuses_gives_one_clear_line(monkeypatch, capsys):
    import discord

    async def refused(settings, *, sync_only=False):
        raise discord.LoginFailure("Improper token has been passed.")

    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISCORD_TOKEN", "wrong")
    monkeypatch.chdir(ROOT / "tests")  # no .env here
    monkeypatch.setattr(app, "run_bot", refused)

    assert app.main([]) == 2
    err = capsys.readouterr().err
    assert "Discord refused DISCORD_TOKEN" in err and ".env" in err


def test_an_unreachable_discord_is_one_clear_line_and_exit_1(tmp_path, monkeypatch, capsys):
    import discord.gateway
    import discord.http

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "token.that.is.never.sent")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.db"))
    monkeypatch.setenv("DISCORD_API_BASE_URL", "http://127.0.0.1:9/api/v10")  # nothing listens there
    monkeypatch.setenv("OVERLAY_PORT", "0")  # another bot on this machine may hold the default port
    # the bot points discord.py's class-wide endpoints at that address: put Discord's back afterwards
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    )

    status = app.main([])

    err = capsys.readouterr().err
    assert status == 1, err
    assert "cannot reach Discord" in err and "Traceback" not in err


def test_check_catches_leaderboard_totals_that_drifted_from_the_gifts(tmp_path):
    import asyncio

    from bot.services import build_services
    from bot.settings import Settings
    from tests.support.clock import FakeClock

    path = tmp_path / "totals.db"

    async def two_gifts() -> None:
        db = await Database.open(path)
        services = await build_services(Settings(_env_file=None, database_path=path), db, FakeClock())
        await services.creators.register(1, 99)
        for sender in (5, 6):
            await services.purchases.purchase(1, sender, 70, f"buy-{sender}")
            quote = await services.gifts.quote(1, sender, [], "Rose", 99, 3)
            await services.gifts.send(quote, f"gift-{sender}")
        await db.close()

    asyncio.run(two_gifts())
    assert run_bot(tmp_path, "check", "--database", str(path)).returncode == 0
    raw = sqlite3.connect(path)
    raw.execute("UPDATE gift_totals SET coins = 100 WHERE role = 'creator'")
    raw.commit()
    raw.close()

    result = run_bot(tmp_path, "check", "--database", str(path))

    assert result.returncode == 1
    assert "creator 99: leaderboard total 100 does not match the standing gifts" in result.stdout

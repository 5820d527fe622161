"""Slash commands are synced to Discord only when they changed (global syncs are rate-limited), and
`python -m bot sync` syncs anyway."""

from __future__ import annotations

import pytest

import bot.client
from bot.app import run_bot
from simulator.fake_discord import FakeDiscord
from tests.e2e.conftest import RunningBot, e2e_settings


def command_puts(fake: FakeDiscord) -> int:
    return sum(1 for r in fake.requests if r.method == "PUT" and r.path.endswith("/commands"))


async def test_a_restart_with_the_same_commands_does_not_sync_again(running_bot, fake_discord):
    assert command_puts(fake_discord) == 1  # the first start registers the commands
    assert "wallet" in fake_discord.registered_commands()

    await running_bot.restart()
    await running_bot.restart()

    assert command_puts(fake_discord) == 1
    assert fake_discord.command_syncs == 1


async def test_a_changed_tree_is_synced_at_the_next_start(running_bot, fake_discord, monkeypatch):
    assert "live" in fake_discord.registered_commands()
    without_live = tuple(e for e in bot.client.EXTENSIONS if e != "cogs.live")
    monkeypatch.setattr(bot.client, "EXTENSIONS", without_live)

    await running_bot.restart()

    assert command_puts(fake_discord) == 2
    assert "live" not in fake_discord.registered_commands()
    assert "wallet" in fake_discord.registered_commands()


async def test_a_changed_description_or_permission_counts_as_a_change(running_bot, fake_discord):
    fake_discord.commands[None]["wallet"]["description"] = "An older description"
    await running_bot.restart()
    assert command_puts(fake_discord) == 2
    assert fake_discord.registered_commands()["wallet"]["description"] == "Your coins and diamonds"

    fake_discord.commands[None]["ledger"]["default_member_permissions"] = None  # visible to everyone
    await running_bot.restart()
    assert command_puts(fake_discord) == 3
    assert fake_discord.registered_commands()["ledger"]["default_member_permissions"] is not None


@pytest.mark.usefixtures("real_webhook_adapter")
async def test_the_sync_command_syncs_even_when_nothing_changed(fake_discord, tmp_path):
    settings = e2e_settings(tmp_path, fake_discord)
    runner = await RunningBot(fake_discord, settings).start()
    await runner.stop()
    assert command_puts(fake_discord) == 1

    fake_discord.identified.clear()
    await run_bot(settings, sync_only=True)  # what `python -m bot sync` runs

    assert command_puts(fake_discord) == 2
    assert not fake_discord.identified.is_set()  # it logged in over HTTP only and exited
    assert "wallet" in fake_discord.registered_commands()

"""Every moderator command refuses a plain member, whatever Discord shows them; DMs are refused; the
dev-guild setting syncs commands to that guild."""

from __future__ import annotations

import pytest

from simulator.driver import SUB_COMMAND, SUB_COMMAND_GROUP, Driver, sample_value
from tests.e2e.conftest import RunningBot, e2e_settings, read_db

REFUSAL_WORDS = ("moderator", "manage server", "not allowed", "permission")


def db_snapshot(running_bot) -> dict[str, list[tuple]]:
    conn = read_db(running_bot.settings.database_path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: [tuple(r) for r in conn.execute(f'SELECT * FROM "{t}"')] for t in tables}
    finally:
        conn.close()


def moderator_paths(driver, bot) -> list[str]:
    """Every registered `/group sub` whose top-level command asks Discord for a permission, plus the
    moderator subcommands of member groups (Discord only knows permissions per top-level command, so for
    those the bot's own `moderator_only` check is the only guard)."""
    paths = []
    for path in driver.leaf_paths():
        top = driver.fake.registered_commands()[path.split()[0]]
        if top.get("default_member_permissions") not in (None, "0"):
            paths.append(path)
            continue
        command = bot.tree.get_command(path.split()[0])
        for name in path.split()[1:]:
            command = command.get_command(name) if command is not None else None
        if command is not None and any(
            "_is_moderator" in getattr(c, "__qualname__", "") for c in command.checks
        ):
            paths.append(path)
    return paths


async def test_plain_member_is_refused_every_moderator_command(e2e, running_bot):
    paths = moderator_paths(e2e, running_bot.bot)
    if not paths:
        pytest.skip("no command registers default_member_permissions yet")
    bob = e2e.member("bob")
    before = db_snapshot(running_bot)
    for path in paths:
        _, leaf = e2e.schema(path)
        options = {
            o["name"]: sample_value(o, e2e)
            for o in leaf.get("options", [])
            if o["type"] not in (SUB_COMMAND, SUB_COMMAND_GROUP) and o.get("required")
        }
        reply = await e2e.slash(path, bob, **options)
        assert reply.ephemeral, path
        assert any(word in reply.text.lower() for word in REFUSAL_WORDS), f"/{path}: {reply.text!r}"
    assert db_snapshot(running_bot) == before
    print(f"refused {len(paths)} moderator commands: {', '.join(paths)}")


async def test_a_command_sent_from_a_dm_is_refused_politely(e2e, running_bot):
    ana = e2e.member("ana")
    before = db_snapshot(running_bot)
    for path in ("wallet balance", "coins packages"):
        reply = await e2e.slash(path, ana, in_dm=True)
        assert reply.ephemeral
        assert "server" in reply.text.lower(), reply.text
    assert db_snapshot(running_bot) == before


async def test_dev_guild_setting_syncs_commands_to_that_guild(fake_discord, tmp_path):
    settings = e2e_settings(tmp_path, fake_discord).model_copy(
        update={"dev_guild_ids": [fake_discord.guild_id]}
    )
    runner = await RunningBot(fake_discord, settings).start()
    try:
        assert fake_discord.commands.get(fake_discord.guild_id), "nothing was synced to the dev guild"
        assert "wallet" in fake_discord.commands[fake_discord.guild_id]
        driver = Driver(fake_discord)
        reply = await driver.slash("wallet balance", driver.member("ana"))
        assert reply.ephemeral and "0" in reply.text
    finally:
        await runner.stop()

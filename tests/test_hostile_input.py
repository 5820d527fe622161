"""Hostile input for every command that takes input, found by walking the bot's command tree.

Each parameter of each command gets, according to its type: 0, -1, 2**53, 2**63, names that do not exist,
10,000-character strings, @everyone, @here, a role mention, markdown and code fences, zalgo text, a
right-to-left override, NUL bytes, and for user/channel/role options unknown or unsuitable objects. The
invoker is a moderator who is also a creator with coins, so every code path is reachable. Every case must
end in a short clear ephemeral refusal or a safe (escaped) result: no apology for an unhandled error, no
traceback, nothing over Discord's message limits, no mass mention anywhere (replies and channel posts),
and no balance or ledger change unless the value went into a free-text field the command accepts.

Commands added later are covered automatically; one test per command.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.client import EXTENSIONS, LiveGiftsBot
from bot.services import build_services
from bot.settings import Settings
from simulator.discord_payloads import GUILD_ID, MANAGE_GUILD, MEMBER_PERMISSIONS, Member
from storage import Database
from tests.support.clock import FakeClock
from tests.support.fast_timer import ScaledTimer
from tests.support.replies import REFERENCE

OptionType = discord.AppCommandOptionType

INVOKER = Member(5_001, "hostile-mod", MEMBER_PERMISSIONS | MANAGE_GUILD)
CREATOR = Member(5_002, "creator")
PLAIN = Member(5_003, "plain")
STRANGER_ID = 5_999  # a user who is not in the guild
ID_OPTIONS = {"payout", "entry", "id"}
FREE_TEXT = {"message", "reason", "title", "template", "note", "text", "description"}
REFUSAL_MAX = 400  # characters: a refusal is short
CONTENT_MAX, EMBED_DESCRIPTION_MAX, EMBED_TOTAL_MAX = 2000, 4096, 6000
MASS_MENTIONS = ("@everyone", "@here", "<@&")

ZALGO = "Z̸̡̢̛̹͉̗̀͌a̴̛̯̓l̷̨̈́g̶̜̾o̸̧͝" * 8
NUMBERS = {"0": 0, "-1": -1, "2^53": 2**53, "2^63": 2**63}
STRINGS = {
    "empty": "",
    "no such name": "Nonexistent Thing 7f3a",
    "10,000 characters": "A" * 10_000,
    "@everyone": "@everyone",
    "@here": "@here",
    "role mention": "<@&123456789012345678>",
    "markdown": "**bold** __u__ ~~s~~ ||spoiler|| `code` ```py\nprint('x')\n``` > quote [link](https://evil.example)",
    "zalgo": ZALGO,
    "right-to-left override": "\u202eexe.txt\u202c gift",
    "NUL byte": "Rose\x00",
    "numeric 0": "0",
    "numeric -1": "-1",
    "numeric 2^53": str(2**53),
    "numeric 2^63": str(2**63),
}

# Benign values for the other options, so that the hostile value is what the command has to deal with.
SAMPLES: dict[str, Any] = {
    "gift": "Rose",
    "count": 1,
    "message": "thank you",
    "region": "GB",
    "limit": 5,
    "month": "2026-11",
    "package": 70,
    "coins": 10,
    "reason": "a test",
    "time": "09:00",
    "timezone": "Europe/London",
    "name": "Tulip",
    "emoji": "🌷",
    "template": "Thanks {sender} for {gift} ×{count}!",
    "title": "Evening stream",
    "percent": 50,
    "diamonds": 1_000,
    "payout": 1,
    "entry": 1,
    "from": "22:00",
    "to": "07:00",
    "when": "2h",
    "ends": "12h",
}


@dataclass
class Case:
    parameter: str
    label: str
    value: Any
    may_change: bool  # a value a command may legitimately accept (free text, yourself)
    must_refuse: bool = False  # outside what the command declares: nothing at all may change


def discover() -> list[tuple[str, bool]]:
    """Every command with at least one parameter, from the real tree, and whether one autocompletes."""

    async def walk() -> list[tuple[str, bool]]:
        with tempfile.TemporaryDirectory() as directory:
            config = Settings(_env_file=None, database_path=Path(directory) / "x.db", discord_token=None)
            db = await Database.open(config.database_path)
            try:
                services = await build_services(config, db, FakeClock())
                async with LiveGiftsBot(config, services) as bot:
                    for extension in EXTENSIONS:
                        await bot.load_extension(extension)
                    return sorted(
                        (c.qualified_name, any(p.autocomplete for p in c.parameters))
                        for c in bot.tree.walk_commands()
                        if isinstance(c, app_commands.Command) and c.parameters
                    )
            finally:
                await db.close()

    return asyncio.run(walk())


_DISCOVERED: list[tuple[str, bool]] = []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if not _DISCOVERED:
        _DISCOVERED.extend(discover())
    if "command_path" in metafunc.fixturenames:
        metafunc.parametrize("command_path", [path for path, _ in _DISCOVERED])
    if "autocomplete_path" in metafunc.fixturenames:
        metafunc.parametrize("autocomplete_path", [path for path, completes in _DISCOVERED if completes])


def cases_for(parameter: app_commands.Parameter) -> list[Case]:
    name, kind = parameter.name, parameter.type
    free = name in FREE_TEXT
    if kind in (OptionType.integer, OptionType.number):
        values = dict(NUMBERS)
        if kind is OptionType.number:
            values = {k: float(v) for k, v in values.items()}
        is_id = name in ID_OPTIONS or name.endswith("_id")
        if is_id:
            values["no such id"] = 424_242
        low, high = parameter.min_value, parameter.max_value
        return [
            Case(
                name,
                label,
                value,
                False,
                must_refuse=is_id
                or value < 0
                or value >= 2**63
                or (low is not None and value < low)
                or (high is not None and value > high),
            )
            for label, value in values.items()
        ]
    if kind is OptionType.string:
        low, high = parameter.min_value, parameter.max_value
        return [
            Case(
                name,
                label,
                value,
                free and label not in ("10,000 characters",),
                # an empty optional text is the same as leaving it out
                must_refuse=(high is not None and len(value) > high)
                or (low is not None and len(value) < low and (parameter.required or value != "")),
            )
            for label, value in STRINGS.items()
        ]
    if kind in (OptionType.user, OptionType.mentionable):
        return [
            Case(name, "the bot itself", "bot", False),
            Case(name, "yourself", "self", True),
            Case(name, "a user not in the server", "stranger", False),
            Case(name, "an id Discord did not resolve", 987_654_321_012_345_678, False),
        ]
    if kind is OptionType.channel:
        return [
            Case(name, "a deleted channel", ("channel", 777_000_000_000_000_001, 0), False),
            Case(name, "a voice channel", ("channel", 777_000_000_000_000_002, 2), False),
        ]
    if kind is OptionType.role:
        return [
            Case(name, "@everyone role", ("role", GUILD_ID, "@everyone"), False),
            Case(name, "an unknown role", ("role", 123_456_789_012_345_678, "ghost"), False),
        ]
    return []  # booleans and attachments: nothing hostile to say in them


class World:
    """A fresh bot on a fresh database; the invoker is a moderator, a creator, and has coins."""

    def __init__(self, bot, driver, services, channels) -> None:
        self.bot = bot
        self.driver = driver
        self.services = services
        self.channels = channels
        self._ids = itertools.count(800_100_000_000_000_001)

    def option_value(self, parameter: app_commands.Parameter, value: Any) -> Any:
        kind = parameter.type
        if kind in (OptionType.user, OptionType.mentionable) and isinstance(value, (Member, str)):
            member = (
                {"self": INVOKER, "stranger": None, "bot": None}.get(value, value)
                if isinstance(value, str)
                else value
            )
            if value == "bot":
                self.driver._resolved["users"][str(self.bot.user.id)] = {
                    "id": str(self.bot.user.id),
                    "username": "livegifts",
                    "discriminator": "0",
                    "bot": True,
                    "avatar": None,
                    "global_name": None,
                }
                return self.bot.user.id
            if value == "stranger":
                self.driver._resolved["users"][str(STRANGER_ID)] = Member(
                    STRANGER_ID, "stranger"
                ).member_payload()["user"]
                return STRANGER_ID
            self.driver.add_resolved_member(member)
            return member.user_id
        if isinstance(value, tuple) and value[0] == "channel":
            _, channel_id, channel_type = value
            self.driver._resolved["channels"][str(channel_id)] = {
                "id": str(channel_id),
                "type": channel_type,
                "name": "hostile",
                "guild_id": str(GUILD_ID),
                "permissions": str(MEMBER_PERMISSIONS),
                "position": 0,
                "permission_overwrites": [],
            }
            return channel_id
        if isinstance(value, tuple) and value[0] == "role":
            _, role_id, role_name = value
            self.driver._resolved["roles"][str(role_id)] = {
                "id": str(role_id),
                "name": role_name,
                "color": 0,
                "hoist": False,
                "position": 0,
                "permissions": "0",
                "managed": False,
                "mentionable": True,
            }
            return role_id
        return value

    def sample(self, parameter: app_commands.Parameter) -> Any:
        if parameter.choices:
            return parameter.choices[0].value
        kind = parameter.type
        if kind in (OptionType.user, OptionType.mentionable):
            return CREATOR if parameter.name in ("creator", "member") else PLAIN
        if kind is OptionType.channel:
            return ("channel", self.alerts_channel_id, 0)
        if kind is OptionType.role:
            return ("role", 900_000_000_000_000_123, "verified")
        if kind is OptionType.boolean:
            return True
        if parameter.name in SAMPLES:
            return SAMPLES[parameter.name]
        if kind in (OptionType.integer, OptionType.number):
            low = parameter.min_value if parameter.min_value is not None else 1
            return max(1, int(low))
        return "rose"

    async def everything(self) -> dict[str, list[tuple]]:
        """Every row of every table: what "nothing changed" means."""

        def read(conn):
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {t: [tuple(r) for r in conn.execute(f'SELECT * FROM "{t}"')] for t in tables}

        return await self.services.db.read(read)

    async def money(self) -> tuple:
        def read(conn):
            entries = conn.execute("SELECT COUNT(*) FROM journal_entries").fetchone()[0]
            wallets = conn.execute(
                "SELECT user_id, coins, diamonds FROM wallets ORDER BY guild_id, user_id"
            ).fetchall()
            return entries, [tuple(w) for w in wallets]

        return await self.services.db.read(read)


@pytest.fixture
async def world(bot, driver, services):
    from tests.support.channels import FakeChannels

    channels = FakeChannels(bot)
    services.alerts.timer = ScaledTimer(20)  # the shout-out flush at the end takes 0.2 s, not 4
    alerts = channels.add_text_channel(name="gift-alerts")
    result = World(bot, driver, services, channels)
    result.alerts_channel_id = alerts.id
    s = services
    if getattr(s, "creators", None) is not None:
        for member in (INVOKER, CREATOR):
            await s.creators.register(GUILD_ID, member.user_id)
    if getattr(s, "guild_config", None) is not None:
        await s.guild_config.set_alerts_channel(GUILD_ID, INVOKER.user_id, alerts.id)
    for key in ("hostile-1", "hostile-2"):
        await s.purchases.purchase(GUILD_ID, INVOKER.user_id, 700, key)
    if getattr(s, "gifts", None) is not None:  # so that the creator has diamonds and the ledger has gifts
        quote = await s.gifts.quote(GUILD_ID, INVOKER.user_id, (), "Rose", CREATOR.user_id, 3)
        await s.gifts.send(quote, "hostile-gift", confirmed=True)
    return result


def problems_with(replies, posted, case: Case) -> list[str]:
    problems = []
    if not replies:
        problems.append("no reply at all")
    for reply in replies:
        text = reply.text
        if REFERENCE.search(text) or "something went wrong" in text.lower():
            problems.append(f"unhandled error (apology shown): {text[:120]!r}")
        if "Traceback" in text or 'File "' in text:
            problems.append(f"traceback shown to the member: {text[:200]!r}")
        if reply.content and len(reply.content) > CONTENT_MAX:
            problems.append(
                f"content of {len(reply.content)} characters: Discord refuses more than {CONTENT_MAX}"
            )
        for embed in reply.embeds:
            if len(embed.get("description") or "") > EMBED_DESCRIPTION_MAX:
                problems.append("embed description over Discord's 4,096 characters")
            if len(str(embed)) > EMBED_TOTAL_MAX * 2:
                problems.append("embed far over Discord's 6,000 characters")
        problems += mention_problems(reply.allowed_mentions, reply.content or "", public=not reply.ephemeral)
    if replies:
        first = replies[0]
        is_refusal = first.ephemeral and first.content and not first.embeds and not first.components
        if is_refusal and len(first.content) > REFUSAL_MAX:
            problems.append(
                f"refusal of {len(first.content)} characters is not short: {first.content[:120]!r}…"
            )
        if not first.ephemeral and not case.may_change:
            problems.append(f"public reply to a hostile {case.parameter}: {first.text[:120]!r}")
    for request in posted:
        problems += [
            f"channel post: {p}"
            for p in mention_problems(request.allowed_mentions, request.content, public=True)
        ]
    return problems


def mention_problems(allowed: dict | None, content: str, *, public: bool) -> list[str]:
    problems = []
    if allowed is not None:
        parse = allowed.get("parse") or []
        if "everyone" in parse:
            problems.append(f"allowed_mentions lets @everyone/@here ping: {allowed}")
        if "roles" in parse or allowed.get("roles"):
            problems.append(f"allowed_mentions lets roles ping: {allowed}")
    elif public and any(m in content for m in MASS_MENTIONS):
        problems.append("a public message with a raw mass mention and no allowed_mentions")
    if public and any(m in content for m in ("@everyone", "@here")):
        problems.append(f"public content carries a raw @everyone/@here: {content[:120]!r}")
    return problems


async def test_hostile_input_is_refused_or_made_safe(command_path, world):
    driver = world.driver
    command = driver._command(command_path)
    failures: list[str] = []
    for parameter in command.parameters:
        for case in cases_for(parameter):
            options = {p.display_name: world.sample(p) for p in command.parameters if p.required}
            options[parameter.display_name] = case.value
            options = {
                name: world.option_value(next(p for p in command.parameters if p.display_name == name), v)
                for name, v in options.items()
            }
            money_before = await world.money()
            everything_before = await world.everything() if case.must_refuse else None
            replies_before = len(driver.adapter.replies)
            posts_before = len(world.channels.requests)
            try:
                await driver.slash_with(command_path, INVOKER, options)
            except AssertionError as error:  # never answered
                failures.append(f"/{command_path} {case.parameter}={case.label}: {error}")
                continue
            await asyncio.sleep(0)
            replies = driver.adapter.replies[replies_before:]
            posted = world.channels.requests[posts_before:]
            problems = problems_with(replies, posted, case)
            if not case.may_change and await world.money() != money_before:
                problems.append("balances or the ledger changed")
            elif case.must_refuse and await world.everything() != everything_before:
                problems.append(
                    f"accepted a value outside what the option declares: {replies[0].text[:100]!r}"
                )
            failures += [f"/{command_path} {case.parameter}={case.label}: {p}" for p in problems]
    assert not failures, "\n".join(failures)


async def test_hostile_autocomplete_text_gets_valid_choices(autocomplete_path, world):
    """Whatever a member types into an autocompleted option, the answer is a list Discord accepts:
    at most 25 choices, names of 1-100 characters, string values of at most 100, no error."""
    driver = world.driver
    command = driver._command(autocomplete_path)
    failures: list[str] = []
    for parameter in (p for p in command.parameters if p.autocomplete):
        for label, text in STRINGS.items():
            options = {p.display_name: world.sample(p) for p in command.parameters if p.required}
            options = {
                name: world.option_value(next(p for p in command.parameters if p.display_name == name), v)
                for name, v in options.items()
            }
            options[parameter.display_name] = text
            before = len(driver.adapter.replies)
            try:
                await driver.autocomplete(autocomplete_path, INVOKER, parameter.display_name, **options)
            except (AssertionError, IndexError) as error:
                failures.append(f"/{autocomplete_path} {parameter.name}={label}: not answered ({error})")
                continue
            where = f"/{autocomplete_path} {parameter.name}={label}"
            replies = driver.adapter.replies[before:]
            if any(r.kind != "autocomplete" for r in replies):
                failures.append(
                    f"{where}: answered with a message instead of choices: {replies[0].text[:100]!r}"
                )
                continue
            choices = replies[0].choices if replies else []
            if len(choices) > 25:
                failures.append(f"{where}: {len(choices)} choices (Discord allows 25)")
            for choice in choices:
                if not 1 <= len(choice["name"]) <= 100:
                    failures.append(f"{where}: choice name of {len(choice['name'])} characters")
                value = choice["value"]
                if isinstance(value, str) and len(value) > 100:
                    failures.append(f"{where}: choice value of {len(value)} characters")
                if isinstance(value, int) and not -(2**53) < value < 2**53:
                    failures.append(f"{where}: choice value {value} is beyond what Discord accepts")
    assert not failures, "\n".join(failures)

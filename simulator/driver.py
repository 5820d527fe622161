"""Act as members of the fake guild: invoke slash commands, click buttons, ask for autocomplete.

Command payloads are built from the schema the bot REGISTERED with the fake Discord (what a Discord client
would use), not from the bot's Python objects, so a registration mistake shows up here as it would for users.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass
from typing import Any

from simulator.discord_payloads import MANAGE_GUILD, Member, role_payload
from simulator.fake_discord import BOT_PERMISSIONS, GENERAL_CHANNEL_ID, FakeDiscord, InteractionLog, Message

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11

_user_ids = itertools.count(940_000_000_000_000_001)


@dataclass
class Outcome:
    """What the member saw in answer to one interaction."""

    log: InteractionLog
    fake: FakeDiscord

    @property
    def messages(self) -> list[Message]:
        messages = self.fake.replies_to(self.log.id)
        if self.log.callback_type in (6, 7) and self.log.original_message_id:
            messages = [self.fake.messages[self.log.original_message_id], *messages]
        return messages

    @property
    def reply(self) -> Message:
        messages = self.messages
        if not messages:
            raise AssertionError(
                f"interaction {self.log.id} got no message (callback {self.log.callback_type})"
            )
        return messages[0]

    @property
    def text(self) -> str:
        return self.reply.text

    @property
    def ephemeral(self) -> bool:
        return self.reply.ephemeral

    @property
    def latency_ms(self) -> float | None:
        if self.log.callback_at is None:
            return None
        return (self.log.callback_at - self.log.sent_at) * 1000


class Driver:
    def __init__(self, fake: FakeDiscord, channel_id: int = GENERAL_CHANNEL_ID) -> None:
        self.fake = fake
        self.channel_id = channel_id

    # ------------------------------------------------------------------ people

    def member(self, name: str, permissions: int | None = None) -> Member:
        user = self.fake.add_user(next(_user_ids), name)
        if permissions is not None:
            user.permissions = permissions
        return user

    def moderator(self, name: str = "mod") -> Member:
        user = self.member(name)
        user.permissions |= MANAGE_GUILD
        return user

    # ------------------------------------------------------------------ schema

    def schema(self, path: str) -> tuple[list[str], dict[str, Any]]:
        """The names from the top-level command down, and the registered schema of the leaf."""
        names = path.split()
        commands = self.fake.registered_commands()
        if names[0] not in commands:
            raise AssertionError(f"/{names[0]} is not registered (registered: {sorted(commands)})")
        node = commands[names[0]]
        for name in names[1:]:
            children = {
                o["name"]: o for o in node.get("options", []) if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            }
            if name not in children:
                raise AssertionError(f"/{path}: no subcommand {name!r} (have {sorted(children)})")
            node = children[name]
        return names, node

    def leaf_paths(self) -> list[str]:
        """Every invocable `/group sub` path the bot registered."""
        found: list[str] = []

        def walk(prefix: str, node: dict[str, Any]) -> None:
            subs = [o for o in node.get("options", []) if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
            if not subs:
                found.append(prefix)
            for sub in subs:
                walk(f"{prefix} {sub['name']}", sub)

        for name, command in self.fake.registered_commands().items():
            if command.get("type", 1) == 1:
                walk(name, command)
        return sorted(found)

    def _options(
        self, leaf: dict[str, Any], options: dict[str, Any], focused: str | None, resolved: dict[str, dict]
    ) -> list[dict[str, Any]]:
        by_name = {o["name"]: o for o in leaf.get("options", [])}
        built = []
        for name, value in options.items():
            if name not in by_name:
                raise AssertionError(f"option {name!r} is not registered (have {sorted(by_name)})")
            option_type = by_name[name]["type"]
            if name == focused:
                built.append({"name": name, "type": option_type, "value": str(value), "focused": True})
                continue
            built.append(
                {"name": name, "type": option_type, "value": self._value(option_type, value, resolved)}
            )
        return built

    def _value(self, option_type: int, value: Any, resolved: dict[str, dict]) -> Any:
        if option_type in (USER, MENTIONABLE) and isinstance(value, Member):
            member = value.member_payload()
            resolved.setdefault("users", {})[str(value.user_id)] = member.pop("user")
            resolved.setdefault("members", {})[str(value.user_id)] = member
            return str(value.user_id)
        if option_type == CHANNEL:
            channel_id = int(value)
            channel = self.fake.channels.get(channel_id) or {"id": str(channel_id), "type": 0, "name": "gone"}
            resolved.setdefault("channels", {})[str(channel_id)] = {
                **channel,
                "permissions": str(BOT_PERMISSIONS),
            }
            return str(channel_id)
        if option_type == ROLE or (option_type == MENTIONABLE and int(value) in self.fake.roles):
            role = self.fake.roles.get(int(value)) or role_payload(int(value), "unknown")
            resolved.setdefault("roles", {})[str(value)] = role
            return str(value)
        if option_type in (USER, MENTIONABLE):
            return str(value)
        return value

    def _data(self, path: str, options: dict[str, Any], focused: str | None = None) -> dict[str, Any]:
        names, leaf = self.schema(path)
        top = self.fake.registered_commands()[names[0]]
        resolved: dict[str, dict] = {}
        built = self._options(leaf, options, focused, resolved)
        # wrap the leaf's options in its subcommand (group) options, from the inside out
        node_types = self._types_along(names)
        for name, node_type in reversed(list(zip(names[1:], node_types, strict=True))):
            built = [{"name": name, "type": node_type, "options": built}]
        data: dict[str, Any] = {"id": top["id"], "name": top["name"], "type": 1, "options": built}
        if "guild_id" in top:
            data["guild_id"] = top["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    def _types_along(self, names: list[str]) -> list[int]:
        node = self.fake.registered_commands()[names[0]]
        types = []
        for name in names[1:]:
            node = next(o for o in node["options"] if o["name"] == name)
            types.append(node["type"])
        return types

    # ------------------------------------------------------------------ interactions

    def _context(self, user: Member | None, *, in_dm: bool = False) -> dict[str, Any]:
        if in_dm or user is None:
            user = user or Member(next(_user_ids), "stranger")
            return {
                "user": user.user_payload(),
                "context": 1,
                "channel_id": str(self.channel_id),
                "channel": {"id": str(self.channel_id), "type": 1},
            }
        channel = self.fake.channels[self.channel_id]
        return {
            "guild_id": str(self.fake.guild_id),
            "guild_locale": "en-US",
            "guild": {"id": str(self.fake.guild_id), "locale": "en-US", "features": []},
            "member": user.member_payload(),
            "channel_id": str(self.channel_id),
            "channel": {**channel, "permissions": str(user.permissions)},
            "context": 0,
        }

    async def _run(self, log: InteractionLog, timeout: float, wait: bool) -> Outcome:
        await self.fake.send_interaction(log)
        if wait:
            await self.answered(log, timeout)
        return Outcome(log, self.fake)

    async def answered(self, log: InteractionLog, timeout: float = 5.0) -> None:
        try:
            await asyncio.wait_for(log.answered.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"interaction {log.id} was never answered") from None
        for _ in range(5):  # let follow-ups queued right after the answer arrive
            await asyncio.sleep(0)

    def slash_log(
        self, path: str, user: Member | None, *, in_dm: bool = False, **options: Any
    ) -> InteractionLog:
        return self.fake.new_interaction(2, self._data(path, options), **self._context(user, in_dm=in_dm))

    async def slash(
        self,
        path: str,
        user: Member | None,
        *,
        in_dm: bool = False,
        timeout: float = 5.0,
        wait: bool = True,
        **options: Any,
    ) -> Outcome:
        """Invoke `/path` as `user` with `options` (values, Member for user options, ids for channels)."""
        return await self._run(self.slash_log(path, user, in_dm=in_dm, **options), timeout, wait)

    async def autocomplete(
        self, path: str, user: Member, focused: str, **options: Any
    ) -> list[dict[str, Any]]:
        log = self.fake.new_interaction(4, self._data(path, options, focused=focused), **self._context(user))
        await self._run(log, 5.0, True)
        return log.choices or []

    def click_log(self, message: Message, label_part: str, user: Member) -> InteractionLog:
        return self.press_log(message, message.button(label_part)["custom_id"], user)

    def press_log(self, message: Message, custom_id: str, user: Member) -> InteractionLog:
        """The interaction of `user` pressing the button `custom_id` on `message`."""
        data = {"component_type": 2, "custom_id": custom_id}
        payload = message.payload(self.fake._bot_author(), self.fake.guild_id)
        if message.interaction_id is not None:
            payload["interaction_metadata"] = {
                "id": str(message.interaction_id),
                "type": 2,
                "user": user.user_payload(),
                "authorizing_integration_owners": {},
            }
        return self.fake.new_interaction(3, data, message=payload, **self._context(user))

    async def click(self, message: Message, label_part: str, user: Member, *, wait: bool = True) -> Outcome:
        """Press the button whose label contains `label_part` on `message`."""
        return await self._run(self.click_log(message, label_part, user), 5.0, wait)

    # ------------------------------------------------------------------ waiting for the bot

    async def wait_for(self, predicate, timeout: float = 5.0, what: str = "condition") -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            with contextlib.suppress(TimeoutError):
                async with self.fake.message_posted:
                    await asyncio.wait_for(self.fake.message_posted.wait(), 0.02)


def sample_value(option: dict[str, Any], driver: Driver) -> Any:
    """A plausible value for a registered option, for commands invoked only to see them refused."""
    if option.get("choices"):
        return option["choices"][0]["value"]
    option_type = option["type"]
    if option_type == STRING:
        return "rose"
    if option_type in (INTEGER, NUMBER):
        low = option.get("min_value", 1)
        return max(1, low) if option_type == INTEGER else float(max(1, low))
    if option_type == BOOLEAN:
        return True
    if option_type in (USER, MENTIONABLE):
        return driver.member("someone")
    if option_type == CHANNEL:
        from simulator.fake_discord import ALERTS_CHANNEL_ID

        return ALERTS_CHANNEL_ID
    if option_type == ROLE:
        return driver.fake.guild_id
    raise AssertionError(f"no sample value for option type {option_type}")

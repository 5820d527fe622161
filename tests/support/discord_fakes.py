"""Drive the real command tree with real `discord.Interaction` objects, without a network.

Interactions are built from Discord's JSON payloads and fed to discord.py's own
`ConnectionState.parse_interaction_create`, so option parsing, group routing, checks, views and the
error handler all run as in production. Everything discord.py would send to Discord's webhook
endpoints (interaction callbacks, follow-ups, edits of @original) is captured by `RecordingAdapter`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord
from discord import app_commands
from discord.webhook import async_ as webhook_async

from simulator.discord_payloads import (
    APPLICATION_ID,
    BOT_USER_ID,
    EPHEMERAL,
    GUILD_ID,
    SKU_CONSUMABLE,
    Member,
    bot_author,
    entitlement_payload,
    find_button,
    message_payload,
    premium_button_problem,
    role_payload,
    sku_payload,
    snowflake,
    visible_text,
)

CHANNEL_ID = 800_000_000_000_000_002


@dataclass
class Reply:
    """A message the member saw: an interaction response, a follow-up or an edit."""

    kind: str  # "response", "deferred", "update", "followup", "edit", "autocomplete"
    interaction_id: int
    message_id: int | None
    content: str | None
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    ephemeral: bool
    choices: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    allowed_mentions: dict[str, Any] | None = None
    file_data: dict[str, bytes] = field(default_factory=dict)  # attachment name → bytes sent

    @property
    def text(self) -> str:
        return visible_text(self.content, self.embeds)

    def button(self, label_part: str) -> dict[str, Any]:
        return find_button(self.components, label_part)


def _message_payload(message_id: int, data: dict[str, Any]) -> dict[str, Any]:
    return message_payload(
        message_id,
        CHANNEL_ID,
        bot_author(),
        content=data.get("content"),
        embeds=data.get("embeds"),
        components=data.get("components"),
        flags=data.get("flags", 0),
    )


def _read_files(files) -> dict[str, bytes]:
    """The bytes of attachments the bot sent (each file rewound, so nothing else is disturbed)."""
    found = {}
    for attachment in files or []:
        attachment.reset()
        found[attachment.filename] = attachment.fp.read()
        attachment.reset()
    return found


def webhook_error(status: int) -> discord.HTTPException:
    """What discord.py raises when Discord answers a webhook request with `status`: 404 is an expired or
    unknown interaction token, 5xx an outage."""
    response = SimpleNamespace(status=status, reason="error")
    if status == 404:
        return discord.NotFound(response, {"code": 10015, "message": "Unknown Webhook"})  # type: ignore[arg-type]
    if status >= 500:
        return discord.DiscordServerError(response, {"code": 0, "message": "Service Unavailable"})  # type: ignore[arg-type]
    return discord.HTTPException(response, {"code": 50027, "message": "Invalid Webhook Token"})  # type: ignore[arg-type]


class RecordingAdapter(webhook_async.AsyncWebhookAdapter):
    """Stands in for Discord's webhook endpoints and records what the bot sent."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: list[Reply] = []
        self._message_of_interaction: dict[int, int] = {}
        self._flags_of_message: dict[int, int] = {}
        self._failures: list[int] = []
        self.failed: list[int] = []  # statuses of the failures answered, in order

    def fail_next_replies(self, *statuses: int) -> None:
        """The next requests that would show the member something (a response, an edit, a follow-up;
        not a deferral) fail with these HTTP statuses, one each, as Discord would answer them."""
        self._failures.extend(statuses)

    async def request(self, route, session, *, payload=None, multipart=None, files=None, **_: Any) -> Any:
        if multipart:
            payload = json.loads(next(p["value"] for p in multipart if p["name"] == "payload_json"))
        payload = payload or {}
        path = route.path
        params = route.__dict__
        deferral = path.endswith("/callback") and payload.get("type") in (5, 6)
        if self._failures and not deferral and route.method != "GET":
            status = self._failures.pop(0)
            self.failed.append(status)
            raise webhook_error(status)
        if path.endswith("/callback"):
            return self._callback(int(params["webhook_id"]), payload, files)
        if path.endswith("/messages/@original"):
            return self._edit_original(route, payload, files)
        if route.method == "POST" and path == "/webhooks/{webhook_id}/{webhook_token}":
            message_id = snowflake()
            data = payload
            interaction_id = int(params["webhook_token"].removeprefix("token-"))
            self._record("followup", interaction_id, message_id, data, files)
            self._flags_of_message[message_id] = data.get("flags", 0)
            return _message_payload(message_id, data)
        raise AssertionError(f"unexpected webhook request {route.method} {path}")

    def _record(self, kind: str, interaction_id: int, message_id: int | None, data: dict, files) -> Reply:
        problem = premium_button_problem(data.get("components") or [])
        if problem is not None:  # Discord would answer 400 Invalid Form Body
            raise AssertionError(f"Discord refuses this message: {problem}")
        reply = Reply(
            kind=kind,
            interaction_id=interaction_id,
            message_id=message_id,
            content=data.get("content"),
            embeds=data.get("embeds") or [],
            components=data.get("components") or [],
            ephemeral=bool(data.get("flags", 0) & EPHEMERAL),
            choices=data.get("choices") or [],
            files=[f.filename for f in files or []],
            file_data=_read_files(files),
            allowed_mentions=data.get("allowed_mentions"),
        )
        self.replies.append(reply)
        return reply

    def _callback(self, interaction_id: int, payload: dict, files) -> dict[str, Any]:
        response_type = payload["type"]
        data = payload.get("data") or {}
        if response_type == 8:  # autocomplete result
            self._record("autocomplete", interaction_id, None, data, files)
            return {"interaction": {"id": str(interaction_id), "type": 4}}
        if response_type in (6, 7):  # update the message the component is on (6: later, deferred)
            message_id = self._message_of_interaction.get(interaction_id) or snowflake()
            reply = self._record(
                "update" if response_type == 7 else "deferred", interaction_id, message_id, data, files
            )
            reply.ephemeral = bool(self._flags_of_message.get(message_id, 0) & EPHEMERAL)
        elif response_type == 5:  # "thinking…": the answer comes as an edit or a follow-up
            message_id = snowflake()
            self._record("deferred", interaction_id, message_id, data, files)
            self._flags_of_message[message_id] = data.get("flags", 0)
        else:
            message_id = snowflake()
            self._record("response", interaction_id, message_id, data, files)
            self._flags_of_message[message_id] = data.get("flags", 0)
        self._message_of_interaction[interaction_id] = message_id
        return {
            "interaction": {
                "id": str(interaction_id),
                "type": 2,
                "response_message_id": str(message_id),
                "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
            },
            "resource": {"type": response_type, "message": _message_payload(message_id, data)},
        }

    def _edit_original(self, route, payload: dict, files) -> dict[str, Any]:
        token = route.__dict__["webhook_token"]
        interaction_id = int(token.removeprefix("token-"))
        message_id = self._message_of_interaction.get(interaction_id) or snowflake()
        if route.method == "GET":
            return _message_payload(message_id, {})
        reply = self._record("edit", interaction_id, message_id, payload, files)
        reply.ephemeral = bool(self._flags_of_message.get(message_id, 0) & EPHEMERAL)
        return _message_payload(message_id, payload)

    def for_interaction(self, interaction_id: int) -> list[Reply]:
        """What the member saw in answer to the interaction (deferrals are not something to read)."""
        return [r for r in self.replies if r.interaction_id == interaction_id and r.kind != "deferred"]


def _option_payload(parameter: app_commands.Parameter, value: Any) -> dict[str, Any]:
    option_type = parameter.type
    if option_type in (
        discord.AppCommandOptionType.user,
        discord.AppCommandOptionType.channel,
        discord.AppCommandOptionType.role,
        discord.AppCommandOptionType.mentionable,
    ):
        value = str(value)
    return {"name": parameter.display_name, "type": option_type.value, "value": value}


class Driver:
    """Acts as members of one guild towards a bot whose cogs are loaded."""

    def __init__(self, bot: discord.Client, adapter: RecordingAdapter, guild_id: int = GUILD_ID) -> None:
        self.bot = bot
        self.adapter = adapter
        state = bot._connection
        if state.user is None:  # what READY would have told the client about itself
            state.user = discord.ClientUser(
                state=state,
                data={
                    "id": str(BOT_USER_ID),
                    "username": "livegifts",
                    "discriminator": "0",
                    "bot": True,
                    "avatar": None,
                },
            )
            state.application_id = APPLICATION_ID
        self.guild_id = guild_id
        self.attachment_size_limit = 8 * 1024 * 1024  # what Discord allows this interaction to upload
        self._resolved: dict[str, dict[str, Any]] = {"users": {}, "members": {}, "roles": {}, "channels": {}}
        self.app_permissions = (1 << 53) - 1  # the bot's permissions where the command is used

    def _base(self, interaction_type: int, member: Member | None, data: dict[str, Any]) -> dict[str, Any]:
        interaction_id = snowflake()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(APPLICATION_ID),
            "type": interaction_type,
            "token": f"token-{interaction_id}",
            "version": 1,
            "data": data,
            "locale": "en-US",
            "app_permissions": str(self.app_permissions),
            "attachment_size_limit": self.attachment_size_limit,
            "entitlements": [],
            "authorizing_integration_owners": {},
        }
        if member is None:  # a DM
            payload["user"] = Member(snowflake()).member_payload()["user"]
            payload["context"] = 1
        else:
            payload.update(
                guild_id=str(self.guild_id),
                guild_locale="en-US",
                member=member.member_payload(),
                channel_id=str(CHANNEL_ID),
                channel={
                    "id": str(CHANNEL_ID),
                    "type": 0,
                    "guild_id": str(self.guild_id),
                    "name": "general",
                    "position": 0,
                    "permission_overwrites": [],
                },
                context=0,
            )
        return payload

    def _command(self, path: str) -> app_commands.Command:
        names = path.split()
        command = self.bot.tree.get_command(names[0])
        for name in names[1:]:
            command = command.get_command(name)
        if command is None:
            raise AssertionError(f"no command /{path}")
        return command

    def _data(
        self, command: app_commands.Command, options: dict[str, Any], focused: str | None = None
    ) -> dict:
        by_name = {p.display_name: p for p in command.parameters}
        built = []
        for name, value in options.items():
            option = _option_payload(by_name[name], value)
            if name == focused:
                option.update(focused=True, type=3, value=str(value))
            built.append(option)
        data: dict[str, Any] = {"type": 1, "name": command.name, "options": built}
        node: app_commands.Command | app_commands.Group = command
        while node.parent is not None:
            data = {
                "type": 2 if isinstance(node, app_commands.Group) else 1,
                "name": node.parent.name,
                "options": [data],
            }
            node = node.parent
        data = {
            "id": str(snowflake()),
            "type": 1,
            "name": node.name,
            "options": data["options"],
            "resolved": self._resolved,
        }
        return data

    async def _dispatch(self, payload: dict[str, Any]) -> int:
        interaction_id = int(payload["id"])
        webhook_async.async_context.set(self.adapter)  # tasks created below inherit this context
        self.bot._connection.parse_interaction_create(payload)
        await self.settle(interaction_id)
        return interaction_id

    async def settle(self, interaction_id: int | None = None, timeout: float = 5.0) -> None:
        """Let the dispatched tasks run until the interaction was answered (and a little more)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while interaction_id is not None and not self.adapter.for_interaction(interaction_id):
            if loop.time() > deadline:
                raise AssertionError(f"interaction {interaction_id} was never answered")
            await asyncio.sleep(0.005)
        for _ in range(20):
            await asyncio.sleep(0)

    async def slash(self, path: str, member: Member | None, **options: Any) -> Reply:
        """Invoke `/path` as `member` (None: from a DM) and return the first reply."""
        command = self._command(path)
        payload = self._base(2, member, self._data(command, options))
        interaction_id = await self._dispatch(payload)
        return self.adapter.for_interaction(interaction_id)[0]

    async def slash_answer(self, path: str, member: Member | None, **options: Any) -> Reply:
        """Invoke `/path` and return the first reply with something to read: past a "thinking…"
        deferral or a "⏳ …" progress line, the follow-up or edit that answers it."""
        seen = len(self.adapter.replies)
        await self.slash(path, member, **options)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while True:
            for reply in self.adapter.replies[seen:]:
                if (reply.content or reply.embeds or reply.files) and not (reply.content or "").startswith(
                    "⏳"
                ):
                    return reply
            if loop.time() > deadline:
                raise AssertionError(f"/{path} never answered past its deferral")
            await asyncio.sleep(0.005)

    async def slash_with(self, path: str, invoker: Member | None, options: dict[str, Any]) -> Reply:
        """Like `slash`, with the options in a dict (for commands with an option called `member`)."""
        command = self._command(path)
        payload = self._base(2, invoker, self._data(command, options))
        interaction_id = await self._dispatch(payload)
        return self.adapter.for_interaction(interaction_id)[0]

    async def autocomplete(self, path: str, member: Member, focused: str, **options: Any) -> list[dict]:
        command = self._command(path)
        payload = self._base(4, member, self._data(command, options, focused=focused))
        interaction_id = await self._dispatch(payload)
        return self.adapter.for_interaction(interaction_id)[0].choices

    async def click(self, reply: Reply, label_part: str, member: Member) -> list[Reply]:
        """Press the button on the message of `reply`; returns the replies to the click."""
        button = reply.button(label_part)
        data = {"component_type": 2, "custom_id": button["custom_id"]}
        payload = self._base(3, member, data)
        payload["message"] = _message_payload(reply.message_id, {"components": reply.components})
        # A click's "update the message" answer edits the message the button is on (and keeps its
        # ephemeral flag).
        self.adapter._message_of_interaction[int(payload["id"])] = reply.message_id
        interaction_id = await self._dispatch(payload)
        return self.adapter.for_interaction(interaction_id)

    def add_resolved_member(self, member: Member) -> None:
        user = member.member_payload()["user"]
        self._resolved["users"][str(member.user_id)] = user
        self._resolved["members"][str(member.user_id)] = {
            k: v for k, v in member.member_payload().items() if k != "user"
        }

    def add_resolved_role(self, role_id: int, name: str = "role") -> None:
        """A role option's value resolves to this role (it is also put into the guild cache)."""
        self._resolved["roles"][str(role_id)] = role_payload(role_id, name)
        cache_role(self.bot, role_id, name, self.guild_id)

    def add_resolved_channel(self, channel_id: int, name: str = "alerts", channel_type: int = 0) -> None:
        """A channel option's value resolves to this channel (a text channel unless told otherwise);
        `discord.TextChannel` options also need it in the guild cache (tests/support/channels.py)."""
        self._resolved["channels"][str(channel_id)] = {
            "id": str(channel_id),
            "type": channel_type,
            "name": name,
            "permissions": str((1 << 53) - 1),
            "guild_id": str(self.guild_id),
            "position": 1,
            "parent_id": None,
        }


def cache_role(
    bot: discord.Client, role_id: int, name: str = "role", guild_id: int = GUILD_ID
) -> discord.Role:
    """Put a role into the bot's guild cache (creating the cached guild if needed), so that
    `member.roles` of interaction members carrying it resolves."""
    state = bot._connection
    guild = state._get_guild(guild_id)
    if guild is None:
        guild = discord.Guild(data={"id": str(guild_id), "name": "livegifts test"}, state=state)
        state._add_guild(guild)
    role = discord.Role(guild=guild, state=state, data=role_payload(role_id, name))
    guild._add_role(role)
    return role


def install_adapter() -> RecordingAdapter:
    adapter = RecordingAdapter()
    webhook_async.async_context.set(adapter)
    return adapter


class OfflineMonetization:
    """Discord's monetization endpoints for a bot that never logs in: the application's SKUs
    (`Client.fetch_skus`) and the consume of an entitlement, recorded in `consumed`. Entitlement events are
    fed to discord.py's own parser, as the gateway would."""

    def __init__(self, coin_skus: list[tuple[int, int, int]]) -> None:
        self.skus = [sku_payload(sku, f"{coins} coins", SKU_CONSUMABLE, application_id=APPLICATION_ID)
                     for sku, coins, _ in coin_skus]  # fmt: skip
        self.consumed: list[int] = []
        self._bot: discord.Client | None = None

    def install(self, bot: discord.Client) -> None:
        self._bot = bot

        async def fetch_skus() -> list[discord.SKU]:
            return [discord.SKU(state=bot._connection, data=sku) for sku in self.skus]

        async def consume_entitlement(application_id: int, entitlement_id: int) -> None:
            self.consumed.append(int(entitlement_id))

        bot.fetch_skus = fetch_skus  # type: ignore[method-assign]
        bot.http.consume_entitlement = consume_entitlement  # type: ignore[method-assign]

    async def purchase(self, user_id: int, sku_id: int, *, test: bool = False) -> dict[str, Any]:
        """A member paid on the premium button: ENTITLEMENT_CREATE reaches the bot."""
        payload = entitlement_payload(
            snowflake(), sku_id, user_id, 4 if test else 1, application_id=APPLICATION_ID
        )
        await self.send("create", payload)
        return payload

    async def send(self, event: str, payload: dict[str, Any]) -> None:
        """ENTITLEMENT_CREATE / UPDATE / DELETE through discord.py's parser; the listeners run as tasks."""
        assert self._bot is not None, "install() first"
        getattr(self._bot._connection, f"parse_entitlement_{event}")(dict(payload))
        for _ in range(50):
            await asyncio.sleep(0)

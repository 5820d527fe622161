"""Guild text channels the bot can post in, without a network.

`FakeChannels(bot)` puts a real `discord.Guild` with real `discord.TextChannel`s into the bot's cache (so
`bot.get_channel` finds them) and answers the bot's REST calls for channel messages (`channel.send`,
`message.edit`, `bot.fetch_channel`), recording each request's JSON payload, allowed mentions included.
Channels can be deleted or have the bot's permission taken away to exercise failures. Guild scheduled
events (create, fetch, edit, delete) are kept too, with Discord's status rules.

It also keeps the guild's members and their roles for the REST calls the bot makes without the members
intent (`guild.fetch_member`, `member.add_roles`, `member.remove_roles`): `add_member`, `add_role`,
`give_bot_role` set them up; `role_requests` records each role change.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord

from simulator.discord_payloads import BOT_USER_ID, GUILD_ID, bot_author, message_payload

_ids = itertools.count(1_200_000_000_000_000_000)


@dataclass
class ChannelRequest:
    """One REST call the bot made to post or edit a message."""

    method: str  # "POST" (send) or "PATCH" (edit)
    channel_id: int
    message_id: int | None
    payload: dict[str, Any]

    @property
    def content(self) -> str:
        return self.payload.get("content") or ""

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        return self.payload.get("allowed_mentions")


@dataclass
class ChannelMessage:
    id: int
    channel_id: int
    content: str
    embeds: list[dict[str, Any]] = field(default_factory=list)
    edits: int = 0


def _error(kind: type[discord.HTTPException], status: int, code: int, text: str) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason=text)
    return kind(response, {"code": code, "message": text})


class FakeChannels:
    def __init__(self, bot: discord.Client, guild_id: int = GUILD_ID) -> None:
        self.bot = bot
        state = bot._connection
        guild = state._get_guild(guild_id)
        if guild is None:
            guild = discord.Guild(data={"id": str(guild_id), "name": "livegifts test"}, state=state)
            state._add_guild(guild)
        self.guild = guild
        self.requests: list[ChannelRequest] = []
        self.messages: dict[int, ChannelMessage] = {}
        self.forbidden: set[int] = set()
        self.deleted: set[int] = set()
        self.scheduled_events: dict[int, dict[str, Any]] = {}
        self.member_roles: dict[int, list[int]] = {}  # members of the guild and their role ids
        self.role_requests: list[tuple[str, int, int]] = []  # ("PUT"/"DELETE", member, role)
        self.roles_forbidden = False  # the bot lost Manage Roles: role changes answer 403
        bot.http.request = self._request

    def add_role(
        self, role_id: int, name: str = "role", position: int = 1, permissions: int = 0
    ) -> discord.Role:
        """A role of the guild (in the bot's cache, as the gateway would have told it)."""
        data = {
            "id": str(role_id), "name": name, "color": 0, "hoist": False, "position": position,
            "permissions": str(permissions), "managed": False, "mentionable": False, "flags": 0,
        }  # fmt: skip
        role = discord.Role(guild=self.guild, state=self.bot._connection, data=data)  # type: ignore[arg-type]
        self.guild._add_role(role)
        return role

    def add_member(self, user_id: int, roles: list[int] | None = None) -> None:
        """A member of the guild (not cached: the bot fetches it over REST)."""
        self.member_roles[user_id] = list(roles or [])

    def give_bot_role(self, role_id: int, position: int, *, manage_roles: bool = True) -> discord.Role:
        """The bot's own member gets a role at `position` (with Manage Roles unless told otherwise)."""
        if self.guild.get_role(self.guild.id) is None:
            self.add_role(self.guild.id, "@everyone", 0)
        role = self.add_role(role_id, "livegifts", position, (1 << 28) if manage_roles else 0)
        self.add_member(BOT_USER_ID, [role_id])
        return role

    def _member_payload(self, user_id: int) -> dict[str, Any]:
        return {
            "user": {"id": str(user_id), "username": f"user{user_id}", "discriminator": "0", "avatar": None},
            "roles": [str(r) for r in self.member_roles[user_id]],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        }

    def _guild_request(self, route: Any) -> Any:
        parts = route.url.split("/guilds/", 1)[1].split("/")
        if len(parts) < 3 or parts[1] != "members":
            raise AssertionError(f"unexpected REST call {route.method} {route.path}")
        user_id = int(parts[2])
        if user_id not in self.member_roles:
            raise _error(discord.NotFound, 404, 10007, "Unknown Member")
        if route.method == "GET" and len(parts) == 3:
            return self._member_payload(user_id)
        if len(parts) == 5 and parts[3] == "roles" and route.method in ("PUT", "DELETE"):
            role_id = int(parts[4])
            if self.roles_forbidden:
                raise _error(discord.Forbidden, 403, 50013, "Missing Permissions")
            self.role_requests.append((route.method, user_id, role_id))
            roles = self.member_roles[user_id]
            if route.method == "PUT" and role_id not in roles:
                roles.append(role_id)
            if route.method == "DELETE" and role_id in roles:
                roles.remove(role_id)
            return None
        raise AssertionError(f"unexpected REST call {route.method} {route.path}")

    def add_text_channel(self, channel_id: int | None = None, name: str = "alerts") -> discord.TextChannel:
        channel_id = channel_id or next(_ids)
        channel = discord.TextChannel(
            state=self.bot._connection, guild=self.guild, data=self._payload(channel_id, name)
        )
        self.guild._add_channel(channel)
        return channel

    def delete_channel(self, channel_id: int) -> None:
        self.guild._remove_channel(discord.Object(id=channel_id))
        self.deleted.add(channel_id)

    def delete_message(self, message_id: int) -> None:
        """A moderator deleted the message."""
        self.messages.pop(message_id, None)

    def forbid(self, channel_id: int) -> None:
        """The bot loses Send Messages there."""
        self.forbidden.add(channel_id)

    def posted(self, channel_id: int | None = None) -> list[ChannelMessage]:
        return [m for m in self.messages.values() if channel_id is None or m.channel_id == channel_id]

    def _payload(self, channel_id: int, name: str) -> dict[str, Any]:
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(self.guild.id),
            "name": name,
            "position": 1,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        }

    def _message_payload(self, message: ChannelMessage) -> dict[str, Any]:
        return message_payload(
            message.id,
            message.channel_id,
            bot_author(),
            content=message.content,
            embeds=message.embeds,
            timestamp="2026-11-28T12:00:00+00:00",
        )

    async def _request(self, route: Any, **kwargs: Any) -> Any:
        payload = kwargs.get("json")
        if payload is None and kwargs.get("form"):
            payload = json.loads(next(p["value"] for p in kwargs["form"] if p["name"] == "payload_json"))
        payload = payload or {}
        channel_id = int(route.channel_id) if route.channel_id is not None else None
        path = route.path
        if path.startswith("/guilds/{guild_id}/scheduled-events"):
            return self._scheduled_event(route, payload)
        if path.startswith("/guilds/{guild_id}/members/"):
            return self._guild_request(route)
        if channel_id is None or not path.startswith("/channels/{channel_id}"):
            raise AssertionError(f"unexpected REST call {route.method} {path}")
        if channel_id in self.deleted or self.guild.get_channel(channel_id) is None:
            raise _error(discord.NotFound, 404, 10003, "Unknown Channel")
        if route.method == "GET" and path == "/channels/{channel_id}":
            channel = self.guild.get_channel(channel_id)
            return self._payload(channel_id, channel.name)
        if channel_id in self.forbidden:
            raise _error(discord.Forbidden, 403, 50013, "Missing Permissions")
        if route.method == "POST" and path == "/channels/{channel_id}/messages":
            message = ChannelMessage(
                next(_ids), channel_id, payload.get("content") or "", payload.get("embeds") or []
            )
            self.messages[message.id] = message
            self.requests.append(ChannelRequest("POST", channel_id, message.id, payload))
            return self._message_payload(message)
        if route.method == "PATCH" and path == "/channels/{channel_id}/messages/{message_id}":
            message_id = int(route.url.rsplit("/", 1)[1])
            message = self.messages.get(message_id)
            if message is None:
                raise _error(discord.NotFound, 404, 10008, "Unknown Message")
            if "content" in payload:
                message.content = payload["content"] or ""
            message.edits += 1
            self.requests.append(ChannelRequest("PATCH", channel_id, message_id, payload))
            return self._message_payload(message)
        raise AssertionError(f"unexpected REST call {route.method} {path}")

    # --- guild scheduled events ------------------------------------------------------------------

    _TRANSITIONS = {(1, 2), (2, 3), (1, 4)}  # scheduled → active → completed; scheduled → cancelled

    def _scheduled_event(self, route: Any, payload: dict[str, Any]) -> Any:
        if route.method == "POST":
            event_id = next(_ids)
            event = {
                "id": str(event_id),
                "guild_id": str(self.guild.id),
                "channel_id": payload.get("channel_id"),
                "creator_id": str(BOT_USER_ID),
                "name": payload["name"],
                "description": payload.get("description"),
                "scheduled_start_time": payload["scheduled_start_time"],
                "scheduled_end_time": payload.get("scheduled_end_time"),
                "privacy_level": payload.get("privacy_level", 2),
                "status": 1,
                "entity_type": payload["entity_type"],
                "entity_id": None,
                "entity_metadata": payload.get("entity_metadata"),
                "image": None,
            }
            self.scheduled_events[event_id] = event
            return event
        event_id = int(route.url.rsplit("/", 1)[1].split("?")[0])
        event = self.scheduled_events.get(event_id)
        if event is None:
            raise _error(discord.NotFound, 404, 10070, "Unknown Guild Scheduled Event")
        if route.method == "PATCH":
            status = payload.get("status", event["status"])
            if status != event["status"] and (event["status"], status) not in self._TRANSITIONS:
                raise _error(discord.HTTPException, 400, 50035, "Invalid status transition")
            event.update({k: v for k, v in payload.items() if k in event})
        elif route.method == "DELETE":
            del self.scheduled_events[event_id]
            return None
        return event

"""A local fake of Discord's API v10 (REST + gateway WebSocket) for end-to-end tests.

It speaks just enough of the protocol for the unmodified bot, running on the real discord.py client, to
log in, sync its commands, receive INTERACTION_CREATE events and answer them over HTTP. Everything the bot
sends is recorded: interaction callbacks, follow-ups, edits, channel messages, DMs. Requests to routes the
fake does not know are answered with 404 and recorded in `unknown_requests` (the fixtures fail the test).

The bot reaches it as it reaches Discord, through DISCORD_API_BASE_URL = `api_base` (its GET /gateway/bot
names `gateway_url`); the e2e tests and `python -m bot playground` both run it. The gateway sends plain JSON
text frames, which discord.py accepts whatever compression it asked for.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from simulator.discord_payloads import (
    ADMINISTRATOR,
    APPLICATION_ID,
    BOT_USER_ID,
    EPHEMERAL,
    GUILD_ID,
    MEMBER_PERMISSIONS,
    PURCHASE,
    SKU_CONSUMABLE,
    TEST_MODE_PURCHASE,
    Member,
    entitlement_payload,
    find_button,
    message_payload,
    premium_button_problem,
    role_payload,
    sku_payload,
    snowflake,
    user_payload,
    visible_text,
)

OWNER_ID = 930_000_000_000_000_001
GENERAL_CHANNEL_ID = 920_000_000_000_000_010
ALERTS_CHANNEL_ID = 920_000_000_000_000_011
EVERYONE_ROLE_ID = GUILD_ID
CANNOT_DM = 50007  # Discord's error code when a member's DMs are closed
UNKNOWN_ENTITLEMENT = 10029
ONLY_CONSUMABLES = 40018  # "Only consumable SKUs can be consumed"
ONLY_TEST_ENTITLEMENTS = 40019  # only sandbox (test) entitlements can be deleted
INVALID_FORM_BODY = 50035

UNKNOWN_MEMBER = 10007  # the user is not a member of the guild
MISSING_ACCESS = 50001  # e.g. the bot asked about a guild it is no longer in
MISSING_PERMISSIONS = 50013
MANAGE_ROLES = 1 << 28
BOT_PERMISSIONS = MEMBER_PERMISSIONS | (1 << 13) | (1 << 16) | (1 << 17) | (1 << 18)
MANAGE_EVENTS = 1 << 33
EVENT_SCHEDULED, EVENT_ACTIVE, EVENT_COMPLETED, EVENT_CANCELED = 1, 2, 3, 4
# Discord's allowed status changes of a guild scheduled event
EVENT_TRANSITIONS = {
    (EVENT_SCHEDULED, EVENT_ACTIVE),
    (EVENT_ACTIVE, EVENT_COMPLETED),
    (EVENT_SCHEDULED, EVENT_CANCELED),
}
UNKNOWN_EVENT = 10070


@dataclass
class Attachment:
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class Message:
    """A message as Discord stores it: posted in a channel, as an interaction response or a follow-up."""

    id: int
    channel_id: int
    kind: str  # "channel", "response", "followup", "dm"
    content: str | None = None
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    allowed_mentions: dict[str, Any] | None = None
    attachments: list[Attachment] = field(default_factory=list)
    interaction_id: int | None = None
    deleted: bool = False
    versions: list[dict[str, Any]] = field(default_factory=list)  # every payload that set or edited it

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def text(self) -> str:
        return visible_text(self.content, self.embeds)

    def buttons(self) -> list[dict[str, Any]]:
        return [c for row in self.components for c in row.get("components", []) if c.get("type") == 2]

    def button(self, label_part: str) -> dict[str, Any]:
        return find_button(self.components, label_part)

    def apply(self, payload: dict[str, Any], attachments: list[Attachment]) -> None:
        self.versions.append(payload)
        for key in ("content", "embeds", "components", "allowed_mentions"):
            if key in payload:
                setattr(self, key, payload[key] if payload[key] is not None else self._empty(key))
        if "flags" in payload and payload["flags"] is not None:
            self.flags = payload["flags"]
        kept = payload.get("attachments")
        if kept is not None and not attachments:
            kept_names = {a.get("filename") for a in kept}
            self.attachments = [a for a in self.attachments if a.filename in kept_names]
        if attachments:
            self.attachments = attachments

    @staticmethod
    def _empty(key: str) -> Any:
        return None if key in ("content", "allowed_mentions") else []

    def payload(self, author: dict[str, Any], guild_id: int | None) -> dict[str, Any]:
        data = message_payload(
            self.id,
            self.channel_id,
            author,
            content=self.content,
            embeds=self.embeds,
            components=self.components,
            attachments=[
                {
                    "id": str(snowflake()),
                    "filename": a.filename,
                    "size": len(a.data),
                    "url": f"https://cdn.example/{a.filename}",
                    "proxy_url": f"https://cdn.example/{a.filename}",
                }
                for a in self.attachments
            ],
            flags=self.flags,
        )
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return data


@dataclass
class InteractionLog:
    """One INTERACTION_CREATE the fake sent, and everything the bot did in answer."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    sent_at: float
    callback_at: float | None = None
    callback_type: int | None = None
    choices: list[dict[str, Any]] | None = None
    message_ids: list[int] = field(default_factory=list)  # response first, then follow-ups
    original_message_id: int | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class RecordedRequest:
    method: str
    path: str
    status: int
    body: Any = None


RateRule = Callable[[str, str], bool]


class RateLimiter:
    """A sliding window per bucket; over the limit the fake answers 429 like Discord does."""

    def __init__(
        self, matches: RateRule, limit: int, per_seconds: float, bucket: Callable[[str], str], advertise: bool
    ) -> None:
        self.matches = matches
        self.advertise = advertise  # False: successes carry no X-RateLimit-* headers (a shared limit)
        self.limit = limit
        self.per = per_seconds
        self.bucket = bucket
        self._hits: dict[str, list[float]] = {}
        self.refused = 0

    def check(self, method: str, path: str) -> tuple[float | None, dict[str, str]]:
        key = self.bucket(path)
        now = time.monotonic()
        hits = [t for t in self._hits.get(key, []) if now - t < self.per]
        self._hits[key] = hits
        if len(hits) >= self.limit:
            retry_after = max(0.001, self.per - (now - hits[0]))
            self.refused += 1
            return retry_after, self._headers(key, 0, retry_after)
        hits.append(now)
        reset_after = self.per - (now - hits[0])
        return None, (self._headers(key, self.limit - len(hits), reset_after) if self.advertise else {})

    def _headers(self, key: str, remaining: int, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": f"fake-{abs(hash(key)) % 10**8}",
        }


class FakeDiscord:
    """The fake Discord: call `await start()`, point discord.py at `api_base`/`gateway_url`, `await stop()`."""

    def __init__(self) -> None:
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.app.router.add_route("*", "/gateway", self._gateway)
        self.app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.guild_id = GUILD_ID
        self.guild_name = "Live Lounge"
        self.users: dict[int, Member] = {
            OWNER_ID: Member(OWNER_ID, "owner", MEMBER_PERMISSIONS | ADMINISTRATOR)
        }
        self.roles: dict[int, dict[str, Any]] = {
            EVERYONE_ROLE_ID: role_payload(EVERYONE_ROLE_ID, "@everyone", MEMBER_PERMISSIONS, 0)
        }
        self.bot_roles: list[int] = []  # the bot's own member's roles (its highest decides what it manages)
        self.role_changes: list[tuple[str, int, int]] = []  # ("PUT"/"DELETE", member, role) made by the bot
        self.channels: dict[int, dict[str, Any]] = {}
        self.add_text_channel(GENERAL_CHANNEL_ID, "general")
        self.add_text_channel(ALERTS_CHANNEL_ID, "gift-alerts")
        self.commands: dict[int | None, dict[str, dict[str, Any]]] = {}  # scope (None = global) → name → cmd
        self.scheduled_events: dict[int, dict[str, Any]] = {}  # guild scheduled events, by id
        self.app_permissions = BOT_PERMISSIONS | MANAGE_EVENTS  # the bot's permissions in interactions
        self.command_syncs = 0
        self.messages: dict[int, Message] = {}
        self.interactions: dict[int, InteractionLog] = {}
        self._interaction_of_token: dict[str, int] = {}
        self.dm_channels: dict[int, int] = {}  # user id → DM channel id
        self.closed_dms: set[int] = set()  # users who do not accept DMs from the bot (Discord: 403, 50007)
        self.departed: set[int] = set()  # users who left the guild (they still exist as Discord users)
        self.bot_in_guild = True
        self.unknown_requests: list[RecordedRequest] = []
        self.client_errors: list[RecordedRequest] = []  # 4xx answers to known routes (e.g. a double ack)
        self.requests: list[RecordedRequest] = []
        self.rate_limiters: list[RateLimiter] = []
        self.forced_429: list[tuple[RateRule, int, float, bool]] = []
        self.skus: dict[int, dict[str, Any]] = {}
        self.entitlements: dict[int, dict[str, Any]] = {}  # id → payload as Discord stores it
        self.consumed: list[int] = []  # entitlement ids, in the order the bot consumed them
        # Set: a consume request is held open (and `consume_arrived` set) until the gate opens, so that
        # a test can kill the bot after it committed a credit and before Discord consumed.
        self.consume_gate: asyncio.Event | None = None
        self.consume_arrived = asyncio.Event()
        self.drop_held_consumes = False
        self.identified = asyncio.Event()
        self.identify_payloads: list[dict[str, Any]] = []
        self._ws: web.WebSocketResponse | None = None
        self._seq = itertools.count(1)
        self._send_lock = asyncio.Lock()
        self.message_posted = asyncio.Condition()

    # ------------------------------------------------------------------ set-up

    def add_role(
        self, role_id: int, name: str, permissions: int = 0, position: int | None = None
    ) -> dict[str, Any]:
        self.roles[role_id] = role_payload(
            role_id, name, permissions, len(self.roles) if position is None else position
        )
        return self.roles[role_id]

    async def create_role(
        self, role_id: int, name: str, permissions: int = 0, position: int | None = None
    ) -> dict[str, Any]:
        """A role created while the bot runs: Discord tells it with GUILD_ROLE_CREATE."""
        role = self.add_role(role_id, name, permissions, position)
        if self._ws is not None:
            await self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(self.guild_id), "role": role})
        return role

    async def give_bot_role(
        self, role_id: int, position: int, *, manage_roles: bool = True
    ) -> dict[str, Any]:
        """The bot's member gets a role at `position`; with Manage Roles, the app's permissions include it."""
        role = await self.create_role(role_id, "livegifts", MANAGE_ROLES if manage_roles else 0, position)
        self.bot_roles.append(role_id)
        if manage_roles:
            self.app_permissions |= MANAGE_ROLES
        else:
            self.app_permissions &= ~MANAGE_ROLES
        return role

    def _bot_top_position(self) -> int:
        return max((int(self.roles[r]["position"]) for r in self.bot_roles if r in self.roles), default=0)

    def add_text_channel(self, channel_id: int, name: str) -> dict[str, Any]:
        self.channels[channel_id] = {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": name,
            "position": len(self.channels),
            "permission_overwrites": [],
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
        }
        return self.channels[channel_id]

    def add_user(self, user_id: int, name: str, permissions: int = MEMBER_PERMISSIONS) -> Member:
        self.users[user_id] = Member(user_id, name, permissions)
        return self.users[user_id]

    # ------------------------------------------------------------------ monetization

    def add_sku(self, sku_id: int, name: str, sku_type: int = SKU_CONSUMABLE) -> dict[str, Any]:
        """A SKU of the application, as GET /applications/{app}/skus lists it."""
        self.skus[sku_id] = sku_payload(sku_id, name, sku_type, application_id=APPLICATION_ID)
        return self.skus[sku_id]

    def _entitlement(
        self, sku_id: int, user_id: int, entitlement_type: int, *, with_consumed: bool = True
    ) -> dict[str, Any]:
        entitlement = entitlement_payload(
            snowflake(), sku_id, user_id, entitlement_type,
            application_id=APPLICATION_ID, with_consumed=with_consumed,
        )  # fmt: skip
        self.entitlements[int(entitlement["id"])] = entitlement
        return entitlement

    async def purchase(
        self,
        user_id: int,
        sku_id: int,
        *,
        test: bool = False,
        send_event: bool = True,
        with_consumed: bool = True,
    ) -> dict[str, Any]:
        """A member pays on the premium button (which sends the bot no interaction): Discord creates the
        entitlement and sends ENTITLEMENT_CREATE (to shard 0; the fake runs one shard). Live purchases of
        a consumable are refused while the member holds an unconsumed one of the same SKU; Application
        Test Mode purchases (`test`, type 4) may repeat."""
        sku = self.skus[sku_id]
        if not test and sku["type"] == SKU_CONSUMABLE:
            for held in self.entitlements.values():
                if (
                    held["sku_id"] == str(sku_id) and held["user_id"] == str(user_id)
                    and not held["deleted"] and not held.get("consumed") and held["type"] == PURCHASE
                ):  # fmt: skip
                    raise AssertionError(f"user {user_id} still holds unconsumed entitlement {held['id']}")
        entitlement = self._entitlement(sku_id, user_id, TEST_MODE_PURCHASE if test else PURCHASE,
                                        with_consumed=with_consumed)  # fmt: skip
        if send_event:
            await self.dispatch("ENTITLEMENT_CREATE", dict(entitlement))
        return entitlement

    async def refund(self, entitlement_id: int, *, send_event: bool = True) -> None:
        """Discord refunds the purchase: the entitlement is deleted (hidden from lists unless
        exclude_deleted=false) and ENTITLEMENT_DELETE is sent with `deleted: true`."""
        entitlement = self.entitlements[entitlement_id]
        entitlement["deleted"] = True
        if send_event:
            await self.dispatch("ENTITLEMENT_DELETE", dict(entitlement))

    def _list_entitlements(self, query: Any) -> tuple[int, Any]:
        limit = int(query.get("limit", 100))
        if not 1 <= limit <= 100:
            return 400, {"message": "Invalid Form Body", "code": INVALID_FORM_BODY}
        rows = sorted(self.entitlements.values(), key=lambda e: int(e["id"]))
        if query.get("exclude_deleted", "1") in ("1", "true"):
            rows = [e for e in rows if not e["deleted"]]
        if "user_id" in query:
            rows = [e for e in rows if e["user_id"] == query["user_id"]]
        if "sku_ids" in query:
            wanted = set(query["sku_ids"].split(","))
            rows = [e for e in rows if e["sku_id"] in wanted]
        if "guild_id" in query:
            rows = [e for e in rows if e.get("guild_id") == query["guild_id"]]
        if "before" in query:  # the newest `limit` below `before`, still in ascending order
            rows = [e for e in rows if int(e["id"]) < int(query["before"])][-limit:]
        else:
            after = int(query.get("after", 0))
            rows = [e for e in rows if int(e["id"]) > after][:limit]
        return 200, [dict(e) for e in rows]

    async def _consume(self, entitlement_id: int) -> tuple[int, Any]:
        if self.consume_gate is not None:
            self.consume_arrived.set()
            await self.consume_gate.wait()
            if self.drop_held_consumes:  # the bot died holding the request: Discord never got it
                return 503, {"message": "upstream connect error", "code": 0}
        entitlement = self.entitlements.get(entitlement_id)
        if entitlement is None:
            return 404, {"message": "Unknown Entitlement", "code": UNKNOWN_ENTITLEMENT}
        if self.skus[int(entitlement["sku_id"])]["type"] != SKU_CONSUMABLE:
            return 400, {"message": "Only consumable SKUs can be consumed", "code": ONLY_CONSUMABLES}
        if entitlement.get("consumed"):  # undocumented at Discord; here a bug of the bot's
            return 400, {"message": "Entitlement already consumed", "code": 0}
        entitlement["consumed"] = True
        self.consumed.append(entitlement_id)
        return 204, None

    async def _create_test_entitlement(self, body: dict[str, Any]) -> tuple[int, Any]:
        if int(body["owner_type"]) != 2:
            return 400, {
                "message": "guild-owned test entitlements are not modelled",
                "code": INVALID_FORM_BODY,
            }
        entitlement = self._entitlement(int(body["sku_id"]), int(body["owner_id"]), TEST_MODE_PURCHASE)
        await self.dispatch("ENTITLEMENT_CREATE", dict(entitlement))
        partial = {k: v for k, v in entitlement.items() if k not in ("starts_at", "ends_at")}
        return 200, partial

    async def _delete_test_entitlement(self, entitlement_id: int) -> tuple[int, Any]:
        entitlement = self.entitlements.get(entitlement_id)
        if entitlement is None:
            return 404, {"message": "Unknown Entitlement", "code": UNKNOWN_ENTITLEMENT}
        if entitlement["type"] != TEST_MODE_PURCHASE:
            return 403, {
                "message": "Only sandbox entitlements can be deleted",
                "code": ONLY_TEST_ENTITLEMENTS,
            }
        await self.refund(entitlement_id)
        return 204, None

    def member_leaves(self, user_id: int) -> None:
        """The member leaves the guild (no event: the bot does not have the members intent)."""
        self.departed.add(user_id)

    async def remove_bot_from_guild(self) -> None:
        """The bot is kicked from the guild: Discord sends GUILD_DELETE and answers its questions about
        the guild with 403 Missing Access from then on."""
        self.bot_in_guild = False
        await self.dispatch("GUILD_DELETE", {"id": str(self.guild_id)})

    def rate_limit(
        self,
        pattern: str,
        limit: int,
        per_seconds: float,
        method: str = "POST|PATCH",
        *,
        advertise: bool = True,
    ) -> RateLimiter:
        """Answer 429 once `limit` requests matching `pattern` (a regex on the path after /api/v10) came
        within `per_seconds` for one channel (Discord's per-route, per-major-parameter buckets). With
        `advertise`, successful answers carry the X-RateLimit-* headers (discord.py then waits on its own);
        without, the bot only learns of the limit from the 429s."""
        regex, methods = re.compile(pattern), set(method.split("|"))

        def bucket(path: str) -> str:
            found = re.search(r"/channels/(\d+)", path)
            return found.group(1) if found else path

        limiter = RateLimiter(
            lambda m, p: m in methods and bool(regex.search(p)), limit, per_seconds, bucket, advertise
        )
        self.rate_limiters.append(limiter)
        return limiter

    def force_429(
        self, pattern: str, times: int = 1, *, retry_after: float = 0.05, is_global: bool = False
    ) -> None:
        """The next `times` requests matching `pattern` are answered with 429 (a global one: every route
        must wait, as when a bot exceeds 50 requests per second)."""
        regex = re.compile(pattern)
        self.forced_429.append((lambda _m, p: bool(regex.search(p)), times, retry_after, is_global))

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self, port: int = 0) -> FakeDiscord:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._ws = ws
        self.identified.clear()
        await self._send({"op": 10, "d": {"heartbeat_interval": 41_250}})
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            op = data.get("op")
            if op == 1:  # heartbeat
                await self._send({"op": 11})
            elif op == 2:  # identify
                self.identify_payloads.append(data["d"])
                await self._ready()
                self.identified.set()
            elif op == 6:  # resume: not supported, ask for a fresh session
                await self._send({"op": 9, "d": False})
        if self._ws is ws:
            self._ws = None
        return ws

    async def _send(self, payload: dict[str, Any]) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            raise ConnectionError("the bot is not connected to the gateway")
        async with self._send_lock:
            await ws.send_str(json.dumps(payload))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        await self._send({"op": 0, "t": event, "s": next(self._seq), "d": data})

    async def _ready(self) -> None:
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": {
                    **user_payload(BOT_USER_ID, "livegifts", bot=True),
                    "verified": True,
                    "mfa_enabled": False,
                    "flags": 0,
                },
                "guilds": [{"id": str(self.guild_id), "unavailable": True}],
                "session_id": f"session-{snowflake()}",
                "resume_gateway_url": self.gateway_url,
                "shard": [0, 1],
                "application": {"id": str(APPLICATION_ID), "flags": 0},
            },
        )
        await self.dispatch("GUILD_CREATE", self.guild_payload())

    def guild_payload(self) -> dict[str, Any]:
        bot_member = self._bot_member()
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(OWNER_ID),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": list(self.roles.values()),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": "2026-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            "member_count": len(self.users) + 1,
            "voice_states": [],
            "members": [bot_member] + [u.member_payload(with_permissions=False) for u in self.users.values()],
            "channels": list(self.channels.values()),
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": list(self.scheduled_events.values()),
            "soundboard_sounds": [],
        }

    def _bot_member(self) -> dict[str, Any]:
        member = Member(BOT_USER_ID, "livegifts", roles=list(self.bot_roles)).member_payload(
            with_permissions=False
        )
        member["user"]["bot"] = True
        return member

    # ------------------------------------------------------------------ interactions

    def new_interaction(self, interaction_type: int, data: dict[str, Any], **extra: Any) -> InteractionLog:
        interaction_id = snowflake()
        token = f"itoken-{interaction_id}-{snowflake()}"
        payload = {
            "id": str(interaction_id),
            "application_id": str(APPLICATION_ID),
            "type": interaction_type,
            "token": token,
            "version": 1,
            "data": data,
            "locale": "en-US",
            "app_permissions": str(self.app_permissions),
            "attachment_size_limit": 8 * 1024 * 1024,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            **extra,
        }
        log = InteractionLog(interaction_id, token, interaction_type, payload, sent_at=0.0)
        self.interactions[interaction_id] = log
        self._interaction_of_token[token] = interaction_id
        return log

    async def send_interaction(self, log: InteractionLog) -> None:
        log.sent_at = time.perf_counter()
        await self.dispatch("INTERACTION_CREATE", log.payload)

    # ------------------------------------------------------------------ REST

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        method = request.method
        for index, (matches, times, retry_after, is_global) in enumerate(self.forced_429):
            if times > 0 and matches(method, path):
                self.forced_429[index] = (matches, times - 1, retry_after, is_global)
                return self._too_many(method, path, retry_after, {}, is_global=is_global)
        headers: dict[str, str] = {}
        for limiter in self.rate_limiters:
            if limiter.matches(method, path):
                retry_after, headers = limiter.check(method, path)
                if retry_after is not None:
                    return self._too_many(method, path, retry_after, headers)
        try:
            body, files = await self._read_body(request)
            refusal = invalid_components(body)
            if refusal is not None:
                status, result = 400, {"message": f"Invalid Form Body: {refusal}", "code": INVALID_FORM_BODY}
            else:
                status, result = await self._route(method, path, request, body, files)
        except _NotFoundError:
            self.unknown_requests.append(RecordedRequest(method, path, 404))
            status, result = 404, {"message": f"Unknown route {method} {path}", "code": 0}
        else:
            code = result.get("code") if isinstance(result, dict) else None
            refused_dm = status == 403 and code == CANNOT_DM
            # Asking whether someone is (still) a member is how a bot without the members intent finds out.
            answered_query = method == "GET" and code in (UNKNOWN_MEMBER, MISSING_ACCESS)
            refused = 400 <= status < 500 and not refused_dm and not answered_query
            if refused:  # a known route refused: Discord would have said no
                self.client_errors.append(RecordedRequest(method, path, status, result))
        self.requests.append(RecordedRequest(method, path, status))
        if status == 204:
            return web.Response(status=204, headers=headers)
        return _json(result, status, headers)

    def _too_many(
        self, method: str, path: str, retry_after: float, headers: dict[str, str], *, is_global: bool = False
    ) -> web.Response:
        self.requests.append(RecordedRequest(method, path, 429))
        headers = {
            **headers,
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Scope": "global" if is_global else ("shared" if headers else "user"),
            "Via": "1.1 google",  # discord.py treats a 429 without it as a Cloudflare ban
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": is_global,
        }
        return _json(body, 429, headers)

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, list[Attachment]]:
        if not request.can_read_body:
            return None, []
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            files: list[Attachment] = []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                else:
                    files.append(
                        Attachment(
                            part.filename or part.name or "file",
                            await part.read(),
                            part.headers.get("Content-Type"),
                        )
                    )
            return payload, files
        text = await request.text()
        return (json.loads(text) if text else None), []

    async def _route(
        self, method: str, path: str, request: web.Request, body: Any, files: list[Attachment]
    ) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        match (method, parts):
            case ("GET", ["users", "@me"]):
                return 200, {**user_payload(BOT_USER_ID, "livegifts", bot=True), "verified": True, "flags": 0}
            case ("GET", ["users", user_id]) if int(user_id) in self.users:
                return 200, self.users[int(user_id)].user_payload()
            case ("GET", ["gateway", "bot"]):
                return 200, {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            case ("GET", ["gateway"]):
                return 200, {"url": self.gateway_url}
            case ("GET", ["applications", "@me"]) | ("GET", ["oauth2", "applications", "@me"]):
                return 200, self._application()
            case ("PUT", ["applications", _app, "commands"]):
                return 200, self._sync_commands(None, body or [])
            case ("PUT", ["applications", _app, "guilds", guild_id, "commands"]):
                return 200, self._sync_commands(int(guild_id), body or [])
            case ("GET", ["applications", _app, "commands"]):
                return 200, list(self.commands.get(None, {}).values())
            case ("GET", ["applications", _app, "guilds", guild_id, "commands"]):
                return 200, list(self.commands.get(int(guild_id), {}).values())
            case ("GET", ["applications", _app, "skus"]):
                return 200, list(self.skus.values())
            case ("GET", ["applications", _app, "entitlements"]):
                return self._list_entitlements(request.query)
            case ("POST", ["applications", _app, "entitlements"]):
                return await self._create_test_entitlement(body or {})
            case ("GET", ["applications", _app, "entitlements", entitlement_id]):
                found = self.entitlements.get(int(entitlement_id))
                if found is None:
                    return 404, {"message": "Unknown Entitlement", "code": UNKNOWN_ENTITLEMENT}
                return 200, dict(found)
            case ("POST", ["applications", _app, "entitlements", entitlement_id, "consume"]):
                return await self._consume(int(entitlement_id))
            case ("DELETE", ["applications", _app, "entitlements", entitlement_id]):
                return await self._delete_test_entitlement(int(entitlement_id))
            case ("POST", ["interactions", interaction_id, token, "callback"]):
                return await self._callback(int(interaction_id), token, body or {}, files)
            case ("POST", ["webhooks", _app, token]):
                return 200, await self._followup(token, body or {}, files)
            case (_, ["webhooks", _app, token, "messages", message_ref]):
                return self._webhook_message(method, token, message_ref, body or {}, files)
            case ("POST", ["users", "@me", "channels"]):
                return 200, self._dm_channel(int(body["recipient_id"]))
            case ("GET", ["channels", channel_id]) if int(channel_id) in self.channels:
                return 200, self.channels[int(channel_id)]
            case ("POST", ["channels", channel_id, "messages"]):
                return await self._post_message(int(channel_id), body or {}, files)
            case ("PATCH", ["channels", channel_id, "messages", message_id]):
                return self._edit_message(int(channel_id), int(message_id), body or {}, files)
            case ("GET", ["channels", channel_id, "messages", message_id]):
                message = self._channel_message(int(channel_id), int(message_id))
                return 200, message.payload(self._bot_author(), self._guild_of(message.channel_id))
            case ("DELETE", ["channels", channel_id, "messages", message_id]):
                self._channel_message(int(channel_id), int(message_id)).deleted = True
                return 204, None
            case ("POST", ["channels", _channel_id, "typing"]):
                return 204, None
            case ("POST", ["guilds", guild_id, "scheduled-events"]) if int(guild_id) == self.guild_id:
                return await self._create_event(body or {})
            case ("GET", ["guilds", _guild_id, "scheduled-events", event_id]):
                event = self.scheduled_events.get(int(event_id))
                if event is None:
                    return 404, {"message": "Unknown Guild Scheduled Event", "code": UNKNOWN_EVENT}
                return 200, event
            case ("PATCH", ["guilds", _guild_id, "scheduled-events", event_id]):
                return await self._edit_event(int(event_id), body or {})
            case ("DELETE", ["guilds", _guild_id, "scheduled-events", event_id]):
                event = self.scheduled_events.pop(int(event_id), None)
                if event is None:
                    return 404, {"message": "Unknown Guild Scheduled Event", "code": UNKNOWN_EVENT}
                await self.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event)
                return 204, None
            case ("GET", ["guilds", guild_id]) if int(guild_id) == self.guild_id:
                return self._guild_query() or (200, self.guild_payload())
            case ("GET", ["guilds", guild_id, "members", user_id]) if int(guild_id) == self.guild_id:
                return self._guild_query() or self._member(int(user_id))
            case ("PUT" | "DELETE", ["guilds", guild_id, "members", user_id, "roles", role_id]) if (
                int(guild_id) == self.guild_id
            ):
                return self._guild_query() or self._change_role(method, int(user_id), int(role_id))
        raise _NotFoundError

    def _guild_query(self) -> tuple[int, Any] | None:
        if self.bot_in_guild:
            return None
        return 403, {"message": "Missing Access", "code": MISSING_ACCESS}

    def _member(self, user_id: int) -> tuple[int, Any]:
        if user_id == BOT_USER_ID:  # the bot's own member: its roles decide which roles it may hand out
            return 200, self._bot_member()
        user = self.users.get(user_id)
        if user is None or user_id in self.departed:
            return 404, {"message": "Unknown Member", "code": UNKNOWN_MEMBER}
        return 200, user.member_payload(with_permissions=False)

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(APPLICATION_ID),
            "name": "livegifts",
            "icon": None,
            "description": "fake application",
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": user_payload(OWNER_ID, "owner"),
            "verify_key": "0" * 64,
            "team": None,
            "flags": 0,
            "interactions_endpoint_url": None,
        }

    def _sync_commands(self, scope: int | None, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.command_syncs += 1
        existing = self.commands.get(scope, {})
        registered: dict[str, dict[str, Any]] = {}
        for command in commands:
            old = existing.get(command["name"])
            registered[command["name"]] = {
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "nsfw": False,
                **command,
                "id": old["id"] if old else str(snowflake()),
                "application_id": str(APPLICATION_ID),
                "version": str(snowflake()),
                **({"guild_id": str(scope)} if scope is not None else {}),
            }
        self.commands[scope] = registered
        return list(registered.values())

    def registered_commands(self) -> dict[str, dict[str, Any]]:
        """What a member of the guild sees: global commands, overridden by guild commands."""
        return {**self.commands.get(None, {}), **self.commands.get(self.guild_id, {})}

    def _bot_author(self) -> dict[str, Any]:
        return user_payload(BOT_USER_ID, "livegifts", bot=True)

    def _guild_of(self, channel_id: int) -> int | None:
        return self.guild_id if channel_id in self.channels else None

    def _interaction(self, token: str) -> InteractionLog:
        interaction_id = self._interaction_of_token.get(token)
        if interaction_id is None:
            raise _NotFoundError
        return self.interactions[interaction_id]

    async def _callback(
        self, interaction_id: int, token: str, body: dict[str, Any], files: list[Attachment]
    ) -> tuple[int, Any]:
        log = self.interactions.get(interaction_id)
        if log is None or log.token != token:
            raise _NotFoundError
        if log.callback_type is not None:  # Discord: "Interaction has already been acknowledged."
            return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
        log.callback_at = time.perf_counter()
        response_type = body["type"]
        log.callback_type = response_type
        data = body.get("data") or {}
        channel_id = int(log.payload.get("channel_id") or 0)
        result: dict[str, Any] = {
            "interaction": {
                "id": str(interaction_id),
                "type": log.type,
                "response_message_loading": response_type == 5,
                "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
            }
        }
        if response_type == 8:  # autocomplete result
            log.choices = data.get("choices") or []
        elif response_type in (4, 5):  # a message (or "thinking…") in answer to the interaction
            message = Message(
                snowflake(),
                channel_id,
                "response",
                flags=data.get("flags", 0) or 0,
                interaction_id=interaction_id,
            )
            message.apply(data, files)
            self.messages[message.id] = message
            log.message_ids.append(message.id)
            log.original_message_id = message.id
            result["interaction"]["response_message_id"] = str(message.id)
            result["resource"] = {
                "type": response_type,
                "message": message.payload(self._bot_author(), self._guild_of(channel_id)),
            }
        elif response_type in (6, 7):  # deferred update / update the message the component is on
            source_id = int(log.payload.get("message", {}).get("id") or 0)
            message = self.messages.get(source_id)
            if message is not None and response_type == 7:
                message.apply(data, files)
            log.original_message_id = source_id or None
            if message is not None:
                result["interaction"]["response_message_id"] = str(message.id)
                result["interaction"]["response_message_ephemeral"] = message.ephemeral
                result["resource"] = {
                    "type": response_type,
                    "message": message.payload(self._bot_author(), self._guild_of(channel_id)),
                }
        elif response_type == 9:  # a modal
            log.choices = None
        else:
            return 400, {"message": f"unsupported callback type {response_type}", "code": 50035}
        if response_type not in (5, 6):  # a deferral is answered by the edit or follow-up that comes later
            log.answered.set()
        return 200, result

    async def _followup(self, token: str, body: dict[str, Any], files: list[Attachment]) -> dict[str, Any]:
        log = self._interaction(token)
        channel_id = int(log.payload.get("channel_id") or 0)
        message = Message(
            snowflake(), channel_id, "followup", flags=body.get("flags", 0) or 0, interaction_id=log.id
        )
        message.apply(body, files)
        self.messages[message.id] = message
        log.message_ids.append(message.id)
        log.answered.set()
        return message.payload(self._bot_author(), self._guild_of(channel_id))

    def _webhook_message(
        self, method: str, token: str, message_ref: str, body: dict[str, Any], files: list[Attachment]
    ) -> tuple[int, Any]:
        log = self._interaction(token)
        message_id = log.original_message_id if message_ref == "@original" else int(message_ref)
        message = self.messages.get(message_id or 0)
        if message is None or message.deleted:
            return 404, {"message": "Unknown Message", "code": 10008}
        if method == "PATCH":
            message.apply(body, files)
            log.answered.set()
        elif method == "DELETE":
            message.deleted = True
            return 204, None
        elif method != "GET":
            raise _NotFoundError
        return 200, message.payload(self._bot_author(), self._guild_of(message.channel_id))

    def _change_role(self, method: str, user_id: int, role_id: int) -> tuple[int, Any]:
        """Discord's rules: Manage Roles, and only roles below the bot's highest role."""
        user = self.users.get(user_id)
        if user is None or user_id in self.departed:
            return 404, {"message": "Unknown Member", "code": UNKNOWN_MEMBER}
        if role_id not in self.roles:
            return 404, {"message": "Unknown Role", "code": 10011}
        if (
            not self.app_permissions & MANAGE_ROLES
            or int(self.roles[role_id]["position"]) >= self._bot_top_position()
        ):
            return 403, {"message": "Missing Permissions", "code": MISSING_PERMISSIONS}
        self.role_changes.append((method, user_id, role_id))
        if method == "PUT" and role_id not in user.roles:
            user.roles.append(role_id)
        if method == "DELETE" and role_id in user.roles:
            user.roles.remove(role_id)
        return 204, None

    def _dm_channel(self, user_id: int) -> dict[str, Any]:
        channel_id = self.dm_channels.setdefault(user_id, snowflake())
        user = self.users.get(user_id) or Member(user_id, f"user{user_id}")
        return {
            "id": str(channel_id),
            "type": 1,
            "last_message_id": None,
            "recipients": [user.user_payload()],
        }

    def _known_channel(self, channel_id: int) -> bool:
        return channel_id in self.channels or channel_id in self.dm_channels.values()

    async def _post_message(
        self, channel_id: int, body: dict[str, Any], files: list[Attachment]
    ) -> tuple[int, Any]:
        if not self._known_channel(channel_id):
            return 404, {"message": "Unknown Channel", "code": 10003}
        kind = "channel" if channel_id in self.channels else "dm"
        if kind == "dm" and any(self.dm_channels.get(u) == channel_id for u in self.closed_dms):
            return 403, {"message": "Cannot send messages to this user", "code": CANNOT_DM}
        message = Message(snowflake(), channel_id, kind, flags=body.get("flags", 0) or 0)
        message.apply(body, files)
        self.messages[message.id] = message
        async with self.message_posted:
            self.message_posted.notify_all()
        return 200, message.payload(self._bot_author(), self._guild_of(channel_id))

    def _channel_message(self, channel_id: int, message_id: int) -> Message:
        message = self.messages.get(message_id)
        if message is None or message.channel_id != channel_id:
            raise _NotFoundError
        return message

    def _edit_message(
        self, channel_id: int, message_id: int, body: dict[str, Any], files: list[Attachment]
    ) -> tuple[int, Any]:
        message = self.messages.get(message_id)
        if message is None or message.channel_id != channel_id or message.deleted:
            return 404, {"message": "Unknown Message", "code": 10008}
        message.apply(body, files)
        return 200, message.payload(self._bot_author(), self._guild_of(channel_id))

    # ------------------------------------------------------------------ guild scheduled events

    async def _create_event(self, body: dict[str, Any]) -> tuple[int, Any]:
        if not self.app_permissions & MANAGE_EVENTS:
            return 403, {"message": "Missing Permissions", "code": 50013}
        entity_type = body.get("entity_type")
        external = entity_type == 3
        if (
            not 1 <= len(body.get("name") or "") <= 100
            or "scheduled_start_time" not in body
            or (external and not (body.get("entity_metadata") or {}).get("location"))
            or (external and not body.get("scheduled_end_time"))
            or (not external and not body.get("channel_id"))
        ):
            return 400, {"message": "Invalid Form Body", "code": 50035}
        event_id = snowflake()
        self.scheduled_events[event_id] = {
            "id": str(event_id),
            "guild_id": str(self.guild_id),
            "channel_id": body.get("channel_id"),
            "creator_id": str(BOT_USER_ID),
            "creator": self._bot_author(),
            "name": body["name"],
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level", 2),
            "status": EVENT_SCHEDULED,
            "entity_type": entity_type,
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": None,
        }
        await self.dispatch("GUILD_SCHEDULED_EVENT_CREATE", self.scheduled_events[event_id])
        return 200, self.scheduled_events[event_id]

    async def _edit_event(self, event_id: int, body: dict[str, Any]) -> tuple[int, Any]:
        event = self.scheduled_events.get(event_id)
        if event is None:
            return 404, {"message": "Unknown Guild Scheduled Event", "code": UNKNOWN_EVENT}
        status = body.get("status", event["status"])
        if status != event["status"] and (event["status"], status) not in EVENT_TRANSITIONS:
            return 400, {"message": "Invalid scheduled event status transition", "code": 50035}
        event.update({k: v for k, v in body.items() if k in event})
        await self.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event)
        return 200, event

    async def set_event_status(self, event_id: int, status: int) -> None:
        """Someone in Discord (not the bot) starts, ends or cancels the event."""
        event = self.scheduled_events[event_id]
        assert (event["status"], status) in EVENT_TRANSITIONS, "Discord would refuse this change"
        event["status"] = status
        await self.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event)

    async def delete_event(self, event_id: int) -> None:
        """Someone in Discord deletes the event."""
        await self.dispatch("GUILD_SCHEDULED_EVENT_DELETE", self.scheduled_events.pop(event_id))

    # ------------------------------------------------------------------ reading what the bot did

    def channel_messages(self, channel_id: int) -> list[Message]:
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel_id and m.kind == "channel" and not m.deleted
        ]

    def dms_to(self, user_id: int) -> list[Message]:
        channel_id = self.dm_channels.get(user_id)
        return [m for m in self.messages.values() if channel_id is not None and m.channel_id == channel_id]

    def replies_to(self, interaction_id: int) -> list[Message]:
        return [self.messages[m] for m in self.interactions[interaction_id].message_ids]


class _NotFoundError(Exception):
    pass


def invalid_components(body: Any) -> str | None:
    """Discord's rule for premium buttons, checked in every message the bot sends."""
    if not isinstance(body, dict):
        return None
    data = body.get("data") if isinstance(body.get("data"), dict) else body
    return premium_button_problem(data.get("components") or [])


def _json(data: Any, status: int, headers: dict[str, str]) -> web.Response:
    # discord.py only parses bodies whose content type is exactly "application/json" (no charset)
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={**headers, "Content-Type": "application/json"}
    )


# ---------------------------------------------------------------------- voice and scheduled events
# Gateway events for auto-live: voice channels and stages, members' voice states (Go Live is
# `self_stream`), stage instances, and guild scheduled events going live and ending.

VOICE_CHANNEL, STAGE_CHANNEL = 2, 13


async def create_voice_channel(fake: FakeDiscord, channel_id: int, name: str, *, stage: bool = False) -> None:
    """A voice channel (or a Stage) appears in the guild (CHANNEL_CREATE)."""
    channel = {
        "id": str(channel_id),
        "type": STAGE_CHANNEL if stage else VOICE_CHANNEL,
        "guild_id": str(fake.guild_id),
        "name": name,
        "position": len(fake.channels),
        "permission_overwrites": [],
        "bitrate": 64000,
        "user_limit": 0,
        "rtc_region": None,
        "nsfw": False,
        "parent_id": None,
    }
    fake.channels[channel_id] = channel
    await fake.dispatch("CHANNEL_CREATE", channel)


async def voice_state_update(
    fake: FakeDiscord,
    user_id: int,
    channel_id: int | None,
    *,
    self_stream: bool = False,
    suppress: bool = False,
) -> None:
    """A member joins, changes or leaves voice (channel_id None); `self_stream` is Go Live."""
    user = fake.users[user_id]
    await fake.dispatch(
        "VOICE_STATE_UPDATE",
        {
            "guild_id": str(fake.guild_id),
            "channel_id": str(channel_id) if channel_id is not None else None,
            "user_id": str(user_id),
            "member": user.member_payload(with_permissions=False),
            "session_id": f"voice-{user_id}",
            "deaf": False,
            "mute": False,
            "self_deaf": False,
            "self_mute": False,
            "self_stream": self_stream,
            "self_video": False,
            "suppress": suppress,
            "request_to_speak_timestamp": None,
        },
    )


async def stage_instance_create(fake: FakeDiscord, stage_id: int, channel_id: int, topic: str) -> None:
    await fake.dispatch(
        "STAGE_INSTANCE_CREATE",
        {
            "id": str(stage_id),
            "guild_id": str(fake.guild_id),
            "channel_id": str(channel_id),
            "topic": topic,
            "privacy_level": 2,
            "discoverable_disabled": True,
            "guild_scheduled_event_id": None,
        },
    )


def scheduled_event_payload(
    fake: FakeDiscord, event_id: int, creator_id: int, name: str, status: int, channel_id: int | None = None
) -> dict[str, Any]:
    return {
        "id": str(event_id),
        "guild_id": str(fake.guild_id),
        "channel_id": str(channel_id) if channel_id is not None else None,
        "creator_id": str(creator_id),
        "creator": fake.users[creator_id].user_payload(),
        "name": name,
        "description": None,
        "scheduled_start_time": "2026-12-01T20:00:00+00:00",
        "scheduled_end_time": "2026-12-01T22:00:00+00:00" if channel_id is None else None,
        "privacy_level": 2,
        "status": status,
        "entity_type": 2 if channel_id is not None else 3,
        "entity_id": None,
        "entity_metadata": None if channel_id is not None else {"location": "twitch.tv/example"},
        "user_count": 0,
        "image": None,
        "recurrence_rule": None,
    }


async def scheduled_event(
    fake: FakeDiscord,
    event_id: int,
    creator_id: int,
    name: str,
    status: int,
    *,
    created: bool = False,
    channel_id: int | None = None,
) -> None:
    """A member's event: GUILD_SCHEDULED_EVENT_CREATE (`created`), else _UPDATE with the new status (the
    fake's REST answers for it as for the events the bot creates)."""
    payload = scheduled_event_payload(fake, event_id, creator_id, name, status, channel_id)
    fake.scheduled_events[event_id] = payload
    await fake.dispatch(
        "GUILD_SCHEDULED_EVENT_CREATE" if created else "GUILD_SCHEDULED_EVENT_UPDATE", payload
    )

"""Discord's JSON as both fakes speak it: the ids of the test application and guild, permission bits,
users, members and roles, and what a member reads in a message. The in-process driver
(tests/support/discord_fakes.py) and the local fake Discord (simulator/fake_discord.py) share these."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

APPLICATION_ID = 900_000_000_000_000_001
BOT_USER_ID = APPLICATION_ID  # a bot user has its application's id
GUILD_ID = 800_000_000_000_000_001
EPHEMERAL = 1 << 6
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
# view channel, send messages, embed links, attach files, use application commands
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 31)

_ids = itertools.count(1_100_000_000_000_000_000)


def snowflake() -> int:
    return next(_ids)


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def message_payload(
    message_id: int,
    channel_id: int,
    author: dict[str, Any],
    *,
    content: str | None = None,
    embeds: list[dict[str, Any]] | None = None,
    components: list[dict[str, Any]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    flags: int = 0,
    timestamp: str = "2026-11-28T00:00:00+00:00",
) -> dict[str, Any]:
    """A message as Discord sends it (every key discord.py reads), for every fake that answers with one."""
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content or "",
        "embeds": embeds or [],
        "components": components or [],
        "attachments": attachments or [],
        "timestamp": timestamp,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "type": 0,
        "flags": flags,
    }


def bot_author() -> dict[str, Any]:
    """The bot as the author of its messages."""
    return user_payload(BOT_USER_ID, "livegifts", bot=True)


def role_payload(role_id: int, name: str, permissions: int = 0, position: int = 1) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": True,
        "flags": 0,
    }


@dataclass
class Member:
    """A member of the test guild, as interactions and the gateway carry it."""

    user_id: int
    name: str = "member"
    permissions: int = MEMBER_PERMISSIONS
    roles: list[int] = field(default_factory=list)

    def user_payload(self) -> dict[str, Any]:
        return user_payload(self.user_id, self.name)

    def member_payload(self, *, with_permissions: bool = True) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "user": self.user_payload(),
            "nick": None,
            "avatar": None,
            "roles": [str(r) for r in self.roles],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_permissions:  # interactions carry the member's permissions in the channel
            payload["permissions"] = str(self.permissions)
        return payload


def moderator(user_id: int, name: str = "mod") -> Member:
    return Member(user_id, name, MEMBER_PERMISSIONS | MANAGE_GUILD)


def visible_text(content: str | None, embeds: list[dict[str, Any]]) -> str:
    """Content and every embed's visible text, for assertions on what a member reads."""
    parts = [content or ""]
    for embed in embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
        parts.append((embed.get("footer") or {}).get("text", ""))
        parts.append((embed.get("author") or {}).get("name", ""))
    return "\n".join(p for p in parts if p)


def find_button(components: list[dict[str, Any]], label_part: str) -> dict[str, Any]:
    """The first button whose label contains `label_part` (any case)."""
    for row in components:
        for component in row.get("components", []):
            if component.get("type") == 2 and label_part.lower() in (component.get("label") or "").lower():
                return dict(component)
    raise AssertionError(f"no button labelled like {label_part!r} in {components}")


# --- App Monetization: SKUs, entitlements, premium buttons ----------------------------------------------

SKU_DURABLE, SKU_CONSUMABLE, SKU_SUBSCRIPTION, SKU_SUBSCRIPTION_GROUP = 2, 3, 5, 6
PURCHASE, DEVELOPER_GIFT, TEST_MODE_PURCHASE = 1, 3, 4  # entitlement types
PREMIUM_BUTTON = 6  # button style


def sku_payload(
    sku_id: int, name: str, sku_type: int = SKU_CONSUMABLE, *, application_id: int
) -> dict[str, Any]:
    """A SKU as GET /applications/{app}/skus lists it: all six keys (discord.py requires each)."""
    flags = 1 << 2 | (1 << 8 if sku_type == SKU_SUBSCRIPTION else 0)  # AVAILABLE (, USER_SUBSCRIPTION)
    return {
        "id": str(sku_id),
        "type": sku_type,
        "application_id": str(application_id),
        "name": name,
        "slug": name.lower().replace(" ", "-"),
        "flags": flags,
    }


def entitlement_payload(
    entitlement_id: int,
    sku_id: int,
    user_id: int,
    entitlement_type: int = PURCHASE,
    *,
    application_id: int,
    with_consumed: bool = True,
) -> dict[str, Any]:
    """An entitlement as Discord sends it. `id, sku_id, application_id, type, deleted` are always there
    (discord.py raises KeyError otherwise); `consumed` has been seen missing (`with_consumed=False`)."""
    entitlement: dict[str, Any] = {
        "id": str(entitlement_id),
        "sku_id": str(sku_id),
        "application_id": str(application_id),
        "user_id": str(user_id),
        "type": entitlement_type,
        "deleted": False,
        "starts_at": None,
        "ends_at": None,
        "gift_code_flags": 0,
    }
    if with_consumed:
        entitlement["consumed"] = False
    return entitlement


def premium_button_problem(components: list[dict[str, Any]]) -> str | None:
    """Discord's rule for premium buttons (style 6): a `sku_id`, and no custom_id, label, url or emoji.
    What is wrong, or None."""
    for row in components or []:
        for component in row.get("components", []):
            if component.get("type") != 2 or component.get("style") != PREMIUM_BUTTON:
                continue
            if not component.get("sku_id"):
                return "a premium button needs a sku_id"
            for key in ("custom_id", "label", "url", "emoji"):
                if key in component:
                    return f"a premium button cannot have a {key}"
    return None

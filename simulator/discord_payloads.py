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

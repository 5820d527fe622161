"""In-memory stand-ins for the Discord side of subscriptions (service tests): the guild's members and
their roles, and the DMs the bot sends."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from bot.economy.subscriptions import MembershipUnknown
from bot.reminders import DirectMessagesClosed


@dataclass
class FakeMemberRoles:
    """`MemberRoles`: members of each guild and their role ids; `forbidden` roles cannot be changed."""

    roles: dict[tuple[int, int], set[int]] = field(default_factory=lambda: defaultdict(set))
    left: set[int] = field(default_factory=set)
    forbidden: set[int] = field(default_factory=set)
    unreachable: bool = False  # Discord cannot say who is a member (e.g. the bot was removed)
    deleted_roles: set[int] = field(default_factory=set)
    calls: list[tuple[str, int, int]] = field(default_factory=list)  # ("add"/"remove", member, role)

    def has(self, guild_id: int, user_id: int, role_id: int) -> bool:
        return role_id in self.roles[(guild_id, user_id)]

    async def is_member(self, guild_id: int, user_id: int) -> bool:
        if self.unreachable:
            raise MembershipUnknown("the bot is not in the guild")
        return user_id not in self.left

    def role_exists(self, guild_id: int, role_id: int) -> bool:
        return role_id not in self.deleted_roles

    async def add_role(self, guild_id: int, user_id: int, role_id: int) -> bool:
        if user_id in self.left or role_id in self.forbidden:
            return False
        if role_id not in self.roles[(guild_id, user_id)]:
            self.calls.append(("add", user_id, role_id))
            self.roles[(guild_id, user_id)].add(role_id)
        return True

    async def remove_role(self, guild_id: int, user_id: int, role_id: int) -> bool:
        if role_id in self.forbidden:
            return False
        if role_id in self.roles[(guild_id, user_id)]:
            self.calls.append(("remove", user_id, role_id))
            self.roles[(guild_id, user_id)].discard(role_id)
        return True


@dataclass
class RecordingDMs:
    """`DirectMessages`: keeps every DM; members in `closed` do not accept DMs."""

    sent: list[tuple[int, str]] = field(default_factory=list)
    closed: set[int] = field(default_factory=set)

    async def send(self, guild_id: int, user_id: int, text: str) -> None:
        if user_id in self.closed:
            raise DirectMessagesClosed("closed")
        self.sent.append((user_id, text))

    def to(self, user_id: int) -> list[str]:
        return [text for who, text in self.sent if who == user_id]

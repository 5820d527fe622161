"""What one person sees in the simulator: channel posts, replies to interactions (ephemeral ones only to the
person who ran the command), their DMs. Plain data for the playground's page, which inserts every text as
text; mentions are resolved to names here, as a Discord client shows them."""

from __future__ import annotations

import re
from typing import Any

from simulator.fake_discord import FakeDiscord, InteractionLog, Message

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
APPLICATION_COMMAND = 2
DEFERRED_MESSAGE = 5  # the callback type of "the bot is thinking…"
MENTION = re.compile(r"<(@!?|@&|#)(\d+)>")

JSON = dict[str, Any]


def invoker_of(log: InteractionLog) -> int | None:
    """The id of whoever caused the interaction (a member in a guild, a user in DMs)."""
    who = log.payload.get("member", {}).get("user") or log.payload.get("user") or {}
    return int(who["id"]) if "id" in who else None


def invocation_of(log: InteractionLog) -> str:
    """`/gift send` for a command, `pressed a button` for a component."""
    if log.type != APPLICATION_COMMAND:
        return "pressed a button"
    data = log.payload.get("data", {})
    names = [str(data.get("name", "?"))]
    options: list[JSON] = data.get("options") or []
    while options and options[0].get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
        names.append(str(options[0]["name"]))
        options = options[0].get("options") or []
    return "/" + " ".join(names)


class Views:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def name_of(self, user_id: int) -> str:
        user = self.fake.users.get(user_id)
        return user.name if user else f"user {user_id}"

    def resolve_mentions(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            kind, ident = match.group(1), int(match.group(2))
            if kind == "@&":
                role = self.fake.roles.get(ident)
                return f"@{role['name']}" if role else "@unknown-role"
            if kind == "#":
                channel = self.fake.channels.get(ident)
                return f"#{channel['name']}" if channel else "#unknown-channel"
            return f"@{self.name_of(ident)}"

        return MENTION.sub(replace, text)

    def visible_to(self, message: Message, viewer: int) -> bool:
        if message.deleted:
            return False
        if message.kind == "dm":
            return self.fake.dm_channels.get(viewer) == message.channel_id
        if message.ephemeral and message.interaction_id is not None:
            return invoker_of(self.fake.interactions[message.interaction_id]) == viewer
        return True

    def item(self, message: Message) -> JSON:
        log = self.fake.interactions.get(message.interaction_id or 0)
        invoker = invoker_of(log) if log else None
        return {
            "id": str(message.id),
            "channel_id": str(message.channel_id),
            "ephemeral": message.ephemeral,
            "invoker": self.name_of(invoker) if invoker is not None else None,
            "invocation": invocation_of(log) if log else None,
            "content": self.resolve_mentions(message.content or ""),
            "thinking": log is not None
            and log.callback_type == DEFERRED_MESSAGE
            and message.id == log.original_message_id
            and not (message.content or message.embeds or message.attachments),
            "embeds": [self._embed(embed) for embed in message.embeds],
            "buttons": [
                {
                    "custom_id": str(button.get("custom_id", "")),
                    "label": str(button.get("label") or ""),
                    "style": int(button.get("style", 2)),
                    "disabled": bool(button.get("disabled", False)),
                }
                for button in message.buttons()
                if "custom_id" in button
            ],
            "attachments": [
                {"index": index, "filename": attachment.filename}
                for index, attachment in enumerate(message.attachments)
            ],
            "edited": len(message.versions) > 1,
        }

    def _embed(self, embed: JSON) -> JSON:
        return {
            "title": self.resolve_mentions(str(embed.get("title") or "")),
            "description": self.resolve_mentions(str(embed.get("description") or "")),
            "fields": [
                {
                    "name": self.resolve_mentions(str(f["name"])),
                    "value": self.resolve_mentions(str(f["value"])),
                }
                for f in embed.get("fields", [])
            ],
            "footer": self.resolve_mentions(str((embed.get("footer") or {}).get("text") or "")),
        }

    def seen_by(self, viewer: int) -> JSON:
        """Each channel's messages and the viewer's DMs, oldest first."""
        channels: dict[str, list[JSON]] = {str(channel_id): [] for channel_id in self.fake.channels}
        dms: list[JSON] = []
        for message in sorted(self.fake.messages.values(), key=lambda m: m.id):
            if not self.visible_to(message, viewer):
                continue
            if message.kind == "dm":
                dms.append(self.item(message))
            elif str(message.channel_id) in channels:
                channels[str(message.channel_id)].append(self.item(message))
        return {"channels": channels, "dms": dms}

"""Sync the slash commands only when they differ from what Discord already has.

Discord rate-limits command syncs (global ones most), and every start used to PUT the whole tree. Instead
the bot fetches the registered commands (one GET per scope) and compares a canonical form of both sides:
only the fields a member can notice (names, descriptions, options and their limits, permissions, whether
it works in DMs), with Discord's defaults filled in, so the ids and versions Discord adds never count as
a change. The interaction contexts and install types are left out: discord.py's AppCommand parses
`contexts: [0]` (guild) as no context at all, so they cannot be compared; changing only those needs
`python -m bot sync`, which skips the comparison and syncs anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import discord
from discord import app_commands

log = logging.getLogger(__name__)

Canonical = dict[str, Any]

_OPTION_LIMITS = ("min_value", "max_value", "min_length", "max_length")


def _localizations(value: Mapping[str, str] | None) -> dict[str, str]:
    return {str(locale): text for locale, text in (value or {}).items()}


def _sorted_ints(value: Sequence[int] | None) -> list[int]:
    return sorted(int(v) for v in value or [])


def _choice(choice: Mapping[str, Any]) -> Canonical:
    return {
        "name": choice["name"],
        "value": choice["value"],
        "name_localizations": _localizations(choice.get("name_localizations")),
    }


def _option(option: Mapping[str, Any]) -> Canonical:
    return {
        "type": int(option["type"]),
        "name": option["name"],
        "description": option.get("description", ""),
        "name_localizations": _localizations(option.get("name_localizations")),
        "description_localizations": _localizations(option.get("description_localizations")),
        "required": bool(option.get("required", False)),
        "autocomplete": bool(option.get("autocomplete", False)),
        "choices": [_choice(c) for c in option.get("choices") or []],
        "channel_types": _sorted_ints(option.get("channel_types")),
        **{limit: option.get(limit) for limit in _OPTION_LIMITS},
        "options": [_option(o) for o in option.get("options") or []],
    }


def canonical_command(command: Mapping[str, Any]) -> Canonical:
    """A command's JSON (as the bot sends it or Discord returns it) reduced to what members notice."""
    permissions = command.get("default_member_permissions")
    return {
        "type": int(command.get("type", 1)),
        "name": command["name"],
        "description": command.get("description", ""),
        "name_localizations": _localizations(command.get("name_localizations")),
        "description_localizations": _localizations(command.get("description_localizations")),
        "default_member_permissions": None if permissions is None else int(permissions),
        "nsfw": bool(command.get("nsfw", False)),
        "dm_permission": command.get("dm_permission") is not False,  # Discord's null means True
        "options": [_option(o) for o in command.get("options") or []],
    }


def registered_form(command: app_commands.AppCommand) -> Canonical:
    """The canonical form of a command Discord has registered."""
    data: dict[str, Any] = dict(command.to_dict())
    # AppCommand.to_dict leaves these two out; they are attributes of their own.
    permissions = command.default_member_permissions
    data["default_member_permissions"] = None if permissions is None else permissions.value
    data["nsfw"] = command.nsfw
    data["dm_permission"] = command.dm_permission
    return canonical_command(data)


def local_form(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None) -> list[Canonical]:
    """The canonical form of the commands the tree would sync to `guild` (None: globally)."""
    return sorted(
        (canonical_command(command.to_dict(tree)) for command in tree.get_commands(guild=guild)),
        key=lambda c: (c["type"], c["name"]),
    )


async def is_in_sync(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None) -> bool:
    registered = sorted(
        (registered_form(command) for command in await tree.fetch_commands(guild=guild)),
        key=lambda c: (c["type"], c["name"]),
    )
    return registered == local_form(tree, guild)


async def sync_tree(
    tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None, *, force: bool
) -> bool:
    """Sync the tree to `guild` (None: globally) if Discord's copy differs, or always with `force`.
    Returns whether it synced."""
    scope = "global" if guild is None else f"guild {guild.id}"
    if not force and await is_in_sync(tree, guild):
        log.info("commands (%s) are already up to date; not syncing", scope)
        return False
    synced = await tree.sync(guild=guild)
    log.info("synced %d commands (%s)", len(synced), scope)
    return True

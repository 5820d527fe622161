"""Permission checks made by the bot itself: a guild can override who sees a command, so
`default_member_permissions` alone is not a guarantee."""

from __future__ import annotations

import discord
from discord import app_commands


def _is_moderator(interaction: discord.Interaction) -> bool:
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    if not interaction.permissions.manage_guild:
        raise app_commands.MissingPermissions(["manage_guild"])
    return True


moderator_only = app_commands.check(_is_moderator)
"""Decorate every moderator command with this (and the group with default_permissions)."""


def guild_id_of(interaction: discord.Interaction) -> int:
    """The interaction's guild id. Every command group is guild_only and the tree refuses DMs, so a
    missing guild here means a DM slipped through: refuse it the same way."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id

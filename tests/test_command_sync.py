"""The canonical form that decides whether the commands need a sync: Discord's way of writing the same
command is no change; anything a member would notice is."""

from __future__ import annotations

import copy
from typing import Any

from bot.command_sync import canonical_command, local_form

SENT: dict[str, Any] = {
    "name": "payouts",
    "description": "Moderators: creators' cash-outs",
    "type": 1,
    "nsfw": False,
    "dm_permission": False,
    "default_member_permissions": 32,
    "contexts": [0],
    "integration_types": [0],
    "options": [
        {
            "name": "reject",
            "description": "Reject a cash-out",
            "type": 1,
            "options": [
                {"name": "payout", "description": "The request", "type": 4, "required": True, "autocomplete": True},
                {"name": "reason", "description": "Told to the creator", "type": 3, "required": False,
                 "min_length": 1, "max_length": 200, "choices": []},
            ],
        }
    ],
}  # fmt: skip

# How Discord answers GET /applications/{id}/commands for it: ids and versions added, permissions as a
# string, false flags and empty lists left out, localizations null.
RETURNED: dict[str, Any] = {
    "id": "1300000000000000001",
    "application_id": "900000000000000001",
    "version": "1300000000000000002",
    "name": "payouts",
    "description": "Moderators: creators' cash-outs",
    "type": 1,
    "dm_permission": False,
    "default_member_permissions": "32",
    "name_localizations": None,
    "description_localizations": None,
    "options": [
        {
            "name": "reject",
            "description": "Reject a cash-out",
            "type": 1,
            "options": [
                {"name": "payout", "description": "The request", "type": 4, "required": True, "autocomplete": True},
                {"name": "reason", "description": "Told to the creator", "type": 3, "min_length": 1,
                 "max_length": 200},
            ],
        }
    ],
}  # fmt: skip


def test_discords_way_of_writing_the_same_command_is_no_change():
    assert canonical_command(RETURNED) == canonical_command(SENT)


def test_what_a_member_notices_is_a_change():
    changes = [
        ("description", lambda c: c.update(description="Cash-outs")),
        ("permissions", lambda c: c.update(default_member_permissions=None)),
        ("works in DMs", lambda c: c.update(dm_permission=True)),
        ("option limit", lambda c: c["options"][0]["options"][1].update(max_length=100)),
        ("option required", lambda c: c["options"][0]["options"][1].update(required=True)),
        ("option removed", lambda c: c["options"][0]["options"].pop()),
        (
            "choices",
            lambda c: c["options"][0]["options"][1].update(choices=[{"name": "spam", "value": "spam"}]),
        ),
    ]
    for what, change in changes:
        changed = copy.deepcopy(SENT)
        change(changed)
        assert canonical_command(changed) != canonical_command(RETURNED), what


def test_the_local_form_covers_every_command_of_the_tree(bot):
    names = {command["name"] for command in local_form(bot.tree, None)}
    assert {"wallet", "coins", "gift", "creator", "payouts", "ledger", "audit"} <= names
    assert len(names) == len(bot.tree.get_commands())

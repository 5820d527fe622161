"""Reading the moderators' action log (`/audit log`): who changed what, with its JSON values decoded.

Services write their rows with `storage.action_log.record` in the same transaction as the change."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_micros
from storage import Database, Row, action_log


@dataclass(frozen=True)
class ActionLogItem:
    """One recorded moderation action."""

    id: int
    at: datetime
    actor_id: int | None
    action: str
    target: str | None
    before: object
    after: object
    reason: str | None


def _decoded(value: str | None) -> object:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def _item(row: Row) -> ActionLogItem:
    return ActionLogItem(
        id=row["id"],
        at=from_micros(row["created_at"]),
        actor_id=row["actor_id"],
        action=row["action"],
        target=row["target"],
        before=_decoded(row["before"]),
        after=_decoded(row["after"]),
        reason=row["reason"],
    )


class ActionLogService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def recent(
        self, guild_id: int, member_id: int | None = None, limit: int = 20
    ) -> list[ActionLogItem]:
        """The guild's latest actions, newest first; with `member_id`, those by or about the member."""
        rows = await self._db.read(lambda conn: action_log.recent(conn, guild_id, member_id, limit))
        return [_item(row) for row in rows]

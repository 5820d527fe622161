"""The moderators' action log (shown by `/audit log`): who changed what, before and after (catalog,
settings, grants, payouts …). Its table is `audit_log`.

`target` names what was changed: `gift:<id>`, `user:<id>` (use `member_target`), `setting:<name>`,
`payout:<id>`, `entry:<id>` … `before`/`after` are JSON-serialisable values (stored as JSON) or None.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from storage.rows import inserted_id


def member_target(user_id: int) -> str:
    return f"user:{user_id}"


def _json(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:  # already JSON
            json.loads(value)
        except ValueError:
            return json.dumps(value, ensure_ascii=False)
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def record(
    conn: sqlite3.Connection,
    guild_id: int,
    created_at: int,
    actor_id: int | None,
    action: str,
    target: str | None,
    before: Any,
    after: Any,
    reason: str | None = None,
) -> int:
    """Append one audit row (inside the caller's write operation); returns its id."""
    return inserted_id(
        conn.execute(
            "INSERT INTO audit_log (guild_id, created_at, actor_id, action, target, before, after, reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, created_at, actor_id, action, target, _json(before), _json(after), reason),
        )
    )


def recent(
    conn: sqlite3.Connection, guild_id: int, member_id: int | None = None, limit: int = 20
) -> list[sqlite3.Row]:
    """The guild's latest audit rows, newest first; with `member_id`, only rows the member made or
    that target them (`user:<id>`)."""
    if member_id is None:
        return conn.execute(
            "SELECT * FROM audit_log WHERE guild_id = ? ORDER BY id DESC LIMIT ?", (guild_id, limit)
        ).fetchall()
    return conn.execute(
        "SELECT * FROM audit_log WHERE guild_id = ? AND (actor_id = ? OR target = ?)"
        " ORDER BY id DESC LIMIT ?",
        (guild_id, member_id, member_target(member_id), limit),
    ).fetchall()

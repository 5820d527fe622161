"""The one way services write journal entries, and post an operation exactly once.

`post` runs inside a write transaction: it checks the entry against its kind in the registry (the
assets and system accounts it may touch), applies the member's hard spending limits to every spending
kind, then writes the entry. `post_once` wraps an operation in the idempotency rule: the same key with
the same request returns the first entry (a `Replay`), the same key with a different request raises
IdempotencyConflict, and a new key runs the operation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.clock import from_micros
from bot.economy.kinds import COINS, EntryKind, entry_kind
from bot.errors import IdempotencyConflict
from bot.spending import SpendingGuard
from storage import Connection, Database, Row, ledger
from storage.ledger import NewEntry, Posting

T = TypeVar("T")


class KindViolation(ValueError):
    """An entry touches an asset or system account its kind does not allow: a programming error."""


@dataclass(frozen=True)
class Replay:
    """The key was used before for the same request: `entry` is the journal entry it produced."""

    entry: Row


def post(
    conn: Connection, entry: NewEntry, postings: Sequence[Posting], spending: SpendingGuard | None = None
) -> int:
    """Write `entry` (inside the caller's transaction) after checking it against its registered kind.
    A spending kind needs the `spending` guard, which may refuse (a DomainError). Returns the entry id."""
    kind = entry_kind(entry.kind)
    for posting in postings:
        if posting.asset not in kind.assets:
            raise KindViolation(f"a {kind.name} entry cannot move {posting.asset}")
        if posting.system_account is not None and posting.system_account not in kind.system_accounts:
            raise KindViolation(f"a {kind.name} entry cannot touch the {posting.system_account} account")
    if kind.spending:
        if spending is None:
            raise ValueError(f"a {kind.name} entry is member spending and needs the spending guard")
        for user_id, coins in spent_coins(postings).items():
            spending.enforce(conn, entry.guild_id, user_id, coins, from_micros(entry.created_at))
    return ledger.post_entry(conn, entry, postings)


def spent_coins(postings: Sequence[Posting]) -> dict[int, int]:
    """Coins leaving each member's wallet in `postings`."""
    spent: dict[int, int] = defaultdict(int)
    for posting in postings:
        if posting.user_id is not None and posting.asset == COINS and posting.amount < 0:
            spent[posting.user_id] -= posting.amount
    return dict(spent)


def earlier_entry(conn: Connection, kind: EntryKind, key: str, fingerprint: str) -> Replay | None:
    """The entry that already holds `key` for this very request, None if the key is new; the key held
    by another request (other parameters or another kind) raises IdempotencyConflict."""
    row = ledger.entry_by_key(conn, key)
    if row is None:
        return None
    if row["kind"] != kind.name or row["request_fingerprint"] != fingerprint:
        raise IdempotencyConflict(kind.wording.reused_key)
    return Replay(row)


async def find_earlier(db: Database, kind: EntryKind, key: str, fingerprint: str) -> Replay | None:
    """`earlier_entry` on a read connection: to replay before doing outside work (charging a card,
    asking for a confirmation) that must not run twice."""
    return await db.read(lambda conn: earlier_entry(conn, kind, key, fingerprint))


def exactly_once(
    kind: EntryKind, key: str | None, fingerprint: str, operation: Callable[[Connection], T]
) -> Callable[[Connection], T | Replay]:
    """The write `operation` (which posts the entry under `key`) guarded by the idempotency rule: it
    runs unless `key` was used before; then the result is the `Replay` of the first entry, or
    IdempotencyConflict for another request. The check runs in the operation's own transaction, so
    two concurrent requests post once. Without a key the operation always runs."""
    if key is not None and not key:
        raise ValueError(f"a {kind.name} needs a non-empty idempotency key")

    def once(conn: Connection) -> T | Replay:
        if key is not None:
            earlier = earlier_entry(conn, kind, key, fingerprint)
            if earlier is not None:
                return earlier
        return operation(conn)

    return once


async def post_once(
    db: Database,
    kind: EntryKind,
    key: str | None,
    fingerprint: str,
    operation: Callable[[Connection], T],
) -> T | Replay:
    """Run `exactly_once(kind, key, fingerprint, operation)` in the writer's transaction."""
    return await db.write(exactly_once(kind, key, fingerprint, operation))

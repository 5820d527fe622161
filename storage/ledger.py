"""The double-entry ledger: journal entries, their postings and the cached wallet balances."""

from __future__ import annotations

import hashlib
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storage.database import BalanceTooLow
from storage.rows import first_row, inserted_id

ASSETS = ("coins", "diamonds")


@dataclass(frozen=True)
class Posting:
    """One leg of an entry: `amount` of `asset` into (positive) or out of (negative) an account.
    The account is a member's wallet (`user_id`) or a named system account (`system_account`)."""

    asset: str
    amount: int
    user_id: int | None = None
    system_account: str | None = None


@dataclass(frozen=True)
class NewEntry:
    guild_id: int
    kind: str
    created_at: int
    actor_id: int | None = None
    reference: str | None = None
    idempotency_key: str | None = None
    request_fingerprint: str | None = None
    money_minor: int | None = None
    currency: str | None = None
    reverses_entry_id: int | None = None
    memo: str | None = None


class UnbalancedEntry(ValueError):
    """Postings of an entry do not sum to zero per asset; a programming error, never user input."""


def postings_digest(postings: Iterable[tuple[int | None, str | None, str, int]]) -> str:
    """A fingerprint of postings as (user_id, system_account, asset, amount) rows, in order."""
    canonical = ";".join(f"{u or ''}|{s or ''}|{a}|{n}" for u, s, a, n in postings)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_balanced(postings: Sequence[Posting]) -> None:
    totals: dict[str, int] = defaultdict(int)
    for posting in postings:
        if posting.asset not in ASSETS:
            raise UnbalancedEntry(f"unknown asset {posting.asset!r}")
        if type(posting.amount) is not int or posting.amount == 0:
            raise UnbalancedEntry(f"posting amounts are non-zero integers, got {posting.amount!r}")
        if (posting.user_id is None) == (posting.system_account is None):
            raise UnbalancedEntry("a posting names exactly one account")
        totals[posting.asset] += posting.amount
    if not postings or any(totals.values()):
        raise UnbalancedEntry(f"postings must sum to zero per asset: {dict(totals)}")


def _debit_wallet(conn: sqlite3.Connection, guild_id: int, user_id: int, asset: str, amount: int) -> None:
    # `asset` is one of ASSETS (checked above), never user input.
    cursor = conn.execute(
        f"UPDATE wallets SET {asset} = {asset} - ? WHERE guild_id = ? AND user_id = ? AND {asset} >= ?",
        (amount, guild_id, user_id, amount),
    )
    if cursor.rowcount != 1:
        row = conn.execute(
            f"SELECT {asset} FROM wallets WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        ).fetchone()
        raise BalanceTooLow(asset, amount, row[0] if row else 0)


def _credit_wallet(conn: sqlite3.Connection, guild_id: int, user_id: int, asset: str, amount: int) -> None:
    conn.execute(
        f"INSERT INTO wallets (guild_id, user_id, {asset}) VALUES (?, ?, ?) "
        f"ON CONFLICT (guild_id, user_id) DO UPDATE SET {asset} = {asset} + excluded.{asset}",
        (guild_id, user_id, amount),
    )


def post_entry(conn: sqlite3.Connection, entry: NewEntry, postings: Sequence[Posting]) -> int:
    """Write one journal entry with its postings and apply them to the wallets. Debits are guarded
    (raises BalanceTooLow); the caller's transaction makes it all-or-nothing. Returns the entry id."""
    _check_balanced(postings)
    for posting in postings:
        if posting.user_id is not None and posting.amount < 0:
            _debit_wallet(conn, entry.guild_id, posting.user_id, posting.asset, -posting.amount)
    for posting in postings:
        if posting.user_id is not None and posting.amount > 0:
            _credit_wallet(conn, entry.guild_id, posting.user_id, posting.asset, posting.amount)
    digest = postings_digest((p.user_id, p.system_account, p.asset, p.amount) for p in postings)
    entry_id = inserted_id(
        conn.execute(
            "INSERT INTO journal_entries (created_at, guild_id, kind, actor_id, reference, idempotency_key,"
            " request_fingerprint, money_minor, currency, reverses_entry_id, memo, postings_digest)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.created_at,
                entry.guild_id,
                entry.kind,
                entry.actor_id,
                entry.reference,
                entry.idempotency_key,
                entry.request_fingerprint,
                entry.money_minor,
                entry.currency,
                entry.reverses_entry_id,
                entry.memo,
                digest,
            ),
        )
    )
    conn.executemany(
        "INSERT INTO postings (entry_id, guild_id, user_id, system_account, asset, amount)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(entry_id, entry.guild_id, p.user_id, p.system_account, p.asset, p.amount) for p in postings],
    )
    return entry_id


def entry_by_key(conn: sqlite3.Connection, idempotency_key: str) -> sqlite3.Row | None:
    return first_row(
        conn.execute("SELECT * FROM journal_entries WHERE idempotency_key = ?", (idempotency_key,))
    )


def entry_by_id(conn: sqlite3.Connection, guild_id: int, entry_id: int) -> sqlite3.Row | None:
    return first_row(
        conn.execute("SELECT * FROM journal_entries WHERE guild_id = ? AND id = ?", (guild_id, entry_id))
    )


def entry_postings(conn: sqlite3.Connection, entry_id: int) -> list[Posting]:
    rows = conn.execute(
        "SELECT user_id, system_account, asset, amount FROM postings WHERE entry_id = ? ORDER BY id",
        (entry_id,),
    ).fetchall()
    return [Posting(r["asset"], r["amount"], r["user_id"], r["system_account"]) for r in rows]


def user_history(conn: sqlite3.Connection, guild_id: int, user_id: int, limit: int) -> list[sqlite3.Row]:
    """The member's most recent entries, newest first, with their net coins and diamonds."""
    return conn.execute(
        "SELECT e.id, e.created_at, e.kind, e.reference, e.memo, e.money_minor, e.currency,"
        " e.reverses_entry_id,"
        " SUM(CASE WHEN p.asset = 'coins' THEN p.amount ELSE 0 END) AS coins,"
        " SUM(CASE WHEN p.asset = 'diamonds' THEN p.amount ELSE 0 END) AS diamonds"
        " FROM postings p JOIN journal_entries e ON e.id = p.entry_id"
        " WHERE p.guild_id = ? AND p.user_id = ?"
        " GROUP BY e.id ORDER BY e.id DESC LIMIT ?",
        (guild_id, user_id, limit),
    ).fetchall()


def attached_entries(
    conn: sqlite3.Connection, guild_id: int, entry_id: int, kinds: Sequence[str]
) -> list[sqlite3.Row]:
    """Entries of `kinds` that belong to entry `entry_id` (their reference is 'entry:<id>') and are
    not reversed yet."""
    if not kinds:
        return []
    marks = ", ".join("?" for _ in kinds)
    return conn.execute(
        "SELECT e.* FROM journal_entries e WHERE e.reference = ? AND e.reference LIKE 'entry:%'"
        f" AND e.guild_id = ? AND e.kind IN ({marks})"
        " AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.reverses_entry_id = e.id) ORDER BY e.id",
        (f"entry:{entry_id}", guild_id, *kinds),
    ).fetchall()

"""Moderator corrections: coin grants (giveaways) and reversals of mistaken entries, both audited."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.clock import Clock, from_micros, to_micros
from bot.economy.debts import credit_coins
from bot.economy.kinds import GRANT, REVERSAL, attached_kinds, entry_kind
from bot.economy.payouts import clean_reason
from bot.economy.posting import Replay, post, post_once
from bot.errors import Conflict, InvalidAmount, NotFound, NotPermitted
from bot.guilds import GuildDirectory
from bot.text import whole_number
from storage import (
    BalanceTooLow,
    Connection,
    ConstraintViolation,
    Database,
    action_log,
    debts,
    ledger,
    statements,
    wallets,
)
from storage.ledger import NewEntry, Posting
from storage.rows import required

GRANT_MAX = 1_000_000
RECENT_MAX = 25
ID_MAX = 2**63 - 1  # SQLite's largest integer


@dataclass(frozen=True)
class GrantResult:
    entry_id: int
    member_id: int
    coins: int
    balance: int
    replayed: bool
    debt_repaid: int = 0  # of the coins, paid the member's refund debt
    owed: int = 0  # refund debt still owed afterwards


@dataclass(frozen=True)
class Movement:
    """One account's share of an entry (a posting)."""

    user_id: int | None
    system_account: str | None
    asset: str
    amount: int


@dataclass(frozen=True)
class ReversalResult:
    entry_id: int
    original_id: int
    original_kind: str
    movements: list[Movement]  # the reversal's postings
    replayed: bool
    also_reversed: tuple[int, ...] = ()  # entries belonging to the original, reversed with it (a deal bonus)


@dataclass(frozen=True)
class EntrySummary:
    """A recent entry, for the autocomplete of /ledger reverse."""

    entry_id: int
    at: datetime
    kind: str
    users: list[int]
    coins: int  # the largest user movement of the entry, in absolute value
    diamonds: int
    reversed: bool

    def label(self) -> str:
        parts = [f"#{self.entry_id} {entry_kind(self.kind).wording.label}"]
        if self.coins:
            parts.append(f"{self.coins:,} coins")
        if self.diamonds:
            parts.append(f"{self.diamonds:,} diamonds")
        parts.append(self.at.strftime("%Y-%m-%d %H:%M UTC"))
        return " · ".join(parts)


class CorrectionService:
    def __init__(self, db: Database, guilds: GuildDirectory, clock: Clock) -> None:
        self._db = db
        self._guilds = guilds
        self._clock = clock

    async def grant(
        self, guild_id: int, moderator_id: int, member_id: int, coins: int, reason: str, idempotency_key: str
    ) -> GrantResult:
        """Mint `coins` into a member's wallet (a giveaway), with the reason in the entry and audit log."""
        if not idempotency_key:
            raise ValueError("a grant needs an idempotency key")
        coins = whole_number(coins, 1, GRANT_MAX, "The number of coins")
        reason = clean_reason(reason)
        await self._guilds.ensure(guild_id)
        key = f"grant:{idempotency_key}"
        fingerprint = f"{guild_id}:{member_id}:{coins}"
        now = to_micros(self._clock())

        def mint(conn: Connection) -> int:
            credit = credit_coins(
                conn,
                NewEntry(
                    guild_id=guild_id,
                    kind=GRANT.name,
                    created_at=now,
                    actor_id=moderator_id,
                    reference=action_log.member_target(member_id),
                    idempotency_key=key,
                    request_fingerprint=fingerprint,
                    memo=reason,
                ),
                member_id,
                coins,
            )
            after = {"coins": coins, "entry": credit.entry_id}
            if credit.repaid:  # part of the grant paid the member's refund debt
                after["debt_repaid"] = credit.repaid
            action_log.record(
                conn, guild_id, now, moderator_id, "coins.grant", action_log.member_target(member_id),
                None, after, reason,
            )  # fmt: skip
            return credit.entry_id

        posted = await post_once(self._db, GRANT, key, fingerprint, mint)
        replayed = isinstance(posted, Replay)
        entry_id = posted.entry["id"] if isinstance(posted, Replay) else posted

        def after(conn: Connection) -> GrantResult:
            row = wallets.wallet(conn, guild_id, member_id)
            return GrantResult(
                entry_id, member_id, coins, row["coins"] if row else 0, replayed,
                debt_repaid=debts.repaid_by(conn, entry_id), owed=debts.owed(conn, guild_id, member_id),
            )  # fmt: skip

        return await self._db.read(after)

    async def reverse(
        self, guild_id: int, moderator_id: int, entry_id: int, reason: str, idempotency_key: str | None = None
    ) -> ReversalResult:
        """Post the mirror image of entry `entry_id` (every posting negated), pointing at it. Refused for
        an unknown entry, a reversal, a cash-out entry, an entry already reversed, and when any wallet
        would go below zero (e.g. the creator already cashed the diamonds out)."""
        if type(entry_id) is not int or not 0 < entry_id <= ID_MAX:
            raise InvalidAmount("Give the entry number shown in `/wallet history` or `/audit log`.")
        reason = clean_reason(reason)
        key = f"reversal:{idempotency_key}" if idempotency_key else None
        fingerprint = f"{guild_id}:{entry_id}"
        now = to_micros(self._clock())

        def mirror(conn: Connection) -> ReversalResult:
            original = ledger.entry_by_id(conn, guild_id, entry_id)
            if original is None:
                raise NotFound(f"There is no entry #{entry_id} in this server.")
            refusal = entry_kind(original["kind"]).not_reversible
            if refusal is not None:
                raise NotPermitted(refusal.format(entry_id=entry_id, reverses=original["reverses_entry_id"]))
            earlier = statements.reversal_of(conn, entry_id)
            if earlier is not None:
                raise Conflict(f"Entry #{entry_id} was already reversed by entry #{earlier['id']}.")
            postings = _mirrored(conn, entry_id)
            # Entries that belong to this one (a purchase's deal bonus) are taken back with it.
            attached = ledger.attached_entries(conn, guild_id, entry_id, attached_kinds(original["kind"]))

            def post_reversal(
                target_id: int,
                target_postings: list[Posting],
                request_key: str | None = None,
                request_fingerprint: str | None = None,
            ) -> int:
                entry = NewEntry(
                    guild_id=guild_id,
                    kind=REVERSAL.name,
                    created_at=now,
                    actor_id=moderator_id,
                    reference=f"entry:{target_id}",
                    idempotency_key=request_key,
                    request_fingerprint=request_fingerprint,
                    reverses_entry_id=target_id,
                    memo=reason,
                )
                return post(conn, entry, target_postings)

            try:
                reversal_id = post_reversal(entry_id, postings, key, fingerprint)
                for extra in attached:  # the request's key belongs to the main reversal only
                    extra_postings = _mirrored(conn, extra["id"])
                    postings = [*postings, *extra_postings]
                    post_reversal(extra["id"], extra_postings)
            except BalanceTooLow as error:
                who = next(
                    (p.user_id for p in postings if p.user_id and p.asset == error.asset and p.amount < 0),
                    None,
                )
                raise Conflict(
                    f"Reversing entry #{entry_id} would leave <@{who}> with a negative {error.asset} balance "
                    f"(it takes back {error.needed:,}, they have {error.available:,}), for example because "
                    "the diamonds were already cashed out. Nothing was changed."
                ) from None
            except ConstraintViolation:  # reverses_entry_id is UNIQUE: a concurrent reversal won
                raise Conflict(f"Entry #{entry_id} was already reversed.") from None
            action_log.record(
                conn, guild_id, now, moderator_id, "ledger.reverse", f"entry:{entry_id}",
                {"entry": entry_id, "kind": original["kind"]},
                {"entry": reversal_id, "reverses": entry_id,
                 "members": sorted({p.user_id for p in postings if p.user_id is not None})},
                reason,
            )  # fmt: skip
            result = _result(conn, guild_id, reversal_id, entry_id, replayed=False)
            return replace(result, also_reversed=tuple(int(e["id"]) for e in attached))

        await self._guilds.ensure(guild_id)
        posted = await post_once(self._db, REVERSAL, key, fingerprint, mirror)
        if isinstance(posted, Replay):
            replay_id = posted.entry["id"]
            return await self._db.read(
                lambda conn: _result(conn, guild_id, replay_id, entry_id, replayed=True)
            )
        return posted

    async def recent_entries(
        self, guild_id: int, text: str = "", limit: int = RECENT_MAX
    ) -> list[EntrySummary]:
        """Recent entries of the guild that could be reversed (newest first), filtered by `text`: the
        start of an entry number, a member id, or a kind ("gift", "grant", "purchase")."""
        needle = (text or "").strip().lstrip("#").lower()
        rows = await self._db.read(lambda conn: statements.recent_entries(conn, guild_id, 200))
        found = []
        for row in rows:
            summary = EntrySummary(
                entry_id=row["id"],
                at=from_micros(row["created_at"]),
                kind=row["kind"],
                users=[int(u) for u in (row["users"] or "").split(",") if u],
                coins=row["coins"] or 0,
                diamonds=row["diamonds"] or 0,
                reversed=bool(row["reversed"]),
            )
            if summary.reversed or not entry_kind(summary.kind).reversible:
                continue
            if needle.isdigit():  # an entry number (prefix) or a member id
                if not str(summary.entry_id).startswith(needle) and needle not in map(str, summary.users):
                    continue
            elif needle and needle not in f"{summary.kind} {entry_kind(summary.kind).wording.label}":
                continue
            found.append(summary)
            if len(found) >= limit:
                break
        return found


def _mirrored(conn: Connection, entry_id: int) -> list[Posting]:
    """The postings of entry `entry_id`, every one negated."""
    return [
        Posting(p.asset, -p.amount, p.user_id, p.system_account)
        for p in ledger.entry_postings(conn, entry_id)
    ]


def _result(
    conn: Connection, guild_id: int, reversal_id: int, original_id: int, *, replayed: bool
) -> ReversalResult:
    original = required(ledger.entry_by_id(conn, guild_id, original_id), f"entry #{original_id}")
    movements = [
        Movement(p.user_id, p.system_account, p.asset, p.amount)
        for p in ledger.entry_postings(conn, reversal_id)
    ]
    return ReversalResult(reversal_id, original_id, original["kind"], movements, replayed)

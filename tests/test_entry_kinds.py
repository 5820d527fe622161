"""The entry-kind registry and the posting helper, walked over every registered kind: wording, budgets
and the spending guard, reversals, the accounts a kind may touch, and posting exactly once."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from bot.clock import to_micros
from bot.economy.kinds import (
    COINS,
    ENTRY_KINDS,
    GRANT,
    MINT,
    SPENDING_KINDS,
    SYSTEM_ACCOUNTS,
    EntryKind,
    allowed_accounts,
)
from bot.economy.posting import KindViolation, Replay, post, post_once
from bot.errors import BudgetExceeded, IdempotencyConflict
from bot.services import Services
from storage import ConstraintViolation, Database
from storage.ledger import NewEntry, Posting, entry_by_key, entry_postings, post_entry
from storage.ledger_check import journal_discrepancies

GUILD = 1
MEMBER = 101
MODERATOR = 900
AMOUNT = 40
KINDS = list(ENTRY_KINDS.values())
_keys = itertools.count(1)


def sample_postings(kind: EntryKind, amount: int = AMOUNT) -> list[Posting]:
    """A balanced entry of `kind` for MEMBER using only what the kind allows: spending takes the member's
    coins, everything else gives the member the asset from one of the kind's system accounts."""
    account = sorted(kind.system_accounts)[0]
    postings = []
    for asset in sorted(kind.assets):
        into_member = amount if not (kind.spending and asset == COINS) else -amount
        postings.append(Posting(asset, into_member, user_id=MEMBER))
        postings.append(Posting(asset, -into_member, system_account=account))
    return postings


async def fund(services: Services, coins: int) -> None:
    await services.guilds.ensure(GUILD)
    entry = NewEntry(GUILD, GRANT.name, to_micros(services.clock()), idempotency_key=f"fund-{next(_keys)}")
    postings = [Posting(COINS, coins, user_id=MEMBER), Posting(COINS, -coins, system_account=MINT)]
    await services.db.write(lambda conn: post(conn, entry, postings))


async def post_sample(services: Services, kind: EntryKind, amount: int = AMOUNT) -> int:
    entry = NewEntry(
        GUILD, kind.name, to_micros(services.clock()), actor_id=MEMBER, idempotency_key=f"k-{next(_keys)}"
    )
    postings = sample_postings(kind, amount)
    return await services.db.write(lambda conn: post(conn, entry, postings, services.spending))


async def wallet(db: Database) -> tuple[int, int]:
    row = await db.read(
        lambda conn: conn.execute(
            "SELECT coins, diamonds FROM wallets WHERE guild_id = ? AND user_id = ?", (GUILD, MEMBER)
        ).fetchone()
    )
    return (row["coins"], row["diamonds"]) if row else (0, 0)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_kind_has_its_wording(kind: EntryKind) -> None:
    wording = kind.wording
    for text in (wording.history, wording.statement, wording.label, wording.reused_key):
        assert text.strip()
    assert kind.assets and kind.system_accounts <= set(SYSTEM_ACCOUNTS)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
async def test_spending_kinds_count_in_budgets_and_are_refused_in_block_mode(services, kind) -> None:
    await fund(services, 1_000)
    await services.budgets.set_limit(GUILD, MEMBER, "daily", 50)
    await services.budgets.set_mode(GUILD, MEMBER, "block")
    await post_sample(services, kind)
    spent = (await services.budgets.snapshot(GUILD, MEMBER)).daily.spent
    before = await wallet(services.db)
    if kind.spending:
        assert kind.name in SPENDING_KINDS
        assert spent == AMOUNT
        with pytest.raises(BudgetExceeded):  # 40 spent + 40 more goes over the daily 50
            await post_sample(services, kind)
        assert await wallet(services.db) == before
    else:
        assert kind.name not in SPENDING_KINDS
        assert spent == 0
        await post_sample(services, kind)  # no budget applies
    assert await services.db.read(lambda conn: journal_discrepancies(conn, allowed_accounts())) == []


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
async def test_reversible_kinds_reverse_to_zero(services, kind) -> None:
    await fund(services, 1_000)
    before = await wallet(services.db)
    entry_id = await post_sample(services, kind)
    if not kind.reversible:
        with pytest.raises(Exception, match="cannot be reversed|cash-out"):
            await services.corrections.reverse(GUILD, MODERATOR, entry_id, "walk")
        return
    result = await services.corrections.reverse(GUILD, MODERATOR, entry_id, "walk", f"r-{entry_id}")
    legs: Counter[tuple[int | None, str | None, str]] = Counter()
    for posting_of in (entry_id, result.entry_id):
        for p in await services.db.read(lambda conn, e=posting_of: entry_postings(conn, e)):
            legs[(p.user_id, p.system_account, p.asset)] += p.amount
    assert set(legs.values()) == {0}
    assert await wallet(services.db) == before
    assert await services.db.read(lambda conn: journal_discrepancies(conn, allowed_accounts())) == []


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
async def test_a_kind_cannot_touch_an_account_it_does_not_allow(services, kind) -> None:
    await fund(services, 1_000)
    stranger = next(a for a in SYSTEM_ACCOUNTS if a not in kind.system_accounts)
    asset = sorted(kind.assets)[0]
    entry = NewEntry(GUILD, kind.name, 0, actor_id=MEMBER)
    postings = [Posting(asset, 5, user_id=MEMBER), Posting(asset, -5, system_account=stranger)]
    with pytest.raises(KindViolation):
        await services.db.write(lambda conn: post(conn, entry, postings, services.spending))


async def test_the_database_knows_exactly_the_registered_system_accounts(db) -> None:
    names = await db.read(lambda conn: [r[0] for r in conn.execute("SELECT name FROM system_accounts")])
    assert sorted(names) == sorted(SYSTEM_ACCOUNTS)


async def test_a_typo_d_system_account_is_refused_by_the_database(services, db) -> None:
    await fund(services, 100)
    entry = NewEntry(GUILD, GRANT.name, 0, idempotency_key="typo")
    postings = [Posting(COINS, 10, user_id=MEMBER), Posting(COINS, -10, system_account="mnit")]
    with pytest.raises(ConstraintViolation):
        await db.write(lambda conn: post_entry(conn, entry, postings))  # bypasses the registry check
    assert await wallet(db) == (100, 0)
    assert await db.read(lambda conn: entry_by_key(conn, "typo")) is None


async def test_the_audit_reports_unregistered_kinds_and_forbidden_accounts(services, db) -> None:
    await fund(services, 100)
    await db.write(
        lambda conn: post_entry(
            conn,
            NewEntry(GUILD, "bonus", 0),
            [Posting(COINS, 5, user_id=MEMBER), Posting(COINS, -5, system_account=MINT)],
        )
    )
    await db.write(
        lambda conn: post_entry(
            conn,
            NewEntry(GUILD, GRANT.name, 0),
            [Posting(COINS, 5, user_id=MEMBER), Posting(COINS, -5, system_account="platform")],
        )
    )
    problems = await db.read(lambda conn: journal_discrepancies(conn, allowed_accounts()))
    assert any("'bonus' is not registered" in p for p in problems)
    assert any("grant entry touches the platform account" in p for p in problems)


async def test_post_once_replays_the_same_request_and_refuses_another(services, db) -> None:
    await services.guilds.ensure(GUILD)

    def grant(coins: int):  # noqa: ANN202
        entry = NewEntry(GUILD, GRANT.name, 0, idempotency_key="once", request_fingerprint=f"{coins}")
        postings = [Posting(COINS, coins, user_id=MEMBER), Posting(COINS, -coins, system_account=MINT)]
        return lambda conn: post(conn, entry, postings)

    first = await post_once(db, GRANT, "once", "7", grant(7))
    again = await post_once(db, GRANT, "once", "7", grant(7))
    assert isinstance(first, int) and isinstance(again, Replay) and again.entry["id"] == first
    with pytest.raises(IdempotencyConflict, match="different grant"):
        await post_once(db, GRANT, "once", "8", grant(8))
    assert await wallet(db) == (7, 0)

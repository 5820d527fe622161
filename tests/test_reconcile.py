"""`python -m bot check` reconciles cash-out requests with the payout accounts, gift rows with their
postings, and finds triggers that are missing: a copy corrupted behind the services' back is reported."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.ledger_check import find_discrepancies
from storage.reconcile import expected_triggers
from tests.support.factories import GUILD, assert_clean, cashout_settings, gift, key, open_cashouts
from tests.test_ledger_check_cli import run_bot

CREATOR, FAN, MOD = 301, 302, 401


@pytest.fixture
def settings(tmp_path):
    """Cash-outs need a server that allows them (see tests/support/factories.py)."""
    return cashout_settings(tmp_path)


@pytest.fixture
async def books(services) -> Path:
    """A ledger with gifts and one cash-out in each state: approved, rejected, pending."""
    await open_cashouts(services)
    await gift(services, FAN, CREATOR, "Galaxy", 4)  # 4,000 diamonds
    approved = await services.payouts.request(GUILD, CREATOR, 1000, key())
    await services.payouts.approve(GUILD, MOD, approved.id)
    rejected = await services.payouts.request(GUILD, CREATOR, 1200, key())
    await services.payouts.reject(GUILD, MOD, rejected.id, "bank details missing")
    await services.payouts.request(GUILD, CREATOR, 1500, key())
    await assert_clean(services)
    return services.db.path


def tamper(path: Path, *statements: str) -> None:
    raw = sqlite3.connect(path)
    try:
        for statement in statements:
            raw.execute(statement)
        raw.commit()
    finally:
        raw.close()


def problems(path: Path) -> list[str]:
    raw = sqlite3.connect(path)
    try:
        return find_discrepancies(raw)
    finally:
        raw.close()


def test_every_trigger_of_the_migrations_is_expected():
    expected = expected_triggers(10_000)
    assert expected["postings_append_only_update"] == "001_ledger"
    assert expected["gift_entries_append_only_delete"] == "002_gifts"
    assert "gift_totals_add" in expected and "gift_totals_reverse" in expected


async def test_a_cash_out_inserted_behind_the_service_is_reported(books):
    tamper(
        books,
        "INSERT INTO payouts (guild_id, creator_id, diamonds, fee_percent, region, currency, requested_at,"
        f" reserve_entry_id) VALUES ({GUILD}, 999, 300, 50, 'US', 'USD', 1, 1)",
    )
    found = problems(books)
    assert f"guild {GUILD}: pending_payout holds 1500 diamonds by its postings," in found[0]
    assert "the cash-out requests account for 1800" in found[0]
    assert any("cash-out #4: its reserve entry moved 0 diamonds to pending_payout" in p for p in found)


async def test_a_settlement_split_that_the_postings_do_not_show_is_reported(books):
    tamper(books, "UPDATE payouts SET platform_diamonds = platform_diamonds + 10 WHERE status = 'approved'")
    assert problems(books) == [
        f"guild {GUILD}: platform holds 500 diamonds by its postings, but the cash-out requests account for 510"
    ]


async def test_a_decided_cash_out_without_its_decision_entry_is_reported(books):
    tamper(books, "UPDATE payouts SET decision_entry_id = NULL WHERE status = 'rejected'")
    assert problems(books) == [
        f"guild {GUILD} cash-out #2: rejected, but no decision entry released its 1200 diamonds"
    ]


async def test_a_gift_row_without_its_postings_is_reported(books):
    grant_entry = 1  # the grant that funded the fan: not a gift
    tamper(
        books,
        "DROP TRIGGER gift_totals_add",
        "INSERT INTO gift_entries (entry_id, guild_id, sender_id, creator_id, gift_id, gift_name, count,"
        f" unit_price, created_at) SELECT {grant_entry}, guild_id, 302, 301, gift_id, gift_name, 1, 1000, 1"
        " FROM gift_entries LIMIT 1",
        "INSERT INTO gift_entries (entry_id, guild_id, sender_id, creator_id, gift_id, gift_name, count,"
        " unit_price, created_at) SELECT 9999, guild_id, 302, 301, gift_id, gift_name, 1, 5, 1"
        " FROM gift_entries LIMIT 1",
    )
    found = problems(books)
    assert "trigger gift_totals_add (migration 006_gift_totals) is missing" in found
    assert f"guild {GUILD} gift {grant_entry}: the gift row belongs to a 'grant' entry" in found
    assert f"guild {GUILD} gift 9999: the gift row has no journal entry" in found


async def test_a_gift_row_whose_price_differs_from_its_postings_is_reported(books):
    tamper(
        books,
        "DROP TRIGGER gift_entries_append_only_update",
        "DROP TRIGGER gift_totals_add",
        "UPDATE gift_entries SET count = 5",
    )
    found = problems(books)
    assert any(
        "the gift is worth 5000 coins but its postings took 4000 coins from the sender"
        " and gave 4000 diamonds to the creator" in p
        for p in found
    ), found
    assert "trigger gift_entries_append_only_update (migration 002_gifts) is missing" in found


async def test_check_on_a_corrupted_copy_lists_the_discrepancies_and_exits_1(books, tmp_path):
    tamper(
        books,
        "DROP TRIGGER gift_totals_reverse",
        "UPDATE payouts SET creator_diamonds = 0 WHERE status = 'approved'",
    )
    done = run_bot(tmp_path, "check", "--database", str(books))
    assert done.returncode == 1, done.stderr
    assert "2 discrepancies" in done.stdout
    assert "trigger gift_totals_reverse (migration 008_daily_totals) is missing" in done.stdout
    assert (
        "paid_out holds 500 diamonds by its postings, but the cash-out requests account for 0" in done.stdout
    )

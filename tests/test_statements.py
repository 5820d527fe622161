"""Statements: the CSV parsed back with the csv module equals the ledger; formulas are escaped."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

import bot.statements
from bot.errors import InvalidAmount
from bot.statements import COLUMNS, escape_cell, parse_month, to_csv
from storage import ledger
from tests.support.factories import (
    GUILD,
    assert_clean,
    buy_on_discord,
    discord_settings,
    gift,
    grant,
    key,
    open_cashouts,
)


@pytest.fixture
def settings(tmp_path):
    """Cash-outs need a server that allows them (see tests/support/factories.py)."""
    return discord_settings(tmp_path)


@pytest.fixture(autouse=True)
async def _cashouts_open(services):
    await open_cashouts(services)


CREATOR, FAN, MOD = 701, 702, 801


def parse(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames) == COLUMNS
    return list(reader)


async def ledger_rows(services, user_id: int) -> dict[int, tuple[int, int]]:
    rows = await services.db.read(lambda c: ledger.user_history(c, GUILD, user_id, 1000))
    return {r["id"]: (r["coins"], r["diamonds"]) for r in rows}


@pytest.fixture
async def history(services, clock):
    """A purchase, a grant with a hostile reason, gifts, a reversal and an approved cash-out."""
    await buy_on_discord(services, FAN, 700)
    clock.advance(hours=1)
    await services.corrections.grant(GUILD, MOD, FAN, 2000, '=HYPERLINK("http://evil","click")', key())
    clock.advance(hours=1)
    first = await gift(services, FAN, CREATOR, "Galaxy", 2, funded=False)
    clock.advance(hours=1)
    rose = await gift(services, FAN, CREATOR, "Rose", 5, funded=False)
    await services.corrections.reverse(GUILD, MOD, rose, "-1+1 wrong creator")
    clock.advance(hours=1)
    payout = await services.payouts.request(GUILD, CREATOR, 1000, key())
    await services.payouts.approve(GUILD, MOD, payout.id)
    return {"gift": first, "rose": rose, "payout": payout.id}


async def test_member_csv_equals_the_ledger(services, history):
    statement = await services.statements.statement(GUILD, FAN)
    rows = parse(to_csv(statement))

    expected = await ledger_rows(services, FAN)
    assert [int(r["entry"]) for r in rows] == sorted(expected)
    for row in rows:
        assert (int(row["coins"]), int(row["diamonds"])) == expected[int(row["entry"])]
    kinds = [r["kind"] for r in rows]
    assert kinds == ["coin purchase", "coins granted", "gift sent", "gift sent", "reversal"]
    purchase = rows[0]
    assert (purchase["money"], purchase["currency"]) == ("7.40", "USD")
    galaxy = rows[2]
    assert (galaxy["gift"], galaxy["count"], galaxy["counterparty"]) == ("Galaxy", "2", f"user:{CREATOR}")
    assert galaxy["coins"] == "-2000"  # a negative number stays a number
    reversal = rows[4]
    assert reversal["gift"] == "Rose" and reversal["coins"] == "5"
    assert reversal["note"].startswith(f"reverses entry {history['rose']}")
    await assert_clean(services)


async def test_creator_csv_has_earnings_and_cashouts(services, history):
    statement = await services.statements.statement(GUILD, CREATOR)
    rows = parse(to_csv(statement, {FAN: "Ana"}))

    expected = await ledger_rows(services, CREATOR)
    by_entry = {int(r["entry"]): r for r in rows}
    for entry_id, (coins, diamonds) in expected.items():
        assert (int(by_entry[entry_id]["coins"]), int(by_entry[entry_id]["diamonds"])) == (coins, diamonds)
    received = [r for r in rows if r["kind"] == "gift received"]
    assert [int(r["diamonds"]) for r in received] == [2000, 5]
    assert received[0]["counterparty"] == "Ana"
    paid = [r for r in rows if r["kind"] == "cash-out paid"]
    assert len(paid) == 1 and (paid[0]["money"], paid[0]["currency"]) == ("5.28", "USD")
    assert set(by_entry) == set(expected) | {int(paid[0]["entry"])}


async def test_formula_cells_are_escaped(services, history):
    rows = parse(to_csv(await services.statements.statement(GUILD, FAN), {CREATOR: "@creator"}))
    notes = [r["note"] for r in rows]
    assert '\'=HYPERLINK("http://evil","click")' in notes
    assert any(n.startswith(f"reverses entry {history['rose']}: -1+1") for n in notes)
    assert [r["counterparty"] for r in rows if r["kind"] == "gift sent"] == ["'@creator", "'@creator"]
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert escape_cell(cell) == "'" + cell
    assert escape_cell("Rose") == "Rose"


def test_rfc4180_quoting_and_utf8():
    from bot.statements import Statement, StatementRow

    row = StatementRow(
        1, datetime(2026, 11, 1, tzinfo=UTC), "gift sent", 'Rose "red", 🌹\nline', 1, None, -1, 0, None, None
    )
    data = to_csv(Statement(GUILD, FAN, "UTC", None, [row], False))
    assert data.startswith(b"entry,time,kind,gift,count,counterparty,coins,diamonds,money,currency,note\r\n")
    assert b'"Rose ""red"", \xf0\x9f\x8c\xb9\nline"' in data
    assert parse(data)[0]["gift"] == 'Rose "red", 🌹\nline'


async def test_month_and_time_zone(services, clock):
    await services.guild_config.set_timezone(GUILD, MOD, "Asia/Kolkata")
    clock.now = datetime(2026, 10, 31, 19, 0, tzinfo=UTC)  # 1 November 00:30 in India
    november = await grant(services, FAN, 10)
    clock.now = datetime(2026, 10, 31, 18, 0, tzinfo=UTC)  # still 31 October in India
    october = await grant(services, FAN, 20)

    rows = parse(to_csv(await services.statements.statement(GUILD, FAN, "2026-11")))
    assert [int(r["entry"]) for r in rows] == [november]
    assert rows[0]["time"] == "2026-11-01T00:30:00+05:30"
    rows = parse(to_csv(await services.statements.statement(GUILD, FAN, "2026-10")))
    assert [int(r["entry"]) for r in rows] == [october]

    # a member's own time zone (from the budget reminders) wins over the guild's
    await services.budgets.set_reminders(GUILD, FAN, "on", "09:00", "America/New_York")
    rows = parse(to_csv(await services.statements.statement(GUILD, FAN, "2026-10")))
    assert [int(r["entry"]) for r in rows] == [november, october]  # both 31 October in New York
    assert {r["time"][-6:] for r in rows} == {"-04:00"}


def test_month_parsing():
    assert parse_month(None) is None
    assert parse_month(" 2026-03 ") == (2026, 3)
    for bad in ("2026-13", "March", "2026-3", "26-03", "2026-03-01"):
        with pytest.raises(InvalidAmount):
            parse_month(bad)


async def test_empty_statement_has_just_the_header(services):
    statement = await services.statements.statement(GUILD, 9999)
    assert parse(to_csv(statement)) == []
    assert statement.filename == "livegifts-statement-all.csv"


@pytest.mark.parametrize("page", [1, 2, 3])
async def test_statements_read_in_small_pages_are_the_same(services, history, monkeypatch, page):
    whole = {user: await services.statements.statement(GUILD, user) for user in (FAN, CREATOR)}
    monkeypatch.setattr(bot.statements, "PAGE_POSTINGS", page)

    for user, statement in whole.items():
        paged = await services.statements.statement(GUILD, user)
        assert paged.rows == statement.rows
    assert "cash-out paid" in [row.kind for row in whole[CREATOR].rows]

"""Expensive commands: /wallet export defers, builds its file off the event loop and keeps it under
Discord's upload limit (compressed or split, and says so); export and the earnings chart have a
per-member cooldown."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from bot.statement_files import statement_files
from simulator.discord_payloads import Member
from storage import ledger
from storage.ledger import NewEntry, Posting
from tests.support.discord_fakes import Reply
from tests.support.factories import GUILD, gift

ANA = Member(101, "ana")
BEN = Member(102, "ben")
CARA = Member(103, "cara")
ENTRIES = 2_000


async def history_of(services, member: Member, entries: int = ENTRIES) -> None:
    """`entries` grants to the member, written in one transaction."""
    await services.guilds.ensure(GUILD)

    def write(conn) -> None:
        for n in range(entries):
            entry = NewEntry(
                GUILD, "grant", n * 1_000_000, memo=f"prize {n}", idempotency_key=f"h-{member.user_id}-{n}"
            )
            postings = [
                Posting("coins", 1, user_id=member.user_id),
                Posting("coins", -1, system_account="mint"),
            ]
            ledger.post_entry(conn, entry, postings)

    await services.db.write(write)


def rows_in(reply: Reply) -> list[dict[str, str]]:
    rows = []
    for name in reply.files:
        data = reply.file_data[name]
        if name.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                [inner] = archive.namelist()
                data = archive.read(inner)
        rows += list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    return rows


async def export_replies(driver, member: Member, **options) -> list[Reply]:
    before = len(driver.adapter.replies)
    await driver.slash_answer("wallet export", member, **options)  # past the progress line
    await driver.settle()
    return driver.adapter.replies[before:]


async def test_export_says_what_it_is_doing_then_puts_the_csv_in_that_message(driver, services):
    await history_of(services, ANA, 10)

    replies = await export_replies(driver, ANA)

    assert [r.kind for r in replies] == ["response", "edit"]
    [working, answer] = replies
    assert working.ephemeral and working.text.startswith("⏳ Reading your statement")
    assert answer.files == ["livegifts-statement-all.csv"]
    assert len(rows_in(answer)) == 10 and "Open it in any spreadsheet" in answer.text


async def test_a_statement_over_the_upload_limit_comes_compressed_and_says_so(driver, services):
    await history_of(services, ANA)
    driver.attachment_size_limit = 64_000

    [answer] = [r for r in await export_replies(driver, ANA) if r.files]

    assert answer.files == ["livegifts-statement-all.zip"]
    assert all(len(data) <= 64_000 for data in answer.file_data.values())
    assert "compressed as a ZIP" in answer.text and "upload limit" in answer.text
    rows = rows_in(answer)
    assert len(rows) == ENTRIES and rows[-1]["note"] == f"prize {ENTRIES - 1}"


async def test_a_statement_too_large_even_compressed_is_split_into_parts_and_says_so(driver, services):
    await history_of(services, ANA)
    driver.attachment_size_limit = 4_000

    answers = [r for r in await export_replies(driver, ANA) if r.files]

    files = [name for answer in answers for name in answer.files]
    assert len(files) > 1 and all(len(answer.files) <= 10 for answer in answers)
    assert files[0] == f"livegifts-statement-all-part1of{len(files)}.zip"
    assert all(len(data) <= 4_000 for answer in answers for data in answer.file_data.values())
    assert f"{len(files)} ZIP files" in answers[0].text
    rows = [row for answer in answers for row in rows_in(answer)]
    assert [row["note"] for row in rows] == [f"prize {n}" for n in range(ENTRIES)]  # all, in order


async def test_export_has_a_per_member_cooldown_that_a_refused_export_does_not_start(driver, services, clock):
    await history_of(services, ANA, 3)

    bad = await driver.slash_answer("wallet export", ANA, month="November")
    first = await driver.slash_answer("wallet export", ANA)
    again = await driver.slash_answer("wallet export", ANA)
    other = await driver.slash_answer("wallet export", BEN)  # another member is not held up
    clock.advance(seconds=60)
    later = await driver.slash_answer("wallet export", ANA)

    assert "YYYY-MM" in bad.text
    assert first.files
    assert again.ephemeral and not again.files and "again in 60 s" in again.text
    assert other.files
    assert later.files


async def test_the_earnings_chart_has_a_per_member_cooldown(driver, services, clock):
    await gift(services, ANA.user_id, CARA.user_id, "Galaxy", 1)

    first = await driver.slash_answer("creator earnings", CARA)
    again = await driver.slash_answer("creator earnings", CARA)
    clock.advance(seconds=30)
    later = await driver.slash_answer("creator earnings", CARA)

    assert "earnings.png" in first.files
    assert again.ephemeral and not again.files and "again in 30 s" in again.text
    assert "earnings.png" in later.files


@pytest.mark.parametrize("limit", [64_000, 4_000])
async def test_statement_files_fit_the_limit_they_were_made_for(services, limit):
    await history_of(services, ANA)
    statement = await services.statements.statement(GUILD, ANA.user_id)

    packed = statement_files(statement, {}, limit)

    assert packed.compressed and packed.limit == limit
    assert all(len(f.data) <= limit for f in packed.files)

"""Statements: a member's journal entries as a CSV file (UTF-8, header row, RFC 4180 quoting), times in
the member's time zone. Creators find their gift income and cash-outs in the same file.

Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
carriage return) are prefixed with a single quote; numeric cells stay numbers (negative ones too)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_precision

from bot.clock import Clock, from_micros, to_micros
from bot.economy.kinds import entry_kind
from bot.errors import InvalidAmount
from bot.money import Money
from bot.timezones import month_bounds, zone_or_utc
from storage import Database, Row, statements

COLUMNS = (
    "entry",
    "time",
    "kind",
    "gift",
    "count",
    "counterparty",
    "coins",
    "diamonds",
    "money",
    "currency",
    "note",
)
ROWS_MAX = 100_000
PAGE_POSTINGS = 500  # a page is a read of a few milliseconds
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class StatementRow:
    entry_id: int
    time: datetime  # in the member's time zone
    kind: str
    gift: str | None
    count: int | None
    counterparty: int | None
    coins: int
    diamonds: int
    money: Money | None
    note: str | None


@dataclass(frozen=True)
class Statement:
    guild_id: int
    user_id: int
    timezone: str
    month: str | None  # "YYYY-MM", or None for the whole history
    rows: list[StatementRow]
    truncated: bool

    @property
    def filename(self) -> str:
        return f"livegifts-statement-{self.month or 'all'}.csv"

    def counterparties(self) -> set[int]:
        return {row.counterparty for row in self.rows if row.counterparty is not None}


def escape_cell(text: str) -> str:
    """Make a text cell inert in spreadsheets (CSV/formula injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def money_cell(money: Money | None) -> str:
    """Minor units as a plain decimal number in major units ("3.70", "10800")."""
    if money is None:
        return ""
    digits = get_currency_precision(money.currency)
    return str(Decimal(money.minor).scaleb(-digits)) if digits else str(money.minor)


def to_csv(statement: Statement, names: Mapping[int, str] | None = None) -> bytes:
    """The statement as CSV bytes. `names` maps member ids to display names (else `user:<id>`)."""
    names = names or {}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in statement.rows:
        counterparty = ""
        if row.counterparty is not None:
            counterparty = names.get(row.counterparty) or f"user:{row.counterparty}"
        writer.writerow(
            [
                row.entry_id,
                row.time.isoformat(timespec="seconds"),
                escape_cell(row.kind),
                escape_cell(row.gift or ""),
                "" if row.count is None else row.count,
                escape_cell(counterparty),
                row.coins,
                row.diamonds,
                money_cell(row.money),
                row.money.currency if row.money else "",
                escape_cell(row.note or ""),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def parse_month(text: str | None) -> tuple[int, int] | None:
    """ "2026-11" → (2026, 11); None or empty → None (the whole history)."""
    if text is None or not str(text).strip():
        return None
    raw = str(text).strip()
    try:
        moment = datetime.strptime(raw[:7], "%Y-%m")  # noqa: DTZ007 - a calendar month, not a moment
    except ValueError:
        moment = None
    if moment is None or len(raw) != 7 or not 2000 <= moment.year <= 2999:
        raise InvalidAmount("Give the month as YYYY-MM, for example `2026-11`.")
    return moment.year, moment.month


class StatementService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def statement(self, guild_id: int, user_id: int, month: str | None = None) -> Statement:
        wanted = parse_month(month)
        now = to_micros(self._clock())
        zone_name = await self._db.read(lambda conn: statements.member_timezone(conn, guild_id, user_id, now))
        zone = zone_or_utc(zone_name)
        start = end = None
        label = None
        if wanted is not None:
            first, after = month_bounds(*wanted, zone)
            start, end = to_micros(first), to_micros(after)
            label = f"{wanted[0]:04d}-{wanted[1]:02d}"
        # In pages, each its own short read, so a long statement never holds the read connection
        # (and every other command's reads) for its whole length; each page becomes rows at once, a
        # short step on the event loop between reads.
        rows: list[StatementRow] = []
        cursor: statements.Cursor | None = statements.Cursor()
        while cursor is not None and len(rows) <= ROWS_MAX:
            page, cursor = await self._db.read(
                partial(
                    statements.member_entries,
                    guild_id=guild_id,
                    user_id=user_id,
                    start=start,
                    end=end,
                    limit=PAGE_POSTINGS,
                    after=cursor,
                )
            )
            rows.extend(_row(r, user_id, zone) for r in page)
        truncated = len(rows) > ROWS_MAX
        return Statement(
            guild_id=guild_id,
            user_id=user_id,
            timezone=zone.key,
            month=label,
            rows=rows[:ROWS_MAX],
            truncated=truncated,
        )


def _row(r: Row, user_id: int, zone: ZoneInfo) -> StatementRow:
    wording = entry_kind(r["kind"]).wording
    gift, count, counterparty = None, None, None
    words = wording.statement
    if r["sender_id"] is not None:  # the entry has gift details: the member sent or received it
        gift, count = r["gift_name"], r["gift_count"]
        if r["sender_id"] == user_id:
            counterparty = r["creator_id"]
        else:
            words, counterparty = wording.statement_received or words, r["sender_id"]
    else:
        if r["reversed_gift_name"] is not None:
            gift = r["reversed_gift_name"]
        if r["actor_id"] is not None and r["actor_id"] != user_id:
            counterparty = r["actor_id"]
    money = Money(r["money_minor"], r["currency"]) if r["currency"] else None
    note = r["memo"]
    if r["reverses_entry_id"] is not None:
        note = f"reverses entry {r['reverses_entry_id']}" + (f": {note}" if note else "")
    return StatementRow(
        entry_id=r["id"],
        time=from_micros(r["created_at"]).astimezone(zone),
        kind=words,
        gift=gift,
        count=count,
        counterparty=counterparty,
        coins=r["coins"],
        diamonds=r["diamonds"],
        money=money,
        note=note,
    )

"""Ledger checks that reconcile the books with the tables beside them: cash-out requests against the
payout accounts, gift rows against their postings, and the triggers the migrations created.

Each check is a function of a connection returning one line per problem (empty: clean); the ledger
audit (`python -m bot check`) runs them all through `reconciliation_discrepancies`.
"""

from __future__ import annotations

import re
import sqlite3

from storage.database import load_migrations

PENDING_PAYOUT, PAID_OUT, PLATFORM = "pending_payout", "paid_out", "platform"

_CREATE_TRIGGER = re.compile(r"CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?(\w+)", re.IGNORECASE)
_DROP_TRIGGER = re.compile(r"DROP\s+TRIGGER\s+(?:IF\s+EXISTS\s+)?\"?(\w+)", re.IGNORECASE)


def reconciliation_discrepancies(conn: sqlite3.Connection) -> list[str]:
    return [*missing_triggers(conn), *payout_account_discrepancies(conn), *gift_posting_discrepancies(conn)]


def expected_triggers(schema_version: int) -> dict[str, str]:
    """Every trigger the migrations up to `schema_version` leave in place, with the migration that
    created it (e.g. "001_ledger")."""
    expected: dict[str, str] = {}
    for migration in load_migrations():
        if migration.version > schema_version:
            break
        for name in _DROP_TRIGGER.findall(migration.sql):
            expected.pop(name, None)
        for name in _CREATE_TRIGGER.findall(migration.sql):
            expected[name] = f"{migration.version:03d}_{migration.name}"
    return expected


def missing_triggers(conn: sqlite3.Connection) -> list[str]:
    """The triggers keep the ledger append-only and the running totals in step: each must exist."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    return [
        f"trigger {name} (migration {migration}) is missing"
        for name, migration in expected_triggers(version).items()
        if name not in present
    ]


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


# Per guild: what each payout account holds according to its postings, and what the cash-out
# requests say it must hold (pending requests are reserved; approved ones were settled, split between
# the creator's cash and the platform's fee; rejected ones went back to the creator).
_PAYOUT_ACCOUNTS = """
WITH guilds AS (
    SELECT guild_id FROM payouts
    UNION SELECT guild_id FROM postings WHERE system_account IN ('pending_payout', 'paid_out', 'platform')
),
posted AS (
    SELECT guild_id,
           SUM(CASE WHEN system_account = 'pending_payout' THEN amount ELSE 0 END) AS pending_payout,
           SUM(CASE WHEN system_account = 'paid_out' THEN amount ELSE 0 END) AS paid_out,
           SUM(CASE WHEN system_account = 'platform' THEN amount ELSE 0 END) AS platform
    FROM postings
    WHERE asset = 'diamonds' AND system_account IN ('pending_payout', 'paid_out', 'platform')
    GROUP BY guild_id
),
requested AS (
    SELECT guild_id,
           SUM(CASE WHEN status = 'pending' THEN diamonds ELSE 0 END) AS pending_payout,
           SUM(CASE WHEN status = 'approved' THEN creator_diamonds ELSE 0 END) AS paid_out,
           SUM(CASE WHEN status = 'approved' THEN platform_diamonds ELSE 0 END) AS platform
    FROM payouts GROUP BY guild_id
)
SELECT g.guild_id,
       COALESCE(p.pending_payout, 0), COALESCE(r.pending_payout, 0),
       COALESCE(p.paid_out, 0), COALESCE(r.paid_out, 0),
       COALESCE(p.platform, 0), COALESCE(r.platform, 0)
FROM guilds g
LEFT JOIN posted p ON p.guild_id = g.guild_id
LEFT JOIN requested r ON r.guild_id = g.guild_id
ORDER BY g.guild_id
"""

# Every request's reserve entry moved its diamonds from the creator to pending_payout; every decided
# request has a decision entry that emptied the reservation again.
_PAYOUT_ENTRIES = """
SELECT p.id, p.guild_id, p.status, p.diamonds, p.decision_entry_id,
       (SELECT COALESCE(SUM(amount), 0) FROM postings
        WHERE entry_id = p.reserve_entry_id AND asset = 'diamonds' AND system_account = 'pending_payout'),
       (SELECT COALESCE(SUM(amount), 0) FROM postings
        WHERE entry_id = p.reserve_entry_id AND asset = 'diamonds' AND user_id = p.creator_id),
       (SELECT COALESCE(SUM(amount), 0) FROM postings
        WHERE entry_id = p.decision_entry_id AND asset = 'diamonds' AND system_account = 'pending_payout')
FROM payouts p
ORDER BY p.id
"""


def payout_account_discrepancies(conn: sqlite3.Connection) -> list[str]:
    """The payout accounts (`pending_payout`, `paid_out`, `platform`) hold exactly what the cash-out
    requests say, and each request's own entries moved its diamonds."""
    if "payouts" not in _tables(conn):  # a database from before cash-outs existed
        return []
    problems = []
    for row in conn.execute(_PAYOUT_ACCOUNTS):
        guild_id = row[0]
        for account, posted, requested in (
            (PENDING_PAYOUT, row[1], row[2]),
            (PAID_OUT, row[3], row[4]),
            (PLATFORM, row[5], row[6]),
        ):
            if posted != requested:
                problems.append(
                    f"guild {guild_id}: {account} holds {posted} diamonds by its postings,"
                    f" but the cash-out requests account for {requested}"
                )
    for payout_id, guild_id, status, diamonds, decision, reserved, taken, released in conn.execute(
        _PAYOUT_ENTRIES
    ):
        where = f"guild {guild_id} cash-out #{payout_id}"
        if reserved != diamonds or taken != -diamonds:
            problems.append(
                f"{where}: its reserve entry moved {reserved} diamonds to pending_payout"
                f" and {-taken} from the creator, not {diamonds}"
            )
        if status == "pending" and decision is not None:
            problems.append(f"{where}: pending, yet it has a decision entry")
        elif status != "pending" and (decision is None or released != -diamonds):
            problems.append(f"{where}: {status}, but no decision entry released its {diamonds} diamonds")
    return problems


_GIFT_POSTINGS = """
SELECT g.entry_id, g.guild_id, g.count * g.unit_price AS coins, e.kind,
       COALESCE(SUM(CASE WHEN p.asset = 'coins' AND p.user_id = g.sender_id THEN p.amount END), 0),
       COALESCE(SUM(CASE WHEN p.asset = 'diamonds' AND p.user_id = g.creator_id THEN p.amount END), 0)
FROM gift_entries g
LEFT JOIN journal_entries e ON e.id = g.entry_id
LEFT JOIN postings p ON p.entry_id = g.entry_id
GROUP BY g.entry_id
ORDER BY g.entry_id
"""


def gift_posting_discrepancies(conn: sqlite3.Connection) -> list[str]:
    """Every gift row belongs to a gift entry that took its price from the sender and gave as many
    diamonds to the creator (leaderboards, summaries and budgets read the rows, balances the postings)."""
    if "gift_entries" not in _tables(conn):
        return []
    problems = []
    for entry_id, guild_id, coins, kind, sender_coins, creator_diamonds in conn.execute(_GIFT_POSTINGS):
        where = f"guild {guild_id} gift {entry_id}"
        if kind is None:
            problems.append(f"{where}: the gift row has no journal entry")
        elif kind != "gift":
            problems.append(f"{where}: the gift row belongs to a {kind!r} entry")
        elif sender_coins != -coins or creator_diamonds != coins:
            problems.append(
                f"{where}: the gift is worth {coins} coins but its postings took {-sender_coins} coins"
                f" from the sender and gave {creator_diamonds} diamonds to the creator"
            )
    return problems

"""The ledger check (`python -m bot check`): every invariant of the books, checked from the rows themselves."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

from storage.database import DatabaseError
from storage.ledger import postings_digest
from storage.reconcile import reconciliation_discrepancies

# Each entry kind's allowed (assets, system accounts), as plain data from the domain's registry.
KindRules = Mapping[str, tuple[frozenset[str], frozenset[str]]]


def find_discrepancies(conn: sqlite3.Connection, kinds: KindRules | None = None) -> list[str]:
    """Everything wrong with the books, one line each; an empty list means clean: the journal itself
    (`journal_discrepancies`), the totals kept beside it and the payout accounts against the cash-out
    requests."""
    return [
        *journal_discrepancies(conn, kinds),
        *_drifted_gift_totals(conn),
        *reconciliation_discrepancies(conn),
    ]


def journal_discrepancies(conn: sqlite3.Connection, kinds: KindRules | None = None) -> list[str]:
    """What is wrong with the journal and the wallets alone: unbalanced or edited entries, wallets that
    disagree with their postings, negative balances, unknown accounts. With `kinds`, every entry's kind
    must be one of them and its postings may only touch that kind's assets and system accounts."""
    problems: list[str] = []
    for row in conn.execute(
        "SELECT entry_id, asset, SUM(amount) FROM postings GROUP BY entry_id, asset HAVING SUM(amount) <> 0"
    ):
        problems.append(f"entry {row[0]}: {row[1]} postings sum to {row[2]}, not 0")
    for row in conn.execute(
        "SELECT e.id FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id"
        " GROUP BY e.id HAVING COUNT(p.id) < 2"
    ):
        problems.append(f"entry {row[0]}: has fewer than two postings")
    for row in conn.execute(
        "WITH sums AS ("
        "  SELECT guild_id, user_id,"
        "   SUM(CASE WHEN asset = 'coins' THEN amount ELSE 0 END) AS coins,"
        "   SUM(CASE WHEN asset = 'diamonds' THEN amount ELSE 0 END) AS diamonds"
        "  FROM postings WHERE user_id IS NOT NULL GROUP BY guild_id, user_id)"
        " SELECT w.guild_id, w.user_id, w.coins, w.diamonds, COALESCE(s.coins, 0), COALESCE(s.diamonds, 0)"
        " FROM wallets w LEFT JOIN sums s ON s.guild_id = w.guild_id AND s.user_id = w.user_id"
        " WHERE w.coins <> COALESCE(s.coins, 0) OR w.diamonds <> COALESCE(s.diamonds, 0)"
        " UNION ALL"
        " SELECT s.guild_id, s.user_id, NULL, NULL, s.coins, s.diamonds FROM sums s"
        " LEFT JOIN wallets w ON w.guild_id = s.guild_id AND w.user_id = s.user_id WHERE w.user_id IS NULL"
    ):
        guild, user, coins, diamonds, posted_coins, posted_diamonds = row
        if coins is None:
            problems.append(f"guild {guild} user {user}: postings exist but the wallet is missing")
        else:
            problems.append(
                f"guild {guild} user {user}: wallet says {coins} coins / {diamonds} diamonds,"
                f" postings say {posted_coins} / {posted_diamonds}"
            )
    for row in conn.execute(
        "SELECT guild_id, user_id, asset, SUM(amount) FROM postings WHERE user_id IS NOT NULL"
        " GROUP BY guild_id, user_id, asset HAVING SUM(amount) < 0"
    ):
        problems.append(f"guild {row[0]} user {row[1]}: {row[2]} balance is negative ({row[3]})")
    for row in conn.execute("SELECT guild_id, user_id FROM wallets WHERE coins < 0 OR diamonds < 0"):
        problems.append(f"guild {row[0]} user {row[1]}: wallet balance is negative")
    problems.extend(_changed_postings(conn))
    problems.extend(_unknown_system_accounts(conn))
    if kinds is not None:
        problems.extend(_kind_violations(conn, kinds))
    return problems


def _unknown_system_accounts(conn: sqlite3.Connection) -> list[str]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "system_accounts" not in tables:  # a database from before system accounts were registered
        return []
    problems = [
        f"entry {entry_id}: posts to the unknown system account {account!r}"
        for entry_id, account in conn.execute(
            "SELECT p.entry_id, p.system_account FROM postings p WHERE p.system_account IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM system_accounts s WHERE s.name = p.system_account)"
        )
    ]
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    if "postings_known_system_account" not in triggers:
        problems.append("trigger postings_known_system_account is missing")
    return problems


def _kind_violations(conn: sqlite3.Connection, kinds: KindRules) -> list[str]:
    problems = []
    for entry_id, kind in conn.execute("SELECT id, kind FROM journal_entries ORDER BY id"):
        if kind not in kinds:
            problems.append(f"entry {entry_id}: kind {kind!r} is not registered")
    for entry_id, kind, asset, account in conn.execute(
        "SELECT DISTINCT e.id, e.kind, p.asset, p.system_account"
        " FROM journal_entries e JOIN postings p ON p.entry_id = e.id ORDER BY e.id"
    ):
        if kind not in kinds:
            continue
        assets, accounts = kinds[kind]
        if asset not in assets:
            problems.append(f"entry {entry_id}: a {kind} entry moves {asset}, which its kind does not allow")
        if account is not None and account not in accounts:
            problems.append(f"entry {entry_id}: a {kind} entry touches the {account} account, not allowed")
    return problems


def _changed_postings(conn: sqlite3.Connection) -> list[str]:
    problems = []
    current_entry: int | None = None
    current_digest = ""
    rows: list[tuple[int | None, str | None, str, int]] = []
    query = (
        "SELECT e.id, e.postings_digest, p.user_id, p.system_account, p.asset, p.amount"
        " FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id ORDER BY e.id, p.id"
    )
    for entry_id, digest, user_id, system_account, asset, amount in conn.execute(query):
        if entry_id != current_entry:
            if current_entry is not None and postings_digest(rows) != current_digest:
                problems.append(f"entry {current_entry}: postings were changed after they were written")
            current_entry, current_digest, rows = entry_id, digest, []
        if asset is not None:
            rows.append((user_id, system_account, asset, amount))
    if current_entry is not None and postings_digest(rows) != current_digest:
        problems.append(f"entry {current_entry}: postings were changed after they were written")
    return problems


_EXPECTED_GIFT_TOTALS = (
    "SELECT guild_id, 'sender', sender_id, SUM(count * unit_price) FROM standing_gifts GROUP BY guild_id, sender_id"
    " UNION ALL"
    " SELECT guild_id, 'creator', creator_id, SUM(count * unit_price) FROM standing_gifts"
    " GROUP BY guild_id, creator_id"
)


def _drifted_gift_totals(conn: sqlite3.Connection) -> list[str]:
    """The leaderboards' running totals must equal the sums of the gifts that still stand."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    if not {"gift_totals", "standing_gifts"} <= tables:  # a database from before leaderboards existed
        return []
    kept = "SELECT guild_id, role, user_id, coins FROM gift_totals WHERE coins <> 0"
    expected = f"SELECT * FROM ({_EXPECTED_GIFT_TOTALS})"  # compound operators bind left to right
    wrong = conn.execute(f"{kept} EXCEPT {expected}").fetchall()
    missing = conn.execute(f"{expected} EXCEPT {kept}").fetchall()
    return [
        f"guild {g} {role} {user}: leaderboard total {coins} does not match the standing gifts"
        for g, role, user, coins in wrong
    ] + [
        f"guild {g} {role} {user}: standing gifts sum to {coins} but the leaderboard total differs"
        for g, role, user, coins in missing
    ]


def check_file(path: Path, kinds: KindRules | None = None) -> list[str]:
    """Check a database file without creating or migrating it (see `find_discrepancies`)."""
    if not path.is_file():
        raise DatabaseError(f"database file {path} does not exist")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return find_discrepancies(conn, kinds)
    except sqlite3.Error as error:  # not SQLite at all, or not a livegifts database
        raise DatabaseError(f"{path} is not a livegifts database ({error})") from error
    finally:
        conn.close()

"""The ledger check (`python -m bot check`): every invariant of the books, checked from the rows themselves."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from storage.database import DatabaseError
from storage.debts import debt_discrepancies
from storage.leaderboards import LOCAL_DAY
from storage.ledger import postings_digest
from storage.reconcile import reconciliation_discrepancies
from storage.statements import QUARTER_US

# Each entry kind's allowed (assets, system accounts), as plain data from the domain's registry.
KindRules = Mapping[str, tuple[frozenset[str], frozenset[str]]]


def find_discrepancies(conn: sqlite3.Connection, kinds: KindRules | None = None) -> list[str]:
    """Everything wrong with the books, one line each; an empty list means clean: the journal itself
    (`journal_discrepancies`), the totals kept beside it and the payout accounts against the cash-out
    requests."""
    return [
        *journal_discrepancies(conn, kinds),
        *drifted_daily_totals(conn),
        *reconciliation_discrepancies(conn),
        *debt_discrepancies(conn),
    ]


def journal_discrepancies(conn: sqlite3.Connection, kinds: KindRules | None = None) -> list[str]:
    """What is wrong with the journal and the wallets alone: unbalanced or edited entries, wallets that
    disagree with their postings, negative balances, unknown accounts. With `kinds`, every entry's kind
    must be one of them and its postings may only touch that kind's assets and system accounts."""
    problems: list[str] = []
    problems.extend(entries_against_postings(conn))
    problems.extend(wallets_against_postings(conn))
    for row in conn.execute("SELECT guild_id, user_id FROM wallets WHERE coins < 0 OR diamonds < 0"):
        problems.append(f"guild {row[0]} user {row[1]}: wallet balance is negative")
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


def wallets_against_postings(conn: sqlite3.Connection) -> list[str]:
    """Each wallet must hold what its postings sum to, no member's postings may sum below zero, and
    postings need a wallet: one grouped pass over the wallets and a scan of the postings (reading the
    postings through their member index would look up every row)."""
    problems = []
    for guild, user, coins, diamonds, posted_coins, posted_diamonds, wallets in conn.execute(
        "SELECT guild, user, SUM(coins), SUM(diamonds), SUM(posted_coins), SUM(posted_diamonds), SUM(wallet)"
        " FROM (SELECT guild_id AS guild, user_id AS user, coins, diamonds, 0 AS posted_coins,"
        "   0 AS posted_diamonds, 1 AS wallet FROM wallets"
        "  UNION ALL SELECT guild_id, user_id, 0, 0, CASE WHEN asset = 'coins' THEN amount ELSE 0 END,"
        "   CASE WHEN asset = 'diamonds' THEN amount ELSE 0 END, 0 FROM postings NOT INDEXED"
        "  WHERE user_id IS NOT NULL)"
        " GROUP BY guild, user HAVING SUM(coins) <> SUM(posted_coins) OR SUM(diamonds) <> SUM(posted_diamonds)"
        " OR SUM(posted_coins) < 0 OR SUM(posted_diamonds) < 0 OR SUM(wallet) = 0"
    ):
        if not wallets:
            problems.append(f"guild {guild} user {user}: postings exist but the wallet is missing")
        elif (coins, diamonds) != (posted_coins, posted_diamonds):
            problems.append(
                f"guild {guild} user {user}: wallet says {coins} coins / {diamonds} diamonds,"
                f" postings say {posted_coins} / {posted_diamonds}"
            )
        for asset, posted in (("coins", posted_coins), ("diamonds", posted_diamonds)):
            if posted < 0:
                problems.append(f"guild {guild} user {user}: {asset} balance is negative ({posted})")
    return problems


# Each entry's postings in one pass over the entries: their sums per asset, how many there are, and
# their canonical text (as `postings_digest` writes it) to compare with the digest kept on the entry.
# group_concat follows the scan of the entry's postings in id order; should it ever not, the entry is
# checked again the slow way before it is reported, so the fast path can never raise a false alarm.
_ENTRY_POSTINGS = (
    "SELECT e.id, e.postings_digest, COUNT(p.id),"
    " COALESCE(SUM(CASE WHEN p.asset = 'coins' THEN p.amount END), 0),"
    " COALESCE(SUM(CASE WHEN p.asset = 'diamonds' THEN p.amount END), 0),"
    " group_concat(CASE WHEN p.user_id IS NULL OR p.user_id = 0 THEN '' ELSE p.user_id END"
    "  || '|' || COALESCE(p.system_account, '') || '|' || p.asset || '|' || p.amount, ';')"
    " FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id GROUP BY e.id"
)


def entries_against_postings(conn: sqlite3.Connection) -> list[str]:
    """Every entry's postings sum to zero per asset, are at least two, and are the ones written (the
    entry's digest). One grouped pass; hashing is the only per-entry work in Python."""
    problems = []
    for entry_id, digest, count, coins, diamonds, canonical in conn.execute(_ENTRY_POSTINGS):
        for asset, total in (("coins", coins), ("diamonds", diamonds)):
            if total:
                problems.append(f"entry {entry_id}: {asset} postings sum to {total}, not 0")
        if count < 2:
            problems.append(f"entry {entry_id}: has fewer than two postings")
        if hashlib.sha256((canonical or "").encode()).hexdigest() != digest and _changed(
            conn, entry_id, digest
        ):
            problems.append(f"entry {entry_id}: postings were changed after they were written")
    return problems


def _changed(conn: sqlite3.Connection, entry_id: int, digest: str) -> bool:
    rows = conn.execute(
        "SELECT user_id, system_account, asset, amount FROM postings WHERE entry_id = ? ORDER BY id",
        (entry_id,),
    ).fetchall()
    return postings_digest(rows) != digest


# Each kept total and the same total summed from the standing gifts, as one grouped pass over both
# (kept rows count as `kept`, gifts as `summed`); a group where the two differ is a discrepancy. One
# sort of the rows, never a lookup per gift: the check's time grows linearly with the ledger.
# Each: the table of kept totals, what a row is, and the rows (guild, a key of 3 columns, kept, summed).
_STANDING = (
    f"(SELECT g.guild_id, g.sender_id, g.creator_id, g.entry_id, g.created_at, {LOCAL_DAY} AS day,"
    " g.count * g.unit_price AS coins FROM gift_entries g WHERE g.entry_id NOT IN"
    " (SELECT reverses_entry_id FROM journal_entries WHERE reverses_entry_id IS NOT NULL))"
)
_DAILY_TOTALS = (
    (
        "gift_totals",
        # All time against the kept days (which the row below proves against the gifts).
        "all-time total of {1} {2}",
        "SELECT guild_id AS guild, role AS k1, user_id AS k2, '' AS k3, coins AS kept, 0 AS summed,"
        " 0 AS kept_gifts, 0 AS summed_gifts"
        " FROM gift_totals"
        " UNION ALL SELECT guild_id, role, user_id, '', 0, coins, 0, 0 FROM gift_period_totals WHERE span = 'day'",
    ),
    (
        "gift_period_totals",
        "day total of {1} {3} on day {2}",
        "SELECT guild_id AS guild, role AS k1, start_day AS k2, user_id AS k3, coins AS kept, 0 AS summed,"
        " 0 AS kept_gifts, 0 AS summed_gifts"
        " FROM gift_period_totals WHERE span = 'day'"
        f" UNION ALL SELECT guild_id, 'sender', day, sender_id, 0, coins, 0, 0 FROM {_STANDING}"
        f" UNION ALL SELECT guild_id, 'creator', day, creator_id, 0, coins, 0, 0 FROM {_STANDING}",
    ),
    (
        # Weeks against the kept days (which the row above proves against the gifts).
        "gift_period_totals",
        "week total of {1} {3} for the week of day {2}",
        "SELECT guild_id AS guild, role AS k1, start_day AS k2, user_id AS k3, coins AS kept, 0 AS summed,"
        " 0 AS kept_gifts, 0 AS summed_gifts"
        " FROM gift_period_totals WHERE span = 'week'"
        " UNION ALL SELECT guild_id, role, start_day - (start_day + 3) % 7, user_id, 0, coins, 0, 0"
        " FROM gift_period_totals WHERE span = 'day'",
    ),
    (
        "supporter_totals",
        "supporter total of creator {1} from member {2}",
        "SELECT guild_id AS guild, creator_id AS k1, sender_id AS k2, '' AS k3, diamonds AS kept,"
        " 0 AS summed, gifts AS kept_gifts, 0 AS summed_gifts FROM supporter_totals"
        f" UNION ALL SELECT guild_id, creator_id, sender_id, '', 0, coins, 0, 1 FROM {_STANDING}",
    ),
    (
        "creator_income_quarters",
        "income of creator {1} in quarter-hour {2}",
        "SELECT guild_id AS guild, creator_id AS k1, quarter AS k2, '' AS k3, diamonds AS kept, 0 AS summed,"
        " 0 AS kept_gifts, 0 AS summed_gifts"
        " FROM creator_income_quarters"
        f" UNION ALL SELECT guild_id, creator_id, created_at / {QUARTER_US}, '', 0, coins, 0, 0 FROM {_STANDING}",
    ),
)


def drifted_daily_totals(conn: sqlite3.Connection) -> list[str]:
    """The all-time, day, week, supporter and chart totals must equal the sums of the gifts that still
    stand (days keyed by the offsets kept for each guild)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    problems = []
    for table, what, rows in _DAILY_TOTALS:
        if not {table, "standing_gifts"} <= tables:  # a database from before these totals existed
            continue
        for guild, *key, kept, summed, kept_gifts, summed_gifts in conn.execute(
            "SELECT guild, k1, k2, k3, SUM(kept), SUM(summed), SUM(kept_gifts), SUM(summed_gifts)"
            f" FROM ({rows}) GROUP BY guild, k1, k2, k3"
            " HAVING SUM(kept) <> SUM(summed) OR SUM(kept_gifts) <> SUM(summed_gifts)"
        ):
            if table == "supporter_totals":
                kept, summed = f"{kept} in {kept_gifts} gifts", f"{summed} in {summed_gifts} gifts"
            if table == "gift_totals":  # the all-time boards' wording, as the check has always said it
                role, user = key[0], key[1]
                if kept:
                    problems.append(
                        f"guild {guild} {role} {user}: leaderboard total {kept} does not match the standing gifts"
                    )
                if summed:
                    problems.append(
                        f"guild {guild} {role} {user}: standing gifts sum to {summed} but the leaderboard total"
                        " differs"
                    )
                continue
            problems.append(
                f"guild {guild}: {what.format(guild, *key)} is kept as {kept}, the standing gifts sum to {summed}"
            )
    return problems


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

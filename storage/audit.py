"""The ledger audit: every invariant of the books, checked from the rows themselves."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.database import DatabaseError
from storage.leaderboards import LOCAL_DAY
from storage.ledger import postings_digest
from storage.statements import QUARTER_US

APPEND_ONLY_TRIGGERS = (
    "postings_append_only_update",
    "postings_append_only_delete",
    "journal_append_only_update",
    "journal_append_only_delete",
)


def find_discrepancies(conn: sqlite3.Connection) -> list[str]:
    """Everything wrong with the books, one line each; an empty list means clean."""
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
    problems.extend(_drifted_gift_totals(conn))
    problems.extend(drifted_daily_totals(conn))
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    for trigger in APPEND_ONLY_TRIGGERS:
        if trigger not in present:
            problems.append(f"append-only trigger {trigger} is missing")
    return problems


def _changed_postings(conn: sqlite3.Connection) -> list[str]:
    problems = []
    current_entry, current_digest, rows = None, "", []
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


# Each kept total and the same total summed from the standing gifts, as one grouped pass over both
# (kept rows count as `kept`, gifts as `summed`); a group where the two differ is a discrepancy. One
# sort of the rows, never a lookup per gift: the check's time grows linearly with the ledger.
# Columns: guild_id, the total's key (3 columns), kept, summed.
_STANDING = (
    f"(SELECT g.guild_id, g.sender_id, g.creator_id, g.entry_id, g.created_at, {LOCAL_DAY} AS day,"
    " g.count * g.unit_price AS coins FROM standing_gifts g)"
)
_DAILY_TOTALS = (
    (
        "day total of {1} {3} on day {2}",
        "SELECT guild_id AS guild, role AS k1, start_day AS k2, user_id AS k3, coins AS kept, 0 AS summed"
        " FROM gift_period_totals WHERE span = 'day'"
        f" UNION ALL SELECT guild_id, 'sender', day, sender_id, 0, coins FROM {_STANDING}"
        f" UNION ALL SELECT guild_id, 'creator', day, creator_id, 0, coins FROM {_STANDING}",
    ),
    (
        # Weeks against the kept days (which the row above proves against the gifts).
        "week total of {1} {3} for the week of day {2}",
        "SELECT guild_id AS guild, role AS k1, start_day AS k2, user_id AS k3, coins AS kept, 0 AS summed"
        " FROM gift_period_totals WHERE span = 'week'"
        " UNION ALL SELECT guild_id, role, start_day - (start_day + 3) % 7, user_id, 0, coins"
        " FROM gift_period_totals WHERE span = 'day'",
    ),
    (
        "supporter total of creator {1} from member {2}, {3}",
        "SELECT guild_id AS guild, creator_id AS k1, sender_id AS k2, 'diamonds' AS k3, diamonds AS kept,"
        " 0 AS summed FROM supporter_totals"
        " UNION ALL SELECT guild_id, creator_id, sender_id, 'gifts', gifts, 0 FROM supporter_totals"
        f" UNION ALL SELECT guild_id, creator_id, sender_id, 'diamonds', 0, coins FROM {_STANDING}"
        f" UNION ALL SELECT guild_id, creator_id, sender_id, 'gifts', 0, 1 FROM {_STANDING}",
    ),
    (
        "income of creator {1} in quarter-hour {2}",
        "SELECT guild_id AS guild, creator_id AS k1, quarter AS k2, '' AS k3, diamonds AS kept, 0 AS summed"
        " FROM creator_income_quarters"
        f" UNION ALL SELECT guild_id, creator_id, created_at / {QUARTER_US}, '', 0, coins FROM {_STANDING}",
    ),
)


def drifted_daily_totals(conn: sqlite3.Connection) -> list[str]:
    """The day, week, supporter and chart totals must equal the sums of the gifts that still stand
    (days keyed by the offsets kept for each guild)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "gift_period_totals" not in tables:  # a database from before these totals existed
        return []
    problems = []
    for what, rows in _DAILY_TOTALS:
        for guild, *key, kept, summed in conn.execute(
            f"SELECT guild, k1, k2, k3, SUM(kept), SUM(summed) FROM ({rows})"
            " GROUP BY guild, k1, k2, k3 HAVING SUM(kept) <> SUM(summed)"
        ):
            problems.append(
                f"guild {guild}: {what.format(guild, *key)} is kept as {kept}, the standing gifts sum to {summed}"
            )
    return problems


def audit_file(path: Path) -> list[str]:
    """Audit a database file without creating or migrating it."""
    if not path.is_file():
        raise DatabaseError(f"database file {path} does not exist")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return find_discrepancies(conn)
    except sqlite3.Error as error:  # not SQLite at all, or not a livegifts database
        raise DatabaseError(f"{path} is not a livegifts database ({error})") from error
    finally:
        conn.close()

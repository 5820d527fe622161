"""Creator subscriptions: the creators' plans, members' subscriptions and the charges (details of the
ledger's subscription entries)."""

from __future__ import annotations

import sqlite3

from storage.rows import inserted_id

# --- plans -------------------------------------------------------------------------------------------


def plan(conn: sqlite3.Connection, guild_id: int, creator_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM subscription_plans WHERE guild_id = ? AND creator_id = ?", (guild_id, creator_id)
    ).fetchone()
    return row


def save_plan(
    conn: sqlite3.Connection, guild_id: int, creator_id: int, coins: int, role_id: int, active: bool, now: int
) -> None:
    conn.execute(
        "INSERT INTO subscription_plans (guild_id, creator_id, coins, role_id, active, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, creator_id) DO UPDATE SET coins = excluded.coins,"
        " role_id = excluded.role_id, active = excluded.active, updated_at = excluded.updated_at",
        (guild_id, creator_id, coins, role_id, int(active), now),
    )


def set_plan_active(conn: sqlite3.Connection, guild_id: int, creator_id: int, active: bool, now: int) -> bool:
    cursor = conn.execute(
        "UPDATE subscription_plans SET active = ?, updated_at = ? WHERE guild_id = ? AND creator_id = ?",
        (int(active), now, guild_id, creator_id),
    )
    return cursor.rowcount == 1


# --- subscriptions -----------------------------------------------------------------------------------


def insert_subscription(
    conn: sqlite3.Connection,
    *,
    guild_id: int,
    subscriber_id: int,
    creator_id: int,
    role_id: int,
    timezone: str,
    started_at: int,
    paid_until: int,
    price: int,
) -> int:
    """A new active subscription (its first period paid); a running one for the same member and creator
    raises sqlite3.IntegrityError."""
    return inserted_id(
        conn.execute(
            "INSERT INTO subscriptions (guild_id, subscriber_id, creator_id, role_id, timezone, started_at,"
            " periods, paid_until, next_attempt_at, price) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
            (
                guild_id,
                subscriber_id,
                creator_id,
                role_id,
                timezone,
                started_at,
                paid_until,
                paid_until,
                price,
            ),
        )
    )


def subscription(conn: sqlite3.Connection, subscription_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM subscriptions WHERE id = ?", (subscription_id,)
    ).fetchone()
    return row


def running_of(
    conn: sqlite3.Connection, guild_id: int, subscriber_id: int, creator_id: int
) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM subscriptions WHERE guild_id = ? AND subscriber_id = ? AND creator_id = ?"
        " AND status <> 'ended'",
        (guild_id, subscriber_id, creator_id),
    ).fetchone()
    return row


def of_subscriber(conn: sqlite3.Connection, guild_id: int, subscriber_id: int) -> list[sqlite3.Row]:
    """The member's running subscriptions, the next to renew or end first."""
    return conn.execute(
        "SELECT * FROM subscriptions WHERE guild_id = ? AND subscriber_id = ? AND status <> 'ended'"
        " ORDER BY paid_until, id",
        (guild_id, subscriber_id),
    ).fetchall()


def due(conn: sqlite3.Connection, now: int, limit: int) -> list[sqlite3.Row]:
    """Running subscriptions (every guild) whose renewal, retry or end is due at `now`."""
    return conn.execute(
        "SELECT * FROM subscriptions WHERE status <> 'ended' AND next_attempt_at <= ?"
        " ORDER BY next_attempt_at, id LIMIT ?",
        (now, limit),
    ).fetchall()


def price_notices(conn: sqlite3.Connection, limit: int) -> list[sqlite3.Row]:
    """Running subscriptions with a price change their subscriber was not yet told about."""
    return conn.execute(
        "SELECT * FROM subscriptions WHERE status <> 'ended' AND pending_price IS NOT NULL ORDER BY id LIMIT ?",
        (limit,),
    ).fetchall()


def announce_price(conn: sqlite3.Connection, guild_id: int, creator_id: int, price: int) -> int:
    """Subscriptions of the creator that will renew do so at `price` once told; returns how many."""
    return conn.execute(
        "UPDATE subscriptions SET pending_price = CASE WHEN price = ? THEN NULL ELSE ? END"
        " WHERE guild_id = ? AND creator_id = ? AND status <> 'ended' AND renews = 1",
        (price, price, guild_id, creator_id),
    ).rowcount


def apply_price(conn: sqlite3.Connection, subscription_id: int, price: int) -> bool:
    """The subscriber was told: the next renewal charges `price` (False if it changed again meanwhile)."""
    cursor = conn.execute(
        "UPDATE subscriptions SET price = pending_price, pending_price = NULL"
        " WHERE id = ? AND pending_price = ?",
        (subscription_id, price),
    )
    return cursor.rowcount == 1


def renewed(conn: sqlite3.Connection, subscription_id: int, periods: int, paid_until: int) -> None:
    conn.execute(
        "UPDATE subscriptions SET periods = ?, paid_until = ?, next_attempt_at = ?, status = 'active',"
        " grace_until = NULL WHERE id = ?",
        (periods, paid_until, paid_until, subscription_id),
    )


def in_grace(conn: sqlite3.Connection, subscription_id: int, grace_until: int, next_attempt_at: int) -> None:
    conn.execute(
        "UPDATE subscriptions SET status = 'grace', grace_until = ?, next_attempt_at = ? WHERE id = ?",
        (grace_until, next_attempt_at, subscription_id),
    )


def retry_at(conn: sqlite3.Connection, subscription_id: int, next_attempt_at: int) -> None:
    conn.execute(
        "UPDATE subscriptions SET next_attempt_at = ? WHERE id = ?", (next_attempt_at, subscription_id)
    )


def stop_renewing(conn: sqlite3.Connection, subscription_id: int) -> None:
    conn.execute("UPDATE subscriptions SET renews = 0 WHERE id = ?", (subscription_id,))


def stop_renewing_creator(conn: sqlite3.Connection, guild_id: int, creator_id: int) -> int:
    return conn.execute(
        "UPDATE subscriptions SET renews = 0 WHERE guild_id = ? AND creator_id = ? AND status <> 'ended'",
        (guild_id, creator_id),
    ).rowcount


def end(conn: sqlite3.Connection, subscription_id: int, ended_at: int, reason: str) -> bool:
    cursor = conn.execute(
        "UPDATE subscriptions SET status = 'ended', ended_at = ?, end_reason = ?, grace_until = NULL"
        " WHERE id = ? AND status <> 'ended'",
        (ended_at, reason, subscription_id),
    )
    return cursor.rowcount == 1


def role_removed(conn: sqlite3.Connection, subscription_id: int) -> None:
    conn.execute("UPDATE subscriptions SET role_removed = 1 WHERE id = ?", (subscription_id,))


def holders(conn: sqlite3.Connection, guild_id: int) -> list[sqlite3.Row]:
    """(subscriber, role) pairs that running subscriptions give: who should hold which role."""
    return conn.execute(
        "SELECT DISTINCT subscriber_id, role_id FROM subscriptions WHERE guild_id = ? AND status <> 'ended'",
        (guild_id,),
    ).fetchall()


def roles_to_remove(conn: sqlite3.Connection, guild_id: int) -> list[sqlite3.Row]:
    """Ended subscriptions whose role was not yet taken away."""
    return conn.execute(
        "SELECT * FROM subscriptions WHERE guild_id = ? AND status = 'ended' AND role_removed = 0 ORDER BY id",
        (guild_id,),
    ).fetchall()


def guilds_with_subscriptions(conn: sqlite3.Connection) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT guild_id FROM subscriptions WHERE status <> 'ended' OR role_removed = 0"
        )
    ]


# --- charges -----------------------------------------------------------------------------------------


def record_charge(
    conn: sqlite3.Connection,
    *,
    entry_id: int,
    subscription_id: int,
    guild_id: int,
    creator_id: int,
    period: int,
    coins: int,
    created_at: int,
) -> None:
    conn.execute(
        "INSERT INTO subscription_charges (entry_id, subscription_id, guild_id, creator_id, period, coins,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (entry_id, subscription_id, guild_id, creator_id, period, coins, created_at),
    )


def charge_of_entry(conn: sqlite3.Connection, entry_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM subscription_charges WHERE entry_id = ?", (entry_id,)
    ).fetchone()
    return row


def income_since(conn: sqlite3.Connection, guild_id: int, creator_id: int, since: int) -> int:
    """Diamonds the creator received from subscription charges (not reversed) at or after `since`."""
    row = conn.execute(
        "SELECT COALESCE(SUM(c.coins), 0) FROM subscription_charges c"
        " WHERE c.guild_id = ? AND c.creator_id = ? AND c.created_at >= ?"
        " AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.reverses_entry_id = c.entry_id)",
        (guild_id, creator_id, since),
    ).fetchone()
    return int(row[0])


def creator_counts(
    conn: sqlite3.Connection, guild_id: int, creator_id: int, since: int, until: int
) -> tuple[int, int]:
    """(running subscribers, renewals charged in [since, until)) of a creator; renewals are periods
    after the first that still stand."""
    subscribers = conn.execute(
        "SELECT COUNT(*) FROM subscriptions WHERE guild_id = ? AND creator_id = ? AND status <> 'ended'",
        (guild_id, creator_id),
    ).fetchone()[0]
    renewals = conn.execute(
        "SELECT COUNT(*) FROM subscription_charges c WHERE c.guild_id = ? AND c.creator_id = ? AND c.period > 1"
        " AND c.created_at >= ? AND c.created_at < ?"
        " AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.reverses_entry_id = c.entry_id)",
        (guild_id, creator_id, since, until),
    ).fetchone()[0]
    return int(subscribers), int(renewals)

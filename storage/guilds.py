"""Per-guild settings, created (and seeded with defaults) the first time a guild is seen."""

from __future__ import annotations

import sqlite3

from storage.catalog import seed_defaults
from storage.rows import only_row


def ensure_guild(conn: sqlite3.Connection, guild_id: int, fee_percent: int, now: int) -> bool:
    """Create the guild's settings and copy the default packages; False if it already existed."""
    created = conn.execute(
        "INSERT INTO guild_settings (guild_id, fee_percent, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id) DO NOTHING",
        (guild_id, fee_percent, now),
    ).rowcount
    if not created:
        return False
    conn.execute(
        "INSERT INTO coin_packages (guild_id, region, coins, price_minor)"
        " SELECT ?, region, coins, price_minor FROM default_coin_packages",
        (guild_id,),
    )
    seed_defaults(conn, guild_id, now)  # the default gift catalog
    return True


def settings(conn: sqlite3.Connection, guild_id: int) -> sqlite3.Row:
    """The guild's settings; the guild must have been set up (`ensure_guild`)."""
    return only_row(conn.execute("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,)))


# Settings changed by /config. Column names come from this tuple, never from input.
SETTING_COLUMNS = (
    "timezone",
    "alerts_channel_id",
    "spender_role_id",
    "gift_confirm_threshold",
    "fee_percent",
    "cashout_minimum",
    "cashouts_enabled",
    "cashout_hold_days",
    "auto_live",
)


def set_setting(conn: sqlite3.Connection, guild_id: int, column: str, value: object) -> None:
    if column not in SETTING_COLUMNS:
        raise ValueError(f"unknown setting {column!r}")
    conn.execute(f"UPDATE guild_settings SET {column} = ? WHERE guild_id = ?", (value, guild_id))

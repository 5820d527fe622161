"""Supported regions and each guild's coin packages."""

from __future__ import annotations

import sqlite3

from storage.rows import first_row


def all_regions(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT code, name, currency, locale FROM regions ORDER BY code").fetchall()


def packages(conn: sqlite3.Connection, guild_id: int, region: str) -> list[sqlite3.Row]:
    """Active packages of the guild in a region; the defaults for a guild not yet set up."""
    rows = conn.execute(
        "SELECT coins, price_minor FROM coin_packages WHERE guild_id = ? AND region = ? AND active = 1"
        " ORDER BY coins",
        (guild_id, region),
    ).fetchall()
    if rows or conn.execute("SELECT 1 FROM guild_settings WHERE guild_id = ?", (guild_id,)).fetchone():
        return rows
    return conn.execute(
        "SELECT coins, price_minor FROM default_coin_packages WHERE region = ? ORDER BY coins", (region,)
    ).fetchall()


def base_rate(conn: sqlite3.Connection, guild_id: int, region: str) -> sqlite3.Row | None:
    """The smallest package of the region: its price per coin is the region's coin value."""
    rows = packages(conn, guild_id, region)
    return rows[0] if rows else None


def default_base_rate(conn: sqlite3.Connection, region: str) -> sqlite3.Row | None:
    """The default (seeded) smallest package of the region, whatever a guild did to its own packages."""
    return first_row(
        conn.execute(
            "SELECT coins, price_minor FROM default_coin_packages WHERE region = ? ORDER BY coins LIMIT 1",
            (region,),
        )
    )

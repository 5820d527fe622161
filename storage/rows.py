"""Typed access to what a cursor returns: sqlite3 types `fetchone()` as Any and `lastrowid` as optional."""

from __future__ import annotations

import sqlite3


def first_row(cursor: sqlite3.Cursor) -> sqlite3.Row | None:
    """The first row of the result, or None when there is none."""
    row: sqlite3.Row | None = cursor.fetchone()
    return row


def only_row(cursor: sqlite3.Cursor) -> sqlite3.Row:
    """The row of a query that always returns one (an aggregate without GROUP BY)."""
    row: sqlite3.Row | None = cursor.fetchone()
    if row is None:
        raise LookupError("the query returned no row")
    return row


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The rowid of the row an INSERT just made."""
    rowid = cursor.lastrowid
    if rowid is None:
        raise LookupError("the statement inserted no row")
    return rowid


def required(row: sqlite3.Row | None, what: str) -> sqlite3.Row:
    """`row`, which the caller knows exists (it just wrote it, or found it in the same transaction)."""
    if row is None:
        raise LookupError(f"{what} does not exist")
    return row

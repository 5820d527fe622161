"""Online backups: a consistent copy of a database that may be in use by the running bot.

Copying the file is not enough: with WAL, the latest commits live in the `-wal` file until a checkpoint
moves them, and a copy taken during a checkpoint can be torn. SQLite's backup API copies the pages of
one read snapshot instead (a read transaction in WAL mode blocks no writer), so the copy holds exactly
the transactions committed when it started.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from storage.database import DatabaseError


def backup_database(source: Path, target: Path) -> None:
    """Write a consistent copy of the database `source` to `target` (replaced if it exists).

    The copy is written next to `target` under a temporary name and renamed when complete, so that
    `target` is never a half-written file; it is a single self-contained file (rollback journal)."""
    if not source.is_file():
        raise DatabaseError(f"database file {source} does not exist")
    partial = target.with_name(f"{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            copy = sqlite3.connect(partial)
            try:
                reader.backup(copy)  # every page in one step: one snapshot, never restarted
                copy.execute("PRAGMA journal_mode = DELETE")
            finally:
                copy.close()
        finally:
            reader.close()
        os.replace(partial, target)
    except sqlite3.Error as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise DatabaseError(f"could not back up {source} to {target}: {error}") from error

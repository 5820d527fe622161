"""SQLite storage: the only package that knows SQL. Knows nothing of discord.py or the domain."""

import sqlite3

from storage.database import BalanceTooLow, Database, DatabaseError

# Opaque types for the services' type hints: a connection handed to a write/read operation, a row.
Connection = sqlite3.Connection
Row = sqlite3.Row
# A UNIQUE/CHECK constraint refused a write; a PostgreSQL backend maps its own error to this name.
ConstraintViolation = sqlite3.IntegrityError

__all__ = ["BalanceTooLow", "Connection", "ConstraintViolation", "Database", "DatabaseError", "Row"]

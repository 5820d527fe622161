"""A statement as files that fit Discord's upload limit: the CSV as it is when it fits, else a ZIP of
it, else ZIPs of consecutive parts (each with the header row). Runs in a worker thread: building and
compressing 100,000 rows takes a while and must not block the event loop. No discord import."""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, replace

from bot.statements import Statement, to_csv

LIMIT_MARGIN = 0.95  # of the upload limit: the request carries the rest of the message too
ROWS_MIN = 1


@dataclass(frozen=True)
class StatementFile:
    name: str
    data: bytes


@dataclass(frozen=True)
class StatementFiles:
    files: list[StatementFile]
    compressed: bool
    limit: int  # the upload limit they were made for, in bytes

    @property
    def parts(self) -> int:
        return len(self.files)


def _zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def statement_files(statement: Statement, names: dict[int, str], limit: int) -> StatementFiles:
    """The statement's CSV, packed to fit `limit` bytes per file."""
    room = int(limit * LIMIT_MARGIN)
    data = to_csv(statement, names)
    if len(data) <= room:
        return StatementFiles([StatementFile(statement.filename, data)], False, limit)
    stem = statement.filename.removesuffix(".csv")
    packed = _zipped(statement.filename, data)
    if len(packed) <= room:
        return StatementFiles([StatementFile(f"{stem}.zip", packed)], True, limit)
    parts = math.ceil(len(packed) / room)
    while True:
        rows_per_part = max(math.ceil(len(statement.rows) / parts), ROWS_MIN)
        chunks = [statement.rows[i : i + rows_per_part] for i in range(0, len(statement.rows), rows_per_part)]
        files = []
        for number, chunk in enumerate(chunks, 1):
            name = f"{stem}-part{number}of{len(chunks)}"
            part = _zipped(f"{name}.csv", to_csv(replace(statement, rows=chunk), names))
            files.append(StatementFile(f"{name}.zip", part))
        if all(len(f.data) <= room for f in files) or rows_per_part == ROWS_MIN:
            return StatementFiles(files, True, limit)
        parts = len(chunks) * 2

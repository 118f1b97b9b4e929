"""The contract every format reader keeps: yield the rows of one file with the line they start on.

A reader yields :class:`Row` items: the raw value of each field it was asked for, in that order
(``None`` for a field the row does not have), or, for a row it cannot read at all (broken JSON, a
row the CSV parser gives up on), an ``error`` naming why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO, Iterator, Protocol


@dataclass(slots=True)
class Row:
    line: int
    values: tuple[Any, ...] = ()
    error: str | None = None
    error_field: str = ""


class FileProblem(Exception):
    """The whole file cannot be read (no header, a required column missing, not a file at all)."""

    def __init__(self, line: int, field: str, reason: str) -> None:
        super().__init__(reason)
        self.line, self.field, self.reason = line, field, reason


class Reader(Protocol):
    def __call__(self, raw: BinaryIO, fields: tuple[str, ...], required: tuple[str, ...]) -> Iterator[Row]: ...


UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def refuse_utf16(start: bytes) -> None:
    """A file that starts with a UTF-16 byte-order mark (a spreadsheet's "Unicode text") is refused
    as a whole with what to do, rather than every row failing on its bytes."""
    if start[:2] in UTF16_MARKS:
        raise FileProblem(1, "", "the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8")

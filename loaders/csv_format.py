"""CSV exchange files: UTF-8 (a byte-order mark is skipped), comma-separated, header row, any column order."""

from __future__ import annotations

import csv
import io
import sys
from operator import itemgetter
from typing import BinaryIO, Callable, Iterator, cast

from tracegraph.loaders.reader import FileProblem, Row, refuse_utf16

# Let the csv module hand over long fields, so that the rules can reject them by name and size.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def read(raw: BinaryIO, fields: tuple[str, ...], required: tuple[str, ...]) -> Iterator[Row]:
    """Yield the rows of a CSV file; values are the raw text of each of ``fields`` (``None`` for
    one the header does not name, or a row too short to reach).

    Bytes that are not UTF-8 are carried as surrogates, so the rules reject the field that holds
    them by name rather than the whole file.
    """
    peek = getattr(raw, "peek", None)
    if peek is not None:
        refuse_utf16(peek(2))
    with io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        reader = csv.reader(f, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise FileProblem(1, "", "the file is empty: a header row is expected") from None
        except csv.Error as exc:
            raise FileProblem(1, "", f"the header row cannot be read as CSV ({exc})") from None
        names = [h.strip().lower() for h in header]
        seen: set[str] = set()
        for n in names:
            if n and n in seen:
                raise FileProblem(1, n, f"the header names column {n!r} twice")
            seen.add(n)
        missing = [r for r in required if r not in seen]
        if missing:
            raise FileProblem(1, missing[0], f"the header has no column {', '.join(missing)} (required)")
        width = len(names)
        column = {n: i for i, n in enumerate(names) if n}
        # One C call picks the fields out of a row's cells; a field with no column (and any a short
        # row lacks) picks the None put after the row's last cell.
        at = [column.get(n, width) for n in fields]
        pick: Callable[[list[str | None]], tuple[str | None, ...]] = (
            itemgetter(*at) if len(at) > 1 else lambda cells: (cells[at[0]],)  # itemgetter of one index gives no tuple
        )
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if "unexpected end of data" in str(exc):
                    reason = f"opens a quote that is never closed, so lines {start} to {reader.line_num} cannot be read"
                else:
                    reason = f"cannot be read as CSV ({exc}; a quote inside a field must be doubled)"
                yield Row(start, error=reason)
                start = reader.line_num + 1
                continue
            line, start = start, reader.line_num + 1
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # a blank line
            count = len(cells)
            if count > width and any(c.strip() for c in cells[width:]):
                yield Row(line, error=f"has {count} cells but the header names {width} columns")
                continue
            padded = cast("list[str | None]", cells)
            if count == width:
                padded.append(None)
            elif count < width:
                padded += [None] * (width + 1 - count)
            else:
                padded[width] = None  # over a blank cell after the last column: nothing is lost
            yield Row(line, pick(padded))

"""JSON Lines exchange files: one JSON object a line, with the field names of the CSV header."""

from __future__ import annotations

import json
import math
from typing import BinaryIO, Iterator

from tracegraph.loaders.reader import Row, refuse_utf16


def reject_constant(name: str) -> float:
    """``parse_constant`` of a JSON reader: NaN and Infinity are no JSON numbers."""
    raise ValueError(f"{name} is no JSON number")


def finite_float(text: str) -> float:
    """``parse_float`` of a JSON reader: a number too large for a float is refused, not made infinite."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is too large for a number")
    return value


def read(f: BinaryIO, fields: tuple[str, ...], required: tuple[str, ...]) -> Iterator[Row]:
    """Yield one row per non-blank line, the value of each of ``fields`` (``None`` for one the
    object does not have); a line that is not a JSON object yields an error row."""
    for number, raw in enumerate(f, start=1):
        if number == 1:
            refuse_utf16(raw)
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Row(number, error=f"is not valid UTF-8 (byte {exc.start + 1} of the line); save the file as UTF-8")
            continue
        try:
            obj = json.loads(text, parse_constant=reject_constant, parse_float=finite_float)
        except json.JSONDecodeError as exc:
            yield Row(number, error=f"is not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:
            yield Row(number, error="nests arrays or objects too deep to read")
            continue
        except ValueError as exc:  # NaN or Infinity, 1e999, an integer of more than 4,300 digits
            yield Row(number, error=f"is not valid JSON ({exc})")
            continue
        if not isinstance(obj, dict):
            yield Row(number, error=f"is a JSON {type(obj).__name__}, where an object with field names is expected")
            continue
        yield Row(number, tuple(map({str(k).strip().lower(): v for k, v in obj.items()}.get, fields)))

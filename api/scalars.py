"""The schema's own scalars: arguments are typed, so a bad one fails validation (naming the
argument) before anything runs."""

from __future__ import annotations

from typing import Any, Callable, NewType

import strawberry

from tracegraph.api.pagination import MAX_PAGE, offset_of
from tracegraph.graph.errors import InvalidIdentifier
from tracegraph.graph.ids import clean_date, clean_locode
from tracegraph.queries.china_rapex import parse_quarter


def _page_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PAGE:
        raise ValueError(f"a page holds 0 to {MAX_PAGE} items, not {value!r}")
    return value


def _cursor_value(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"a cursor is a string, not {value!r}")
    offset_of(value)
    return value


def _identifier(clean: Callable[[str], str], what: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"{what}, not {value!r}")
        try:
            return clean(value)
        except InvalidIdentifier as exc:
            raise ValueError(str(exc)) from None
    return parse


def _quarter(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"a quarter is a string like 2024Q3, not {value!r}")
    year, q = parse_quarter(value)
    return f"{year}Q{q}"


PageSize = NewType("PageSize", int)
Cursor = NewType("Cursor", str)
Date = NewType("Date", str)
Locode = NewType("Locode", str)
Quarter = NewType("Quarter", str)
SCALARS: dict[object, Any] = {
    PageSize: strawberry.scalar(name="PageSize", serialize=int, parse_value=_page_size,
                                description=f"How many items a page holds: an Int from 0 to {MAX_PAGE}."),
    Cursor: strawberry.scalar(name="Cursor", serialize=str, parse_value=_cursor_value,
                              description="An opaque position in a connection, from pageInfo.endCursor or an edge's cursor."),
    Date: strawberry.scalar(name="Date", serialize=str, parse_value=_identifier(clean_date, "a date is an ISO 8601 string like 2015-03-31"),
                            description="A calendar date, ISO 8601: 2015-03-31."),
    Locode: strawberry.scalar(name="Locode", serialize=str, parse_value=_identifier(clean_locode, "a UN/LOCODE is a string like NLRTM"),
                              description="A UN/LOCODE of a port or place: NLRTM."),
    Quarter: strawberry.scalar(name="Quarter", serialize=str, parse_value=_quarter,
                               description="A calendar quarter: 2024Q3 (or 2024-Q3)."),
}

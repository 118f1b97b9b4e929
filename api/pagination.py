"""Relay-style connections: every list of entities or results is paged by ``first``/``after``,
with ``pageInfo`` and ``totalCount`` (``first`` at most :data:`MAX_PAGE`).

A cursor is an opaque offset (``o:<n>``, base64); a page is a window on the ordered list.
"""

from __future__ import annotations

import base64
from typing import Any, Generic, TypeVar

import strawberry

MAX_PAGE = 100
DEFAULT_PAGE = 20

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    total_count: int
    page_info: PageInfo
    edges: list[Edge[T]]


def cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def offset_of(value: str) -> int:
    """The offset a cursor stands for (ValueError for one this API never gave out)."""
    try:
        tag, _, n = base64.urlsafe_b64decode(value.encode()).decode().partition(":")
        if tag != "o" or not n.isdigit() or len(n) > 12:
            raise ValueError
    except (ValueError, UnicodeError):
        raise ValueError(f"{value!r} is not a cursor this API gave out") from None
    return int(n)


def window(first: int | None, after: str | None) -> tuple[int, int]:
    """``(offset, limit)`` of a page (the scalars have checked both)."""
    return (0 if after is None else offset_of(after) + 1), (DEFAULT_PAGE if first is None else first)


def connection(nodes: list[Any], total: int, offset: int) -> Connection[Any]:
    edges = [Edge(cursor=cursor(offset + i), node=n) for i, n in enumerate(nodes)]
    return Connection(total_count=total, edges=edges, page_info=PageInfo(
        has_next_page=offset + len(nodes) < total, has_previous_page=offset > 0,
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))


def paginate(items: list[Any], first: int | None, after: str | None) -> Connection[Any]:
    """A page of a list already in memory."""
    offset, limit = window(first, after)
    return connection(items[offset: offset + limit], len(items), offset)

"""Reading the China-RAPEX report's files back: the page's tables and chart bars, the CSV files; and
what a page that is mailed must not hold."""

from __future__ import annotations

import csv
from html.parser import HTMLParser
from pathlib import Path


class Tables(HTMLParser):
    """Each ``<table data-table=…>``'s body rows, and each chart's bars (``data-label``, ``data-value``),
    and every tag and attribute the page has."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.bars: dict[str, list[tuple[str, int]]] = {}
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str]] = []
        self._table: str | None = None
        self._chart: str | None = None
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        self.attrs += list(a.items())
        if tag == "table":
            self._table = a["data-table"]
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table:
            self.tables[self._table].append([])
        elif tag == "td" and self._in_body:
            self._cell = []
        elif tag == "svg":
            self._chart = a["id"]
            self.bars[self._chart] = []
        elif tag == "g" and "data-value" in a and self._chart:
            self.bars[self._chart].append((a["data-label"], int(a["data-value"])))

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_page(path: Path) -> Tables:
    page = Tables()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def read_csvs(folder: Path, quarter: str) -> dict[str, list[dict[str, str]]]:
    prefix = f"china-rapex-{quarter}-"
    return {p.name[len(prefix):-4]: list(csv.DictReader(open(p, encoding="utf-8", newline="")))
            for p in sorted(folder.glob(f"{prefix}*.csv"))}


def assert_page_is_the_csvs(page: Tables, tables: dict[str, list[dict[str, str]]]) -> None:
    """The page's tables hold the CSV files' rows, value for value, and its charts their figures."""
    assert set(page.tables) == set(tables)
    for name, rows in tables.items():
        body = [r for r in page.tables[name] if r != ["—"]]
        assert body == [list(r.values()) for r in rows], name
    summary = {r["figure"]: r["value"] for r in tables["summary"]}
    assert page.bars["chart-funnel"] == [(label, int(summary[k])) for label, k in (
        ("Notifications forwarded", "forwarded"), ("Traced to a factory", "traced"), ("Investigated", "investigated"),
        ("Concluded", "concluded"))]
    assert [v for _, v in page.bars["chart-by-outcome"]] == [int(r["alerts"]) for r in tables["by-outcome"]]
    assert page.bars["chart-by-category"] == [(r["category"], int(r["forwarded"])) for r in tables["by-category"]]
    assert page.bars["chart-by-hazard"] == [(r["hazard"], int(r["forwarded"])) for r in tables["by-hazard"]]


def assert_self_contained(page: Tables, text: str) -> None:
    """Nothing the page could fetch: no script, image, link, frame, font or URL of any kind."""
    assert not page.tags & {"script", "img", "link", "iframe", "object", "embed", "image", "use", "audio", "video", "source"}
    assert not [(k, v) for k, v in page.attrs if k in ("src", "href", "xlink:href", "srcset", "action") or k.startswith("on")]
    lowered = text.lower()
    for needle in ("http:", "https:", "//", "url(", "@import", "@font-face", "javascript:"):
        assert needle not in lowered, needle
    assert "default-src 'none'" in text

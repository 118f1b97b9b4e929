"""One search box: factories and exporters by name in either script (the linkage's matcher, typing
errors and EU spellings included), and by identifier, exactly: a USCC, a product's GTIN, an MRN, a
finding's id or its Safety Gate alert number.

The name index and the maps of GTINs and alert numbers are built once and kept until the data
changes (``store.memo``): a query meets the companies blocked by its core, never every node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tracegraph.graph.model import ARRIVAL, EXPORTER, FINDING, MANUFACTURER, PRODUCT, split_id
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.graph.store import Store
from tracegraph.linkage.consignors import COMPANIES
from tracegraph.linkage.matcher import NameIndex
from tracegraph.queries.nodes import nodes

CUTOFF = 70.0  # a name hit scores at least this (rapidfuzz ratio of the trade-name cores)
WORDS = 60.0  # a name that has every word of the text, not matched by its core
_ID = re.compile(r"^[0-9A-Za-z/|\-._ ]+$")


def _codes_nx(g: GraphReader) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for label, prop in ((PRODUCT, "gtin"), (FINDING, "alert_no"), (FINDING, "gtin")):
        for nid in g.ids(label):
            v = g.nodes[nid].get(prop)
            if isinstance(v, str):
                out.setdefault(v.upper(), []).append((label, split_id(nid)[1]))
    return out


def _codes_cypher(db: CypherReader) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    rows = db.rows("MATCH (p:Product) WHERE p.gtin IS NOT NULL RETURN 'Product' AS label, p.key AS key, p.gtin AS code "
                   "UNION ALL MATCH (f:Finding) WHERE f.alert_no IS NOT NULL RETURN 'Finding' AS label, f.key AS key, f.alert_no AS code "
                   "UNION ALL MATCH (f:Finding) WHERE f.gtin IS NOT NULL RETURN 'Finding' AS label, f.key AS key, f.gtin AS code")
    for r in rows:
        if isinstance(r["code"], str):
            out.setdefault(r["code"].upper(), []).append((r["label"], r["key"]))
    return out


CODES = Query("GTINs and alert numbers", _codes_nx, _codes_cypher)


@dataclass(frozen=True)
class _Index:
    names: NameIndex
    codes: dict[str, list[tuple[str, str]]]


def _index(store: Store) -> _Index:
    return store.memo("search-index", lambda: _Index(NameIndex(store.run(COMPANIES)), store.run(CODES)))


def _hit(label: str, key: str, props: dict[str, Any], score: float, why: str) -> dict[str, Any]:
    kind = "Alert" if label == FINDING and why.startswith("Safety Gate alert") else label
    return {"kind": kind, "label": label, "key": key, "name_zh": props.get("name_zh"),
            "name_en": props.get("name_en") or props.get("product_name") or props.get("name"),
            "score": round(score, 1), "why": why}


def search(store: Store, text: str, limit: int = 50) -> list[dict[str, Any]]:
    """What ``text`` names, best first: ``{"kind", "label", "key", "name_zh", "name_en", "score",
    "why"}``. An identifier found exactly scores 100 (``USCC 9144…``, ``GTIN …``, ``MRN …``, ``finding
    …``, ``Safety Gate alert …``); a company name scores how alike its trade-name core is (70-100)."""
    text = " ".join(text.split())
    if len(text) < 2:
        return []
    index = _index(store)
    hits: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    if _ID.match(text):
        code = text.upper()
        for label, what in ((MANUFACTURER, "USCC"), (EXPORTER, "USCC"), (ARRIVAL, "MRN"), (FINDING, "finding")):
            for key, props in nodes(store, label, [code if label != FINDING else text]).items():
                hits.append(_hit(label, key, props, 100.0, f"{what} {key}"))
                seen.add((label, key))
        by_code = index.codes.get(code, [])
        found = {label: nodes(store, label, sorted({k for l, k in by_code if l == label})) for label in (PRODUCT, FINDING)}
        for label, key in by_code:
            if (label, key) not in seen and key in found[label]:
                props = found[label][key]
                what = "GTIN" if props.get("gtin", "").upper() == code else "Safety Gate alert"
                hits.append(_hit(label, key, props, 100.0, f"{what} {code}"))
                seen.add((label, key))
    for m in index.names.match(text, cutoff=CUTOFF, limit=limit):
        company = index.names.companies[m.key]
        for label in sorted(company.labels, key=lambda l: l != MANUFACTURER):
            if (label, m.key) not in seen:
                hits.append({"kind": label, "label": label, "key": m.key, "name_zh": company.name_zh,
                             "name_en": company.name_en, "score": round(m.score, 1), "why": m.why})
    named = {h["key"] for h in hits}
    for key in sorted(index.names.with_words(text) - named)[:limit]:
        company = index.names.companies[key]
        for label in sorted(company.labels, key=lambda l: l != MANUFACTURER):
            hits.append({"kind": label, "label": label, "key": key, "name_zh": company.name_zh,
                         "name_en": company.name_en, "score": WORDS, "why": f"name has {text!r}"})
    hits.sort(key=lambda h: (-h["score"], h["kind"] != MANUFACTURER, h["key"]))
    return hits[:limit]

"""``SAME_AS``: one factory registered twice: the same trade-name core in the same city at a
similar address."""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz

from tracegraph.graph.model import MANUFACTURER, SAME_AS, Link, split_id
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.linkage.names import core_zh

_MANUFACTURERS_CYPHER = """
MATCH (m:Manufacturer) WHERE m.name_zh IS NOT NULL
RETURN m.key AS uscc, m.name_zh AS name_zh, m.name_en AS name_en, m.city AS city, m.address AS address
"""


def _manufacturers_nx(g: GraphReader) -> list[dict[str, Any]]:
    return [
        {"uscc": split_id(nid)[1], "name_zh": a["name_zh"], "name_en": a.get("name_en"), "city": a.get("city"),
         "address": a.get("address")}
        for nid in g.ids(MANUFACTURER) if "name_zh" in (a := g.nodes[nid])
    ]


def link_duplicates(manufacturers: list[dict[str, Any]]) -> tuple[list[str], list[Link]]:
    """Pairs of registrations that are one factory: the same trade-name core in the same city, and
    addresses alike. The link goes from the larger USCC to the smaller."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for m in manufacturers:
        groups.setdefault((core_zh(m["name_zh"]), (m.get("city") or "").casefold()), []).append(m)
    links = []
    for (core, city), ms in groups.items():
        if len(ms) < 2 or not core:
            continue
        ms = sorted(ms, key=lambda m: m["uscc"])
        for i, a in enumerate(ms):
            for b in ms[i + 1 :]:
                address = fuzz.token_sort_ratio(a.get("address") or "", b.get("address") or "")
                if address < 70:
                    continue
                evidence = (f"trade name {core} in {city or 'the same place'}", f"addresses {address:.0f}% alike")
                links.append(Link(SAME_AS, b["uscc"], a["uscc"], "name+address", round(0.6 + 0.35 * address / 100, 4), evidence))
    return [m["uscc"] for m in manufacturers], links


def _manufacturers_cypher(db: CypherReader) -> list[dict[str, Any]]:
    return db.rows(_MANUFACTURERS_CYPHER)


MANUFACTURERS = Query("manufacturers", _manufacturers_nx, _manufacturers_cypher)

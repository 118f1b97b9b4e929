"""``CONSIGNED_BY``: an arrival's declared consignor (free text) to a CN exporter: names reduced
to their trade-name core (:mod:`tracegraph.linkage.names`), compared with rapidfuzz, ties broken
by city and by the linked shipment's exporter."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from rapidfuzz import fuzz, process

from tracegraph.graph.model import ARRIVAL, CONSIGNED_BY, EXPORTED_BY, EXPORTER, SAME_CONSIGNMENT, Link, split_id
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.linkage.names import WORD, core_en, core_zh, place_names_zh

_CONSIGNORS_CYPHER = """
MATCH (a:Arrival) WHERE a.consignor_name IS NOT NULL AND ($only IS NULL OR a.key IN $only)
OPTIONAL MATCH (a)-[:SAME_CONSIGNMENT]->(:Shipment)-[:EXPORTED_BY]->(x:Exporter)
RETURN a.key AS mrn, a.consignor_name AS name, a.consignor_address AS address, x.key AS shipped_by
"""
_EXPORTERS_CYPHER = """
MATCH (x:Exporter) WHERE x.name_zh IS NOT NULL
RETURN x.key AS uscc, x.name_zh AS name_zh, x.name_en AS name_en, x.city AS city, x.address AS address, x._at AS at
"""


def _consignors_nx(g: GraphReader, only: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Each arrival's consignor, as they come (a million at 1M shipments: scored one by one)."""
    nodes, succ = g.nodes, g.succ
    wanted = None if only is None else set(only)
    for nid in g.ids(ARRIVAL):
        a = nodes[nid]
        mrn = split_id(nid)[1]
        if "consignor_name" in a and (wanted is None or mrn in wanted):
            shipped_by = None
            for sid, d in succ[nid].items():
                if d["type"] == SAME_CONSIGNMENT:
                    shipped_by = min((split_id(x)[1] for x, e in succ[sid].items() if e["type"] == EXPORTED_BY), default=None)
            yield {"mrn": mrn, "name": a["consignor_name"], "address": a.get("consignor_address"), "shipped_by": shipped_by}


def _exporters_nx(g: GraphReader) -> list[dict[str, Any]]:
    return [
        {"uscc": split_id(nid)[1], "name_zh": a["name_zh"], "name_en": a.get("name_en"), "city": a.get("city"),
         "address": a.get("address"), "at": a["_at"]}
        for nid in g.ids(EXPORTER) if "name_zh" in (a := g.nodes[nid])
    ]


def link_consignors(arrivals: Iterable[dict[str, Any]], exporters: list[dict[str, Any]]) -> tuple[list[str], list[Link]]:
    """The exporter each arrival's consignor is, by trade-name core; city and shipment break ties."""
    places = frozenset(w for x in exporters for w in WORD.findall((x.get("city") or "").casefold())) | frozenset(
        p for x in exporters for p in place_names_zh(x["name_zh"]))
    by_core: dict[str, list[dict[str, Any]]] = {}
    for x in exporters:
        for core in {core_zh(x["name_zh"]), core_en(x.get("name_en") or "", places)} - {""}:
            by_core.setdefault(core, []).append(x)
    cores = list(by_core)
    starts, links = [], []
    for a in arrivals:
        starts.append(a["mrn"])
        core = core_en(a["name"], places)
        if not core:
            continue
        if core in by_core:
            found, base, how = by_core[core], 0.85, "name core"
        else:
            near = process.extractOne(core, cores, scorer=fuzz.ratio, score_cutoff=85)
            if not near:
                continue
            found, base, how = by_core[near[0]], 0.6 + 0.2 * (near[1] - 85) / 15, f"name core ~{near[0]} ({near[1]:.0f}%)"
        text = f"{a['name']} {a.get('address') or ''}".casefold()
        scored = []
        for x in {x["uscc"]: x for x in found}.values():
            s, evidence = base, [f"{how}: {a['name']!r} ~ {x.get('name_en') or x['name_zh']}"]
            if x.get("city") and x["city"].casefold() in text:
                s += 0.05
                evidence.append(f"city {x['city']}")
            if a.get("shipped_by") == x["uscc"]:
                s += 0.1
                evidence.append("exporter of the linked shipment")
            scored.append((min(s, 1.0), x["uscc"], evidence))
        scored.sort(key=lambda t: (-t[0], t[1]))
        best, uscc, evidence = scored[0]
        if len(scored) > 1 and scored[1][0] >= best - 0.02:
            best /= 2
            evidence.append(f"as likely: exporter {scored[1][1]}")
        links.append(Link(CONSIGNED_BY, a["mrn"], uscc, "name", round(best, 4), tuple(evidence)))
    return starts, links


def _consignors_cypher(db: CypherReader, only: list[str] | None = None) -> Iterable[dict[str, Any]]:
    return db.rows(_CONSIGNORS_CYPHER, only=only)


def _exporters_cypher(db: CypherReader) -> list[dict[str, Any]]:
    return db.rows(_EXPORTERS_CYPHER)


CONSIGNORS = Query("declared consignors", _consignors_nx, _consignors_cypher)
EXPORTERS = Query("exporters", _exporters_nx, _exporters_cypher)

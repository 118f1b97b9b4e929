"""``CONSIGNED_BY``: an arrival's declared consignor (free text) to the CN company it is: an exporter,
or a factory that exports itself (the link then ends at the Manufacturer when no exporter has its
USCC). Names are matched by :mod:`tracegraph.linkage.matcher` (trade-name cores in both scripts,
typing errors, abstaining when unsure); the companies the consignment itself names (the exporter and
the factories of its linked shipment) may link on a weaker match."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from tracegraph.graph.model import (ARRIVAL, CONSIGNED_BY, EXPORTED_BY, EXPORTER, LINE_OF, MANUFACTURER,
                                    SAME_CONSIGNMENT, Link, split_id)
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.linkage.matcher import STRONG, WEAK, Match, NameIndex, choose

_CONSIGNORS_CYPHER = """
MATCH (a:Arrival) WHERE a.consignor_name IS NOT NULL AND ($only IS NULL OR a.key IN $only)
OPTIONAL MATCH (a)-[:SAME_CONSIGNMENT]->(s:Shipment)
OPTIONAL MATCH (s)-[:EXPORTED_BY]->(x:Exporter)
OPTIONAL MATCH (s)<-[:LINE_OF]-(l:ShipmentLine)
RETURN a.key AS mrn, a.consignor_name AS name, a.consignor_address AS address, min(x.key) AS shipped_by,
       collect(DISTINCT l.manufacturer_uscc) AS makers
"""
_COMPANIES_CYPHER = """
MATCH (n) WHERE (n:Exporter OR n:Manufacturer) AND n.name_zh IS NOT NULL
RETURN labels(n)[0] AS label, n.key AS key, n.name_zh AS name_zh, n.name_en AS name_en, n.city AS city, n._at AS at
"""


def _consignors_nx(g: GraphReader, only: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Each arrival's consignor, as they come (a million at 1M shipments: scored one by one)."""
    nodes, succ, pred = g.nodes, g.succ, g.pred
    wanted = None if only is None else set(only)
    for nid in g.ids(ARRIVAL):
        a = nodes[nid]
        mrn = split_id(nid)[1]
        if "consignor_name" in a and (wanted is None or mrn in wanted):
            shipped_by, makers = None, set[str]()
            for sid, d in succ[nid].items():
                if d["type"] == SAME_CONSIGNMENT:
                    shipped_by = min((split_id(x)[1] for x, e in succ[sid].items() if e["type"] == EXPORTED_BY),
                                     default=shipped_by)
                    makers.update(u for lid, e in pred[sid].items()
                                  if e["type"] == LINE_OF and (u := nodes[lid].get("manufacturer_uscc")))
            yield {"mrn": mrn, "name": a["consignor_name"], "address": a.get("consignor_address"),
                   "shipped_by": shipped_by, "makers": sorted(makers)}


def _companies_nx(g: GraphReader) -> list[dict[str, Any]]:
    return [
        {"label": label, "key": split_id(nid)[1], "name_zh": a["name_zh"], "name_en": a.get("name_en"),
         "city": a.get("city"), "at": a["_at"]}
        for label in (EXPORTER, MANUFACTURER) for nid in g.ids(label) if "name_zh" in (a := g.nodes[nid])
    ]


def link_consignors(arrivals: Iterable[dict[str, Any]], companies: list[dict[str, Any]]) -> tuple[list[str], list[Link]]:
    """The company each arrival's declared consignor is (its USCC: the exporter, else the factory),
    or none when the matcher abstains."""
    index = NameIndex(companies)
    seen: dict[str, list[Match]] = {}  # a consignor's spelling recurs on many arrivals: matched once
    starts, links = [], []
    for a in arrivals:
        starts.append(a["mrn"])
        found = seen.get(a["name"])
        if found is None:
            found = seen[a["name"]] = index.match(a["name"], cutoff=WEAK - 6)
        named = {x for x in (a.get("shipped_by"), *(a.get("makers") or ())) if x}
        m = choose(found, named)
        if m is None:
            continue
        company = index.companies[m.key]
        score, evidence = 0.6 + 0.3 * (m.score - WEAK) / (100 - WEAK), [f"{m.why} ({a['name']!r})"]
        if m.score < STRONG or m.key in named:
            score += 0.05
            evidence.append("exporter of the linked shipment" if m.key == a.get("shipped_by")
                            else "maker of goods in the linked shipment")
        if company.city and company.city.casefold() in f"{a['name']} {a.get('address') or ''}".casefold():
            score += 0.05
            evidence.append(f"city {company.city}")
        links.append(Link(CONSIGNED_BY, a["mrn"], m.key, "name", round(min(score, 1.0), 4), tuple(evidence)))
    return starts, links


def _consignors_cypher(db: CypherReader, only: list[str] | None = None) -> Iterable[dict[str, Any]]:
    return db.rows(_CONSIGNORS_CYPHER, only=only)


def _companies_cypher(db: CypherReader) -> list[dict[str, Any]]:
    return db.rows(_COMPANIES_CYPHER)


CONSIGNORS = Query("declared consignors", _consignors_nx, _consignors_cypher)
COMPANIES = Query("exporters and manufacturers, by name", _companies_nx, _companies_cypher)

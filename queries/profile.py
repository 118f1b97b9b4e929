"""A factory's profile: what a person opening its page wants to see, over time.

``factory_profile(store, uscc)`` gathers, across every registration linkage found to be the same
factory (``SAME_AS``): its identity, the CN shipments that carried its goods per month, the CIQ
certificates of those shipments per month (issued, failed), the EU findings whose evidence reaches
it by quarter, hazard and risk level, AQSIQ's investigations that name it or answer its findings,
and where its goods entered the EU. Each part is read by a :class:`~tracegraph.graph.reading.Query`
(networkx and Cypher side by side) or by a query other pages use too; the grouping is shared.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tracegraph.graph.model import LINE_OF, MADE_BY, MANUFACTURER, OF_PRODUCT, SAME_AS, node_id, split_id
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.graph.store import Store
from tracegraph.queries import nodes as q
from tracegraph.queries.offenders import INVESTIGATIONS
from tracegraph.queries.priorities import cn_history
from tracegraph.queries.schemes import _quarter
from tracegraph.queries.trace import factories


def _group_nx(g: GraphReader, uscc: str) -> list[str]:
    """Every registration joined to ``uscc`` by SAME_AS, transitively (``uscc`` among them)."""
    seen, todo = {uscc}, [uscc]
    while todo:
        mid = node_id(MANUFACTURER, todo.pop())
        for other in g.out(mid, SAME_AS) + g.into(mid, SAME_AS):
            key = split_id(other)[1]
            if key not in seen:
                seen.add(key)
                todo.append(key)
    return sorted(seen)


def _group_cypher(db: CypherReader, uscc: str) -> list[str]:
    rows = db.rows("MATCH (m:Manufacturer {key: $u}) OPTIONAL MATCH (m)-[:SAME_AS*1..10]-(t:Manufacturer) "
                   "RETURN collect(DISTINCT t.key) AS twins", u=uscc)
    return sorted({uscc, *(rows[0]["twins"] if rows else [])})


GROUP = Query("a factory's registrations", _group_nx, _group_cypher)


def _shipment_months_nx(g: GraphReader, usccs: list[str]) -> list[dict[str, Any]]:
    months: Counter[str] = Counter()
    seen: set[str] = set()
    for u in usccs:
        for pid in g.into(node_id(MANUFACTURER, u), MADE_BY):
            for lid in g.into(pid, OF_PRODUCT):
                for sid in g.out(lid, LINE_OF):
                    day = g.nodes[sid].get("departed_on")
                    if sid not in seen and day:
                        seen.add(sid)
                        months[day[:7]] += 1
    return [{"month": m, "shipments": n} for m, n in months.items()]


def _shipment_months_cypher(db: CypherReader, usccs: list[str]) -> list[dict[str, Any]]:
    return db.rows("""
        UNWIND $usccs AS u
        MATCH (:Manufacturer {key: u})<-[:MADE_BY]-(:Product)<-[:OF_PRODUCT]-(:ShipmentLine)-[:LINE_OF]->(s:Shipment)
        WHERE s.departed_on IS NOT NULL
        WITH DISTINCT s
        RETURN substring(s.departed_on, 0, 7) AS month, count(*) AS shipments
        """, usccs=usccs)


SHIPMENT_MONTHS = Query("a factory's shipments per month", _shipment_months_nx, _shipment_months_cypher)


def factory_profile(store: Store, uscc: str) -> dict[str, Any] | None:
    """The profile of the factory ``uscc`` and of every registration of it; None when there is none."""
    found = q.nodes(store, MANUFACTURER, [uscc])
    if uscc not in found:
        return None
    group = store.run(GROUP, uscc)
    registrations = q.nodes(store, MANUFACTURER, group)
    rows = factories(store, group)
    finding_ids = sorted({f for r in rows for f in r["findings"]})
    findings = q.nodes(store, "Finding", finding_ids)
    shipments = sorted((r["month"], r["shipments"]) for r in store.run(SHIPMENT_MONTHS, group))
    certificates: dict[str, list[int]] = {}
    for r in cn_history(store, "9999-12"):
        if r["factory"] in group:
            c = certificates.setdefault(r["month"], [0, 0])
            c[0] += r["issued"]
            c[1] += r["failed"]
    investigations: dict[str, dict[str, Any]] = {}
    for r in store.run(INVESTIGATIONS, finding_ids, group):  # (root causes and measures: on the Investigation nodes)
        i = investigations.setdefault(r["finding"], {k: r[k] for k in ("finding", "status", "opened_on", "closed_on")})
        i.setdefault("factories", []).append(r["uscc"])
    by_quarter: Counter[str] = Counter()
    by_hazard: Counter[str] = Counter()
    by_risk: Counter[str] = Counter()
    by_quarter_risk: Counter[tuple[str, str]] = Counter()
    for f in findings.values():
        quarter = _quarter(f.get("found_on")) or "?"
        by_quarter[quarter] += 1
        by_hazard[f.get("hazard") or "?"] += 1
        by_risk[f.get("risk_level") or "?"] += 1
        by_quarter_risk[(quarter, f.get("risk_level") or "?")] += 1
    return {
        "uscc": uscc,
        "registrations": [dict(registrations[u], uscc=u) for u in group if u in registrations],
        "shipments_by_month": [{"month": m, "count": n} for m, n in shipments],
        "certificates_by_month": [{"month": m, "issued": c[0], "failed": c[1]} for m, c in sorted(certificates.items())],
        "findings": finding_ids,
        "findings_by_quarter": [{"key": k, "count": n} for k, n in sorted(by_quarter.items())],
        "findings_by_hazard": [{"key": k, "count": n} for k, n in by_hazard.most_common()],
        "findings_by_risk_level": [{"key": k, "count": n} for k, n in by_risk.most_common()],
        "findings_by_quarter_and_risk": [{"quarter": k[0], "risk_level": k[1], "count": n} for k, n in sorted(by_quarter_risk.items())],
        "investigations": sorted(({**i, "factories": sorted(u for u in i["factories"] if u)} for i in investigations.values()),
                                 key=lambda i: (i["opened_on"] or "", i["finding"])),
    }

"""Trace a finding back to the factories that may have made its product, and a factory forward.

``trace(store, finding_id)`` ranks candidate factories, each with a confidence in [0, 1] and the
evidence paths behind it:

* finding → arrival → (linked) shipment → shipment line → factory, stronger when the line's product
  is the finding's product;
* finding → (matched) product → factory, by GTIN, model and brand;
* finding ← AQSIQ investigation → factory, where China named the factory itself.

A factory's strength is the best of its paths of each kind, paths of different kinds adding up as
independent witnesses (capped at 0.99); its confidence is its
strength times its share of all candidates' strengths, so two equally likely factories get at most
one half each. A finding with no path says ``not_traceable`` and why, rather than guess.

``exposure(store, uscc)`` goes forward from a factory: its products, the shipments that carried
them, their arrivals, entry points and importers, as a recall needs.

The evidence is gathered by one function per store (networkx and Cypher, side by side); the
ranking is shared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from graph.memory import MemoryStore
from graph.store import Store

TRACED = 0.5  # a top candidate at this confidence or above is "traced"; below, "ambiguous"


@dataclass
class Candidate:
    uscc: str
    confidence: float
    strength: float
    name_zh: str | None = None
    name_en: str | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    other_findings: list[str] = field(default_factory=list)
    same_as: list[str] = field(default_factory=list)  # other registrations of the same factory


@dataclass
class Trace:
    finding_id: str
    status: str  # traced | ambiguous | not_traceable | unknown_finding
    reason: str = ""
    candidates: list[Candidate] = field(default_factory=list)
    arrival: str | None = None
    shipment: str | None = None
    exporter: dict[str, Any] | None = None
    certificates: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- evidence, per store -----------------------------------------------------------------------------
TRACE_CYPHER = """
UNWIND $ids AS id
MATCH (f:Finding {key: id})
OPTIONAL MATCH (f)-[:CONCERNS]->(a:Arrival)
OPTIONAL MATCH (a)-[c:SAME_CONSIGNMENT]->(s:Shipment)
OPTIONAL MATCH (s)-[:EXPORTED_BY]->(x:Exporter)
CALL (s) {
  OPTIONAL MATCH (s)<-[:LINE_OF]-(l:ShipmentLine)-[:OF_PRODUCT]->(p:Product)
  RETURN collect(CASE WHEN l IS NULL THEN NULL ELSE {product: p.key, uscc: l.manufacturer_uscc, model: l.model} END) AS lines
}
CALL (s) {
  OPTIONAL MATCH (s)<-[:COVERS]-(cert:Certificate)
  RETURN collect(CASE WHEN cert IS NULL THEN NULL ELSE {certificate_no: cert.key, issuer: cert.issuer,
         issued_on: cert.issued_on, result: cert.result} END) AS certificates
}
CALL (f) {
  OPTIONAL MATCH (f)-[m:MATCHES_PRODUCT]->(p:Product)
  RETURN collect(CASE WHEN m IS NULL THEN NULL ELSE {product: p.key, uscc: p.manufacturer_uscc, score: m.score,
         method: m.method, evidence: m.evidence} END) AS matches
}
CALL (f) {
  OPTIONAL MATCH (f)<-[:INVESTIGATES]-(i:Investigation)-[:CONCERNS_FACTORY]->(mf:Manufacturer)
  RETURN collect(mf.key) AS investigated
}
CALL (a) {
  OPTIONAL MATCH (a)-[:CONSIGNED_BY]->(cx:Exporter)
  RETURN min(cx.key) AS consignor
}
RETURN f.key AS id, a.key AS arrival, consignor,
       CASE WHEN c IS NULL THEN NULL ELSE {shipment: s.key, score: c.score, method: c.method, evidence: c.evidence} END AS link,
       CASE WHEN x IS NULL THEN NULL ELSE {uscc: x.key, name_zh: x.name_zh, name_en: x.name_en} END AS exporter,
       lines, certificates, matches, investigated
"""

FACTORY_CYPHER = """
UNWIND $usccs AS u
MATCH (m:Manufacturer {key: u})
CALL (m) {
  OPTIONAL MATCH (m)<-[:MADE_BY]-(:Product)<-[:MATCHES_PRODUCT]-(f1:Finding)
  RETURN collect(DISTINCT f1.key) AS by_product
}
CALL (m) {
  OPTIONAL MATCH (m)<-[:MADE_BY]-(:Product)<-[:OF_PRODUCT]-(:ShipmentLine)-[:LINE_OF]->(:Shipment)
                 <-[:SAME_CONSIGNMENT]-(:Arrival)<-[:CONCERNS]-(f2:Finding)
  RETURN collect(DISTINCT f2.key) AS by_consignment
}
CALL (m) {
  OPTIONAL MATCH (m)<-[:CONCERNS_FACTORY]-(:Investigation)-[:INVESTIGATES]->(f3:Finding)
  RETURN collect(DISTINCT f3.key) AS by_investigation
}
CALL (m) {
  OPTIONAL MATCH (m)-[:SAME_AS]-(twin:Manufacturer)
  RETURN collect(DISTINCT twin.key) AS same_as
}
RETURN m.key AS uscc, m.name_zh AS name_zh, m.name_en AS name_en, by_product + by_consignment + by_investigation AS findings,
       same_as
"""


def _key(nid: str) -> str:
    return nid.partition(":")[2]


def trace_evidence_nx(store: MemoryStore, finding_id: str) -> dict[str, Any] | None:
    """The same rows as :data:`TRACE_CYPHER`, walked in the embedded graph."""
    nodes = store.graph._node  # noqa: SLF001
    fid = f"Finding:{finding_id}"
    if fid not in nodes:
        return None
    row: dict[str, Any] = {"id": finding_id, "arrival": None, "link": None, "exporter": None, "lines": [],
                           "certificates": [], "matches": [], "investigated": [], "consignor": None}
    for aid in store.out(fid, "CONCERNS"):
        row["arrival"] = _key(aid)
        row["consignor"] = min((_key(x) for x in store.out(aid, "CONSIGNED_BY")), default=None)
        for sid in store.out(aid, "SAME_CONSIGNMENT"):
            c = store.graph._succ[aid][sid]  # noqa: SLF001
            row["link"] = {"shipment": _key(sid), "score": c["score"], "method": c["method"], "evidence": list(c["evidence"])}
            for xid in store.out(sid, "EXPORTED_BY"):
                x = nodes[xid]
                row["exporter"] = {"uscc": _key(xid), "name_zh": x.get("name_zh"), "name_en": x.get("name_en")}
            for lid in store.into(sid, "LINE_OF"):
                line = nodes[lid]
                for pid in store.out(lid, "OF_PRODUCT"):
                    row["lines"].append({"product": _key(pid), "uscc": line.get("manufacturer_uscc"), "model": line.get("model")})
            for cid in store.into(sid, "COVERS"):
                cert = nodes[cid]
                row["certificates"].append({"certificate_no": _key(cid), "issuer": cert.get("issuer"),
                                            "issued_on": cert.get("issued_on"), "result": cert.get("result")})
    for pid in store.out(fid, "MATCHES_PRODUCT"):
        m = store.graph._succ[fid][pid]  # noqa: SLF001
        row["matches"].append({"product": _key(pid), "uscc": nodes[pid].get("manufacturer_uscc"), "score": m["score"],
                               "method": m["method"], "evidence": list(m["evidence"])})
    for iid in store.into(fid, "INVESTIGATES"):
        row["investigated"] += [_key(mid) for mid in store.out(iid, "CONCERNS_FACTORY")]
    return row


def _findings_by_factory(store: MemoryStore) -> dict[str, list[str]]:
    """Every factory's findings by the three paths of :data:`FACTORY_CYPHER`, walked back from the
    findings (few) rather than forward from a factory (through all its shipments)."""
    found: dict[str, set[str]] = {}

    def add(mid: str, fid: str) -> None:
        found.setdefault(_key(mid), set()).add(_key(fid))

    for fid in store.ids("Finding"):
        for pid in store.out(fid, "MATCHES_PRODUCT"):
            for mid in store.out(pid, "MADE_BY"):
                add(mid, fid)
        for aid in store.out(fid, "CONCERNS"):
            for sid in store.out(aid, "SAME_CONSIGNMENT"):
                for lid in store.into(sid, "LINE_OF"):
                    for pid in store.out(lid, "OF_PRODUCT"):
                        for mid in store.out(pid, "MADE_BY"):
                            add(mid, fid)
        for iid in store.into(fid, "INVESTIGATES"):
            for mid in store.out(iid, "CONCERNS_FACTORY"):
                add(mid, fid)
    return {u: sorted(f) for u, f in found.items()}


def factories_nx(store: MemoryStore, usccs: list[str]) -> list[dict[str, Any]]:
    """The same rows as :data:`FACTORY_CYPHER`: names, and every finding that reaches the factory."""
    nodes = store.graph._node  # noqa: SLF001
    by_factory = store.memo("findings_by_factory", lambda: _findings_by_factory(store))
    rows = []
    for u in usccs:
        mid = f"Manufacturer:{u}"
        if mid not in nodes:
            continue
        twins = sorted({_key(t) for t in store.out(mid, "SAME_AS")} | {_key(t) for t in store.into(mid, "SAME_AS")})
        rows.append({"uscc": u, "name_zh": nodes[mid].get("name_zh"), "name_en": nodes[mid].get("name_en"),
                     "findings": list(by_factory.get(u, ())), "same_as": twins})
    return rows


def evidence(store: Store, finding_ids: list[str]) -> list[dict[str, Any]]:
    """The evidence rows of the findings that exist, one per finding, in one store call."""
    if isinstance(store, MemoryStore):
        return [r for r in (trace_evidence_nx(store, f) for f in finding_ids) if r is not None]
    return [r.data() for r in store.read(TRACE_CYPHER, ids=finding_ids)]  # type: ignore[attr-defined]


def _evidence(store: Store, finding_id: str) -> dict[str, Any] | None:
    rows = evidence(store, [finding_id])
    return rows[0] if rows else None


def factories(store: Store, usccs: list[str]) -> list[dict[str, Any]]:
    """Names, other registrations (SAME_AS) and the findings that reach each factory."""
    if isinstance(store, MemoryStore):
        return factories_nx(store, usccs)
    return [r.data() for r in store.read(FACTORY_CYPHER, usccs=usccs)]  # type: ignore[attr-defined]


# -- ranking, shared ---------------------------------------------------------------------------------
def rank(row: dict[str, Any], same_as: dict[str, list[str]] | None = None) -> Trace:
    """Rank the factories that the evidence of one finding reaches.

    ``same_as`` maps a USCC to the other registrations of the same factory: their evidence is
    pooled under the registration it favours most.
    """
    t = Trace(finding_id=row["id"], status="not_traceable", arrival=row["arrival"], exporter=row["exporter"],
              certificates=sorted(row["certificates"], key=lambda c: c["certificate_no"]))
    by_kind: dict[str, dict[str, float]] = {}  # factory -> path kind -> best strength
    evidence: dict[str, list[dict[str, Any]]] = {}

    def add(uscc: str | None, s: float, path: dict[str, Any]) -> None:
        if not uscc:
            return
        kinds = by_kind.setdefault(uscc, {})
        kinds[path["path"]] = max(kinds.get(path["path"], 0.0), s)
        evidence.setdefault(uscc, []).append(path)

    # The stores return rows in their own order; the evidence is listed in one order for both.
    row = dict(row, lines=sorted(row["lines"], key=lambda x: (x["product"], x["uscc"] or "", x["model"] or "")),
               matches=sorted(row["matches"], key=lambda x: x["product"]), investigated=sorted(row["investigated"]))
    matched = {m["product"]: m for m in row["matches"]}
    link = row["link"]
    if link:
        t.shipment = link["shipment"]
        lines = row["lines"]
        hit = [line for line in lines if line["product"] in matched]
        factories = {line["uscc"] for line in lines}
        for line in lines:
            if line in hit:
                s = link["score"]
            elif hit:
                s = link["score"] * 0.2  # another line of the same consignment is the product
            else:
                s = link["score"] * (0.9 if len(factories) == 1 else 0.6)
            add(line["uscc"], s, {"path": "finding→arrival→shipment→line→factory", "arrival": row["arrival"],
                                  "shipment": link["shipment"], "consignment": {k: link[k] for k in ("score", "method", "evidence")},
                                  "line_model": line["model"], "product_matched": line in hit})
    for m in row["matches"]:
        add(m["uscc"], m["score"], {"path": "finding→product→factory", "product": m["product"], "method": m["method"],
                                    "score": m["score"], "evidence": m["evidence"]})
    for uscc in row["investigated"]:
        add(uscc, 0.9, {"path": "finding←investigation→factory", "source": "AQSIQ investigation"})
    for uscc in sorted(by_kind):
        twins = [tw for tw in (same_as or {}).get(uscc, ()) if tw in by_kind and tw != uscc]
        for twin in twins:
            if twin not in by_kind or uscc not in by_kind:
                continue
            keep, drop = sorted((uscc, twin), key=lambda u: (-max(by_kind[u].values()), u))
            for kind, s in by_kind.pop(drop).items():
                by_kind[keep][kind] = max(by_kind[keep].get(kind, 0.0), s)
            evidence[keep] += [dict(e, registration=drop) for e in evidence.pop(drop)]
    # Paths of different kinds that reach one factory are independent witnesses: they add up.
    strength = {u: min(0.99, 1 - _prod(1 - s for s in kinds.values())) if len(kinds) > 1 else max(kinds.values())
                for u, kinds in by_kind.items()}
    if not strength:
        if row["arrival"] and not link:
            t.reason = (f"arrival {row['arrival']} matches no CN export shipment (no shared bill of lading or container "
                        "within the transit window), and no product matches the finding's GTIN or model")
        elif not row["arrival"]:
            t.reason = "found on the market: no CN product matches its GTIN, or its model and brand"
        else:
            t.reason = "the linked shipment lists no lines, and no product matches the finding's GTIN or model"
        return t
    total = sum(strength.values())
    t.candidates = sorted(
        (Candidate(uscc=u, strength=round(s, 4), confidence=round(s * s / total, 4), evidence=evidence[u])
         for u, s in strength.items()),
        key=lambda c: (-c.confidence, c.uscc),
    )
    t.status = "traced" if t.candidates[0].confidence >= TRACED else "ambiguous"
    if t.status == "ambiguous":
        t.reason = f"{len(t.candidates)} factories are about as likely"
    return t


def _prod(values: Any) -> float:
    out = 1.0
    for v in values:
        out *= v
    return out


def trace(store: Store, finding_id: str) -> Trace:
    """Rank the factories that may have made the product of ``finding_id``."""
    row = _evidence(store, finding_id)
    if row is None:
        return Trace(finding_id=finding_id, status="unknown_finding", reason=f"no finding {finding_id} in the store")
    reached = sorted({x["uscc"] for x in row["lines"] + row["matches"] if x["uscc"]} | set(row["investigated"]))
    by_uscc = {f["uscc"]: f for f in factories(store, reached)} if reached else {}
    t = rank(row, {u: f["same_as"] for u, f in by_uscc.items()})
    for c in t.candidates:
        f = by_uscc.get(c.uscc)
        if f:
            c.name_zh, c.name_en, c.same_as = f["name_zh"], f["name_en"], sorted(f["same_as"])
            twins = [by_uscc[u] for u in f["same_as"] if u in by_uscc]
            c.other_findings = sorted(set(f["findings"]).union(*(tw["findings"] for tw in twins)) - {finding_id})
    return t


def finding_ids(store: Store) -> list[str]:
    """Every finding's id, in order."""
    if isinstance(store, MemoryStore):
        return sorted(n.partition(":")[2] for n in store.graph._node if n.startswith("Finding:"))  # noqa: SLF001
    return [r["k"] for r in store.read("MATCH (f:Finding) RETURN f.key AS k ORDER BY k")]  # type: ignore[attr-defined]


# -- exposure ------------------------------------------------------------------------------------------
EXPOSURE_CYPHER = """
MATCH (m:Manufacturer {key: $uscc})<-[:MADE_BY]-(p:Product)
OPTIONAL MATCH (p)<-[:OF_PRODUCT]-(l:ShipmentLine)-[:LINE_OF]->(s:Shipment)
OPTIONAL MATCH (s)<-[:SAME_CONSIGNMENT]-(a:Arrival)
OPTIONAL MATCH (a)-[:IMPORTED_BY]->(i:Importer)
RETURN p.key AS product, p.model AS model, p.name_en AS name, s.key AS shipment, s.departed_on AS departed_on,
       a.key AS arrival, a.entry_point AS entry_point, a.arrived_on AS arrived_on, i.key AS importer, i.name AS importer_name
"""


def exposure_rows_nx(store: MemoryStore, uscc: str) -> list[dict[str, Any]]:
    nodes = store.graph._node  # noqa: SLF001
    rows = []
    for pid in store.into(f"Manufacturer:{uscc}", "MADE_BY"):
        p = nodes[pid]
        base = {"product": _key(pid), "model": p.get("model"), "name": p.get("name_en")}
        shipped = False
        for lid in store.into(pid, "OF_PRODUCT"):
            for sid in store.out(lid, "LINE_OF"):
                shipped = True
                s = nodes[sid]
                arrivals: list[str | None] = [a for a in store.into(sid, "SAME_CONSIGNMENT")] or [None]
                for aid in arrivals:
                    a = nodes[aid] if aid else {}
                    importers: list[str | None] = [i for i in store.out(aid, "IMPORTED_BY")] if aid else []
                    for iid in importers or [None]:
                        rows.append({**base, "shipment": _key(sid), "departed_on": s.get("departed_on"),
                                     "arrival": _key(aid) if aid else None, "entry_point": a.get("entry_point"),
                                     "arrived_on": a.get("arrived_on"), "importer": _key(iid) if iid else None,
                                     "importer_name": nodes[iid].get("name") if iid else None})
        if not shipped:
            rows.append({**base, "shipment": None, "departed_on": None, "arrival": None, "entry_point": None,
                         "arrived_on": None, "importer": None, "importer_name": None})
    return rows


def exposure(store: Store, uscc: str) -> dict[str, Any]:
    """Everything of a factory's that reached the EU: products, shipments, arrivals, entry points, importers."""
    if isinstance(store, MemoryStore):
        rows = exposure_rows_nx(store, uscc)
    else:
        rows = [r.data() for r in store.read(EXPOSURE_CYPHER, uscc=uscc)]  # type: ignore[attr-defined]
    rows.sort(key=lambda r: tuple("" if r[k] is None else str(r[k]) for k in ("product", "shipment", "arrival", "importer")))
    return {
        "uscc": uscc,
        "products": sorted({r["product"] for r in rows}),
        "shipments": sorted({r["shipment"] for r in rows if r["shipment"]}),
        "arrivals": sorted({r["arrival"] for r in rows if r["arrival"]}),
        "entry_points": sorted({r["entry_point"] for r in rows if r["entry_point"]}),
        "importers": sorted({r["importer"] for r in rows if r["importer"]}),
        "rows": rows,
    }

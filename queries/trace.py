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
from operator import itemgetter
from typing import Any

from tracegraph.graph.model import (CONCERNS, CONCERNS_FACTORY, CONSIGNED_BY, COVERS, EXPORTED_BY, EXPORTER, FINDING, IMPORTED_BY,
                                    INVESTIGATES, LINE_OF, MADE_BY, MANUFACTURER, MATCHES_PRODUCT, OF_PRODUCT, SAME_AS,
                                    SAME_CONSIGNMENT, node_id, split_id)
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.graph.store import Store

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
# One row per finding: its consignments (each arrival it concerns, with each CN shipment linkage
# found that arrival to be: the exporter, the lines and the certificates of that shipment), the
# products it was matched to, and the factories AQSIQ's investigation of it named.
TRACE_CYPHER = """
UNWIND $ids AS id
MATCH (f:Finding {key: id})
CALL (f) {
  OPTIONAL MATCH (f)-[:CONCERNS]->(a:Arrival)
  OPTIONAL MATCH (a)-[c:SAME_CONSIGNMENT]->(s:Shipment)
  CALL (s) {
    OPTIONAL MATCH (s)<-[:LINE_OF]-(l:ShipmentLine)-[:OF_PRODUCT]->(p:Product)
    RETURN collect(CASE WHEN l IS NULL THEN NULL ELSE {product: p.key, uscc: l.manufacturer_uscc, model: l.model} END) AS lines
  }
  CALL (s) {
    OPTIONAL MATCH (s)<-[:COVERS]-(cert:Certificate)
    RETURN collect(CASE WHEN cert IS NULL THEN NULL ELSE {certificate_no: cert.key, issuer: cert.issuer,
           issued_on: cert.issued_on, result: cert.result} END) AS certificates
  }
  CALL (s) {
    OPTIONAL MATCH (s)-[:EXPORTED_BY]->(x:Exporter)
    RETURN collect(CASE WHEN x IS NULL THEN NULL ELSE {uscc: x.key, name_zh: x.name_zh, name_en: x.name_en} END) AS exporters
  }
  CALL (a) {
    OPTIONAL MATCH (a)-[:CONSIGNED_BY]->(cx:Exporter)
    RETURN min(cx.key) AS consignor
  }
  RETURN collect(CASE WHEN a IS NULL THEN NULL ELSE {
           arrival: a.key, consignor: consignor,
           link: CASE WHEN c IS NULL THEN NULL ELSE {shipment: s.key, score: c.score, method: c.method, evidence: c.evidence} END,
           exporters: exporters, lines: lines, certificates: certificates} END) AS consignments
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
RETURN f.key AS id, consignments, matches, investigated
"""


EXPORTER_ID = node_id(EXPORTER, "")  # a consignor that is a factory (exporting itself) is no exporter


def _key(nid: str) -> str:
    return nid.partition(":")[2]  # split_id(nid)[1], inlined: this runs for every node a trace reads


def _evidence_nx(g: GraphReader, finding_ids: list[str]) -> list[dict[str, Any]]:
    """The rows of :data:`TRACE_CYPHER`, walked in the embedded graph."""
    nodes = g.nodes
    rows = []
    for finding_id in finding_ids:
        fid = node_id(FINDING, finding_id)
        if fid not in nodes:
            continue
        consignments = []
        for aid in g.out(fid, CONCERNS):
            base: dict[str, Any] = {"arrival": _key(aid), "consignor": min((_key(x) for x in g.out(aid, CONSIGNED_BY) if x.startswith(EXPORTER_ID)), default=None),
                    "link": None, "exporters": [], "lines": [], "certificates": []}
            shipments = g.out(aid, SAME_CONSIGNMENT)
            if not shipments:
                consignments.append(base)
            for sid in shipments:
                c = g.succ[aid][sid]
                lines, certificates = [], []
                for lid in g.into(sid, LINE_OF):
                    line = nodes[lid]
                    lines += [{"product": _key(pid), "uscc": line.get("manufacturer_uscc"), "model": line.get("model")}
                              for pid in g.out(lid, OF_PRODUCT)]
                for cid in g.into(sid, COVERS):
                    cert = nodes[cid]
                    certificates.append({"certificate_no": _key(cid), "issuer": cert.get("issuer"),
                                         "issued_on": cert.get("issued_on"), "result": cert.get("result")})
                exporters = [{"uscc": _key(xid), "name_zh": nodes[xid].get("name_zh"), "name_en": nodes[xid].get("name_en")}
                             for xid in g.out(sid, EXPORTED_BY)]
                consignments.append(dict(base, link={"shipment": _key(sid), "score": c["score"], "method": c["method"],
                                                     "evidence": list(c["evidence"])},
                                         exporters=exporters, lines=lines, certificates=certificates))
        matches = []
        for pid in g.out(fid, MATCHES_PRODUCT):
            m = g.succ[fid][pid]
            matches.append({"product": _key(pid), "uscc": nodes[pid].get("manufacturer_uscc"), "score": m["score"],
                            "method": m["method"], "evidence": list(m["evidence"])})
        investigated = [_key(mid) for iid in g.into(fid, INVESTIGATES) for mid in g.out(iid, CONCERNS_FACTORY)]
        rows.append({"id": finding_id, "consignments": consignments, "matches": matches, "investigated": investigated})
    return rows


def _evidence_cypher(db: CypherReader, finding_ids: list[str]) -> list[dict[str, Any]]:
    return db.rows(TRACE_CYPHER, ids=finding_ids)


EVIDENCE = Query("trace evidence", _evidence_nx, _evidence_cypher)


def _by_product(x: dict[str, Any]) -> tuple[str, str, str]:
    return x["product"], x["uscc"] or "", x["model"] or ""


def _surest_first(c: dict[str, Any]) -> tuple[float, str, str]:
    link = c["link"]
    return (-link["score"], c["arrival"], link["shipment"]) if link else (1.0, c["arrival"], "")


def _in_order(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its lists in one order, whatever order the store gave them in. The row is the
    store's fresh answer, so it is put in order in place; a list of one is left alone."""
    _headline_first(row)  # the consignments, surest first, and their exporters
    for c in row["consignments"]:
        link = c["link"]
        if link is not None and not isinstance(link["evidence"], list):
            link["evidence"] = list(link["evidence"] or [])
        if len(c["lines"]) > 1:
            c["lines"].sort(key=_by_product)
        if len(c["certificates"]) > 1:
            c["certificates"].sort(key=itemgetter("certificate_no"))
    if len(row["matches"]) > 1:
        row["matches"].sort(key=itemgetter("product"))
    if len(row["investigated"]) > 1:
        row["investigated"].sort()
    return row


def _headline_first(row: dict[str, Any]) -> dict[str, Any]:
    """What a ranking and :func:`exporter_of` read in one order, and no more: the consignments
    (surest first) and each one's exporters (a row's other lists only feed evidence lists)."""
    consignments = row["consignments"]
    if len(consignments) > 1:
        consignments.sort(key=_surest_first)
    for c in consignments:
        if len(c["exporters"]) > 1:
            c["exporters"].sort(key=itemgetter("uscc"))
    return row


def evidence(store: Store, finding_ids: list[str], whole: bool = True) -> list[dict[str, Any]]:
    """The evidence rows of the findings that exist, one per finding, in one store call; every
    list in one order whatever the store (``whole``), or only what ranks and exporters depend on
    (for callers that keep no evidence lists: offenders ranks thousands of rows)."""
    rows = store.run(EVIDENCE, finding_ids)
    return [_in_order(r) for r in rows] if whole else [_headline_first(r) for r in rows]


def headline(row: dict[str, Any]) -> dict[str, Any] | None:
    """The consignment of an evidence row that a trace shows (linkage surest of it), if any."""
    return row["consignments"][0] if row["consignments"] else None


def exporter_of(row: dict[str, Any]) -> str | None:
    """The exporter a finding is put down to: its consignment's shipment's, else its declared consignor."""
    c = headline(row)
    if c is None:
        return None
    return c["exporters"][0]["uscc"] if c["exporters"] else c["consignor"]


def reached(row: dict[str, Any]) -> set[str]:
    """Every factory an evidence row reaches."""
    return ({x["uscc"] for c in row["consignments"] for x in c["lines"] if x["uscc"]}
            | {x["uscc"] for x in row["matches"] if x["uscc"]} | set(row["investigated"]))


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


def _findings_by_factory(g: GraphReader) -> dict[str, list[str]]:
    """Every factory's findings by the three paths of :data:`FACTORY_CYPHER`, walked back from the
    findings (few) rather than forward from a factory (through all its shipments)."""
    found: dict[str, set[str]] = {}

    def add(mid: str, fid: str) -> None:
        found.setdefault(_key(mid), set()).add(_key(fid))

    for fid in g.ids(FINDING):
        for pid in g.out(fid, MATCHES_PRODUCT):
            for mid in g.out(pid, MADE_BY):
                add(mid, fid)
        for aid in g.out(fid, CONCERNS):
            for sid in g.out(aid, SAME_CONSIGNMENT):
                for lid in g.into(sid, LINE_OF):
                    for pid in g.out(lid, OF_PRODUCT):
                        for mid in g.out(pid, MADE_BY):
                            add(mid, fid)
        for iid in g.into(fid, INVESTIGATES):
            for mid in g.out(iid, CONCERNS_FACTORY):
                add(mid, fid)
    return {u: sorted(f) for u, f in found.items()}


def _factories_nx(g: GraphReader, usccs: list[str]) -> list[dict[str, Any]]:
    """The same rows as :data:`FACTORY_CYPHER`: names, and every finding that reaches the factory."""
    nodes = g.nodes
    by_factory = g.memo("findings_by_factory", lambda: _findings_by_factory(g))
    rows = []
    for u in usccs:
        mid = node_id(MANUFACTURER, u)
        if mid not in nodes:
            continue
        twins = sorted({_key(t) for t in g.out(mid, SAME_AS)} | {_key(t) for t in g.into(mid, SAME_AS)})
        rows.append({"uscc": u, "name_zh": nodes[mid].get("name_zh"), "name_en": nodes[mid].get("name_en"),
                     "findings": list(by_factory.get(u, ())), "same_as": twins})
    return rows


def _factories_cypher(db: CypherReader, usccs: list[str]) -> list[dict[str, Any]]:
    return db.rows(FACTORY_CYPHER, usccs=usccs)


FACTORIES = Query("factories of a trace", _factories_nx, _factories_cypher)


def factories(store: Store, usccs: list[str]) -> list[dict[str, Any]]:
    """Names, other registrations (SAME_AS) and the findings that reach each factory."""
    return store.run(FACTORIES, usccs)


# -- ranking, shared ---------------------------------------------------------------------------------
CONSIGNMENT_PATH = "finding→arrival→shipment→line→factory"
PRODUCT_PATH = "finding→product→factory"
INVESTIGATION_PATH = "finding←investigation→factory"


def rank(row: dict[str, Any], same_as: dict[str, list[str]] | None = None) -> Trace:
    """Rank the factories that the evidence of one finding (a row of :func:`evidence`) reaches.

    ``same_as`` maps a USCC to the other registrations of the same factory: their evidence is
    pooled under the registration it favours most.
    """
    shown = headline(row)
    linked = [c for c in row["consignments"] if c["link"]]
    t = Trace(finding_id=row["id"], status="not_traceable", arrival=shown["arrival"] if shown else None,
              exporter=shown["exporters"][0] if shown and shown["exporters"] else None,
              certificates=shown["certificates"] if shown else [],
              shipment=shown["link"]["shipment"] if shown and shown["link"] else None)
    by_kind: dict[str, dict[str, float]] = {}  # factory -> path kind -> best strength
    evidence: dict[str, list[dict[str, Any]]] = {}

    def add(uscc: str | None, s: float, path: dict[str, Any]) -> None:
        if not uscc:
            return
        kinds = by_kind.setdefault(uscc, {})
        kinds[path["path"]] = max(kinds.get(path["path"], 0.0), s)
        evidence.setdefault(uscc, []).append(path)

    matched = {m["product"]: m for m in row["matches"]}
    for c in linked:
        link, lines = c["link"], c["lines"]
        hit = [line for line in lines if line["product"] in matched]
        factories = {line["uscc"] for line in lines}
        for line in lines:
            if line in hit:
                s = link["score"]
            elif hit:
                s = link["score"] * 0.2  # another line of the same consignment is the product
            else:
                s = link["score"] * (0.9 if len(factories) == 1 else 0.6)
            add(line["uscc"], s, {"path": CONSIGNMENT_PATH, "arrival": c["arrival"], "shipment": link["shipment"],
                                  "consignment": {k: link[k] for k in ("score", "method", "evidence")},
                                  "line_model": line["model"], "product_matched": line in hit})
    for m in row["matches"]:
        add(m["uscc"], m["score"], {"path": PRODUCT_PATH, "product": m["product"], "method": m["method"],
                                    "score": m["score"], "evidence": m["evidence"]})
    for uscc in row["investigated"]:
        add(uscc, 0.9, {"path": INVESTIGATION_PATH, "source": "AQSIQ investigation"})
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
        arrivals = ", ".join(sorted({c["arrival"] for c in row["consignments"]}))
        if arrivals and not linked:
            t.reason = (f"arrival {arrivals} matches no CN export shipment (no shared bill of lading or container "
                        "within the transit window), and no product matches the finding's GTIN or model")
        elif not arrivals:
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
    rows = evidence(store, [finding_id])
    if not rows:
        return Trace(finding_id=finding_id, status="unknown_finding", reason=f"no finding {finding_id} in the store")
    row = rows[0]
    usccs = sorted(reached(row))
    by_uscc = {f["uscc"]: f for f in factories(store, usccs)} if usccs else {}
    t = rank(row, {u: f["same_as"] for u, f in by_uscc.items()})
    for c in t.candidates:
        f = by_uscc.get(c.uscc)
        if f:
            c.name_zh, c.name_en, c.same_as = f["name_zh"], f["name_en"], sorted(f["same_as"])
            twins = [by_uscc[u] for u in f["same_as"] if u in by_uscc]
            c.other_findings = sorted(set(f["findings"]).union(*(tw["findings"] for tw in twins)) - {finding_id})
    return t


def _finding_ids_nx(g: GraphReader) -> list[str]:
    return [_key(f) for f in g.ids(FINDING)]


def _finding_ids_cypher(db: CypherReader) -> list[str]:
    return [r["k"] for r in db.rows("MATCH (f:Finding) RETURN f.key AS k ORDER BY k")]


FINDING_IDS = Query("finding ids", _finding_ids_nx, _finding_ids_cypher)


def finding_ids(store: Store) -> list[str]:
    """Every finding's id, in order."""
    return store.run(FINDING_IDS)


# -- exposure ------------------------------------------------------------------------------------------
EXPOSURE_CYPHER = """
MATCH (m:Manufacturer {key: $uscc})<-[:MADE_BY]-(p:Product)
OPTIONAL MATCH (p)<-[:OF_PRODUCT]-(l:ShipmentLine)-[:LINE_OF]->(s:Shipment)
OPTIONAL MATCH (s)<-[:SAME_CONSIGNMENT]-(a:Arrival)
OPTIONAL MATCH (a)-[:IMPORTED_BY]->(i:Importer)
RETURN p.key AS product, p.model AS model, p.name_en AS name, s.key AS shipment, s.departed_on AS departed_on,
       a.key AS arrival, a.entry_point AS entry_point, a.arrived_on AS arrived_on, i.key AS importer, i.name AS importer_name
"""


def _exposure_nx(g: GraphReader, uscc: str) -> list[dict[str, Any]]:
    """The rows of :data:`EXPOSURE_CYPHER`, walked in the embedded graph."""
    nodes = g.nodes
    rows = []
    for pid in g.into(node_id(MANUFACTURER, uscc), MADE_BY):
        p = nodes[pid]
        base = {"product": _key(pid), "model": p.get("model"), "name": p.get("name_en")}
        shipped = False
        for lid in g.into(pid, OF_PRODUCT):
            for sid in g.out(lid, LINE_OF):
                shipped = True
                s = nodes[sid]
                arrivals: list[str | None] = [a for a in g.into(sid, SAME_CONSIGNMENT)] or [None]
                for aid in arrivals:
                    a = nodes[aid] if aid else {}
                    importers: list[str | None] = [i for i in g.out(aid, IMPORTED_BY)] if aid else []
                    for iid in importers or [None]:
                        rows.append({**base, "shipment": _key(sid), "departed_on": s.get("departed_on"),
                                     "arrival": _key(aid) if aid else None, "entry_point": a.get("entry_point"),
                                     "arrived_on": a.get("arrived_on"), "importer": _key(iid) if iid else None,
                                     "importer_name": nodes[iid].get("name") if iid else None})
        if not shipped:
            rows.append({**base, "shipment": None, "departed_on": None, "arrival": None, "entry_point": None,
                         "arrived_on": None, "importer": None, "importer_name": None})
    return rows


def _exposure_cypher(db: CypherReader, uscc: str) -> list[dict[str, Any]]:
    return db.rows(EXPOSURE_CYPHER, uscc=uscc)


EXPOSURE = Query("exposure", _exposure_nx, _exposure_cypher)


def exposure(store: Store, uscc: str) -> dict[str, Any]:
    """Everything of a factory's that reached the EU: products, shipments, arrivals, entry points, importers."""
    rows = store.run(EXPOSURE, uscc)
    rows.sort(key=lambda r: (r["product"] or "", r["shipment"] or "", r["arrival"] or "", r["importer"] or ""))  # (keys: text)
    return {
        "uscc": uscc,
        "products": sorted({r["product"] for r in rows}),
        "shipments": sorted({r["shipment"] for r in rows if r["shipment"]}),
        "arrivals": sorted({r["arrival"] for r in rows if r["arrival"]}),
        "entry_points": sorted({r["entry_point"] for r in rows if r["entry_point"]}),
        "importers": sorted({r["importer"] for r in rows if r["importer"]}),
        "rows": rows,
    }

"""``SAME_CONSIGNMENT``: an EU arrival to the CN export shipment it is, from the bill of lading,
the container numbers and the dates (it still links when the bill of lading is missing or one
container is listed on one side only)."""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from tracegraph.graph.model import SAME_CONSIGNMENT, Link
from tracegraph.graph.reading import CypherReader, GraphReader, Query

MAX_TRANSIT_DAYS = 120  # China to an EU port by sea takes 20-60 days; by rail or with transhipment more
MIN_CONSIGNMENT_SCORE = 0.3


_CANDIDATES_CYPHER = """
CALL () {
  MATCH (a:Arrival) WHERE $since IS NULL OR a._at >= $since RETURN a
  UNION
  MATCH (s:Shipment) WHERE $since IS NOT NULL AND s._at >= $since
  MATCH (s)-[:IN_CONTAINER]->(:Container)<-[:IN_CONTAINER]-(a:Arrival) RETURN a
  UNION
  MATCH (s:Shipment) WHERE $since IS NOT NULL AND s._at >= $since
  MATCH (a:Arrival {bill_of_lading: s.bill_of_lading}) RETURN a
}
WITH a WHERE a.arrived_on IS NOT NULL
CALL (a) {
  OPTIONAL MATCH (a)-[:IN_CONTAINER]->(:Container)<-[:IN_CONTAINER]-(s:Shipment)
  RETURN collect(DISTINCT s) AS by_box
}
CALL (a) {
  OPTIONAL MATCH (s:Shipment) WHERE a.bill_of_lading IS NOT NULL AND s.bill_of_lading = a.bill_of_lading
  RETURN collect(DISTINCT s) AS by_bol
}
WITH a, by_box + [s IN by_bol WHERE NOT s IN by_box] AS cands
RETURN a.key AS mrn, a.bill_of_lading AS bol, a.containers AS containers, a.entry_point AS entry,
       a.arrived_on AS arrived,
       [s IN cands WHERE s.departed_on IS NOT NULL |
        {key: s.key, bol: s.bill_of_lading, containers: s.containers, departed_on: s.departed_on,
         port: s.destination_port}] AS cands
"""


def _candidates_nx(g: GraphReader, since: str | None = None) -> Iterable[dict[str, Any]]:
    """For each arrival to (re)link, the shipments that share a container or the bill of lading
    (as they come: at 1M shipments, ~760 MB of candidates listed first were held until the
    snapshot at the end, which the peak of a relinking then stood on).

    With ``since``, only arrivals that changed since then, or that share a container or the bill
    of lading with a shipment that did.
    """
    nodes, succ, pred = g.nodes, g.succ, g.pred
    by_bol: dict[str, list[str]] = {}
    changed_bols: set[str] = set()
    dirty: set[str] = set()
    for nid, attrs in nodes.items():
        if nid.startswith("Shipment:"):
            if "bill_of_lading" in attrs:
                by_bol.setdefault(attrs["bill_of_lading"], []).append(nid)
            if since is not None and attrs["_at"] >= since:
                changed_bols.add(attrs.get("bill_of_lading", ""))
                dirty.update(a for box in succ[nid] if box.startswith("Container:")
                             for a in pred[box] if a.startswith("Arrival:"))
    for nid, a in nodes.items():
        if not nid.startswith("Arrival:") or "arrived_on" not in a:
            continue
        if since is not None and nid not in dirty and a["_at"] < since and a.get("bill_of_lading", "") not in changed_bols:
            continue
        cands: dict[str, None] = {}
        for box in succ[nid]:
            if box.startswith("Container:"):
                for s in pred[box]:
                    if s.startswith("Shipment:"):
                        cands[s] = None
        for s in by_bol.get(a.get("bill_of_lading", ""), ()):
            cands[s] = None
        rows = []
        for s in cands:
            sa = nodes[s]
            if "departed_on" in sa:
                rows.append({"key": s[9:], "bol": sa.get("bill_of_lading"), "containers": sa.get("containers"),
                             "departed_on": sa["departed_on"], "port": sa.get("destination_port")})
        yield {"mrn": nid[8:], "bol": a.get("bill_of_lading"), "containers": a.get("containers"),
               "entry": a.get("entry_point"), "arrived": a["arrived_on"], "cands": rows}


def score_consignment(arrival: dict[str, Any], shipment: dict[str, Any]) -> tuple[float, list[str]] | None:
    """How sure it is that ``arrival`` is ``shipment``: a score in [0, 1] and its evidence, or None."""
    transit = (date.fromisoformat(arrival["arrived"]) - date.fromisoformat(shipment["departed_on"])).days
    if transit < 0 or transit > MAX_TRANSIT_DAYS:
        return None
    evidence = []
    score = 0.0
    # The evidence says what agreed; the values that agreed are on both nodes. Named here only where
    # a person must see them to judge: the containers of a partial match. A million certain links
    # then share a few thousand evidence tuples, and so their attribute dicts: at 1M shipments
    # 982 k links had 982 k dicts and 2 M texts of their own (~560 MB, 5 M objects to unpickle).
    if arrival.get("bol") and arrival["bol"] == shipment.get("bol"):
        score += 0.6
        evidence.append("bill of lading the same")
    a_boxes, s_boxes = set(arrival.get("containers") or ()), set(shipment.get("containers") or ())
    shared = a_boxes & s_boxes
    if shared:
        listed = len(a_boxes | s_boxes)
        jaccard = len(shared) / listed
        score += 0.4 * jaccard if score else 0.25 + 0.45 * jaccard
        if len(shared) == listed:
            evidence.append(f"containers the same ({listed})")
        else:
            evidence.append(f"containers {';'.join(sorted(shared))} shared ({len(shared)} of {listed})")
    if not score:
        return None
    if 10 <= transit <= 60:
        score += 0.05
    evidence.append(f"{transit} days from departure to arrival")
    if arrival.get("entry") and arrival["entry"] == shipment.get("port"):
        score += 0.05
        evidence.append(f"declared for {arrival['entry']}")
    return min(score, 1.0), evidence


def link_consignments(rows: Iterable[dict[str, Any]]) -> tuple[list[str], list[Link]]:
    """The best shipment for each arrival; a close second halves the score (it is not certain)."""
    starts, links = [], []
    for a in rows:
        starts.append(a["mrn"])
        scored = []
        for s in a["cands"]:
            result = score_consignment(a, s)
            if result:
                scored.append((result[0], s["key"], result[1]))
        if not scored:
            continue
        scored.sort(key=lambda t: (-t[0], t[1]))
        best, key, evidence = scored[0]
        method = "bol+containers" if any(e.startswith("bill") for e in evidence) else "containers"
        if len(scored) > 1 and scored[1][0] >= best - 0.1:
            best /= 2
            evidence = evidence + [f"as likely: shipment {scored[1][1]}"]
            method += "+ambiguous"
        if best >= MIN_CONSIGNMENT_SCORE:
            links.append(Link(SAME_CONSIGNMENT, a["mrn"], key, method, round(best, 4), tuple(evidence)))
    return starts, links


def _candidates_cypher(db: CypherReader, since: str | None = None) -> Iterable[dict[str, Any]]:
    return db.rows(_CANDIDATES_CYPHER, since=since)


CANDIDATES = Query("arrivals to link, with their candidate shipments", _candidates_nx, _candidates_cypher)

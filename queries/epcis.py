"""What tracegraph holds, as GS1 EPCIS 2.0 events: the EPCIS query interface and the exports.

``events(store, …)`` turns the nodes that are events (shipments, certificates, arrivals,
inspections, findings, and the events kept as written) into EPCIS events
(:func:`tracegraph.loaders.epcis.event_for`), filtered by the simple query parameters of the EPCIS
REST binding that fit; ``trace_events`` and ``exposure_events`` are a finding's trace and a
factory's exposure as events. The nodes are read by one query per store (:data:`EVENT_NODES`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from tracegraph.graph.model import (ARRIVAL, CERTIFICATE, EPCIS_EVENT, FINDING, INSPECTION, LINE_OF, SHIPMENT, node_id,
                                    split_id)
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.graph.store import Store
from tracegraph.loaders.epcis import event_for, word
from tracegraph.queries.nodes import clean

# The labels that are events, each with the day it happened on.
DAY = {SHIPMENT: "departed_on", CERTIFICATE: "issued_on", ARRIVAL: "arrived_on", INSPECTION: "inspected_on",
       FINDING: "found_on", EPCIS_EVENT: "event_time"}
# Which labels can give an event of a bizStep (a kept event can be of any).
STEPS = {"shipping": (SHIPMENT,), "arriving": (ARRIVAL,), "inspecting": (CERTIFICATE, INSPECTION, FINDING),
         "sampling": (INSPECTION,)}


def _in_window(day: Any, since: str | None, until: str | None) -> bool:
    d = str(day or "")[:10]
    return (since is None or d >= since) and (until is None or d <= until)


def _event_nodes_nx(g: GraphReader, label: str, since: str | None, until: str | None,
                    keys: list[str] | None) -> list[dict[str, Any]]:
    nodes, day = g.nodes, DAY[label]
    ids = [node_id(label, k) for k in keys] if keys is not None else g.ids(label)
    rows = []
    for nid in ids:
        p = nodes.get(nid)
        if p is None or label != EPCIS_EVENT and (p.get("withdrawn_on") or day not in p):
            continue  # withdrawn, or a node only referred to (no record of its own yet)
        if not _in_window(p.get(day), since, until):
            continue
        lines = [dict(clean(nodes[lid]), key=split_id(lid)[1]) for lid in g.into(nid, LINE_OF)] if label == SHIPMENT else []
        rows.append({"props": dict(clean(p), key=split_id(nid)[1]), "lines": lines})
    return rows


def _event_nodes_cypher(db: CypherReader, label: str, since: str | None, until: str | None,
                        keys: list[str] | None) -> list[dict[str, Any]]:
    if label not in DAY:
        raise ValueError(f"{label!r} is no event label")
    match = f"UNWIND $keys AS k MATCH (n:`{label}` {{key: k}})" if keys is not None else f"MATCH (n:`{label}`)"
    withdrawn = "" if label == EPCIS_EVENT else f"AND n.withdrawn_on IS NULL AND n.`{DAY[label]}` IS NOT NULL "
    lines = ("CALL (n) { OPTIONAL MATCH (n)<-[:LINE_OF]-(l:ShipmentLine) "
             "RETURN collect(CASE WHEN l IS NULL THEN NULL ELSE properties(l) END) AS lines } "
             if label == SHIPMENT else "CALL (n) { RETURN [] AS lines } ")
    rows = db.rows(f"{match} WHERE ($since IS NULL OR substring(coalesce(n.`{DAY[label]}`, ''), 0, 10) >= $since) "
                   f"AND ($until IS NULL OR substring(coalesce(n.`{DAY[label]}`, ''), 0, 10) <= $until) {withdrawn}"
                   f"{lines}RETURN properties(n) AS p, lines", keys=keys or [], since=since, until=until)
    return [{"props": dict(clean(r["p"]), key=r["p"]["key"]),
             "lines": [dict(clean(x), key=x["key"]) for x in r["lines"]]} for r in rows]


EVENT_NODES = Query("EPCIS event nodes", _event_nodes_nx, _event_nodes_cypher)


def _day_of(text: str | None) -> str | None:
    return text[:10] if text else None


def _parse_time(text: str) -> datetime:
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def events(store: Store, *, biz_step: list[str] | None = None, since: str | None = None, before: str | None = None,
           epcs: list[str] | None = None, locations: list[str] | None = None, hidden: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Every event tracegraph holds that passes the filters, sorted by time and eventID.

    ``biz_step`` (EQ_bizStep), ``since``/``before`` (GE_eventTime/LT_eventTime: ISO 8601 times),
    ``epcs`` (MATCH_epc: an EPC or class in epcList, quantityList or parentID; ``*`` ends a
    prefix), ``locations`` (EQ_bizLocation). ``hidden`` names fields the asker may not see."""
    start, end = (_parse_time(since) if since else None), (_parse_time(before) if before else None)
    labels: list[str] = list(DAY)
    if biz_step:
        steps = set(biz_step)
        labels = [lb for lb in DAY if lb == EPCIS_EVENT or any(lb in STEPS.get(s, ()) for s in steps)]
    out = []
    hide = list(hidden)
    for label in labels:
        rows = store.run(EVENT_NODES, label, _day_of(since), _day_of(before), None)
        for row in rows:
            e = event_for(label, row["props"], row["lines"], hide)
            if e is not None and _passes(e, biz_step, start, end, epcs, locations):
                out.append(e)
    out.sort(key=lambda e: (str(e.get("eventTime")), str(e.get("eventID"))))
    return out


def _passes(e: dict[str, Any], biz_step: list[str] | None, start: datetime | None, end: datetime | None,
            epcs: list[str] | None, locations: list[str] | None) -> bool:
    if biz_step and word(e.get("bizStep")) not in {word(s) for s in biz_step}:
        return False
    if start or end:
        try:
            t = _parse_time(str(e.get("eventTime")))
        except ValueError:
            return False
        if (start and t < start) or (end and t >= end):
            return False
    if locations:
        where = e.get("bizLocation")
        if not (isinstance(where, dict) and where.get("id") in locations):
            return False
    if epcs:
        held = [x for x in e.get("epcList") or [] if isinstance(x, str)]
        held += [str(q.get("epcClass")) for q in e.get("quantityList") or [] if isinstance(q, dict)]
        held += [e["parentID"]] if isinstance(e.get("parentID"), str) else []
        held += [x for x in e.get("childEPCs") or [] if isinstance(x, str)]
        if not any(_matches(str(h), pattern) for h in held for pattern in epcs):
            return False
    return True


def _matches(value: str, pattern: str) -> bool:
    return value.startswith(pattern[:-1]) if pattern.endswith("*") else value == pattern


def _of_keys(store: Store, label: str, keys: Iterable[str], hidden: Iterable[str]) -> list[dict[str, Any]]:
    wanted = sorted({k for k in keys if k})
    if not wanted:
        return []
    rows = store.run(EVENT_NODES, label, None, None, wanted)
    hide = list(hidden)
    return [e for row in rows if (e := event_for(label, row["props"], row["lines"], hide)) is not None]


def trace_events(store: Store, finding_id: str, hidden: Iterable[str] = ()) -> list[dict[str, Any]] | None:
    """A finding's trace as events: the finding, its inspection, the arrivals it concerns, the CN
    shipments linkage found they are (with their lines) and their certificates; None for no such finding."""
    from tracegraph.queries.trace import evidence

    rows = evidence(store, [finding_id])
    if not rows:
        return None
    row = rows[0]
    finding = store.run(EVENT_NODES, FINDING, None, None, [finding_id])
    out = _of_keys(store, FINDING, [finding_id], hidden)
    out += _of_keys(store, INSPECTION, [str(f["props"].get("inspection_id") or "") for f in finding], hidden)
    out += _of_keys(store, ARRIVAL, [c["arrival"] for c in row["consignments"]], hidden)
    out += _of_keys(store, SHIPMENT, [c["link"]["shipment"] for c in row["consignments"] if c["link"]], hidden)
    out += _of_keys(store, CERTIFICATE, [x["certificate_no"] for c in row["consignments"] for x in c["certificates"]], hidden)
    return sorted(out, key=lambda e: (str(e.get("eventTime")), str(e.get("eventID"))))


def exposure_events(store: Store, uscc: str, hidden: Iterable[str] = ()) -> list[dict[str, Any]]:
    """A factory's exposure as events: the shipments that carried its products and their arrivals."""
    from tracegraph.queries.trace import exposure

    e = exposure(store, uscc)
    out = _of_keys(store, SHIPMENT, e["shipments"], hidden) + _of_keys(store, ARRIVAL, e["arrivals"], hidden)
    return sorted(out, key=lambda x: (str(x.get("eventTime")), str(x.get("eventID"))))

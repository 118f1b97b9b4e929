"""Repeat offenders: the factories and exporters behind the most EU findings in a window.

``offenders(store, since, until)`` attributes every finding found in the window the way
:func:`tracegraph.queries.trace.trace` does (same evidence, same ranking), in bulk:

* a finding whose top candidate is *traced* (confidence ≥ ``TRACED``) counts for that factory;
  an *ambiguous* one counts as ``possible`` for each of its candidates, never as a finding;
* the registrations that linkage found to be one factory (``SAME_AS``) are one offender, listed
  under the registration with the most findings, with every registration beside it;
* a finding's exporter is the exporter of the CN shipment its arrival was linked to, else the
  consignor linkage matched the arrival's declaration to.

Each offender carries its findings by risk level, hazard and category, by quarter, and a trend:
the findings of the first and second half of the window, called ``rising`` or ``falling`` only
where a binomial test (scipy) puts the split below ``TREND_P``; otherwise ``steady``. A factory
also carries the state of AQSIQ's investigations (of its findings, or naming it) and whether
findings went on after measures: ``measures_on`` is the earliest date an investigation reached
``measures_taken`` or ``closed`` (its ``closed_on``, else its ``opened_on``), and ``after_measures``
the findings found later than that.

A finding's attribution does not depend on the window, so :func:`attributions` works each one out
once and keeps it until the data changes; a window ranks only the findings no earlier one held.

The reads are one networkx walk and one Cypher text each, side by side; the arithmetic is shared.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from typing import Any, NamedTuple

import networkx as nx
from scipy.stats import binomtest

from tracegraph.graph.model import (CONCERNS_FACTORY, EXPORTED_BY, EXPORTER, FINDING, INVESTIGATION, LINE_OF, MADE_BY,
                                    MANUFACTURER, OF_PRODUCT, SAME_AS, SHIPMENT, node_id)
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.graph.store import Store
from tracegraph.queries.schemes import _quarter, shrinkage
from tracegraph.queries.trace import evidence, exporter_of, rank, reached

TREND_P = 0.05
MEASURED = ("measures_taken", "closed")


def _key(nid: str) -> str:
    return nid.partition(":")[2]  # split_id(nid)[1], inlined: called for every node read


# -- reads, per store --------------------------------------------------------------------------------
def _findings_nx(g: GraphReader, since: str, until: str) -> list[dict[str, Any]]:
    rows = []
    nodes = g.nodes
    for fid in g.ids(FINDING):
        f = nodes[fid]
        if since <= f.get("found_on", "") <= until:
            rows.append({"id": fid.partition(":")[2], "found_on": f["found_on"], "risk_level": f.get("risk_level"),
                         "hazard": f.get("hazard"), "category": f.get("category")})
    return rows


def _findings_cypher(db: CypherReader, since: str, until: str) -> list[dict[str, Any]]:
    return db.rows("""
        MATCH (f:Finding) WHERE f.found_on >= $since AND f.found_on <= $until
        RETURN f.key AS id, f.found_on AS found_on, f.risk_level AS risk_level, f.hazard AS hazard, f.category AS category
        """, since=since, until=until)


FINDINGS = Query("findings of a window", _findings_nx, _findings_cypher)


def _same_as_nx(g: GraphReader, usccs: list[str]) -> list[dict[str, Any]]:
    rows = []
    for u in usccs:
        mid = node_id(MANUFACTURER, u)
        twins = {_key(t) for t in g.out(mid, SAME_AS)} | {_key(t) for t in g.into(mid, SAME_AS)}
        if twins:
            rows.append({"uscc": u, "same_as": sorted(twins)})
    return rows


def _same_as_cypher(db: CypherReader, usccs: list[str]) -> list[dict[str, Any]]:
    return db.rows("""
        UNWIND $usccs AS u
        MATCH (:Manufacturer {key: u})-[:SAME_AS]-(t:Manufacturer)
        RETURN u AS uscc, collect(DISTINCT t.key) AS same_as
        """, usccs=usccs)


SAME_AS_OF = Query("other registrations", _same_as_nx, _same_as_cypher)


def _companies_nx(g: GraphReader, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
    rows = []
    for k in keys:
        c = g.nodes.get(node_id(k["label"], k["key"]))
        if c is not None:
            rows.append({"label": k["label"], "key": k["key"], "name_zh": c.get("name_zh"), "name_en": c.get("name_en"),
                         "city": c.get("city")})
    return rows


def _companies_cypher(db: CypherReader, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
    return db.rows("""
        CALL () {
          UNWIND $keys AS k WITH k WHERE k.label = 'Manufacturer' MATCH (c:Manufacturer {key: k.key}) RETURN k, c
          UNION
          UNWIND $keys AS k WITH k WHERE k.label = 'Exporter' MATCH (c:Exporter {key: k.key}) RETURN k, c
        }
        RETURN k.label AS label, c.key AS key, c.name_zh AS name_zh, c.name_en AS name_en, c.city AS city
        """, keys=keys)


COMPANIES = Query("companies by key", _companies_nx, _companies_cypher)


def _investigations_nx(g: GraphReader, ids: list[str], usccs: list[str]) -> list[dict[str, Any]]:
    found = {node_id(INVESTIGATION, i) for i in ids} & g.nodes.keys()
    for u in usccs:
        found.update(g.into(node_id(MANUFACTURER, u), CONCERNS_FACTORY))
    rows = []
    for iid in found:
        i = g.nodes[iid]
        base = {"finding": _key(iid), "status": i.get("status"), "opened_on": i.get("opened_on"),
                "closed_on": i.get("closed_on"), "measures": i.get("measures"), "root_cause": i.get("root_cause")}
        rows += [dict(base, uscc=_key(m)) for m in g.out(iid, CONCERNS_FACTORY)] or [dict(base, uscc=None)]
    return rows


def _investigations_cypher(db: CypherReader, ids: list[str], usccs: list[str]) -> list[dict[str, Any]]:
    return db.rows("""
        CALL () {
          UNWIND $ids AS id MATCH (i:Investigation {key: id}) RETURN i
          UNION
          UNWIND $usccs AS u MATCH (:Manufacturer {key: u})<-[:CONCERNS_FACTORY]-(i:Investigation) RETURN i
        }
        OPTIONAL MATCH (i)-[:CONCERNS_FACTORY]->(m:Manufacturer)
        RETURN i.key AS finding, i.status AS status, i.opened_on AS opened_on, i.closed_on AS closed_on,
               i.measures AS measures, i.root_cause AS root_cause, m.key AS uscc
        """, ids=ids, usccs=usccs)


INVESTIGATIONS = Query("investigations of findings and factories", _investigations_nx, _investigations_cypher)


# Exposure: the CN shipments that carried a factory's goods, or an exporter declared, per day of
# departure (read once, kept until the data changes; a window is then a sum over its days).
def _shipment_days_nx(g: GraphReader, label: str) -> list[dict[str, Any]]:
    nodes = g.nodes
    counts: Counter[tuple[str, str]] = Counter()
    for sid in g.ids(SHIPMENT):
        day = nodes[sid].get("departed_on")
        if day is None:
            continue
        if label == EXPORTER:
            owners = {_key(x) for x in g.out(sid, EXPORTED_BY)}
        else:
            owners = {_key(m) for line in g.into(sid, LINE_OF) for p in g.out(line, OF_PRODUCT) for m in g.out(p, MADE_BY)}
        for k in owners:
            counts[(k, day)] += 1
    return [{"key": k, "day": d, "shipments": n} for (k, d), n in counts.items()]


def _shipment_days_cypher(db: CypherReader, label: str) -> list[dict[str, Any]]:
    if label == MANUFACTURER:
        return db.rows("""
            MATCH (m:Manufacturer)<-[:MADE_BY]-(:Product)<-[:OF_PRODUCT]-(:ShipmentLine)-[:LINE_OF]->(s:Shipment)
            WHERE s.departed_on IS NOT NULL
            WITH DISTINCT m.key AS key, s
            RETURN key, s.departed_on AS day, count(*) AS shipments
            """)
    return db.rows("""
        MATCH (x:Exporter)<-[:EXPORTED_BY]-(s:Shipment)
        WHERE s.departed_on IS NOT NULL
        RETURN x.key AS key, s.departed_on AS day, count(*) AS shipments
        """)


SHIPMENT_DAYS = Query("shipments per company and day", _shipment_days_nx, _shipment_days_cypher)


def _day_index(rows: list[dict[str, Any]]) -> dict[str, tuple[list[str], list[int]]]:
    """key -> (sorted days, running totals of shipments), so a window's count is two bisections."""
    by_key: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in rows:
        by_key[r["key"]].append((r["day"], r["shipments"]))
    out = {}
    for k, pairs in by_key.items():
        pairs.sort()
        running, total = [], 0
        for _, n in pairs:
            total += n
            running.append(total)
        out[k] = ([d for d, _ in pairs], running)
    return out


# -- the arithmetic, shared ----------------------------------------------------------------------------
def _trend(days: list[str], middle: str) -> dict[str, Any]:
    first = sum(d < middle for d in days)
    second = len(days) - first
    direction = "steady"
    if first + second and binomtest(second, first + second, 0.5).pvalue < TREND_P:
        direction = "rising" if second > first else "falling"
    return {"direction": direction, "first_half": first, "second_half": second, "split_on": middle}


def _middle(since: str, until: str) -> str:
    from datetime import date

    a, b = date.fromisoformat(since), date.fromisoformat(until)
    return (a + (b - a) / 2).isoformat()


def _groups(same_as: dict[str, list[str]], usccs: set[str]) -> dict[str, frozenset[str]]:
    """Each registration's group: the registrations SAME_AS joins to it, transitively."""
    g = nx.Graph()
    g.add_nodes_from(usccs)
    g.add_edges_from((u, t) for u, twins in same_as.items() for t in twins)
    return {u: frozenset(c) for c in nx.connected_components(g) for u in c}


def _summary(found: list[dict[str, Any]], middle: str) -> dict[str, Any]:
    days = sorted(f["found_on"] for f in found)
    return {
        "findings": len(found),
        "finding_ids": sorted(f["id"] for f in found),
        "by_risk_level": dict(Counter(f["risk_level"] for f in found if f["risk_level"]).most_common()),
        "hazards": dict(Counter(f["hazard"] for f in found if f["hazard"]).most_common()),
        "categories": dict(Counter(f["category"] for f in found if f["category"]).most_common()),
        "by_quarter": dict(sorted(Counter(_quarter(d) for d in days).items())),
        "trend": _trend(days, middle),
        "first_found": days[0] if days else None,
        "last_found": days[-1] if days else None,
    }


class Attribution(NamedTuple):
    """Where a finding is put down: what :func:`~tracegraph.queries.trace.trace` would say of it
    (its status and its candidates' registrations, surest first), every factory its evidence
    reaches, and its exporter."""

    status: str
    candidates: tuple[str, ...]
    reached: tuple[str, ...]
    exporter: str | None


def attributions(store: Store, ids: list[str]) -> dict[str, Attribution]:
    """The attribution of each finding of ``ids`` that exists, in the order of ``ids``. A finding's
    attribution depends on the data, not on the window asked about, so each one is worked out
    once and kept until the data changes: a window asked about for the first time ranks only
    the findings no earlier window held."""
    kept: dict[str, Attribution] = store.memo("attributions", dict)
    missing = [i for i in ids if i not in kept]
    if missing:
        rows = evidence(store, missing, whole=False)  # (its candidates' evidence lists are not shown)
        usccs = sorted(set().union(*map(reached, rows)))
        same_as = {r["uscc"]: sorted(r["same_as"]) for r in store.run(SAME_AS_OF, usccs)}
        for row in rows:
            t = rank(row, same_as)
            kept[row["id"]] = Attribution(t.status, tuple(c.uscc for c in t.candidates), tuple(sorted(reached(row))),
                                          exporter_of(row))
    return {i: kept[i] for i in ids if i in kept}


RANK_BY = ("findings", "rate")


def _exposure(store: Store, label: str, keys: list[str], lo: str, hi: str) -> dict[str, int]:
    """Shipments of each key departed from ``lo`` to ``hi``."""
    index = store.memo(f"shipment_days:{label}", lambda: _day_index(store.run(SHIPMENT_DAYS, label)))
    out = {}
    for k in keys:
        days, running = index.get(k, ([], []))
        a, b = bisect_left(days, lo), bisect_right(days, hi)
        n = (running[b - 1] if b else 0) - (running[a - 1] if a else 0)
        if n:
            out[k] = n
    return out


def offenders(store: Store, since: str | None = None, until: str | None = None, limit: int | None = 20,
              rank_by: str = "findings") -> dict[str, Any]:
    """Factories and exporters ranked by the EU findings of ``since``–``until`` (ISO dates) traced
    to them (``rank_by="findings"``), or by those findings per shipment of theirs in the window,
    shrunk (``rank_by="rate"``: a big exporter is not a bad one for being big)."""
    if rank_by not in RANK_BY:
        raise ValueError(f"rank_by is one of {', '.join(RANK_BY)}, not {rank_by!r}")
    lo, hi = since or "0001-01-01", until or "9999-12-31"
    window = store.run(FINDINGS, lo, hi)
    info = {f["id"]: f for f in window}
    attributed = attributions(store, sorted(info))
    usccs = sorted({u for a in attributed.values() for u in a.reached})
    same_as = {r["uscc"]: sorted(r["same_as"]) for r in store.run(SAME_AS_OF, usccs)}
    group_of = _groups(same_as, set(usccs) | {t for ts in same_as.values() for t in ts})

    factory_found: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)  # with the registration named
    factory_possible: Counter[frozenset[str]] = Counter()
    exporter_found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    untraced: Counter[str] = Counter()
    for fid, a in attributed.items():
        f = info[fid]
        if a.status == "traced":
            top = a.candidates[0]
            factory_found[group_of[top]].append(dict(f, registration=top))
        else:
            untraced[a.status] += 1
            for u in a.candidates:
                factory_possible[group_of[u]] += 1
        if a.exporter:
            exporter_found[a.exporter].append(f)

    groups = sorted(set(factory_found) | set(factory_possible), key=min)
    regs = sorted({u for g in groups for u in g})
    per_reg = _exposure(store, MANUFACTURER, regs, lo, hi) if regs else {}
    exposure_f = {g: sum(per_reg.get(u, 0) for u in g) for g in groups}
    exposure_x = _exposure(store, EXPORTER, sorted(exporter_found), lo, hi) if exporter_found else {}

    def rates(found: dict[Any, list[dict[str, Any]]], exposure: dict[Any, int]) -> dict[Any, float]:
        pairs = [(len(found.get(k, ())), exposure.get(k, 0)) for k in exposure]
        k = shrinkage([(x, n) for x, n in pairs if n >= x])
        m = sum(x for x, _ in pairs) / max(sum(n for _, n in pairs), 1)
        return {key: (len(found.get(key, ())) + k * m) / (exposure.get(key, 0) + k) for key in exposure}

    rate_f, rate_x = rates(factory_found, exposure_f), rates(exporter_found, exposure_x)

    def order(key: str, found: list[dict[str, Any]], rate: float, possible: int = 0) -> tuple:
        risk = Counter(f["risk_level"] for f in found)
        by_count = (-len(found), *(-risk[r] for r in ("serious", "high", "medium", "low")), -possible)
        return ((-rate, *by_count) if rank_by == "rate" else (*by_count, -rate)) + (key,)

    top_groups = sorted(groups, key=lambda g: order(min(g), factory_found.get(g, []), rate_f.get(g, 0.0),
                                                    factory_possible[g]))[:limit]
    top_exporters = sorted(exporter_found, key=lambda x: order(x, exporter_found[x], rate_x.get(x, 0.0)))[:limit]
    registrations = sorted({u for g in top_groups for u in g})
    keys = [{"label": MANUFACTURER, "key": u} for u in registrations] + [{"label": EXPORTER, "key": x} for x in top_exporters]
    names = {(c["label"], c["key"]): c for c in store.run(COMPANIES, keys)}
    found_ids = sorted({f["id"] for g in top_groups for f in factory_found.get(g, ())})
    inv_rows = store.run(INVESTIGATIONS, found_ids, registrations)

    days = sorted(f["found_on"] for f in window)
    middle = _middle(since or days[0], until or days[-1]) if days else lo
    factories = []
    for g in top_groups:
        found = factory_found.get(g, [])
        mine = {f["id"] for f in found}
        invs = {i["finding"]: i for i in inv_rows if i["finding"] in mine or i["uscc"] in g}
        per_registration = Counter(f["registration"] for f in found)
        main = min(g, key=lambda u: (-per_registration[u], u))
        name = names.get((MANUFACTURER, main), {})
        measured = sorted(i["closed_on"] or i["opened_on"] for i in invs.values()
                          if i["status"] in MEASURED and (i["closed_on"] or i["opened_on"]))
        measures_on = measured[0] if measured else None
        factories.append({
            "uscc": main, "registrations": sorted(g), "name_zh": name.get("name_zh"), "name_en": name.get("name_en"),
            "city": name.get("city"), **_summary(found, middle), "possible": factory_possible[g],
            "shipments": exposure_f.get(g, 0), "rate_per_1000": round(1000 * rate_f.get(g, 0.0), 3),
            "investigations": {
                "count": len(invs),
                "by_status": dict(sorted(Counter(i["status"] for i in invs.values()).items())),
                "uninvestigated": sorted(mine - set(invs)),
                "measures": sorted({i["measures"] for i in invs.values() if i["measures"]}),
                "root_causes": sorted({i["root_cause"] for i in invs.values() if i["root_cause"]}),
            },
            "measures_on": measures_on,
            "after_measures": sorted(f["id"] for f in found if measures_on and f["found_on"] > measures_on),
        })
    exporters = []
    for x in top_exporters:
        name = names.get((EXPORTER, x), {})
        exporters.append({"uscc": x, "name_zh": name.get("name_zh"), "name_en": name.get("name_en"),
                          "city": name.get("city"), **_summary(exporter_found[x], middle),
                          "shipments": exposure_x.get(x, 0), "rate_per_1000": round(1000 * rate_x.get(x, 0.0), 3)})
    return {
        "since": since, "until": until, "rank_by": rank_by, "findings": len(window),
        "attributed": sum(len(v) for v in factory_found.values()),
        "not_attributed": dict(sorted(untraced.items())),
        "factories": factories, "exporters": exporters,
    }

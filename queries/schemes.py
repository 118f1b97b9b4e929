"""China's export inspection beside the EU's import control, on the same consignments.

* ``alignment`` — for consignments both a CIQ certificate and an EU check covered: the 2×2 table of
  verdicts (CN pass/fail × EU compliant/non-compliant), agreement and Cohen's kappa, overall and
  by category, hazard, test standard, CIQ office and quarter.
* ``reliability`` — among EU-checked consignments, the non-compliance rate of those that carried a
  passing CIQ certificate against those that carried none, with Wilson intervals (scipy), overall
  and by CIQ office, exporter, factory and category, and a plain verdict where the intervals allow.

One row per consignment is read by a networkx walk or by Cypher (side by side below); the
arithmetic is shared.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from functools import lru_cache
from dataclasses import asdict, dataclass
from typing import Any

from scipy.stats import binomtest

from tracegraph.graph.model import (ARRIVAL, CHECKED, CONCERNS, COVERS, EXPORTED_BY, INSPECTION, LINE_OF, OF_PRODUCT,
                                    SAME_CONSIGNMENT, split_id)
from tracegraph.graph.reading import EMPTY, CypherReader, GraphReader, Props, Query
from tracegraph.graph.store import Store
from tracegraph.queries.nodes import sorted_by

# Which arrivals: those EU-checked (from the inspections, far fewer than arrivals), or those of an
# entry point in a window. The text is chosen here, never taken from a request.
_CHECKED = """
MATCH (:Inspection)-[:CHECKED]->(a:Arrival) WITH DISTINCT a WHERE a.arrived_on IS NOT NULL
"""
_WINDOW = """
MATCH (a:Arrival) WHERE a.entry_point = $entry_point AND a.arrived_on >= $since AND a.arrived_on <= $until
"""
_ROW = """
WITH a, [(a)<-[:CHECKED]-(i:Inspection) | i] AS checks
CALL (a) { OPTIONAL MATCH (a)-[:SAME_CONSIGNMENT]->(s:Shipment) RETURN s ORDER BY s.key LIMIT 1 }
WITH a, checks, s,
     CASE WHEN s IS NULL THEN [] ELSE [(s)<-[:COVERS]-(c:Certificate) | c] END AS certs,
     CASE WHEN s IS NULL THEN [] ELSE [(s)<-[:LINE_OF]-(:ShipmentLine)-[:OF_PRODUCT]->(p:Product) | p] END AS products
RETURN a.key AS arrival, a.arrived_on AS arrived_on, a.entry_point AS entry_point,
       reduce(m = null, i IN checks | CASE WHEN m IS NULL OR i.inspected_on < m THEN i.inspected_on ELSE m END) AS checked_on,
       s.key AS shipment, [i IN checks | i.outcome] AS outcomes,
       [c IN certs | c.result] AS results, [c IN certs | c.issuer] AS offices,
       [c IN certs | [coalesce(c.issued_on, ''), c.result, c.issuer]] AS certificates,
       reduce(acc = [], c IN certs | acc + coalesce(c.standards, [])) AS standards,
       [p IN products | p.category] AS categories, [p IN products | p.manufacturer_uscc] AS factories,
       CASE WHEN s IS NULL THEN NULL ELSE COLLECT { MATCH (s)-[:EXPORTED_BY]->(x:Exporter) RETURN x.key ORDER BY x.key LIMIT 1 }[0] END
         AS exporter,
       [(a)<-[:CONCERNS]-(f:Finding) | f.hazard] AS hazards
"""


def shipment_parts(g: GraphReader, sid: str) -> tuple[list[Props], list[Props], str | None]:
    """A shipment's certificates and the products of its lines (their node properties), and its
    exporter's key: what every consignment query reads of the CN side."""
    nodes, succ = g.nodes, g.succ
    certificates, products = [], []
    for u, d in g.pred.get(sid, EMPTY).items():
        t = d["type"]
        if t == COVERS:
            certificates.append(nodes[u])
        elif t == LINE_OF:
            products += [nodes[p] for p, e in succ[u].items() if e["type"] == OF_PRODUCT]
    exporter = min((split_id(x)[1] for x, d in succ[sid].items() if d["type"] == EXPORTED_BY), default=None)
    return certificates, products, exporter


def arrival_ids(g: GraphReader, window: tuple[str, str, str] | None = None) -> list[str]:
    """The ids of the checked arrivals, sorted (or, with ``window`` = (entry point, since, until),
    of the window's arrivals at that entry point, by day)."""
    nodes = g.nodes
    if window is None:
        return sorted({a for i in g.ids(INSPECTION) for a in g.out(i, CHECKED) if "arrived_on" in nodes[a]})
    entry_point, since, until = window
    days, ids = sorted_by(g, ARRIVAL, "arrived_on")
    return [a for a in ids[bisect_left(days, since): bisect_right(days, until)] if nodes[a].get("entry_point") == entry_point]


def _consignments_nx(g: GraphReader, window: tuple[str, str, str] | None = None) -> list[dict[str, Any]]:
    """The rows of the checked consignments (or, with ``window`` = (entry point, since, until),
    of the window's arrivals), walked in the embedded graph."""
    nodes, succ, pred_get = g.nodes, g.succ, g.pred.get  # (the hot loop reads adjacency directly)
    arrivals = arrival_ids(g, window)
    rows = []
    for aid in arrivals:
        a = nodes[aid]
        checks, hazards = [], set()
        for u, d in pred_get(aid, EMPTY).items():  # (most arrivals have no predecessor)
            t = d["type"]
            if t == CHECKED:
                checks.append(nodes[u])
            elif t == CONCERNS:
                hazards.add(nodes[u].get("hazard"))
        row: dict[str, Any] = {
            "arrival": split_id(aid)[1], "arrived_on": a["arrived_on"], "entry_point": a.get("entry_point"),
            "checked_on": min((i["inspected_on"] for i in checks if "inspected_on" in i), default=None),
            "shipment": None,
            "outcomes": [i.get("outcome") for i in checks], "results": [], "offices": [], "certificates": [],
            "standards": [], "categories": [], "factories": [], "exporter": None,
            "hazards": sorted(hazards - {None}),
        }
        sid = min((v for v, d in succ[aid].items() if d["type"] == SAME_CONSIGNMENT), default=None)
        if sid is not None:
            certificates, products, row["exporter"] = shipment_parts(g, sid)
            row["shipment"] = split_id(sid)[1]
            for c in certificates:
                row["results"].append(c.get("result"))
                row["offices"].append(c.get("issuer"))
                row["certificates"].append([c.get("issued_on", ""), c.get("result"), c.get("issuer")])
                row["standards"] += list(c.get("standards", ()))
            row["categories"] = [p.get("category") for p in products]
            row["factories"] = [p.get("manufacturer_uscc") for p in products]
        rows.append(row)
    return rows


def _consignments_cypher(db: CypherReader, window: tuple[str, str, str] | None = None) -> list[dict[str, Any]]:
    if window is None:
        return db.rows(_CHECKED + _ROW)
    return db.rows(_WINDOW + _ROW, entry_point=window[0], since=window[1], until=window[2])


CONSIGNMENTS = Query("consignments", _consignments_nx, _consignments_cypher)


def consignments(store: Store, entry_point: str | None = None, since: str | None = None,
                 until: str | None = None) -> list[dict[str, Any]]:
    """One row per EU-checked arrival, with what the CN side knows of the same consignment; or,
    given an entry point and a window (ISO dates), one per arrival there then, checked or not."""
    window = (entry_point, since or "", until or "\uffff") if entry_point else None
    if window is None:  # the same for every caller until the data changes: kept
        return store.memo("checked_consignments", lambda: _consignments(store, None))
    return _consignments(store, window)


def _consignments(store: Store, window: tuple[str, str, str] | None) -> list[dict[str, Any]]:
    rows = store.run(CONSIGNMENTS, window)
    for r in rows:  # the same value sets from both stores, whatever order they came in
        for k in ("offices", "standards", "categories", "factories", "hazards"):
            r[k] = sorted({v for v in r[k] if v})
        r["results"] = sorted(v for v in r["results"] if v)
        r["outcomes"] = sorted(v for v in r["outcomes"] if v)
        r["certificates"] = sorted(list(c) for c in r["certificates"] if c)
    return sorted(rows, key=lambda r: r["arrival"])


# -- alignment -------------------------------------------------------------------------------------
@dataclass
class Table:
    """Verdicts of one group: CN pass/fail × EU compliant/non-compliant."""

    pass_compliant: int = 0
    pass_non_compliant: int = 0
    fail_compliant: int = 0
    fail_non_compliant: int = 0

    @property
    def n(self) -> int:
        return self.pass_compliant + self.pass_non_compliant + self.fail_compliant + self.fail_non_compliant

    @property
    def agreement(self) -> float | None:
        return (self.pass_compliant + self.fail_non_compliant) / self.n if self.n else None

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa: agreement beyond what the two sides' own rates give by chance."""
        n = self.n
        if not n:
            return None
        cn_pass = (self.pass_compliant + self.pass_non_compliant) / n
        eu_ok = (self.pass_compliant + self.fail_compliant) / n
        chance = cn_pass * eu_ok + (1 - cn_pass) * (1 - eu_ok)
        if chance == 1:
            return None  # both sides gave one verdict only: kappa is undefined
        return (self.agreement - chance) / (1 - chance)  # type: ignore[operator]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "n": self.n, "agreement": _round(self.agreement), "kappa": _round(self.kappa)}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _quarter(day: str | None) -> str | None:
    return f"{day[:4]}-Q{(int(day[5:7]) - 1) // 3 + 1}" if day else None


def shrinkage(pairs: list[tuple[float, float]], default: float = 20.0) -> float:
    """Pseudo-observations for shrinking rates x/n towards their pooled mean: how much the rates
    differ beyond binomial chance (beta-binomial, method of moments; empirical Bayes)."""
    pairs = [(x, n) for x, n in pairs if n > 0]
    total_x, total_n = sum(x for x, _ in pairs), sum(n for _, n in pairs)
    if len(pairs) < 20 or not 0 < total_x < total_n:
        return default
    m = total_x / total_n
    observed = sum(n * (x / n - m) ** 2 for x, n in pairs) / total_n
    between = observed - m * (1 - m) * len(pairs) / total_n
    return 1000.0 if between <= 0 else min(max(m * (1 - m) / between - 1, 1.0), 1000.0)


ALIGNMENT_DIMENSIONS = ("category", "hazard", "standard", "office", "quarter")


CELLS = ("pass_compliant", "pass_non_compliant", "fail_compliant", "fail_non_compliant")


def alignment(store: Store) -> dict[str, Any]:
    """The verdicts of both schemes on the consignments both checked, overall and by dimension."""
    # Per cell and dimension, every value of every consignment in that cell, counted at the end
    # (list.extend and Counter count in C: thousands of rows, a few values each).
    overall: Counter[str] = Counter()
    values: dict[str, dict[str, list[str]]] = {cell: {d: [] for d in ALIGNMENT_DIMENSIONS} for cell in CELLS}
    for r in consignments(store):
        results, outcomes = r["results"], r["outcomes"]
        if not results or not outcomes:
            continue
        cell = ("fail_" if "fail" in results else "pass_") + ("non_compliant" if "non_compliant" in outcomes else "compliant")
        overall[cell] += 1
        into = values[cell]
        into["category"] += r["categories"]
        into["hazard"] += r["hazards"]
        into["standard"] += r["standards"]
        into["office"] += r["offices"]
        into["quarter"].append(r["arrived_on"])  # (counted by day, put in quarters below)
    by: dict[str, dict[str, Table]] = {d: defaultdict(Table) for d in ALIGNMENT_DIMENSIONS}
    for cell in CELLS:
        for d, vs in values[cell].items():
            for v, n in Counter(vs).items():
                key = _quarter(v) if d == "quarter" else v
                if key:
                    table = by[d][key]
                    setattr(table, cell, getattr(table, cell) + n)
    return {"overall": Table(**overall).to_dict(),
            "by": {d: {v: t.to_dict() for v, t in sorted(tables.items())} for d, tables in by.items()}}


# -- reliability -----------------------------------------------------------------------------------
@dataclass
class Rate:
    checked: int = 0
    non_compliant: int = 0

    def to_dict(self) -> dict[str, Any]:
        if not self.checked:
            return {"checked": 0, "non_compliant": 0, "rate": None, "low": None, "high": None}
        low, high = wilson(self.non_compliant, self.checked)
        return {"checked": self.checked, "non_compliant": self.non_compliant,
                "rate": round(self.non_compliant / self.checked, 4), "low": low, "high": high}


@lru_cache(maxsize=65536)
def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson 95 % interval of k in n, from scipy (kept: thousands of groups share few (k, n))."""
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return round(ci.low, 4), round(ci.high, 4)


def _verdict(certified: dict[str, Any], uncertified: dict[str, Any]) -> str:
    if certified["checked"] == 0 or uncertified["checked"] == 0:
        return "not enough evidence: one of the groups was never checked"
    if certified["high"] < uncertified["low"]:
        return "reliable: consignments with a passing CIQ certificate are non-compliant less often (the 95 % intervals do not overlap)"
    if certified["low"] > uncertified["high"]:
        return "unreliable: consignments with a passing CIQ certificate are non-compliant MORE often"
    return "not enough evidence: the 95 % intervals overlap"


RELIABILITY_DIMENSIONS = ("office", "exporter", "factory", "category")
SIDES = ("certified", "uncertified")


def reliability(store: Store) -> dict[str, Any]:
    """Non-compliance among EU-checked consignments with a passing CIQ certificate against none."""
    # Per side (certified or not), verdict and dimension, every value of every consignment there,
    # counted at the end (list.extend and Counter count in C).
    overall = {side: Rate() for side in SIDES}
    values: dict[tuple[str, bool], dict[str, list[str]]] = {
        (side, bad): {d: [] for d in RELIABILITY_DIMENSIONS} for side in SIDES for bad in (False, True)}
    for r in consignments(store):
        outcomes, results = r["outcomes"], r["results"]
        if not outcomes:
            continue
        if results and "fail" in results:
            continue  # a failed certificate is a different question: such goods should not have left
        side, bad = "certified" if results else "uncertified", "non_compliant" in outcomes
        overall[side].checked += 1
        overall[side].non_compliant += bad
        into = values[side, bad]
        into["office"] += r["offices"]
        into["factory"] += r["factories"]
        into["category"] += r["categories"]
        if r["exporter"]:
            into["exporter"].append(r["exporter"])
    groups: dict[str, dict[str, dict[str, Rate]]] = {
        d: defaultdict(lambda: {"certified": Rate(), "uncertified": Rate()}) for d in RELIABILITY_DIMENSIONS}
    for (side, bad), per_dimension in values.items():
        for d in RELIABILITY_DIMENSIONS:
            for v, n in Counter(per_dimension[d]).items():
                rate = groups[d][v][side]
                rate.checked += n
                rate.non_compliant += n * bad

    def report(pair: dict[str, Rate], baseline: Rate | None = None) -> dict[str, Any]:
        c, u = pair["certified"].to_dict(), (baseline or pair["uncertified"]).to_dict()
        return {"certified": c, "uncertified": u, "verdict": _verdict(c, u)}

    # An uncertified consignment has no CIQ office: an office is weighed against all uncertified ones.
    return {"overall": report(overall),
            "by": {d: {v: report(p, overall["uncertified"] if d == "office" else None) for v, p in sorted(g.items())}
                   for d, g in groups.items()}}

"""Which arriving consignments to inspect first: each arrival scored by its risk of non-compliance.

``priorities(store, entry_point, since, until)`` scores every arrival at ``entry_point`` in the
window, learning only from what was known before it arrived: EU checks made before its arrival
date, and CIQ certificates issued in the months before its arrival month.

The model follows how unsafe goods arise: from the factories that made them.

* **Each factory's unsafe rate** is estimated from both sides' evidence, shrunk towards the base
  rate with ``PRIOR_WEIGHT`` pseudo-observations (a beta-binomial posterior mean), so a factory
  seen once is not judged on it alone:
  EU checks of consignments carrying its goods (non-compliant / checked), and CIQ certificates of
  its shipments (failed / issued), a failure counting as ``1 / sensitivity`` unsafe shipments,
  where *sensitivity* is how often CIQ failed what the EU later found non-compliant.
* **The consignment's risk** is the chance that at least one of its factories' goods is unsafe,
  ``1 − Π(1 − rate)``. An arrival that no CN shipment matches falls back on its exporter's and
  its category's EU record, else the base rate.
* **Its own certificate** then updates that risk by Bayes' rule: a pass from an office that
  catches a share *s* of unsafe goods leaves ``risk·(1−s) / (1 − risk·s)``; a failure raises it.
  No certificate leaves it as it is (and says so).

Reasons list each signal with its counts, strongest first. The EU history is read per arrival
date; the CIQ history in months (certificates of the arrival's own month are not used yet), so
both stores can aggregate it where the data is.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tracegraph.graph.model import ARRIVAL, CERTIFICATE, COVERS, LINE_OF, OF_PRODUCT, SAME_CONSIGNMENT, split_id
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.graph.store import Store
from tracegraph.queries.nodes import sorted_by
from tracegraph.queries.learned import FEATURES, NO_PARTS, parts, score_window
from tracegraph.queries.schemes import consignments, shrinkage

PRIOR_WEIGHT = 10.0  # pseudo-observations behind a shrunk rate, until the data can say how many


# CIQ certificates per factory and month: issued, failed.
def _cn_history_nx(g: GraphReader) -> list[dict[str, Any]]:
    nodes = g.nodes
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for cid in g.ids(CERTIFICATE):
        c = nodes[cid]
        if "issued_on" not in c:
            continue
        for sid in g.out(cid, COVERS):
            factories = {f for line in g.into(sid, LINE_OF) for p in g.out(line, OF_PRODUCT)
                         if (f := nodes[p].get("manufacturer_uscc"))}
            for f in factories:
                n = counts[(f, c["issued_on"][:7])]
                n[0] += 1
                n[1] += c.get("result") == "fail"
    return [{"factory": f, "month": m, "issued": n[0], "failed": n[1]} for (f, m), n in counts.items()]


def _cn_history_cypher(db: CypherReader) -> list[dict[str, Any]]:
    return db.rows("""
        MATCH (c:Certificate)-[:COVERS]->(s:Shipment)
        WHERE c.issued_on IS NOT NULL
        CALL (s) {
          MATCH (s)<-[:LINE_OF]-(:ShipmentLine)-[:OF_PRODUCT]->(p:Product)
          RETURN collect(DISTINCT p.manufacturer_uscc) AS factories
        }
        UNWIND factories AS factory
        WITH factory, substring(c.issued_on, 0, 7) AS month, c.result AS result
        RETURN factory, month, count(*) AS issued, sum(CASE WHEN result = 'fail' THEN 1 ELSE 0 END) AS failed
        """)


CN_HISTORY = Query("CIQ certificates per factory and month", _cn_history_nx, _cn_history_cypher)


def cn_history(store: Store, until: str) -> list[dict[str, Any]]:
    """CIQ certificates issued before ``until``, counted per factory and month (issued, failed)."""
    rows = store.memo("cn_history", lambda: store.run(CN_HISTORY))
    # months wholly or partly before ``until``; the caller uses only months before each arrival's
    return [r for r in rows if r["month"] <= until[:7]]


# The arrivals to score, with the shipment each was linked to; and what the score reads of every
# shipment (kept until the data changes, so that a window is a join, not a walk).
def _window_nx(g: GraphReader, entry_point: str, since: str, until: str) -> list[dict[str, Any]]:
    nodes, succ = g.nodes, g.succ
    days, ids = sorted_by(g, ARRIVAL, "arrived_on")
    rows = []
    for aid in ids[bisect_left(days, since): bisect_right(days, until)]:
        a = nodes[aid]
        if a.get("entry_point") == entry_point:
            sid = min((v for v, d in succ[aid].items() if d["type"] == SAME_CONSIGNMENT), default=None)
            rows.append({"arrival": split_id(aid)[1], "arrived_on": a["arrived_on"], "shipment": split_id(sid)[1] if sid else None})
    return rows


def _window_cypher(db: CypherReader, entry_point: str, since: str, until: str) -> list[dict[str, Any]]:
    return db.rows("""
        MATCH (a:Arrival) WHERE a.entry_point = $entry_point AND a.arrived_on >= $since AND a.arrived_on <= $until
        CALL (a) { OPTIONAL MATCH (a)-[:SAME_CONSIGNMENT]->(s:Shipment) RETURN s ORDER BY s.key LIMIT 1 }
        RETURN a.key AS arrival, a.arrived_on AS arrived_on, s.key AS shipment
        """, entry_point=entry_point, since=since, until=until)


WINDOW = Query("arrivals of a window", _window_nx, _window_cypher)


def _window(store: Store, entry_point: str, since: str, until: str) -> list[dict[str, Any]]:
    rows = store.run(WINDOW, entry_point, since, until)
    kept = parts(store)
    for r in rows:
        x = kept.get(r["shipment"], NO_PARTS) if r["shipment"] else NO_PARTS
        r["certificates"], r["factories"], r["categories"], r["exporter"] = x.certificates, list(x.factories), list(x.categories), x.exporter
    return sorted(rows, key=lambda r: (r["arrived_on"], r["arrival"]))


@dataclass
class _Count:
    n: int = 0
    bad: float = 0.0

    def shrunk(self, base: float) -> float:
        return (self.bad + PRIOR_WEIGHT * base) / (self.n + PRIOR_WEIGHT)


def _cert(r: dict[str, Any]) -> str:
    return "pass" if r["results"] and "fail" not in r["results"] else ("fail" if r["results"] else "none")


class _Evidence:
    """What was known at some date: EU checks so far, and CIQ certificates of earlier months."""

    def __init__(self, cn_rows: list[dict[str, Any]]) -> None:
        self.eu_total = _Count()
        self.eu: dict[str, dict[str, _Count]] = defaultdict(lambda: defaultdict(_Count))  # kind -> key -> count
        # sensitivity: of EU-non-compliant consignments with a certificate, how many CIQ failed;
        # false alarms: of EU-compliant ones, how many CIQ failed (overall, and per office)
        self.caught: dict[str, _Count] = defaultdict(_Count)
        self.alarms: dict[str, _Count] = defaultdict(_Count)
        self.cn_total = _Count()
        self.cn: dict[str, _Count] = defaultdict(_Count)
        self._cn_months = sorted({r["month"] for r in cn_rows})
        self._cn_by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in cn_rows:
            self._cn_by_month[r["month"]].append(r)
        self._cn_next = 0
        self.prior = PRIOR_WEIGHT

    def add_check(self, h: dict[str, Any]) -> None:
        bad = "non_compliant" in h["outcomes"]
        self.eu_total.n += 1
        self.eu_total.bad += bad
        for kind, keys in (("factory", h["factories"]), ("exporter", [h["exporter"]] if h["exporter"] else []),
                           ("category", h["categories"])):
            for k in keys:
                self.eu[kind][k].n += 1
                self.eu[kind][k].bad += bad
        cert = _cert(h)
        if cert != "none":
            for office in ["*"] + h["offices"]:
                c = self.caught[office] if bad else self.alarms[office]
                c.n += 1
                c.bad += cert == "fail"

    def add_months_before(self, month: str) -> None:
        while self._cn_next < len(self._cn_months) and self._cn_months[self._cn_next] < month:
            for r in self._cn_by_month[self._cn_months[self._cn_next]]:
                self.cn_total.n += r["issued"]
                self.cn_total.bad += r["failed"]
                self.cn[r["factory"]].n += r["issued"]
                self.cn[r["factory"]].bad += r["failed"]
            self._cn_next += 1

    # -- estimates ----------------------------------------------------------------------------------
    @property
    def base(self) -> float:
        return (self.eu_total.bad + 1) / (self.eu_total.n + 2)  # Laplace: before any check, an even chance

    def sensitivity(self, office: str = "*") -> float:
        overall = (self.caught["*"].bad + 1) / (self.caught["*"].n + 2)
        return overall if office == "*" else self.caught[office].shrunk(overall)

    def false_alarms(self, office: str = "*") -> float:
        overall = (self.alarms["*"].bad + 1) / (self.alarms["*"].n + 2)
        return overall if office == "*" else self.alarms[office].shrunk(overall)

    def _pooled(self, uscc: str) -> tuple[float, int]:
        """A factory's unsafe shipments (EU non-compliant, plus CIQ failures over sensitivity) and trials."""
        eu, cn = self.eu["factory"][uscc], self.cn[uscc]
        return eu.bad + cn.bad / max(self.sensitivity(), 0.05), eu.n + cn.n

    def fit_prior(self) -> None:
        """How many pseudo-observations a factory's rate is shrunk with: from how much factories'
        CIQ failure rates differ beyond chance (beta-binomial, method of moments: empirical Bayes)
        in what is known. Scaling failures to unsafe shipments scales rates, not the trials."""
        self.prior = shrinkage([(c.bad, c.n) for c in self.cn.values()], default=PRIOR_WEIGHT)

    def factory_rate(self, uscc: str) -> tuple[float, str]:
        eu, cn = self.eu["factory"][uscc], self.cn[uscc]
        x, n = self._pooled(uscc)
        rate = (x + self.prior * self.base) / (n + self.prior)
        rate = min(rate, 0.99)
        return rate, (f"factory {uscc}: {int(eu.bad)} of {eu.n} EU checks non-compliant, {int(cn.bad)} of {cn.n} CIQ "
                      f"certificates failed; unsafe rate {rate:.3f} against {self.base:.3f}")


def handbuilt(store: Store, entry_point: str, since: str, until: str) -> list[dict[str, Any]]:
    """Arrivals at ``entry_point`` from ``since`` to ``until`` (ISO dates), riskiest first, by the
    hand-built model: the fallback where there is too little to learn from."""
    history = sorted((r for r in consignments(store) if r["checked_on"] and r["outcomes"] and r["checked_on"] < until),
                     key=lambda r: (r["checked_on"], r["arrival"]))
    window = _window(store, entry_point, since, until)
    known = _Evidence(cn_history(store, until))
    checked_on = [h["checked_on"] for h in history]
    done = 0
    out = []
    for i, r in enumerate(window):
        # its own certificates, as far as they were issued by the day it arrived
        own = [c for c in r["certificates"] if c[0] <= r["arrived_on"]]
        r = dict(r, results=[c[1] for c in own], offices=sorted({c[2] for c in own if c[2]}))
        upto = bisect_left(checked_on, r["arrived_on"])  # checks made before the arrival date
        for h in history[done:upto]:
            known.add_check(h)
        done = max(done, upto)
        known.add_months_before(r["arrived_on"][:7])
        if i == 0:
            known.fit_prior()  # once, from what was known when the window opened
        base = known.base
        reasons: list[tuple[float, str]] = []
        if r["factories"]:
            rates = [known.factory_rate(f) for f in r["factories"]]
            safe = 1.0
            for rate, text in rates:
                safe *= 1 - rate
                reasons.append((abs(rate / base - 1), text))
            risk = 1 - safe
        else:
            risk = base
            for kind, keys in (("exporter", [r["exporter"]] if r["exporter"] else []), ("category", r["categories"])):
                if keys:
                    key, rate = max(((k, known.eu[kind][k].shrunk(base)) for k in keys), key=lambda t: (t[1], t[0]))
                    c = known.eu[kind][key]
                    risk = max(risk, rate) if kind == "exporter" or risk == base else risk
                    reasons.append((abs(rate / base - 1), f"{kind} {key}: {int(c.bad)} of {c.n} earlier EU checks "
                                                          f"non-compliant, rate {rate:.3f} against {base:.3f}"))
        cert = _cert(r)
        if cert == "pass":
            s = min(max(known.sensitivity(office) for office in r["offices"]), 0.99)
            before = risk
            risk = risk * (1 - s) / (1 - risk * s)
            reasons.append((abs(risk / before - 1), f"passing CIQ certificate from {', '.join(r['offices'])}, which failed "
                                                    f"{s:.0%} of what the EU later found non-compliant"))
        elif cert == "fail":
            s = max(known.sensitivity(office) for office in r["offices"])
            f = max(min(known.false_alarms(office) for office in r["offices"]), 1e-3)
            before = risk
            risk = risk * s / (risk * s + (1 - risk) * f)
            reasons.append((abs(risk / before - 1), f"CIQ certificate FAILED by {', '.join(r['offices'])}"))
        else:
            reasons.append((0.5, "no CIQ certificate: China did not inspect this consignment"))
        if r["shipment"] is None:
            reasons.append((0.0, "no CN export shipment found for this arrival: its factories are unknown"))
        out.append({"mrn": r["arrival"], "arrived_on": r["arrived_on"], "score": round(min(risk, 1.0), 4),
                    "reasons": [text for _, text in sorted(reasons, key=lambda t: -t[0])]})
    return sorted(out, key=lambda x: (-x["score"], x["mrn"]))


def priorities(store: Store, entry_point: str, since: str, until: str, reasons: bool = True) -> list[dict[str, Any]]:
    """Arrivals at ``entry_point`` from ``since`` to ``until`` (ISO dates), riskiest first: scored by
    the model learned from the EU checks made before each arrival's month (``model`` "learned"), or,
    where there were too few to learn from, by the hand-built model (``model`` "fallback", and
    ``model_note`` says why). ``score`` is the probability that an EU check finds it non-compliant."""
    scored, left = score_window(store, entry_point, since, until, FEATURES, reasons)
    if left:
        notes = {r["arrival"]: r["note"] for r in left}
        scored += [dict(r, model="fallback", model_note=notes[r["mrn"]])
                   for r in handbuilt(store, entry_point, since, until) if r["mrn"] in notes]
    return sorted(scored, key=lambda x: (-x["score"], x["mrn"]))

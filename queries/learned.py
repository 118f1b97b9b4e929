"""Inspection priorities learned from the EU's own checks: features as of each arrival's day, a
regularised logistic regression fitted on the checks made before its month, reasons from the model.

The reads (below, networkx and Cypher side by side) fetch what the graph holds; everything after
them is store-independent Python and numpy:

* **History as of a day.** Every dated fact becomes an event of a key (a factory's registrations
  pooled as ``SAME_AS`` says, an exporter, an importer, a CIQ office): an EU check on its
  inspection day, a CIQ certificate on its issue day, an AQSIQ investigation on its opening day,
  its measures on the day it closed, a finding matched to a factory's product on the day it was
  found. :class:`Tally` answers "how many events of key k before day d" for thousands of pairs at
  once (one ``searchsorted``), so an arrival only ever sees what was dated before it arrived.
* **Features** (:data:`FEATURES`): the arrival's own certificate (none, failed, or passed by an
  office whose measured sensitivity is ...), how many lines, factories and categories it carries
  and which categories, its worst factory's EU and CIQ record as a shrunk rate (beta-binomial
  mean, ``SHRINK`` pseudo-observations at the day's base rate: a factory checked once is not
  judged on it alone) against the base, findings, investigations and measures about its
  factories, its exporter's and its importer's EU record, and how sure linkage is of it.
* **The model.** Standardised features, an L2-regularised logistic regression
  (scikit-learn), fitted on every EU-checked arrival whose first check was made before the first
  day of the scored arrival's month (refit monthly; the fit is kept until the data changes). An
  arrival's score is the model's probability that an EU check would find it non-compliant.
  Reasons are the features' contributions to the log-odds, ``coef · (x − mean)``, grouped and
  put in words, strongest first.
* **Not enough to learn from.** Fewer than ``MIN_CHECKS`` checks or ``MIN_NON_COMPLIANT``
  non-compliant ones before the month, or an arrival whose categories no training check carried:
  :func:`score_window` says so, and ``priorities`` falls back on the hand-built model.

See docs/priorities.md.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, NamedTuple

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from tracegraph.graph.model import (CHECKED, CONCERNS_FACTORY, IMPORTED_BY, INVESTIGATION,
                                    FINDING, MANUFACTURER, MATCHES_PRODUCT, SAME_AS, SAME_CONSIGNMENT, SHIPMENT, split_id)
from tracegraph.graph.reading import EMPTY, CypherReader, GraphReader, Query
from tracegraph.graph.store import Store
from tracegraph.queries.schemes import arrival_ids, shipment_parts

SHRINK = 5.0  # pseudo-observations at the base rate behind every per-company rate
MIN_CHECKS = 200  # EU checks before a month needed to fit a model for it
MIN_NON_COMPLIANT = 20  # ... of which non-compliant
C = 0.5  # inverse L2 strength (on standardised features): mild. Choosing it per fit by 5-fold cross-
# validated log-loss over six values was measured (bench/targeting.py, held-out othergen seed 2):
# +0.015 expected catch at 10 %, mixed across settings, for 31 fits instead of one; not kept.


# -- reads ---------------------------------------------------------------------------------------------
def _arrivals_nx(g: GraphReader, window: tuple[str, str, str] | None) -> list[dict[str, Any]]:
    nodes, succ, pred_get = g.nodes, g.succ, g.pred.get
    ids = arrival_ids(g, window)  # the same arrivals as alignment's and the hand-built model's
    rows = []
    for aid in ids:
        a = nodes[aid]
        out = succ[aid]
        link = min(((v, d) for v, d in out.items() if d["type"] == SAME_CONSIGNMENT), key=lambda t: t[0], default=None)
        importer = min((v for v, d in out.items() if d["type"] == IMPORTED_BY), default=None)
        checks = [nodes[u] for u, d in pred_get(aid, EMPTY).items() if d["type"] == CHECKED]
        rows.append({"arrival": split_id(aid)[1], "arrived_on": a["arrived_on"], "entry_point": a.get("entry_point"),
                     "importer": split_id(importer)[1] if importer else None,
                     "shipment": split_id(link[0])[1] if link else None, "link_score": link[1].get("score") if link else None,
                     "checks": [[i.get("inspected_on"), i.get("outcome")] for i in checks]})
    return rows


def _arrivals_cypher(db: CypherReader, window: tuple[str, str, str] | None) -> list[dict[str, Any]]:
    match = ("MATCH (:Inspection)-[:CHECKED]->(a:Arrival) WITH DISTINCT a WHERE a.arrived_on IS NOT NULL" if window is None else
             "MATCH (a:Arrival) WHERE a.entry_point = $entry_point AND a.arrived_on >= $since AND a.arrived_on <= $until")
    params = {} if window is None else {"entry_point": window[0], "since": window[1], "until": window[2]}
    return db.rows(match + """
        CALL (a) { OPTIONAL MATCH (a)-[r:SAME_CONSIGNMENT]->(s:Shipment) RETURN s, r ORDER BY s.key LIMIT 1 }
        RETURN a.key AS arrival, a.arrived_on AS arrived_on, a.entry_point AS entry_point,
               COLLECT { MATCH (a)-[:IMPORTED_BY]->(i:Importer) RETURN i.key ORDER BY i.key LIMIT 1 }[0] AS importer,
               s.key AS shipment, r.score AS link_score,
               [(a)<-[:CHECKED]-(i:Inspection) | [i.inspected_on, i.outcome]] AS checks
        """, **params)


ARRIVALS = Query("arrivals with their importer, linked shipment and checks", _arrivals_nx, _arrivals_cypher)


def _shipment_parts_nx(g: GraphReader) -> list[dict[str, Any]]:
    rows = []
    for sid in g.ids(SHIPMENT):
        certificates, products, exporter = shipment_parts(g, sid)
        rows.append({"shipment": split_id(sid)[1], "exporter": exporter,
                     "certificates": [[c.get("issued_on", ""), c.get("result"), c.get("issuer")] for c in certificates],
                     "products": [[p.get("manufacturer_uscc"), p.get("category"), p.get("hs_code")] for p in products]})
    return rows


def _shipment_parts_cypher(db: CypherReader) -> list[dict[str, Any]]:
    return db.rows("""
        MATCH (s:Shipment)
        RETURN s.key AS shipment,
               [(s)<-[:COVERS]-(c:Certificate) | [coalesce(c.issued_on, ''), c.result, c.issuer]] AS certificates,
               [(s)<-[:LINE_OF]-(:ShipmentLine)-[:OF_PRODUCT]->(p:Product) | [p.manufacturer_uscc, p.category, p.hs_code]] AS products,
               COLLECT { MATCH (s)-[:EXPORTED_BY]->(x:Exporter) RETURN x.key ORDER BY x.key LIMIT 1 }[0] AS exporter
        """)


SHIPMENT_PARTS = Query("what a score reads of every shipment", _shipment_parts_nx, _shipment_parts_cypher)


class Parts(NamedTuple):
    """What a score reads of one CN shipment: each sorted, small and shared."""

    certificates: tuple[tuple[str, str | None, str | None], ...]  # (issued_on, result, issuer)
    factories: tuple[str, ...]
    categories: tuple[str, ...]
    exporter: str | None
    lines: int
    kinds: tuple[str, ...]  # each line's kind of product: its HS code, else its category


NO_PARTS = Parts((), (), (), None, 0, ())


class PartsByShipment(dict[str, Parts]):
    """shipment -> :class:`Parts`, pickled as plain tuples: kept with the data, a million of them
    are taken up in about a second rather than five (each Parts rebuilt by ``tuple.__new__``)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return _parts_by_shipment, (list(self), [tuple(p) for p in self.values()])


def _parts_by_shipment(keys: list[str], rows: list[tuple[Any, ...]]) -> PartsByShipment:
    return PartsByShipment(zip(keys, map(Parts._make, rows)))


def parts(store: Store) -> dict[str, Parts]:
    """shipment -> :class:`Parts`, kept until the data changes."""
    def build() -> dict[str, Parts]:
        return PartsByShipment(
            (r["shipment"], Parts(tuple(sorted(tuple(c) for c in r["certificates"])),
                                  tuple(sorted({p[0] for p in r["products"] if p[0]})),
                                  tuple(sorted({p[1] for p in r["products"] if p[1]})), r["exporter"], len(r["products"]),
                                  tuple(sorted(p[2] or p[1] or "" for p in r["products"]))))
            for r in store.run(SHIPMENT_PARTS))
    return store.memo("shipment_parts", build)


def _factory_events_nx(g: GraphReader) -> list[dict[str, Any]]:
    nodes = g.nodes
    rows = []
    for iid in g.ids(INVESTIGATION):
        i = nodes[iid]
        for m in g.out(iid, CONCERNS_FACTORY):
            rows.append({"kind": "investigation", "id": split_id(iid)[1], "uscc": split_id(m)[1], "day": i.get("opened_on"),
                         "closed_on": i.get("closed_on"), "measures": i.get("measures")})
    for fid in g.ids(FINDING):
        f = nodes[fid]
        for u in sorted({u for p in g.out(fid, MATCHES_PRODUCT) if (u := nodes[p].get("manufacturer_uscc"))}):
            rows.append({"kind": "finding", "id": split_id(fid)[1], "uscc": u, "day": f.get("found_on"),
                         "closed_on": None, "measures": None})
    return rows


def _factory_events_cypher(db: CypherReader) -> list[dict[str, Any]]:
    return db.rows("""
        CALL () {
          MATCH (i:Investigation)-[:CONCERNS_FACTORY]->(m:Manufacturer)
          RETURN 'investigation' AS kind, i.key AS id, m.key AS uscc, i.opened_on AS day, i.closed_on AS closed_on,
                 i.measures AS measures
          UNION
          MATCH (f:Finding)-[:MATCHES_PRODUCT]->(p:Product) WHERE p.manufacturer_uscc IS NOT NULL
          RETURN DISTINCT 'finding' AS kind, f.key AS id, p.manufacturer_uscc AS uscc, f.found_on AS day,
                 null AS closed_on, null AS measures
        }
        RETURN kind, id, uscc, day, closed_on, measures
        """)


FACTORY_EVENTS = Query("investigations and matched findings per factory", _factory_events_nx, _factory_events_cypher)


def _same_as_nx(g: GraphReader) -> list[dict[str, Any]]:
    return [{"a": split_id(m)[1], "b": split_id(t)[1]} for m in g.ids(MANUFACTURER) for t in g.out(m, SAME_AS)]


def _same_as_cypher(db: CypherReader) -> list[dict[str, Any]]:
    return db.rows("MATCH (a:Manufacturer)-[:SAME_AS]->(b:Manufacturer) RETURN a.key AS a, b.key AS b")


SAME_AS_PAIRS = Query("registrations of one factory", _same_as_nx, _same_as_cypher)


def arrival_rows(store: Store, window: tuple[str, str, str] | None) -> list[dict[str, Any]]:
    """The checked arrivals (``window`` None; kept until the data changes) or a window's, each with
    its outcomes, ``checked_on`` (its first check) and ``found_on`` (its first non-compliant check),
    in the same order from both stores."""
    def read() -> list[dict[str, Any]]:
        rows = store.run(ARRIVALS, window)
        for r in rows:  # an outcome is known from the day of the check that found it
            checks = [(d, o) for d, o in r.pop("checks") if d and o]
            bad = [d for d, o in checks if o == "non_compliant"]
            r["checked_on"] = min((d for d, _ in checks), default=None)
            r["found_on"] = min(bad) if bad else None
            r["outcomes"] = sorted(o for _, o in checks)
        return sorted(rows, key=lambda r: (r["arrived_on"], r["arrival"]))
    return store.memo("learned:checked", read) if window is None else read()


# -- history as of a day -------------------------------------------------------------------------------
_SHIFT = 20  # days since 1970 fit in 20 bits until the year 4840


def days(dates: Iterable[str]) -> np.ndarray:
    """ISO dates as days since 1970 (int64)."""
    return np.array(list(dates), dtype="datetime64[D]").astype(np.int64)


class Tally:
    """Counts of dated events per key: ``before(keys, days)`` sums the events of each key dated
    strictly before each day (a key of -1 has none)."""

    def __init__(self, keys: np.ndarray, when: np.ndarray, values: np.ndarray) -> None:
        codes = (keys.astype(np.int64) << _SHIFT) | when.astype(np.int64)
        order = np.argsort(codes, kind="stable")
        self.codes = codes[order]
        self.cum = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values[order], axis=0)])

    def before(self, keys: np.ndarray, when: np.ndarray) -> np.ndarray:
        k = keys.astype(np.int64)
        lo = np.searchsorted(self.codes, k << _SHIFT)
        hi = np.searchsorted(self.codes, (k << _SHIFT) | when.astype(np.int64))
        out = self.cum[hi] - self.cum[lo]
        out[k < 0] = 0.0
        return out


class Keys(dict):
    """Ids of strings, given in order of first use."""

    def __missing__(self, key: str) -> int:
        self[key] = len(self)
        return self[key]


def _groups(pairs: list[dict[str, Any]]) -> dict[str, str]:
    """Each registration's group name (the smallest USCC of its SAME_AS component)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for p in pairs:
        a, b = find(p["a"]), find(p["b"])
        if a != b:
            parent[max(a, b)] = min(a, b)
    names = {x for p in pairs for x in (p["a"], p["b"])}
    return {x: find(x) for x in names}


def own_certificate(certificates: Iterable[tuple[str, str | None, str | None]], day: str) -> tuple[str, list[str]]:
    """The arrival's own certificate as issued by its arrival day: none, pass or fail; its offices."""
    own = [c for c in certificates if c[0] <= day]
    results = {c[1] for c in own}
    status = "none" if not own else ("fail" if "fail" in results else "pass")
    return status, sorted({c[2] for c in own if c[2]})


@dataclass
class History:
    """Every dated event the features read, per key, built once until the data changes."""

    group: dict[str, str]  # registration -> its group's name
    factories: Keys = field(default_factory=Keys)
    companies: Keys = field(default_factory=Keys)  # exporters and importers ("x:" / "i:" prefixed)
    offices: Keys = field(default_factory=Keys)
    kinds: Keys = field(default_factory=Keys)
    eu: Tally | None = None  # key 0: every check; [checked, non-compliant, lines checked]
    eu_kind: Tally | None = None  # per kind of product: [lines checked, non-compliant consignments shared among their lines]
    eu_factory: Tally | None = None
    eu_company: Tally | None = None
    ciq_factory: Tally | None = None  # [certificates, failed]
    ciq_all: Tally | None = None
    office: Tally | None = None  # [non-compliant certified, of which failed], key 0 = every office
    factory_events: Tally | None = None  # [findings, investigations, measures]

    def g(self, uscc: str) -> str:
        return self.group.get(uscc, uscc)


def _checked_examples(store: Store) -> list[dict[str, Any]]:
    """The EU-checked arrivals joined with their shipment's parts (kept until the data changes)."""
    def build() -> list[dict[str, Any]]:
        p = parts(store)
        return [dict(r, parts=p.get(r["shipment"], NO_PARTS) if r["shipment"] else NO_PARTS)
                for r in arrival_rows(store, None) if r["checked_on"] and r["outcomes"]]
    return store.memo("learned:examples", build)


class _Events:
    """Dated events being gathered for one :class:`Tally`."""

    def __init__(self, width: int) -> None:
        self.keys: list[int] = []
        self.days: list[str] = []
        self.values: list[tuple[float, ...]] = []
        self.width = width

    def add(self, key: int, day: str, *values: float) -> None:
        self.keys.append(key)
        self.days.append(day)
        self.values.append(values)

    def tally(self) -> Tally:
        return Tally(np.array(self.keys, np.int64), days(self.days), np.array(self.values, np.float64).reshape(-1, self.width))


def history(store: Store) -> History:
    """Every dated event, tallied (kept until the data changes)."""
    def build() -> History:
        h = History(_groups(store.run(SAME_AS_PAIRS)))
        eu, kinds, factories, companies, offices = _Events(3), _Events(2), _Events(2), _Events(2), _Events(2)
        for r in _checked_examples(store):
            # checked on its first check's day; non-compliant from the day a check found it so
            day, found, pr = r["checked_on"], r["found_on"], r["parts"]
            steps = [(day, 1.0, float(found == day))] + ([(found, 0.0, 1.0)] if found and found != day else [])
            fs = {h.g(u) for u in pr.factories}
            cs = ([f"x:{pr.exporter}"] if pr.exporter else []) + ([f"i:{r['importer']}"] if r["importer"] else [])
            for when, n, bad in steps:
                eu.add(0, when, n, bad, n * pr.lines)
                for kind in pr.kinds:
                    kinds.add(h.kinds[kind], when, n, bad / pr.lines)
                for f in fs:
                    factories.add(h.factories[f], when, n, bad)
                for c in cs:
                    companies.add(h.companies[c], when, n, bad)
            status, names = own_certificate(pr.certificates, r["arrived_on"])
            if status != "none" and found:  # sensitivity: of the non-compliant certified, the share CIQ failed
                for o in ["*"] + names:
                    offices.add(h.offices[o], found, 1.0, float(status == "fail"))
        h.eu, h.eu_kind, h.eu_factory, h.eu_company, h.office = (eu.tally(), kinds.tally(), factories.tally(),
                                                                 companies.tally(), offices.tally())
        ciq, ciq_all = _Events(2), _Events(2)
        for pr in parts(store).values():
            fs = {h.g(u) for u in pr.factories}
            for issued, result, _ in pr.certificates:
                if issued:
                    failed = float(result == "fail")
                    for f in fs:
                        ciq.add(h.factories[f], issued, 1.0, failed)
                    ciq_all.add(0, issued, 1.0, failed)
        h.ciq_factory, h.ciq_all = ciq.tally(), ciq_all.tally()
        events = _Events(3)
        for e in store.run(FACTORY_EVENTS):
            if not e["day"] or not e["uscc"]:
                continue
            f = h.factories[h.g(e["uscc"])]
            if e["kind"] == "finding":
                events.add(f, e["day"], 1.0, 0.0, 0.0)
            else:
                events.add(f, e["day"], 0.0, 1.0, 0.0)
                if e["measures"] and e["closed_on"]:  # measures count from the day they were known: closing
                    events.add(f, e["closed_on"], 0.0, 0.0, 1.0)
        h.factory_events = events.tally()
        return h
    return store.memo("learned:history", build)


# -- features ------------------------------------------------------------------------------------------
FEATURES = ("cert_none", "cert_fail", "cert_pass_sensitivity", "lines", "factories", "categories", "line_risk",
            "factory_eu_rate", "factory_eu_checks", "factory_ciq_rate", "factory_ciq_certificates",
            "factory_findings", "factory_investigations", "factory_measures",
            "exporter_eu_rate", "exporter_eu_checks", "importer_eu_rate", "importer_eu_checks",
            "link_score", "no_shipment")
NO_HISTORY = ("cert_none", "cert_fail", "lines", "factories")  # the baseline: what the consignment itself says


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


@dataclass
class Matrix:
    """The features of some arrivals, and what their reasons need to be put in words."""

    x: np.ndarray  # rows × FEATURES
    categories: list[tuple[str, ...]]
    notes: list[dict[str, Any]]  # per arrival: certificate, offices, worst factory and its counts ...


def features(h: History, rows: list[dict[str, Any]], p: dict[str, Parts]) -> Matrix:
    """The features of ``rows`` (arrivals), each as known on its arrival day: only events dated before it,
    and its own certificates as far as they were issued by then."""
    n = len(rows)
    assert h.eu and h.eu_kind and h.eu_factory and h.eu_company and h.ciq_factory and h.ciq_all and h.office and h.factory_events
    d = days(r["arrived_on"] for r in rows) if n else np.zeros(0, np.int64)
    zero = np.zeros(n, np.int64)
    eu = h.eu.before(zero, d)
    base = (eu[:, 1] + 1) / (eu[:, 0] + 2)
    cq = h.ciq_all.before(zero, d)
    ciq_base = (cq[:, 1] + 1) / (cq[:, 0] + 2)
    sens_all = h.office.before(np.full(n, h.offices.get("*", -1)), d)
    sens_base = (sens_all[:, 1] + 1) / (sens_all[:, 0] + 2)
    pr = [p.get(r["shipment"], NO_PARTS) if r["shipment"] else NO_PARTS for r in rows]
    # each line's kind's rate per line, shrunk to the day's rate per line; a consignment is unsafe if any line is
    line_base = np.clip((eu[:, 1] + 1) / (eu[:, 2] + 2), 1e-4, 0.5)
    la = np.array([i for i, x in enumerate(pr) for _ in x.kinds], np.int64)
    lk = np.array([h.kinds.get(k, -1) for x in pr for k in x.kinds], np.int64)
    lc = h.eu_kind.before(lk, d[la]) if len(la) else np.zeros((0, 2))
    line_rate = (lc[:, 1] + SHRINK * line_base[la]) / (lc[:, 0] + SHRINK) if len(la) else np.zeros(0)
    safe = np.zeros(n)
    np.add.at(safe, la, np.log1p(-np.clip(line_rate, 0, 0.99)))
    line_risk = np.where([bool(x.kinds) for x in pr], 1 - np.exp(safe), base) if n else np.zeros(0)
    # one (arrival, factory group) pair per row of these arrays
    pairs = [(i, f) for i, x in enumerate(pr) for f in sorted({h.g(u) for u in x.factories})]
    pair_name = [f for _, f in pairs]
    pa = np.array([i for i, _ in pairs], np.int64)
    pk = np.array([h.factories.get(f, -1) for _, f in pairs], np.int64)
    pd = d[pa] if len(pa) else np.zeros(0, np.int64)
    feu, fciq, fev = h.eu_factory.before(pk, pd), h.ciq_factory.before(pk, pd), h.factory_events.before(pk, pd)
    eu_rate = (feu[:, 1] + SHRINK * base[pa]) / (feu[:, 0] + SHRINK) if len(pa) else np.zeros(0)
    ciq_rate = (fciq[:, 1] + SHRINK * ciq_base[pa]) / (fciq[:, 0] + SHRINK) if len(pa) else np.zeros(0)
    worst_eu, worst_ciq = base.copy(), ciq_base.copy()
    np.maximum.at(worst_eu, pa, eu_rate)
    np.maximum.at(worst_ciq, pa, ciq_rate)
    sums = np.zeros((n, 7))
    np.add.at(sums, pa, np.hstack([feu, fciq, fev]))
    comp = {}
    for kind, prefix in (("exporter", "x:"), ("importer", "i:")):
        names = [(x.exporter if kind == "exporter" else r["importer"]) for r, x in zip(rows, pr)]
        keys = np.array([h.companies.get(prefix + k, -1) if k else -1 for k in names], np.int64)
        c = h.eu_company.before(keys, d)
        comp[kind] = (c, (c[:, 1] + SHRINK * base) / (c[:, 0] + SHRINK), names)
    cert = [own_certificate(x.certificates, r["arrived_on"]) for r, x in zip(rows, pr)]
    office_keys = [[h.offices.get(o, -1) for o in offices] for _, offices in cert]
    sens = sens_base.copy()
    flat = [(i, k) for i, ks in enumerate(office_keys) for k in ks]
    if flat:
        oi = np.array([i for i, _ in flat], np.int64)
        oc = h.office.before(np.array([k for _, k in flat], np.int64), d[oi])
        s = (oc[:, 1] + SHRINK * sens_base[oi]) / (oc[:, 0] + SHRINK)
        sens = np.full(n, -1.0)
        np.maximum.at(sens, oi, s)
        sens = np.where(sens < 0, sens_base, sens)
    status = np.array([c[0] for c in cert])
    link = np.array([r["link_score"] if r["shipment"] and r["link_score"] is not None else 0.0 for r in rows], np.float64)
    X = np.column_stack([
        status == "none", status == "fail", np.where(status == "pass", sens, 0.0),
        np.log1p([q.lines for q in pr]), np.log1p([len(q.factories) for q in pr]), np.log1p([len(q.categories) for q in pr]),
        _logit(line_risk) - _logit(base), _logit(worst_eu) - _logit(base), np.log1p(sums[:, 0]), _logit(worst_ciq) - _logit(ciq_base), np.log1p(sums[:, 2]),
        np.log1p(sums[:, 4]), np.log1p(sums[:, 5]), np.log1p(sums[:, 6]),
        _logit(comp["exporter"][1]) - _logit(base), np.log1p(comp["exporter"][0][:, 0]),
        _logit(comp["importer"][1]) - _logit(base), np.log1p(comp["importer"][0][:, 0]),
        link, np.array([r["shipment"] is None for r in rows]),
    ]).astype(np.float64) if n else np.zeros((0, len(FEATURES)))
    # what the reasons say: the worst factory by EU rate, and the counts behind each feature
    worst_name: list[str | None] = [None] * n
    best = np.full(n, -1.0)
    for j in range(len(pa)):
        i = int(pa[j])
        if eu_rate[j] > best[i]:
            best[i], worst_name[i] = eu_rate[j], pair_name[j]
    notes = [{"base": float(base[i]), "cert": cert[i][0], "offices": cert[i][1], "sensitivity": float(sens[i]),
              "factory": worst_name[i], "eu": (int(sums[i, 0]), int(sums[i, 1])), "ciq": (int(sums[i, 2]), int(sums[i, 3])),
              "events": (int(sums[i, 4]), int(sums[i, 5]), int(sums[i, 6])),
              "exporter": (comp["exporter"][2][i], int(comp["exporter"][0][i, 0]), int(comp["exporter"][0][i, 1])),
              "importer": (comp["importer"][2][i], int(comp["importer"][0][i, 0]), int(comp["importer"][0][i, 1])),
              "kinds": pr[i].kinds, "line_risk": float(line_risk[i]), "lines": pr[i].lines, "n_factories": len(pr[i].factories), "link": float(link[i]),
              "shipment": rows[i]["shipment"]} for i in range(n)]
    return Matrix(X, [q.categories for q in pr], notes)


# -- the model -----------------------------------------------------------------------------------------
@dataclass
class Fit:
    """A model fitted on the EU checks made before ``cutoff``, or why there is none."""

    cutoff: str
    columns: tuple[str, ...]  # feature names, then "category:<name>" for each category seen in training
    checks: int
    non_compliant: int
    scaler: StandardScaler | None = None
    model: LogisticRegression | None = None
    why_not: str | None = None

    @property
    def note(self) -> str:
        if self.why_not:
            return self.why_not
        return (f"learned: logistic regression fitted on {self.checks:,} EU checks made before {self.cutoff} "
                f"({self.non_compliant:,} non-compliant)")


def design(m: Matrix, names: tuple[str, ...], columns: tuple[str, ...]) -> np.ndarray:
    """The model's input: the named features, then one 0/1 column per training category."""
    idx = [FEATURES.index(c) for c in names]
    cats = [c.split(":", 1)[1] for c in columns if c.startswith("category:")]
    column = {c: j for j, c in enumerate(cats)}
    onehot = np.zeros((len(m.categories), len(cats)))
    hits = [(i, column[c]) for i, row in enumerate(m.categories) for c in row if c in column]
    if hits:
        rows, cols = zip(*hits)
        onehot[list(rows), list(cols)] = 1.0
    return np.hstack([m.x[:, idx], onehot])


def fit(store: Store, cutoff: str, names: tuple[str, ...] = FEATURES, categories: bool = True) -> Fit:
    """The model for arrivals of the month starting ``cutoff``: fitted on every arrival whose first EU
    check was made before ``cutoff`` (kept until the data changes)."""
    def build() -> Fit:
        examples = [r for r in _checked_examples(store) if r["checked_on"] < cutoff]
        y = np.array([bool(r["found_on"]) and r["found_on"] < cutoff for r in examples], np.float64)
        bad = int(y.sum())
        base = Fit(cutoff, names, len(examples), bad)
        if len(examples) < MIN_CHECKS or bad < MIN_NON_COMPLIANT or len(examples) - bad < MIN_NON_COMPLIANT:
            base.why_not = (f"fallback: {len(examples):,} EU checks ({bad:,} non-compliant) before {cutoff}; a learned model "
                            f"needs {MIN_CHECKS} and {MIN_NON_COMPLIANT} of each outcome; the hand-built model")
            return base
        m = features(history(store), examples, {r["shipment"]: r["parts"] for r in examples if r["shipment"]})
        seen = sorted({c for cs in m.categories for c in cs}) if categories else []
        columns = names + tuple(f"category:{c}" for c in seen)
        X = design(m, names, columns)
        scaler = StandardScaler().fit(X)
        model = LogisticRegression(C=C, max_iter=1000).fit(scaler.transform(X), y)
        return Fit(cutoff, columns, len(examples), bad, scaler, model)
    return store.memo(f"learned:fit:{cutoff}:{','.join(names)}:{categories}", build)


def month_start(day: str) -> str:
    return day[:7] + "-01"


# -- reasons in words ----------------------------------------------------------------------------------
_GROUPS = {"cert_none": "certificate", "cert_fail": "certificate", "cert_pass_sensitivity": "certificate",
           "lines": "size", "factories": "size", "categories": "size", "line_risk": "kinds",
           "factory_eu_rate": "factory_eu", "factory_eu_checks": "factory_eu",
           "factory_ciq_rate": "factory_ciq", "factory_ciq_certificates": "factory_ciq",
           "factory_findings": "factory_events", "factory_investigations": "factory_events", "factory_measures": "factory_events",
           "exporter_eu_rate": "exporter", "exporter_eu_checks": "exporter",
           "importer_eu_rate": "importer", "importer_eu_checks": "importer",
           "link_score": "link", "no_shipment": "link"}


def _say(group: str, n: dict[str, Any], categories: tuple[str, ...]) -> str:
    if group == "certificate":
        if n["cert"] == "none":
            return "no CIQ certificate: China did not inspect this consignment"
        if n["cert"] == "fail":
            return f"CIQ certificate FAILED by {', '.join(n['offices']) or 'an unnamed office'}"
        return (f"passing CIQ certificate from {', '.join(n['offices']) or 'an unnamed office'}, which failed "
                f"{n['sensitivity']:.0%} of what the EU later found non-compliant")
    if group == "size":
        return f"{n['lines']} product lines from {n['n_factories']} factories"
    if group == "kinds":
        return (f"its kinds of product ({', '.join(sorted(set(n['kinds']))[:3])}{' …' if len(set(n['kinds'])) > 3 else ''}): "
                f"a consignment of such lines is found non-compliant {n['line_risk']:.1%} of the time, against {n['base']:.1%}")
    if group == "factory_eu":
        checked, bad = n["eu"]
        who = f"factory {n['factory']}" if n["factory"] else "its factories"
        return f"{who} (registrations pooled): {bad} of {checked} earlier EU checks of its factories non-compliant"
    if group == "factory_ciq":
        return f"its factories: {n['ciq'][1]} of {n['ciq'][0]} earlier CIQ certificates failed"
    if group == "factory_events":
        f, i, m = n["events"]
        return f"its factories: {f} earlier EU findings matched to their products, {i} AQSIQ investigations, {m} with measures"
    if group in ("exporter", "importer"):
        name, checked, bad = n[group]
        return f"{group} {name or 'unknown'}: {bad} of {checked} earlier EU checks non-compliant"
    if group == "link":
        if n["shipment"] is None:
            return "no CN export shipment found for this arrival: its factories are unknown"
        return f"linked to CN shipment {n['shipment']} with score {n['link']:.2f}"
    return f"category {', '.join(categories)}"


def _odds(c: float) -> str:
    return f"odds ×{math.exp(c):.1f}" if c >= 0 else f"odds ÷{math.exp(-c):.1f}"


@dataclass
class Scored:
    score: float
    reasons: list[str]


def predict(f: Fit, m: Matrix, names: tuple[str, ...], reasons: bool = True) -> list[Scored]:
    """Probabilities and, per arrival, the features' contributions to its log-odds in words."""
    assert f.model is not None and f.scaler is not None
    X = design(m, names, f.columns)
    Z = f.scaler.transform(X)
    prob = f.model.predict_proba(Z)[:, 1]
    if not reasons:
        return [Scored(float(p), []) for p in prob]
    contrib = Z * f.model.coef_[0]  # coef · (x − mean) / scale: each feature's push on the log-odds
    groups = [_GROUPS.get(c, "category") for c in f.columns]
    keys = sorted(set(groups))
    G = np.zeros((len(groups), len(keys)))
    for j, g in enumerate(groups):
        G[j, keys.index(g)] = 1.0
    by_group = contrib @ G
    out = []
    for i in range(len(prob)):
        order = np.argsort(-np.abs(by_group[i]))
        texts = [f"{_say(keys[k], m.notes[i], m.categories[i])} ({_odds(by_group[i, k])})"
                 for k in order[:5] if abs(by_group[i, k]) >= 0.05]
        out.append(Scored(float(prob[i]), texts))
    return out


def score_window(store: Store, entry_point: str, since: str, until: str, names: tuple[str, ...] = FEATURES,
                 reasons: bool = True) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The window's arrivals scored by the learned model, and those it cannot score (each with
    ``note``: why), for the caller to score another way."""
    rows = arrival_rows(store, (entry_point, since, until))
    p = parts(store)
    h = history(store)
    by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_month[month_start(r["arrived_on"])].append(r)
    scored, left = [], []
    for cutoff, month in sorted(by_month.items()):
        f = fit(store, cutoff, names, categories=names == FEATURES)
        if f.model is None:
            left += [dict(r, note=f.note) for r in month]
            continue
        seen = {c.split(":", 1)[1] for c in f.columns if c.startswith("category:")}
        m = features(h, month, p)
        ok = [i for i, cs in enumerate(m.categories) if names != FEATURES or not cs or set(cs) & seen]
        for i in sorted(set(range(len(month))) - set(ok)):
            left.append(dict(month[i], note=f"fallback: no EU check before {cutoff} carried its categories "
                                             f"({', '.join(m.categories[i])}); the hand-built model"))
        sub = Matrix(m.x[ok], [m.categories[i] for i in ok], [m.notes[i] for i in ok])
        for i, s in zip(ok, predict(f, sub, names, reasons)):
            r = month[i]
            scored.append({"mrn": r["arrival"], "arrived_on": r["arrived_on"], "score": round(s.score, 4),
                           "reasons": s.reasons, "model": "learned", "model_note": f.note})
    return scored, left

"""The China-RAPEX follow-up loop: the Safety Gate alerts on products from China that the EU
forwards to AQSIQ, each traced to its factory, with what AQSIQ found and did; and the quarterly
report AQSIQ sends back.

``worklist(store, since, until, status)`` is AQSIQ's work list: every finding with a Safety Gate
alert number (``alert_no``) whose product comes from mainland China (:func:`from_china`), forwarded
(``found_on``) from ``since`` to ``until``, with

* its trace, in bulk as :func:`tracegraph.queries.offenders.offenders` does it (the same evidence,
  the same ranking): the status and the top candidate factory;
* its follow-up: the investigation AQSIQ recorded on it (``cn-investigations``, or the API), with
  its status, outcomes, the factory it found, root cause, measures and dates;
* its state as of a day (``as_of``, default today): ``uninvestigated``, ``pending`` or
  ``concluded`` (closed or not traceable by then), and ``overdue`` when still not concluded more
  than :data:`DUE_DAYS` days after it was forwarded.

``report(store, "2024Q3")`` counts the quarter's notifications: forwarded, traced to a factory,
investigated, concluded, by outcome, by category and by hazard; the alerts of any quarter still
open past :data:`DUE_DAYS` days as of the report's day; and the factories that recur across the
quarters of the trailing year.

The reads are one networkx walk and one Cypher text, side by side; the rest is shared.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from tracegraph.graph.model import CONCERNS, CONCERNS_FACTORY, FINDING, INVESTIGATES, MANUFACTURER, split_id
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.graph.store import Store
from tracegraph.loaders.rules import INVESTIGATION_STATUSES, OUTCOMES
from tracegraph.loaders.safety_gate import country_code, parse_alert_number
from tracegraph.queries.nodes import nodes, sorted_by
from tracegraph.queries.offenders import COMPANIES, SAME_AS_OF
from tracegraph.queries.trace import evidence, rank, reached

DUE_DAYS = 90  # the exchange's deadline: a notification still open past it is reported as overdue
CONCLUDED = ("closed", "not_traceable")  # statuses after which nothing more is to be done
# What ``status`` may select: a follow-up status, or a state (no follow-up yet, not concluded, past due, concluded).
STATUS_FILTERS = ("uninvestigated", *INVESTIGATION_STATUSES, "pending", "overdue", "concluded")
TRAILING_QUARTERS = 4  # recurring factories: across the quarters of the trailing year


# -- which alerts are China's --------------------------------------------------------------------------------
# Other customs territories: a text naming one is not mainland China, whatever else it says
# ("Hong Kong, China", "China (Hong Kong)", "Taiwan, Province of China").
_OTHER_TERRITORIES = re.compile(r"hong\s*kong|macao|macau|taiwan|taipei|香港|澳门|澳門|台湾|台灣", re.I)
_CHINA_HAN = re.compile(r"中国|中國|中华人民共和国|中華人民共和國")
# China in the EU's languages, as a word of a text the loader could not read as one country.
_CHINA_WORDS = frozenset({"china", "prc", "chine", "cina", "ċina", "chiny", "čína", "kína", "kina", "kiina", "hiina",
                          "ķīna", "kinija", "kitajska", "κίνα", "китай"})
_PARTS = re.compile(r"[,;/&+()\[\]\n]|\band\b|\bor\b", re.I)


def from_china(origin: str | None) -> bool:
    """Whether a country of origin, as stored, is mainland China: ``CN``, and the texts the Safety
    Gate loader kept as written because they name no one country it knows (``China (PRC)``,
    ``Made in China``, ``中国``, ``Chine``, ``China, Vietnam``), but not Hong Kong, Macao or Taiwan.

    >>> [from_china(t) for t in ("CN", "China (PRC)", "中华人民共和国", "Hong Kong, China", "China (Hong Kong)", "TW", None)]
    [True, True, True, False, False, False, False]
    """
    text = " ".join((origin or "").split())
    if not text:
        return False
    code = country_code(text)
    if code is not None:
        return code == "CN"
    if _OTHER_TERRITORIES.search(text):
        return False
    if _CHINA_HAN.search(text):
        return True
    for part in _PARTS.split(text):
        part = part.strip()
        if part and (country_code(part) == "CN" or _CHINA_WORDS & set(re.findall(r"[^\W\d_]+", part.casefold()))):
            return True
    return False


# -- reads, per store --------------------------------------------------------------------------------------
_ALERT_FIELDS = ("alert_no", "found_on", "product_name", "brand", "model", "category", "hazard", "hazards", "risk_level",
                 "country_of_origin", "notifying_country")
_FOLLOW_UP_FIELDS = ("status", "outcomes", "root_cause", "measures", "opened_on", "closed_on", "reported_on")


def _alerts_nx(g: GraphReader, since: str, until: str) -> list[dict[str, Any]]:
    nodes = g.nodes
    days, ids = sorted_by(g, FINDING, "found_on")
    rows = []
    for fid in ids[bisect_left(days, since): bisect_right(days, until)]:
        f = nodes[fid]
        if f.get("alert_no") is None:
            continue
        follow_up = None
        for iid in g.into(fid, INVESTIGATES):
            i = nodes[iid]
            follow_up = {name: i.get(name) for name in _FOLLOW_UP_FIELDS}
            follow_up["factory"] = min((split_id(m)[1] for m in g.out(iid, CONCERNS_FACTORY)), default=None)
            follow_up["sources"] = list(i.get("_src", ()))
        rows.append({"id": split_id(fid)[1], **{name: f.get(name) for name in _ALERT_FIELDS},
                     "arrival_origins": [nodes[a].get("country_of_origin") for a in g.out(fid, CONCERNS)],
                     "follow_up": follow_up})
    return rows


def _alerts_cypher(db: CypherReader, since: str, until: str) -> list[dict[str, Any]]:
    alert = ", ".join(f"f.{name} AS {name}" for name in _ALERT_FIELDS)
    follow_up = ", ".join(f"{name}: i.{name}" for name in _FOLLOW_UP_FIELDS)
    return db.rows(f"""
        MATCH (f:Finding) WHERE f.found_on >= $since AND f.found_on <= $until AND f.alert_no IS NOT NULL
        CALL (f) {{
          OPTIONAL MATCH (f)-[:CONCERNS]->(a:Arrival)
          RETURN collect(a.country_of_origin) AS arrival_origins
        }}
        CALL (f) {{
          OPTIONAL MATCH (f)<-[:INVESTIGATES]-(i:Investigation)
          OPTIONAL MATCH (i)-[:CONCERNS_FACTORY]->(m:Manufacturer)
          WITH i, min(m.key) AS factory
          RETURN CASE WHEN i IS NULL THEN NULL ELSE {{{follow_up}, factory: factory, sources: i._src}} END AS follow_up
        }}
        RETURN f.key AS id, {alert}, arrival_origins, follow_up
        """, since=since, until=until)


ALERTS = Query("Safety Gate alerts of a window, with their follow-up", _alerts_nx, _alerts_cypher)


# -- the shared arithmetic --------------------------------------------------------------------------------
def _day(text: str) -> date:
    return date.fromisoformat(text)


def _concluded_on(f: dict[str, Any]) -> str | None:
    """The day a follow-up was concluded: its ``closed_on``; for one closed or not traceable without
    it, the day it was reported back, else opened."""
    if f.get("closed_on"):
        return str(f["closed_on"])
    if f.get("status") in CONCLUDED:
        return f.get("reported_on") or f.get("opened_on")
    return None


def _state(alert: dict[str, Any], as_of: str) -> None:
    """Set the alert's ``state``, ``due_on``, ``overdue`` and ``days_open`` as of ``as_of``."""
    f = alert["follow_up"]
    done = _concluded_on(f) if f else None
    concluded = done is not None and done <= as_of
    alert["state"] = "concluded" if concluded else "pending" if f and (f.get("opened_on") or "") <= as_of else "uninvestigated"
    alert["due_on"] = (_day(alert["forwarded_on"]) + timedelta(days=DUE_DAYS)).isoformat()
    alert["overdue"] = not concluded and as_of > alert["due_on"]
    end = done if concluded and done else as_of
    alert["days_open"] = max(0, (_day(end) - _day(alert["forwarded_on"])).days)


def _factory_of(alert: dict[str, Any]) -> dict[str, Any] | None:
    """The factory an alert is put down to: the one AQSIQ's follow-up found, else the trace's top
    candidate when the trace is sure enough to say ``traced``."""
    f = alert["follow_up"]
    if f and f["factory"]:
        return f["factory"]  # type: ignore[no-any-return]
    top = alert["trace"]["top"]
    return top if top and alert["trace"]["status"] == "traced" else None


def _selected(alert: dict[str, Any], status: str) -> bool:
    f = alert["follow_up"]
    if status == "overdue":
        return bool(alert["overdue"])
    if status == "concluded":
        return alert["state"] == "concluded"
    if status == "pending":
        return alert["state"] != "concluded"
    if status == "uninvestigated":
        return f is None
    return f is not None and f.get("status") == status


def _listed(v: Any) -> list[Any]:
    return sorted(v) if isinstance(v, (set, frozenset)) else list(v or ())


def worklist(store: Store, since: str | None = None, until: str | None = None, status: str | None = None,
             as_of: str | None = None) -> list[dict[str, Any]]:
    """AQSIQ's work list: the alerts on products from China forwarded from ``since`` to ``until``
    (ISO dates, either open), oldest first, each traced (top candidate factory) with its follow-up
    and its state as of ``as_of`` (default today); ``status`` (one of :data:`STATUS_FILTERS`)
    keeps those with that follow-up status or state."""
    if status is not None and status not in STATUS_FILTERS:
        raise ValueError(f"status is one of {', '.join(STATUS_FILTERS)}, not {status!r}")
    as_of = as_of or date.today().isoformat()
    rows = [r for r in store.run(ALERTS, since or "0001-01-01", until or "9999-12-31")
            if from_china(r["country_of_origin"] or next((o for o in r["arrival_origins"] if o), None))]
    by_id = {r["id"]: r for r in rows}
    found = evidence(store, sorted(by_id)) if by_id else []
    usccs = sorted(set().union(*map(reached, found)))
    same_as = {r["uscc"]: sorted(r["same_as"]) for r in store.run(SAME_AS_OF, usccs)} if usccs else {}
    traces = {row["id"]: rank(row, same_as) for row in found}
    named = {t.candidates[0].uscc for t in traces.values() if t.candidates}
    named |= {r["follow_up"]["factory"] for r in rows if r["follow_up"] and r["follow_up"]["factory"]}
    names = {c["key"]: c for c in store.run(COMPANIES, [{"label": MANUFACTURER, "key": u} for u in sorted(named)])} if named else {}

    def company(uscc: str | None) -> dict[str, Any] | None:
        if not uscc:
            return None
        c = names.get(uscc, {})
        return {"uscc": uscc, "name_zh": c.get("name_zh"), "name_en": c.get("name_en")}

    out = []
    for r in sorted(rows, key=lambda r: (r["found_on"], r["alert_no"], r["id"])):
        t = traces[r["id"]]
        top = t.candidates[0] if t.candidates else None
        f = r["follow_up"]
        follow_up = None
        if f:
            follow_up = {name: f.get(name) for name in _FOLLOW_UP_FIELDS}
            follow_up["outcomes"] = _listed(f.get("outcomes"))
            follow_up["factory"] = company(f.get("factory"))
            follow_up["recorded_by"] = sorted(s for s in _listed(f.get("sources")) if s.startswith("cn:"))
        alert = {
            "alert_no": r["alert_no"], "finding_id": r["id"], "forwarded_on": r["found_on"],
            "quarter": quarter_of(r["found_on"]), "product_name": r["product_name"], "brand": r["brand"],
            "model": r["model"], "category": r["category"], "hazard": r["hazard"],
            "hazards": _listed(r["hazards"]) or ([r["hazard"]] if r["hazard"] else []), "risk_level": r["risk_level"],
            "country_of_origin": r["country_of_origin"] or next((o for o in r["arrival_origins"] if o), None),
            "notifying_country": r["notifying_country"],
            "trace": {"status": t.status, "reason": t.reason, "candidates": len(t.candidates),
                      "top": dict(company(top.uscc) or {}, confidence=top.confidence) if top else None},
            "follow_up": follow_up,
        }
        alert["factory"] = _factory_of(alert)
        _state(alert, as_of)
        if status is None or _selected(alert, status):
            out.append(alert)
    return out


# -- the quarterly report ----------------------------------------------------------------------------------
_QUARTER = re.compile(r"^\s*([0-9]{4})\s*-?\s*Q([1-4])\s*$", re.I)


def parse_quarter(text: str) -> tuple[int, int]:
    """``(year, quarter)`` of ``2024Q3`` (or ``2024-Q3``); ValueError for anything else."""
    m = _QUARTER.match(text or "")
    if not m:
        raise ValueError(f"quarter {text!r} is not a quarter like 2024Q3")
    return int(m.group(1)), int(m.group(2))


def quarter_bounds(year: int, q: int) -> tuple[str, str]:
    """The first and last day of a quarter, ISO."""
    first = date(year, 3 * q - 2, 1)
    last = (date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1))
    return first.isoformat(), last.isoformat()


def quarter_of(day: str) -> str:
    """``2024Q3`` for a day of that quarter."""
    return f"{day[:4]}Q{(int(day[5:7]) - 1) // 3 + 1}"


def _shift(year: int, q: int, by: int) -> tuple[int, int]:
    n = year * 4 + (q - 1) + by
    return n // 4, n % 4 + 1


def default_as_of(quarter: str, today: date | None = None) -> str:
    """The day a report on ``quarter`` counts as of by default: the quarter's last day once it has
    ended (the figures are then the quarter's at its close, the same however late the report is
    written), else today."""
    last = quarter_bounds(*parse_quarter(quarter))[1]
    return min(last, (today or date.today()).isoformat())


def _investigated(alert: dict[str, Any], as_of: str) -> bool:
    f = alert["follow_up"]
    return bool(f) and (f.get("opened_on") or "") <= as_of


def _groups(alerts: list[dict[str, Any]], keys: Any, as_of: str, name: str) -> list[dict[str, Any]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for a in alerts:
        for k in keys(a):
            c = counts[k]
            c["forwarded"] += 1
            c["traced"] += a["trace"]["status"] == "traced"
            c["investigated"] += _investigated(a, as_of)
            c["concluded"] += a["state"] == "concluded"
    order = sorted(counts, key=lambda k: (-counts[k]["forwarded"], k))
    return [{name: k, **{f: counts[k][f] for f in ("forwarded", "traced", "investigated", "concluded")}} for k in order]


def report(store: Store, quarter: str, as_of: str | None = None) -> dict[str, Any]:
    """The follow-up report of ``quarter`` (``2024Q3``) as of ``as_of`` (default :func:`default_as_of`)."""
    year, q = parse_quarter(quarter)
    name = f"{year}Q{q}"
    since, until = quarter_bounds(year, q)
    as_of = as_of or default_as_of(name)
    trailing_since = quarter_bounds(*_shift(year, q, -(TRAILING_QUARTERS - 1)))[0]
    upto = min(until, as_of)  # as of a day before the quarter began, none of its notifications was forwarded yet
    alerts = worklist(store, until=as_of, as_of=as_of)  # every quarter's: the backlog reaches back
    mine = [a for a in alerts if since <= a["forwarded_on"] <= upto]
    outcomes: Counter[str] = Counter(o for a in mine if _investigated(a, as_of) for o in a["follow_up"]["outcomes"])
    overdue = [a for a in alerts if a["overdue"]]
    recurring: dict[str, dict[str, Any]] = {}
    for a in alerts:
        factory = a["factory"]
        if factory is None or not trailing_since <= a["forwarded_on"] <= upto:
            continue
        r = recurring.setdefault(factory["uscc"], {"uscc": factory["uscc"], "name_zh": factory.get("name_zh"),
                                                   "name_en": factory.get("name_en"), "alert_nos": [], "quarters": set()})
        r["alert_nos"].append(a["alert_no"])
        r["quarters"].add(a["quarter"])
    factories = [dict(r, alerts=len(r["alert_nos"]), quarters=sorted(r["quarters"]), in_quarter=sum(
                     1 for a in mine if (a["factory"] or {}).get("uscc") == u))
                 for u, r in recurring.items() if len(r["quarters"]) >= 2]
    factories.sort(key=lambda r: (-len(r["quarters"]), -r["alerts"], r["uscc"]))
    return {
        "quarter": name, "since": since, "until": until, "as_of": as_of, "due_days": DUE_DAYS,
        "trailing_since": trailing_since,
        "forwarded": len(mine),
        "traced": sum(a["trace"]["status"] == "traced" for a in mine),
        "investigated": sum(_investigated(a, as_of) for a in mine),
        "concluded": sum(a["state"] == "concluded" for a in mine),
        "open_past_due": len(overdue),
        "open_past_due_of_quarter": sum(a["overdue"] for a in mine),
        "by_outcome": [{"outcome": o, "alerts": outcomes[o]} for o in OUTCOMES],
        "by_category": _groups(mine, lambda a: [a["category"] or "(none)"], as_of, "category"),
        "by_hazard": _groups(mine, lambda a: a["hazards"] or ["(none)"], as_of, "hazard"),
        "alerts": mine,
        "overdue": overdue,
        "recurring_factories": factories,
    }


# -- which finding a follow-up answers -----------------------------------------------------------------------
def finding_keys(store: Store, given: list[str]) -> list[str | None]:
    """The finding each text names, as a follow-up may name it: its id, or an alert number in any
    of the forms Safety Gate writes (``A12/0912/19`` is the alert ``A12/00912/19``); ``None`` for
    a text that names no finding in the store."""
    forms = [[t.strip()] + ([number.key] if (number := parse_alert_number(t)) else []) for t in given]
    known = nodes(store, FINDING, sorted({f for fs in forms for f in fs if f}))
    return [next((f for f in fs if f in known), None) for fs in forms]

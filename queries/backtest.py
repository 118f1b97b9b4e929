"""What each inspection policy would have caught at an entry point over a past period.

``backtest(store, entry_point, since, until, capacity)`` replays the period day by day. Each day
the arrivals of that day are ranked by each policy with only what was known on that day, and the
policy inspects as many as the capacity allows (a share of the arrivals so far, carried from day
to day, so that days of two or three arrivals still get their share):

* ``random`` — a seeded shuffle;
* ``uncertified first`` — arrivals with no CIQ certificate issued by their arrival day, then the rest;
* ``CIQ-failed first`` — failed certificates, then none, then passed;
* ``learned`` — ``priorities``: features as of the arrival day, the model refit monthly on the EU
  checks made before the first day of the arrival's month (the hand-built model where too few).

Ties within a day are broken by the same seeded shuffle for every policy.

**How outcomes are counted.** Only the EU checks in the store say whether a consignment was
non-compliant; an unchecked one's outcome is unknown. A policy is scored on the checked
consignments of the period: of the non-compliant ones, how many its selection contains (its
*recall*, with a Wilson 95 % interval). This estimates the share of all non-compliant
consignments it would catch only if the EU's checks were a random sample; they are not (risk
profiles, campaigns, targeting), so the figure is recall *on the kind of consignments the EU
chose to check*. *Unsafe reaching the market* is the estimated number of non-compliant
consignments among the period's arrivals (arrivals × the non-compliance rate of the checked ones,
itself biased upwards by targeted checking) that the policy would not have inspected.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from tracegraph.graph.store import Store
from tracegraph.queries.learned import NO_PARTS, own_certificate, arrival_rows, parts
from tracegraph.queries.priorities import priorities
from tracegraph.queries.schemes import wilson

POLICIES = ("random", "uncertified first", "CIQ-failed first", "learned")
REFIT = "monthly: an arrival is scored by the model fitted on the EU checks made before the first day of its month"
COUNTING = ("recall on the EU-checked consignments of the period (an unchecked consignment's outcome is unknown); "
            "EU checks are targeted, not random, so this is recall on the kind of consignments the EU chose to check")


def backtest(store: Store, entry_point: str, since: str, until: str, capacity: float, seed: int = 0) -> dict[str, Any]:
    """Per policy: the non-compliant (EU-checked) consignments its daily capacity would have caught,
    with a Wilson interval, and the unsafe consignments estimated to have reached the market."""
    if not 0 < capacity <= 1:
        raise ValueError(f"capacity is a share of the arrivals, above 0 and at most 1 (10 % is 0.1), not {capacity}")
    rows = arrival_rows(store, (entry_point, since, until))
    kept = parts(store)
    shuffle = {r["arrival"]: i for i, r in enumerate(random.Random(seed).sample(rows, len(rows)))}
    score = {r["mrn"]: r["score"] for r in priorities(store, entry_point, since, until, reasons=False)}
    cert = {r["arrival"]: own_certificate((kept.get(r["shipment"], NO_PARTS) if r["shipment"] else NO_PARTS).certificates,
                                r["arrived_on"])[0] for r in rows}
    keys = {"random": lambda m: (shuffle[m],),
            "uncertified first": lambda m: (cert[m] != "none", shuffle[m]),
            "CIQ-failed first": lambda m: ({"fail": 0, "none": 1, "pass": 2}[cert[m]], shuffle[m]),
            "learned": lambda m: (-score[m], shuffle[m])}
    by_day: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        by_day[r["arrived_on"]].append(r["arrival"])
    selected: dict[str, set[str]] = {p: set() for p in POLICIES}
    seen = 0
    for day in sorted(by_day):
        arrivals = by_day[day]
        quota = int(capacity * (seen + len(arrivals)) + 1e-9) - int(capacity * seen + 1e-9)
        seen += len(arrivals)
        for p in POLICIES:
            selected[p].update(sorted(arrivals, key=keys[p])[:quota])
    checked = [r for r in rows if r["outcomes"]]
    bad = {r["arrival"] for r in checked if "non_compliant" in r["outcomes"]}
    rate = len(bad) / len(checked) if checked else 0.0
    unsafe = len(rows) * rate
    out = []
    for p in POLICIES:
        caught = len(bad & selected[p])
        low, high = wilson(caught, len(bad)) if bad else (None, None)
        out.append({"policy": p, "inspected": len(selected[p]), "caught": caught,
                    "recall": round(caught / len(bad), 4) if bad else None, "low": low, "high": high,
                    "unsafe_reached": round(unsafe * (1 - caught / len(bad)), 1) if bad else None,
                    "unsafe_reached_low": round(unsafe * (1 - high), 1) if high is not None else None,
                    "unsafe_reached_high": round(unsafe * (1 - low), 1) if low is not None else None})
    return {"entry_point": entry_point, "since": since, "until": until, "capacity": capacity, "arrivals": len(rows),
            "checked": len(checked), "non_compliant": len(bad), "refit": REFIT, "counting": COUNTING, "policies": out}

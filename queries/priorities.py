"""Which arriving consignments to inspect first: each arrival scored by its risk of non-compliance.

``priorities(store, entry_point, since, until)`` scores every arrival at ``entry_point`` in the
window. What it learns from is only what was known before each arrival: EU checks inspected
before its arrival date. Each signal is a rate shrunk towards the base rate (a beta-binomial
posterior mean with ``PRIOR_WEIGHT`` pseudo-checks), so a factory checked once is not judged on
that one check:

* the certificate: none, or a passing one from a CIQ office whose certified consignments were
  found non-compliant at such a rate;
* the factories and the exporter, by their earlier checks;
* the product categories, by theirs.

The score multiplies the base rate by each signal's ratio to it (naive-Bayes style), capped at 1,
and lists the reasons, strongest first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from graph.store import Store
from queries.schemes import consignments

PRIOR_WEIGHT = 10.0  # pseudo-checks at the base rate behind every shrunk rate


@dataclass
class _Count:
    checked: int = 0
    bad: int = 0

    def shrunk(self, base: float) -> float:
        return (self.bad + PRIOR_WEIGHT * base) / (self.checked + PRIOR_WEIGHT)


def _signals(r: dict[str, Any]) -> dict[str, list[str]]:
    cert = "pass" if r["results"] and "fail" not in r["results"] else ("fail" if r["results"] else "none")
    return {
        "certificate": [f"office:{o}" for o in r["offices"]] if cert == "pass" else [f"certificate:{cert}"],
        "factory": r["factories"],
        "exporter": [r["exporter"]] if r["exporter"] else [],
        "category": r["categories"],
    }


def priorities(store: Store, entry_point: str, since: str, until: str) -> list[dict[str, Any]]:
    """Arrivals at ``entry_point`` from ``since`` to ``until`` (ISO dates), riskiest first."""
    rows = consignments(store, checked_only=False)
    history = sorted((r for r in rows if r["checked_on"] and r["outcomes"]), key=lambda r: r["checked_on"])
    window = sorted((r for r in rows if r["entry_point"] == entry_point and since <= r["arrived_on"] <= until),
                    key=lambda r: (r["arrived_on"], r["arrival"]))
    counts: dict[str, dict[str, _Count]] = defaultdict(lambda: defaultdict(_Count))
    total = _Count()
    known = 0
    out = []
    for r in window:
        while known < len(history) and history[known]["checked_on"] < r["arrived_on"]:
            h = history[known]
            bad = "non_compliant" in h["outcomes"]
            total.checked += 1
            total.bad += bad
            for kind, keys in _signals(h).items():
                for k in keys:
                    counts[kind][k].checked += 1
                    counts[kind][k].bad += bad
            known += 1
        base = (total.bad + 1) / (total.checked + 2)  # Laplace: before any check, an even chance
        score, reasons = base, []
        for kind, keys in _signals(r).items():
            if not keys:
                continue
            # Several factories or categories in one consignment: the riskiest one speaks for it.
            key, rate = max(((k, counts[kind][k].shrunk(base)) for k in keys), key=lambda t: (t[1], t[0]))
            ratio = rate / base
            score *= ratio
            c = counts[kind][key]
            reasons.append((abs(ratio - 1), f"{kind} {key.split(':', 1)[-1]}: {c.bad} of {c.checked} earlier checks "
                                            f"non-compliant, rate {rate:.3f} against {base:.3f}"))
        if r["shipment"] is None:
            reasons.append((0.0, "no CN export shipment found for this arrival"))
        out.append({"mrn": r["arrival"], "arrived_on": r["arrived_on"], "score": round(min(score, 1.0), 4),
                    "reasons": [text for _, text in sorted(reasons, key=lambda t: -t[0])]})
    return sorted(out, key=lambda x: (-x["score"], x["mrn"]))

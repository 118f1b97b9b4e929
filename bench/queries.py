"""Time every analysis query on a loaded store, and score repeat offenders against the ground truth.

    python bench/queries.py --store PATH|URI [--truth DIR/ground-truth.json] [--entry-point NLRTM]
                            [--since 2015-01-01 --until 2015-03-31] [--runs 3]

Opens the store (NEO4J_USER / NEO4J_PASSWORD for a Bolt URI), runs each query once untimed (the
embedded store builds its indexes, Neo4j plans), then ``--runs`` times, and prints the best and
the median. With ``--truth``, prints the precision of the top 20 repeat offenders: the share that
are truly bad factories (a group counts when any of its registrations is).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable


from tracegraph.graph.store import Neo4jAuth, open_store
from tracegraph.queries.nodes import search
from tracegraph.queries.offenders import offenders
from tracegraph.queries.priorities import priorities
from tracegraph.queries.schemes import alignment, reliability
from tracegraph.queries.trace import exposure, finding_ids, trace


def timed(fn: Callable[[], Any], runs: int) -> tuple[Any, float, float, float]:
    t = time.perf_counter()
    out = fn()
    cold = time.perf_counter() - t
    secs = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        secs.append(time.perf_counter() - t)
    return out, cold, min(secs), statistics.median(secs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True)
    ap.add_argument("--truth")
    ap.add_argument("--entry-point", default="NLRTM")
    ap.add_argument("--since", default="2015-01-01")
    ap.add_argument("--until", default="2015-03-31")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--last-year", default="2016-01-01", help="Start of the recent window scored for offenders.")
    args = ap.parse_args()
    t = time.perf_counter()
    store = open_store(args.store, neo4j=Neo4jAuth(os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "")),
                       readonly=True)
    print(f"{store.kind} store {args.store}: opened in {time.perf_counter() - t:.1f} s")
    findings = finding_ids(store)
    sample = findings[:: max(1, len(findings) // 200)][:200]
    first, *_ = sample
    result = trace(store, first)
    factory = result.candidates[0].uscc if result.candidates else ""
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("trace (one finding)", lambda: trace(store, first)),
        ("exposure (its factory)", lambda: exposure(store, factory)),
        ("search ('toys')", lambda: search(store, "toys")),
        ("alignment", lambda: alignment(store)),
        ("reliability", lambda: reliability(store)),
        (f"priorities {args.entry_point} {args.since}..{args.until}", lambda: priorities(store, args.entry_point, args.since, args.until)),
        ("offenders (all findings)", lambda: offenders(store, None, None, 20)),
        ("offenders by rate (all findings)", lambda: offenders(store, None, None, 20, "rate")),
    ]
    print(f"{'query':44}{'first s':>9}{'best s':>9}{'median s':>10}  result   (first: builds what is kept until the data changes)")
    results = {}
    for name, fn in cases:
        out, cold, best, median = timed(fn, args.runs)
        results[name] = out
        size = len(out) if isinstance(out, list) else out.get("findings", "") if isinstance(out, dict) else ""
        print(f"{name:44}{cold:>9.3f}{best:>9.3f}{median:>10.3f}  {size}")
    lat = []
    for f in sample:
        t = time.perf_counter()
        trace(store, f)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    print(f"trace over {len(sample)} findings: p50 {lat[len(lat) // 2]:.1f} ms, p99 {lat[int(len(lat) * 0.99) - 1]:.1f} ms")
    if args.truth:
        truth = json.loads(Path(args.truth).read_text())
        bad = set(truth["bad_factories"])
        print(f"precision of the top 20 repeat offenders against the {len(bad)} truly bad factories "
              f"(of {len(truth['factory_unsafe_rate'])}; 'bad' as the data ends, after any measures):")
        for label, since, until in (("all findings", None, None), ("the last year", args.last_year, None)):
            line = []
            for rank_by in ("findings", "rate"):
                top = offenders(store, since, until, 20, rank_by)["factories"]
                hits = sum(bool(bad & set(f["registrations"])) for f in top)
                line.append(f"by {rank_by} {hits / max(len(top), 1):.2f}")
            print(f"  {label:14} " + ", ".join(line))
    store.close()


if __name__ == "__main__":
    main()

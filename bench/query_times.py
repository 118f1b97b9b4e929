"""Time every analysis query on a store; print JSON. Runs under this tracegraph or an older one.

    python bench/query_times.py --store PATH [--runs 5] [--findings 200]

The driver of bench/before_after.py, which runs it alternately under two installed versions on
the same data. It imports whichever layout is installed (``tracegraph.queries`` or, before
tracegraph was one package, ``queries``), opens the store read-only, calls each query once (the
first call builds what is kept until the data changes), then ``--runs`` more times, and times
``trace`` over ``--findings`` findings. Times are in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any, Callable

try:
    from tracegraph.graph.store import open_store
    from tracegraph.queries.nodes import search
    from tracegraph.queries.offenders import offenders
    from tracegraph.queries.priorities import handbuilt, priorities
    from tracegraph.queries.schemes import alignment, reliability
    from tracegraph.queries.trace import exposure, finding_ids, trace
    LAYOUT = "tracegraph"
except ImportError:  # a tracegraph from before the package (graph, queries … at the top level)
    from graph.store import open_store  # type: ignore[no-redef]
    from queries.nodes import search  # type: ignore[no-redef]
    from queries.offenders import offenders  # type: ignore[no-redef]
    from queries.priorities import priorities  # type: ignore[no-redef]
    handbuilt = None  # type: ignore[assignment]  # (its priorities were the hand-built model)
    from queries.schemes import alignment, reliability  # type: ignore[no-redef]
    from queries.trace import exposure, finding_ids, trace  # type: ignore[no-redef]
    LAYOUT = "top-level"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--findings", type=int, default=200)
    ap.add_argument("--entry-point", default="NLRTM")
    ap.add_argument("--since", default="2015-01-01")
    ap.add_argument("--until", default="2015-03-31")
    args = ap.parse_args()
    t = time.perf_counter()
    store = open_store(args.store, readonly=True)
    opened = time.perf_counter() - t
    findings = finding_ids(store)
    sample = findings[:: max(1, len(findings) // args.findings)][: args.findings]
    first = trace(store, sample[0])
    factory = first.candidates[0].uscc if first.candidates else ""
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("trace", lambda: trace(store, sample[0])),
        ("exposure", lambda: exposure(store, factory)),
        ("search", lambda: search(store, "toys")),
        ("alignment", lambda: alignment(store)),
        ("reliability", lambda: reliability(store)),
        # "priorities": the hand-built model in both versions (the one ranking the older one had);
        # "priorities, learned": the learned ranking the newer one serves by default
        ("priorities", lambda: (handbuilt or priorities)(store, args.entry_point, args.since, args.until)),
        *([("priorities, learned", lambda: priorities(store, args.entry_point, args.since, args.until))] if handbuilt else []),
        ("offenders", lambda: offenders(store, None, None, 20)),
        ("offenders by rate", lambda: offenders(store, None, None, 20, "rate")),
    ]
    out: dict[str, Any] = {"layout": LAYOUT, "open_ms": opened * 1000, "queries": {}}
    for name, fn in cases:
        t = time.perf_counter()
        answer = fn()
        cold = time.perf_counter() - t
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        size = len(answer) if isinstance(answer, list) else answer.get("findings") if isinstance(answer, dict) else None
        out["queries"][name] = {"first_ms": cold * 1000, "best_ms": min(times) * 1000,
                                "median_ms": statistics.median(times) * 1000, "size": size}
    lat = []
    for _ in range(3):
        for f in sample:
            t = time.perf_counter()
            trace(store, f)
            lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    out["trace_p50_ms"] = lat[len(lat) // 2]
    out["trace_p99_ms"] = lat[int(len(lat) * 0.99) - 1]
    print(json.dumps(out))
    store.close()


if __name__ == "__main__":
    main()

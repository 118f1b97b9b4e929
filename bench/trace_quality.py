"""How well ``trace`` finds the factory, scored against the generator's ground truth.

    python bench/trace_quality.py [--shipments 20000] [--seed 99] [--neo4j]

Loads generated data *without* the CN investigations (they name the factory of a finding, which is
what trace is for: AQSIQ investigates after tracing) into a new embedded store (and with
``--neo4j`` into the Neo4j server of ``NEO4J_URI``), links, traces every finding, and prints:

* top-1 accuracy, for border findings (with an MRN) and market findings (without);
* precision of the answers with confidence >= 0.9, and the share of findings they cover;
* the same for a naive baseline that follows exact identifiers only (bill of lading to shipment,
  GTIN to product) and takes the first factory it meets;
* trace latency p50 / p99 over all findings (after a few untimed traces that plan the queries).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


from tracegraph.graph.memory import MemoryStore
from tracegraph.graph.store import Store
from tracegraph.linkage import link
from tracegraph.loaders.load import load
from tracegraph.demo import generate
from tracegraph.queries.trace import trace


def naive(store: MemoryStore, finding_ids: list[str]) -> dict[str, str | None]:
    """Exact identifiers only: the finding's arrival's bill of lading, else its GTIN; the first
    factory met."""
    g = store.reader()
    nodes, succ, pred = g.nodes, g.succ, g.pred
    by_bol: dict[str, list[str]] = {}
    by_gtin: dict[str, list[str]] = {}
    for n, a in nodes.items():
        if n.startswith("Shipment:") and a.get("bill_of_lading"):
            by_bol.setdefault(a["bill_of_lading"], []).append(n)
        elif n.startswith("Product:") and a.get("gtin"):
            by_gtin.setdefault(a["gtin"], []).append(n)
    out: dict[str, str | None] = {}
    for fid in finding_ids:
        answer = None
        for aid, d in succ[f"Finding:{fid}"].items():
            bol = nodes[aid].get("bill_of_lading") if d["type"] == "CONCERNS" else None
            for sid in sorted(by_bol.get(bol or "", ())):
                lines = sorted(l for l, e in pred[sid].items() if e["type"] == "LINE_OF")
                if lines and answer is None:
                    answer = nodes[lines[0]]["manufacturer_uscc"]
        gtin = nodes[f"Finding:{fid}"].get("gtin")
        if answer is None and gtin:
            products = sorted(by_gtin.get(gtin, ()))
            answer = nodes[products[0]].get("manufacturer_uscc") if products else None
        out[fid] = answer
    return out


def score(answers: dict[str, tuple[str | None, float]], truth: dict[str, dict]) -> dict[str, float]:
    out: dict[str, float] = {}
    for kind, border in (("border", True), ("market", False)):
        ids = [f for f, t in truth.items() if t["border"] is border]
        out[f"top1_{kind}"] = sum(answers[f][0] == truth[f]["uscc"] for f in ids) / max(len(ids), 1)
        out[f"n_{kind}"] = len(ids)
    sure = [f for f, (u, c) in answers.items() if u and c >= 0.9]
    out["precision_at_0.9"] = sum(answers[f][0] == truth[f]["uscc"] for f in sure) / max(len(sure), 1)
    out["coverage_at_0.9"] = len(sure) / max(len(truth), 1)
    return out


WARM_UP = 5  # traces run first and not timed: the server plans each query once


def run(store: Store, truth: dict[str, dict]) -> tuple[dict[str, float], list[float]]:
    for fid in sorted(truth)[:WARM_UP]:
        trace(store, fid)
    answers, times = {}, []
    for fid in sorted(truth):
        t0 = time.perf_counter()
        t = trace(store, fid)
        times.append(time.perf_counter() - t0)
        top = t.candidates[0] if t.candidates else None
        answers[fid] = (top.uscc if top else None, top.confidence if top else 0.0)
    return score(answers, truth), times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shipments", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=99)
    ap.add_argument("--neo4j", action="store_true")
    ap.add_argument("--no-embedded", action="store_true", help="only the Neo4j store")
    ap.add_argument("--data", help="use these generated files (with ground-truth.json) instead of generating")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp())
    try:
        data = Path(args.data) if args.data else work / "data"
        if not args.data:
            generate(data, shipments=args.shipments, seed=args.seed, alerts=False)
        files = [str(p) for p in sorted(data.glob("*.csv")) if not p.name.startswith("cn-investigations")]
        meta = json.loads((data / "ground-truth.json").read_text())
        truth = meta["findings"]
        args.shipments, args.seed = meta["shipments"], meta["seed"]
        stores: list[tuple[str, Store]] = [] if args.no_embedded else [("embedded", MemoryStore(work / "store"))]
        if args.neo4j:
            import os

            from tracegraph.graph.neo4j import Neo4jStore

            neo = Neo4jStore(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""))
            neo.clear()
            stores.append(("neo4j", neo))
        print(f"{args.shipments:,} shipments, seed {args.seed}: {len(truth)} findings")
        for name, store in stores:
            t0 = time.perf_counter()
            load(store, files)
            t1 = time.perf_counter()
            link(store, "bench")
            print(f"{name:9} load {t1 - t0:.0f} s, linkage {time.perf_counter() - t1:.0f} s")
            figures, times = run(store, truth)
            q = statistics.quantiles(times, n=100)
            print(f"{name:9} trace: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) and v <= 1 else f"{k} {v:.0f}"
                                             for k, v in figures.items()))
            print(f"{name:9} trace latency: p50 {q[49] * 1000:.2f} ms, p99 {q[98] * 1000:.2f} ms")
            if isinstance(store, MemoryStore):
                base = naive(store, sorted(truth))
                b = score({f: (u, 1.0 if u else 0.0) for f, u in base.items()}, truth)
                print(f"{'naive':9} exact ids: " + ", ".join(f"{k} {v:.3f}" if v <= 1 else f"{k} {v:.0f}" for k, v in b.items()))
            store.close()
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

"""How much true risk the priorities catch, against baselines and an oracle, on generated data.

    python bench/targeting.py --demo --seeds 1,2,3 [--shipments 20000]
    python bench/targeting.py --othergen baseline,weak-ciq,line-risk --seeds 1,2,3 [--shipments 20000]
                              [--since 2017-01-01] [--until 2017-12-31]

Each run generates data (our own generator with ``--demo``, bench/othergen — a generator not written
for tracegraph — with ``--othergen``; both know each arrival's true risk and whether it was truly
non-compliant), loads and links it, and scores every arrival of the window at every entry point,
each with only what was known on its day (the learned model refit monthly). Inspection capacity is
a share of each entry point's arrivals per month (5, 10, 20 %); the catches are pooled over entry
points and months, so a run's window holds hundreds of non-compliant arrivals, not 40.

Two figures per policy, each as a share of the oracle's (the ranking by true risk, same capacity):

* **expected catch** — the sum of the true risk of the arrivals picked; free of the coin flips that
  decide which risky arrival was in fact non-compliant, so differences of 0.02 are visible;
* **realised catch** — the truly non-compliant arrivals picked.

Policies: random; uncertified first; ``no-history`` (the learned code with the consignment's own
features only: certificate, lines, factories); ``plain LR`` (issue 21's baseline: a logistic
regression on raw history counts — its factories' EU checks and non-compliant ones, CIQ passes and
fails, the exporter's the same, its own certificate, its lines — fitted on the EU checks made before
the window); ``hand-built``; ``learned`` (``priorities``). Then the spread over runs. Nothing is
tuned on a generator's parameters.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from tracegraph.graph.memory import MemoryStore
from tracegraph.graph.store import Store
from tracegraph.linkage import link
from tracegraph.loaders.load import load
from tracegraph.demo import generate
from tracegraph.queries import learned as L
from tracegraph.queries.priorities import handbuilt, priorities

SHARES = (0.05, 0.10, 0.20)
POLICIES = ("random", "uncertified", "no-history", "plain LR", "hand-built", "learned")


def _tie(seed: int, m: str) -> int:
    return int(hashlib.md5(f"{seed}:{m}".encode()).hexdigest()[:12], 16)


def catches(rows: list[dict[str, Any]], truth: dict[str, Any], scores: dict[str, dict[str, float]],
            seed: int) -> dict[float, dict[str, tuple[float, float]]]:
    """Per share: policy -> (expected, realised) catch as a share of the oracle's; capacity per entry point and month."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in rows:
        groups[(r["entry_point"], r["arrived_on"][:7])].append(r["arrival"])
    out = {}
    for share in SHARES:
        tot: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for ms in groups.values():
            k = max(1, round(len(ms) * share))
            ranked = {"oracle": sorted(ms, key=lambda m: (-truth[m]["risk"], _tie(seed, m)))}
            for p, sc in scores.items():
                ranked[p] = sorted(ms, key=lambda m: (-sc.get(m, -1.0), _tie(seed, m)))
            for p, order in ranked.items():
                tot[p][0] += sum(truth[m]["risk"] for m in order[:k])
                tot[p][1] += sum(bool(truth[m]["non_compliant"]) for m in order[:k])
        o = tot["oracle"]
        out[share] = {p: (v[0] / o[0] if o[0] else float("nan"), v[1] / o[1] if o[1] else float("nan"))
                      for p, v in tot.items() if p != "oracle"}
    return out


def plain_lr(store: Store, rows: list[dict[str, Any]], since: str) -> dict[str, float]:
    """Issue 21's baseline: raw history counts as of each arrival's day, one logistic regression fitted
    on the arrivals EU-checked before ``since`` (outcomes known before it)."""
    h, p = L.history(store), L.parts(store)
    # the exporter's CIQ certificates [issued, failed], dated
    keys, when, vals = [], [], []
    for x in p.values():
        if x.exporter:
            for issued, result, _ in x.certificates:
                if issued:
                    keys.append(h.companies[f"x:{x.exporter}"]), when.append(issued), vals.append((1.0, float(result == "fail")))
    xciq = L.Tally(np.array(keys, np.int64), L.days(when), np.array(vals, np.float64).reshape(-1, 2))
    assert h.eu_factory and h.ciq_factory and h.eu_company

    def X(rs: list[dict[str, Any]]) -> np.ndarray:
        d = L.days(r["arrived_on"] for r in rs)
        pr = [p.get(r["shipment"], L.NO_PARTS) if r["shipment"] else L.NO_PARTS for r in rs]
        pairs = [(i, h.factories.get(h.g(u), -1)) for i, x in enumerate(pr) for u in sorted({h.g(u) for u in x.factories})]
        pa = np.array([i for i, _ in pairs], np.int64)
        pk = np.array([k for _, k in pairs], np.int64)
        f = np.zeros((len(rs), 4))
        if len(pa):
            np.add.at(f, pa, np.hstack([h.eu_factory.before(pk, d[pa]), h.ciq_factory.before(pk, d[pa])]))
        xk = np.array([h.companies.get(f"x:{x.exporter}", -1) if x.exporter else -1 for x in pr], np.int64)
        cert = np.array([L.own_certificate(x.certificates, r["arrived_on"])[0] for r, x in zip(rs, pr)])
        return np.column_stack([f, h.eu_company.before(xk, d), xciq.before(xk, d), cert == "none", cert == "fail",
                                [x.lines for x in pr]]).astype(np.float64)

    train = [r for r in L._checked_examples(store) if r["checked_on"] < since]
    y = np.array([bool(r["found_on"]) and r["found_on"] < since for r in train], np.float64)
    if not train or y.min() == y.max():
        return {}
    scaler = StandardScaler().fit(X(train))
    model = LogisticRegression(max_iter=1000).fit(scaler.transform(X(train)), y)
    return dict(zip((r["arrival"] for r in rows), model.predict_proba(scaler.transform(X(rows)))[:, 1].tolist()))


def run(store: Store, truth: dict[str, Any], since: str, until: str, seed: int) -> tuple[int, int, dict[float, dict[str, tuple[float, float]]]]:
    """Every entry point's window scored by every policy; the pooled catches."""
    eps = sorted({r["entry_point"] for r in L.arrival_rows(store, None) if r["entry_point"]})
    rows = [r for ep in eps for r in L.arrival_rows(store, (ep, since, until)) if r["arrival"] in truth]
    scores: dict[str, dict[str, float]] = {k: {} for k in POLICIES}
    for ep in eps:
        scores["learned"].update((r["mrn"], r["score"]) for r in priorities(store, ep, since, until, reasons=False))
        scores["hand-built"].update((r["mrn"], r["score"]) for r in handbuilt(store, ep, since, until))
        scores["no-history"].update((r["mrn"], r["score"]) for r in L.score_window(store, ep, since, until, L.NO_HISTORY, reasons=False)[0])
    scores["plain LR"] = plain_lr(store, rows, since)
    scores["random"] = {r["arrival"]: _tie(seed + 1, r["arrival"]) / 2**48 for r in rows}
    scores["uncertified"] = {r["arrival"]: float(not truth[r["arrival"]]["certified"]) for r in rows}
    return len(rows), sum(bool(truth[r["arrival"]]["non_compliant"]) for r in rows), catches(rows, truth, scores, seed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shipments", type=int, default=20000)
    ap.add_argument("--demo", action="store_true", help="our own generator (tracegraph.demo)")
    ap.add_argument("--othergen", help="comma-separated othergen settings (presets): data written by others")
    ap.add_argument("--seeds", default="1,2,3", help="comma-separated seeds")
    ap.add_argument("--since", default="2017-01-01")
    ap.add_argument("--until", default="2017-12-31")
    ap.add_argument("--store-cache", help="keep each run's generated, linked store here and reuse it")
    args = ap.parse_args()
    runs = ([("demo", s) for s in args.seeds.split(",")] if args.demo else []) + \
           [(g, s) for g in (args.othergen or "").split(",") if g for s in args.seeds.split(",")]
    if not runs:
        ap.error("say --demo and/or --othergen SETTINGS")
    sys.path.append(str(Path(__file__).parent))
    spread: dict[tuple[float, str], list[tuple[float, float]]] = defaultdict(list)
    print(f"window {args.since}..{args.until}, every entry point, capacity per entry point and month; "
          f"share of the oracle's catch, expected / realised")
    for setting, s in runs:
        seed = int(s)
        cache = Path(args.store_cache) / f"{setting}-{seed}-{args.shipments}" if args.store_cache else None
        work = cache or Path(tempfile.mkdtemp())
        try:
            t = time.perf_counter()
            if not (work / "truth.json").exists():
                if setting == "demo":
                    generate(work / "data", shipments=args.shipments, seed=seed, alerts=False)
                    truth = json.loads((work / "data" / "ground-truth.json").read_text())["arrivals"]
                else:
                    from othergen.generate import generate as other
                    truth = other(work / "data", args.shipments, seed, setting)["arrivals"]
                with MemoryStore(work / "store") as store:
                    load(store, [str(work / "data")])
                    link(store, "bench")
                (work / "truth.json").write_text(json.dumps({m: {k: v.get(k) for k in ("risk", "non_compliant", "certified")}
                                                             for m, v in truth.items()}))
            truth = json.loads((work / "truth.json").read_text())
            with MemoryStore(work / "store") as store:
                n, bad, res = run(store, truth, args.since, args.until, seed)
            print(f"{setting:20} seed {seed}: {n:5} arrivals, {bad:4} non-compliant ({time.perf_counter() - t:.0f} s)", flush=True)
            for share, row in res.items():
                print(f"  top {share:>4.0%}: " + "  ".join(f"{p} {row[p][0]:.2f}/{row[p][1]:.2f}" for p in POLICIES if p in row), flush=True)
                for p, v in row.items():
                    spread[(share, p)].append(v)
        finally:
            if cache is None:
                shutil.rmtree(work)
    print("spread over runs, expected catch as a share of the oracle's: min / median / max  (realised: min / median / max)")
    for (share, p), vs in sorted(spread.items(), key=lambda t: (t[0][0], POLICIES.index(t[0][1]))):
        e = sorted(v[0] for v in vs if v[0] == v[0])
        r = sorted(v[1] for v in vs if v[1] == v[1])
        if e:
            print(f"  top {share:>4.0%} {p:12} {e[0]:.2f} / {e[len(e) // 2]:.2f} / {e[-1]:.2f}   ({r[0]:.2f} / {r[len(r) // 2]:.2f} / {r[-1]:.2f})")


if __name__ == "__main__":
    main()

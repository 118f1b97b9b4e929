"""How many truly non-compliant arrivals the priorities catch, against baselines and an oracle.

    python bench/targeting.py [--shipments 20000] [--seed 123] [--entry-point NLRTM]
                              [--since 2015-01-01] [--until 2016-12-31]
    python bench/targeting.py --othergen baseline,weak-ciq,line-risk --seeds 1,2 --shipments 12000

With ``--othergen``, the data come from bench/othergen (a generator not written for tracegraph),
one run per setting and seed, windows NLRTM and DEHAM 2017-07-01..2017-12-31 (each arrival scored
with only what was known on its day); printed per share: random, uncertified first, the
no-history ranking (a logistic regression on lines, factories and the own certificate), the
hand-built model, the learned one, each as a share of the oracle's catch, then the spread.

Generates data (the generator knows each arrival's true risk and whether it was non-compliant),
loads it into an embedded store, links, ranks the arrivals of the window with ``priorities``, and
prints the share of the truly non-compliant arrivals caught by inspecting the top 5 %, 10 % and
20 %: for the ranking, for random selection (its expectation), for "every uncertified arrival
first", and for an oracle ranking by true risk. Nothing is tuned on the generator's parameters.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path


from tracegraph.graph.memory import MemoryStore
from tracegraph.linkage import link
from tracegraph.loaders.load import load
from tracegraph.demo import generate
from tracegraph.queries.priorities import priorities


def catch(order: list[str], bad: set[str], share: float) -> float:
    top = order[: max(1, round(len(order) * share))]
    return sum(m in bad for m in top) / max(len(bad), 1)


def othergen(settings: list[str], seeds: list[int], shipments: int) -> None:
    sys.path.append(str(Path(__file__).parent))
    from othergen.generate import generate as other
    from tracegraph.queries.learned import NO_HISTORY, score_window
    from tracegraph.queries.priorities import handbuilt

    ratios: dict[tuple[str, float], list[float]] = {}
    for setting in settings:
        for seed in seeds:
            work = Path(tempfile.mkdtemp())
            try:
                truth = other(work / "data", shipments, seed, setting)["arrivals"]
                with MemoryStore(work / "store") as store:
                    load(store, [str(work / "data")])
                    link(store, "bench")
                    for ep in ("NLRTM", "DEHAM"):
                        since, until = "2017-07-01", "2017-12-31"
                        learned = [r["mrn"] for r in priorities(store, ep, since, until, reasons=False)]
                        if not learned:
                            continue
                        nh = sorted(score_window(store, ep, since, until, NO_HISTORY, reasons=False)[0],
                                    key=lambda r: (-r["score"], r["mrn"]))
                        orders = {"random": sorted(learned, key=lambda m: hash((seed, m))),
                                  "uncertified": sorted(learned, key=lambda m: (truth[m]["certified"], hash((seed, m)))),
                                  "no-history": [r["mrn"] for r in nh],
                                  "hand-built": [r["mrn"] for r in handbuilt(store, ep, since, until)],
                                  "learned": learned,
                                  "oracle": sorted(learned, key=lambda m: (-truth[m]["risk"], m))}
                        bad = {m for m in learned if truth[m]["non_compliant"]}
                        for share in (0.05, 0.10, 0.20):
                            o = catch(orders["oracle"], bad, share)
                            row = {k: catch(v, bad, share) / o if o else float("nan") for k, v in orders.items()}
                            print(f"{setting:20} seed {seed} {ep} {len(learned):5} arrivals {len(bad):4} bad  top {share:>4.0%}: " +
                                  "  ".join(f"{k} {v:.2f}" for k, v in row.items() if k != "oracle"), flush=True)
                            for k, v in row.items():
                                ratios.setdefault((k, share), []).append(v)
            finally:
                shutil.rmtree(work)
    print("spread over settings, seeds and entry points (share of the oracle's catch: min / median / max)")
    for (k, share), vs in sorted(ratios.items(), key=lambda t: (t[0][1], t[0][0])):
        vs = sorted(v for v in vs if v == v)
        if vs and k != "oracle":
            print(f"  top {share:>4.0%} {k:12} {vs[0]:.2f} / {vs[len(vs) // 2]:.2f} / {vs[-1]:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shipments", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=123)
    ap.add_argument("--entry-point", default="NLRTM")
    ap.add_argument("--since", default="2015-01-01")
    ap.add_argument("--until", default="2016-12-31")
    ap.add_argument("--othergen", help="comma-separated othergen settings (presets): measure on data written by others")
    ap.add_argument("--seeds", default="1,2", help="with --othergen: comma-separated seeds")
    args = ap.parse_args()
    if args.othergen:
        othergen(args.othergen.split(","), [int(x) for x in args.seeds.split(",")], args.shipments)
        return
    work = Path(tempfile.mkdtemp())
    try:
        generate(work / "data", shipments=args.shipments, seed=args.seed)
        truth = json.loads((work / "data" / "ground-truth.json").read_text())["arrivals"]
        with MemoryStore(work / "store") as store:
            load(store, [str(work / "data")])
            link(store, "bench")
            t = time.perf_counter()
            ranked = priorities(store, args.entry_point, args.since, args.until)
            secs = time.perf_counter() - t
        order = [r["mrn"] for r in ranked]
        bad = {m for m in order if truth[m]["non_compliant"]}
        uncertified_first = sorted(order, key=lambda m: (truth[m]["certified"], m))
        oracle = sorted(order, key=lambda m: (-truth[m]["risk"], m))
        print(f"{args.shipments:,} shipments, seed {args.seed}: {len(order)} arrivals at {args.entry_point} "
              f"{args.since}..{args.until}, {len(bad)} truly non-compliant; priorities in {secs:.2f} s")
        print(f"{'inspect top':14}{'priorities':>12}{'random':>9}{'uncertified':>13}{'oracle':>9}{'of oracle':>11}")
        for share in (0.05, 0.10, 0.20):
            p, o = catch(order, bad, share), catch(oracle, bad, share)
            print(f"{share:>13.0%} {p:>12.3f}{share:>9.3f}{catch(uncertified_first, bad, share):>13.3f}{o:>9.3f}"
                  f"{(p / o if o else float('nan')):>11.2f}")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

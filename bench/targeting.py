"""How many truly non-compliant arrivals the priorities catch, against baselines and an oracle.

    python bench/targeting.py [--shipments 20000] [--seed 123] [--entry-point NLRTM]
                              [--since 2015-01-01] [--until 2016-12-31]

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shipments", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=123)
    ap.add_argument("--entry-point", default="NLRTM")
    ap.add_argument("--since", default="2015-01-01")
    ap.add_argument("--until", default="2016-12-31")
    args = ap.parse_args()
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

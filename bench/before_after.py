"""Every query and trace, before and after a change, in one run on the same data.

    python bench/before_after.py [--ref de75bcf] [--shipments 1000000] [--rounds 3] [--work DIR]

Checks out ``--ref`` (by default the last commit before tracegraph became one package with one read
interface) in a worktree, installs it in a venv of its own, generates data once, loads and links it
with each version into a store of its own, then runs bench/query_times.py under each version on the
before version's store (and the after version on its own store too), alternating ``--rounds`` times
(so that this machine's drift falls on all alike), and bench/trace_quality.py under each (its own
copy of it, on the same generated files). Prints, per query, the median of the medians of the rounds
before and after and their ratio. A ``--work`` folder keeps the venv, data and stores for a rerun.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

TOP = Path(__file__).resolve().parent.parent
HERE = Path(sys.executable)


def run(cmd: list[str], cwd: Path, **kw: object) -> str:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return str(done.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", default="de75bcf")
    ap.add_argument("--shipments", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quality-shipments", type=int, default=20_000)
    ap.add_argument("--work")
    args = ap.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="before-after-"))
    work.mkdir(parents=True, exist_ok=True)
    ref_tree, ref_venv = work / "ref", work / "venv-ref"
    if not ref_tree.exists():
        run(["git", "worktree", "add", "--detach", ref_tree, args.ref], TOP)
    if not (ref_venv / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", ref_venv], work)
        run([ref_venv / "bin" / "pip", "install", "-q", ref_tree], work)
    before_py, after_py = ref_venv / "bin" / "python", HERE
    versions = {"before": (before_py, ref_venv / "bin" / "tracegraph", ref_tree), "after": (after_py, HERE.with_name("tracegraph"), TOP)}
    data = work / f"data-{args.shipments}"
    if not (data / "ground-truth.json").exists():
        run([HERE.with_name("tracegraph"), "generate", "--shipments", args.shipments, "--seed", 1, data], work)
    for name, (_, command, _) in versions.items():
        store = work / f"store-{name}-{args.shipments}"
        if not (store / "graph.pickle").exists():
            run([command, "--store", store, "load", "-q", data], work)
    # run from the work folder: next to bench/queries.py, a top-level `queries` would be that file
    driver = work / "query_times.py"
    driver.write_text((TOP / "bench" / "query_times.py").read_text())
    # Each round: the before version on its store, the after version on that same store (the fair
    # comparison of the code), and the after version on the store it loaded itself (its linkage
    # may find more, so its answers may be bigger).
    runs = {"before": ("before", "before"), "after": ("after", "before"), "after, own store": ("after", "after")}
    results: dict[str, list[dict]] = {name: [] for name in runs}
    for r in range(args.rounds):
        for name, (version, store_of) in runs.items():
            out = run([versions[version][0], driver, "--store", work / f"store-{store_of}-{args.shipments}"], work)
            results[name].append(json.loads(out.strip().splitlines()[-1]))
            print(f"round {r + 1} {name}: " + ", ".join(f"{q} {v['median_ms']:.2f}" for q, v in results[name][-1]["queries"].items()),
                  flush=True)

    def median(name: str, get: Any) -> float:
        return statistics.median(get(x) for x in results[name])

    print(f"\n{args.shipments:,} shipments; {args.rounds} rounds alternating; before = {args.ref}, after = this checkout, "
          "both on the store the before version loaded (own: the after version on the store it loaded). Milliseconds: "
          "the median over rounds of each round's median of 5 warm calls (first: the first call after opening).")
    print(f"{'query':22}{'before':>11}{'after':>11}{'after/before':>14}{'first before':>14}{'first after':>13}{'own store':>11}")
    rows = list(results["before"][0]["queries"])
    for q in rows:
        b, a, own = (median(n, lambda x: x["queries"][q]["median_ms"]) for n in runs)
        fb, fa = (median(n, lambda x: x["queries"][q]["first_ms"]) for n in ("before", "after"))
        print(f"{q:22}{b:>11.3f}{a:>11.3f}{a / b:>14.3f}{fb:>14.1f}{fa:>13.1f}{own:>11.3f}")
    for q in [q for q in results["after"][0]["queries"] if q not in rows]:  # what only the after version has
        a, own = (median(n, lambda x: x["queries"][q]["median_ms"]) for n in ("after", "after, own store"))
        fa = median("after", lambda x: x["queries"][q]["first_ms"])
        print(f"{q:22}{'—':>11}{a:>11.3f}{'—':>14}{'—':>14}{fa:>13.1f}{own:>11.3f}")
    for key in ("trace_p50_ms", "trace_p99_ms", "open_ms"):
        b, a, own = (median(n, lambda x: x[key]) for n in runs)
        print(f"{key:22}{b:>11.3f}{a:>11.3f}{a / b:>14.3f}{'':>27}{own:>11.3f}")
    sizes = {q: (results["before"][0]["queries"][q]["size"], results["after"][0]["queries"][q]["size"]) for q in rows}
    print("answers of the same size before and after on the same store: "
          + ("yes" if all(a == b for a, b in sizes.values()) else f"NO: {sizes}"))
    # trace quality, each version's own benchmark on the same generated files
    qdata = work / f"data-{args.quality_shipments}"
    if not (qdata / "ground-truth.json").exists():
        run([HERE.with_name("tracegraph"), "generate", "--shipments", args.quality_shipments, "--seed", 99, qdata], work)
    for r in range(args.rounds):
        for name, (python, _, tree) in versions.items():
            out = run([python, tree / "bench" / "trace_quality.py", "--data", qdata], work)
            lines = [line for line in out.splitlines() if line.startswith("embedded")]
            print(f"trace_quality round {r + 1} {name}: " + " | ".join(re.sub(r"\s+", " ", line) for line in lines), flush=True)


if __name__ == "__main__":
    main()

"""Soak: a minute of mixed queries from several clients while a day's files load into the served store.

    python bench/soak.py [--shipments 100000] [--new-share 0.03] [--clients 4] [--seconds 60] [--load-at 20]

Generates demo data, splits off the newest share of it by date (the shipments that departed, and the
arrivals, checks and findings dated, after a cut-off: the "day's files"), loads the rest into an
embedded store and serves it with `tracegraph serve`. Clients then ask a mix of questions for
``--seconds`` (a trace, a finding with its arrival, a page of 100 arrivals, a search, a factory's
exposure, the offenders of a year), while `tracegraph load` adds the day's files ``--load-at``
seconds in. Prints requests answered and errors (which must be 0), and latency p50/p99 outside,
during the load and in the TAKE_UP seconds after it (when the server takes up what the load
committed): the floor is the same clients on the same server with no load running, in the same run.
Also how long the load took and how soon after it the server answered from the new data.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tracegraph.api.auth import TokenBook
from tracegraph.demo import generate
from tracegraph.graph.memory import MemoryStore

TRACEGRAPH = str(Path(sys.executable).with_name("tracegraph"))
DATES = {"cn-shipments": "departed_on", "eu-arrivals": "arrived_on", "eu-inspections": "inspected_on",
         "eu-findings": "found_on", "cn-certificates": "issued_on", "cn-investigations": "opened_on"}
BY_SHIPMENT = {"cn-shipment-lines": "declaration_no"}
TAKE_UP = 10.0  # seconds after the load: the server taking up its commits


def split(data: Path, old: Path, new: Path, share: float) -> str:
    """Copy ``data`` into ``old`` and ``new`` by date: rows dated after the cut-off (and the lines of
    shipments after it) are new. Returns the cut-off."""
    with open(data / "cn-shipments.csv", encoding="utf-8") as f:
        days = sorted(r["departed_on"] for r in csv.DictReader(f))
    cut = days[int(len(days) * (1 - share))]
    late_shipments: set[str] = set()
    old.mkdir()
    new.mkdir()
    for path in sorted(data.glob("*.csv"), key=lambda p: p.name != "cn-shipments.csv"):
        name = path.stem
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
            fields = list(rows[0]) if rows else []
        if name in DATES:
            late = [r for r in rows if r[DATES[name]] > cut]
        elif name in BY_SHIPMENT:
            late = [r for r in rows if r[BY_SHIPMENT[name]] in late_shipments]
        else:
            late = []
        if name == "cn-shipments":
            late_shipments = {r["declaration_no"] for r in late}
        ids = {id(r) for r in late}
        for folder, chosen in ((old, [r for r in rows if id(r) not in ids]), (new, late)):
            if chosen or folder is old:
                with open(folder / path.name, "w", encoding="utf-8", newline="") as f:
                    w = csv.DictWriter(f, fieldnames=fields)
                    w.writeheader()
                    w.writerows(chosen)
    return cut


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shipments", type=int, default=100_000)
    ap.add_argument("--new-share", type=float, default=0.03)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--load-at", type=float, default=20)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    server = None
    try:
        generate(work / "data", shipments=args.shipments, seed=args.seed, alerts=False)
        cut = split(work / "data", work / "old", work / "new", args.new_share)
        rows_new = sum(sum(1 for _ in open(p, encoding="utf-8")) - 1 for p in (work / "new").glob("*.csv"))
        store = work / "store"
        subprocess.run([TRACEGRAPH, "--store", str(store), "load", "-q", str(work / "old")], check=True)
        with MemoryStore(store, readonly=True) as s:
            g = s.reader()
            findings = [n.split(":", 1)[1] for n in g.ids("Finding")]
            factories = [n.split(":", 1)[1] for n in g.ids("Manufacturer")][:200]
        token = TokenBook(folder=store).create("soak", "analyst")
        port = 8790
        server = subprocess.Popen([TRACEGRAPH, "--store", str(store), "serve", "--port", str(port),
                                   "--audit-log", str(work / "audit.jsonl")], stdout=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/graphql"
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        year = sorted(findings)[0]  # (any finding: the offenders' year is the data's first full one)
        mix = [
            ("trace", lambda r: ("query($f: String!) { trace(findingId: $f) { status candidates(first: 3) { edges { node "
                                 "{ uscc confidence } } } } }", {"f": r.choice(findings)})),
            ("finding", lambda r: ("query($f: String!) { finding(findingId: $f) { hazard riskLevel arrival { mrn entryPoint } } }",
                                   {"f": r.choice(findings)})),
            ("page", lambda r: ("{ arrivals(first: 100) { totalCount edges { node { mrn arrivedOn entryPoint } } } }", {})),
            ("search", lambda r: ("query($t: String!) { search(text: $t, first: 10) { totalCount } }", {"t": r.choice(["toys", "Shantou", "plastic"])})),
            ("exposure", lambda r: ("query($u: String!) { exposure(uscc: $u) { products arrivals } }", {"u": r.choice(factories)})),
            ("offenders", lambda r: ('{ repeatOffenders(since: "2015-01-01", until: "2015-12-31") { findings attributed } }', {})),
        ]
        del year
        done = threading.Event()
        samples: list[tuple[float, float, str, bool]] = []  # (at, seconds, kind, ok)
        lock = threading.Lock()

        def client(seed: int) -> None:
            r = random.Random(seed)
            with httpx.Client(timeout=60, headers={"authorization": f"Bearer {token}"}) as c:
                while not done.is_set():
                    kind, make = r.choice(mix)
                    query, variables = make(r)
                    t = time.perf_counter()
                    try:
                        resp = c.post(url, json={"query": query, "variables": variables})
                        ok = resp.status_code == 200 and "errors" not in resp.json()
                    except httpx.HTTPError:
                        ok = False
                    with lock:
                        samples.append((t, time.perf_counter() - t, kind, ok))

        counts = "{ arrivals(first: 0) { totalCount } }"
        before = httpx.post(url, json={"query": counts}, headers={"authorization": f"Bearer {token}"}, timeout=60).json()["data"]["arrivals"]["totalCount"]
        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(args.load_at)
        load_from = time.perf_counter()
        subprocess.run([TRACEGRAPH, "--store", str(store), "load", "-q", str(work / "new")], check=True)
        load_to = time.perf_counter()
        seen_new = None
        while time.perf_counter() - started < args.seconds:
            if seen_new is None:
                got = httpx.post(url, json={"query": counts}, headers={"authorization": f"Bearer {token}"}, timeout=60).json()
                if got["data"]["arrivals"]["totalCount"] != before:
                    seen_new = time.perf_counter()
            time.sleep(0.05)
        done.set()
        for t in threads:
            t.join()
        # "during": requests sent while the load ran; "after": in the TAKE_UP seconds after it ended,
        # when the server takes up what the load committed; the floor: every other request.
        during = [s for s in samples if load_from <= s[0] <= load_to]
        after = [s for s in samples if load_to < s[0] <= load_to + TAKE_UP]
        outside = [s for s in samples if not load_from <= s[0] <= load_to + TAKE_UP]
        errors = sum(not s[3] for s in samples)
        print(f"{args.shipments:,} shipments in the store; the day's files: {rows_new:,} rows after {cut}; "
              f"{args.clients} clients for {args.seconds:.0f} s")
        print(f"requests answered {len(samples):,}, errors {errors}")
        print(f"load of the day's files: {load_to - load_from:.1f} s; the server answered from them "
              + (f"{seen_new - load_to:+.2f} s after the load ended" if seen_new else "never (within the run)"))
        print(f"{'':12}{'requests':>10}{'p50 ms':>10}{'p99 ms':>10}")
        for name, part in (("outside", outside), ("during", during), (f"{TAKE_UP:.0f} s after", after)):
            lat = [s[1] * 1000 for s in part]
            print(f"{name:12}{len(part):>10}{statistics.median(lat) if lat else float('nan'):>10.1f}{percentile(lat, 0.99):>10.1f}")
        o99, d99, a99 = (percentile([s[1] for s in part], 0.99) for part in (outside, during, after))
        print(f"p99 during the load / outside it (the floor): {d99 / o99:.2f}; in the {TAKE_UP:.0f} s after it: {a99 / o99:.2f}")
        by_kind = {}
        for kind, _ in mix:
            lat = [s[1] * 1000 for s in samples if s[2] == kind]
            by_kind[kind] = {"n": len(lat), "p50": round(statistics.median(lat), 1) if lat else None,
                             "p99": round(percentile(lat, 0.99), 1)}
        print("by kind: " + json.dumps(by_kind))
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

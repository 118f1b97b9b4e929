"""EPCIS capture benchmark: events/s through POST /epcis/capture over real HTTP, beside the CSV
loader's rows/s for the same consignments, in one run.

    python bench/epcis.py [--shipments 5000] [--per-document 800] [--max-body BYTES]

Generates the demo data, loads its factories, exporters, products and investigations (master
data) into two embedded stores, then lands the consignments (CN shipments, lines, certificates; EU
arrivals, inspections, findings) into each:

* **CSV** — ``load`` of the consignment files and ``link`` of what changed, in this process (what
  ``tracegraph load`` does);
* **EPCIS** — the same consignments written as EPCIS events (by ``queries.epcis.events`` of the
  CSV store), in documents of ``--per-document`` events, POSTed one after the other to a served
  store (``tracegraph serve``, one uvicorn worker) as an admin, each job polled until it is done
  (schema check, placing, landing, committing and linking included). 800 events are about
  0.65 MB, within the default body cap of 1 MB; larger documents need ``--max-body``, which is
  handed to ``tracegraph serve``. Linkage runs after every document (as after every mutation), and
  its cost grows with the store: larger documents spread it over more events.

Prints rows/s and records/s of both, the ratio, and checks that both stores hold the same graph.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

from served import wait_until_up  # bench/served.py (this script's folder is on the path)

TRACEGRAPH = str(Path(sys.executable).with_name("tracegraph"))  # the installed command
MASTER = ("cn-manufacturers", "cn-exporters", "cn-products", "cn-investigations")


def _rows(paths: list[Path]) -> int:
    return sum(max(sum(1 for _ in open(p, "rb")) - 1, 0) for p in paths)


def _norm(store):  # type: ignore[no-untyped-def]
    d = store.dump()
    return ({k: {f: v for f, v in p.items() if f not in ("_src", "epcis_event")} for k, p in d.nodes.items()},
            {k: {f: v for f, v in p.items() if f != "_src"} for k, p in d.edges.items()})


def main() -> None:
    from tracegraph.api.auth import TokenBook
    from tracegraph.demo import generate
    from tracegraph.graph.memory import MemoryStore
    from tracegraph.linkage import link
    from tracegraph.loaders import epcis
    from tracegraph.loaders.load import load
    from tracegraph.queries.epcis import events

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shipments", type=int, default=5000)
    ap.add_argument("--per-document", type=int, default=800)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--max-body", type=int, default=None, help="tracegraph serve --max-body (bytes)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-epcis-"))
    generate(tmp / "csv", shipments=args.shipments, seed=args.seed, alerts=False)
    files = sorted(p for p in (tmp / "csv").glob("*.csv"))
    master = [p for p in files if p.stem in MASTER]
    consignments = [p for p in files if p.stem not in MASTER]
    at = "2026-01-01T00:00:00+00:00"

    csv_store = MemoryStore(tmp / "csv-store")
    load(csv_store, [str(p) for p in master])
    link(csv_store, at)
    started = time.perf_counter()
    report = load(csv_store, [str(p) for p in consignments])
    link(csv_store, datetime.now(timezone.utc).isoformat(), since=report.loaded_at)
    csv_seconds = time.perf_counter() - started
    rows = _rows(consignments)
    assert report.rejected == 0

    written = events(csv_store)
    documents = [epcis.document(written[i : i + args.per_document]) for i in range(0, len(written), args.per_document)]
    bodies = [json.dumps(d).encode() for d in documents]

    served = MemoryStore(tmp / "epcis-store")
    load(served, [str(p) for p in master])
    link(served, at)
    token = TokenBook(served).create("bench", "admin")
    served.close()
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp / "serve.log", "w")
    server = subprocess.Popen([TRACEGRAPH, "--store", str(tmp / "epcis-store"), "serve", "--port", str(port),
                               "--audit-log", str(tmp / "audit.jsonl"),
                               *(["--max-body", str(args.max_body)] if args.max_body else [])],
                              stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, server, log=tmp / "serve.log")
        headers = {"authorization": f"Bearer {token}", "content-type": "application/ld+json"}
        landed = rejected = 0
        with httpx.Client(base_url=url, headers=headers, timeout=300) as client:
            started = time.perf_counter()
            for body in bodies:
                r = client.post("/epcis/capture", content=body)
                assert r.status_code == 202, r.text
                while True:
                    job = client.get(r.headers["location"]).json()
                    if not job["running"]:
                        break
                    time.sleep(0.01)
                landed += job["landed"]
                rejected += job["rejected"]
            capture_seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
    assert rejected == 0, rejected
    check = MemoryStore(tmp / "epcis-store")
    same = _norm(check) == _norm(csv_store)
    records = sum(1 + len(e.get("quantityList") or []) if e["bizStep"] == "shipping" else 1 for e in written)
    size = sum(len(b) for b in bodies)
    print(f"{args.shipments:,} shipments: {rows:,} consignment rows in CSV, {len(written):,} EPCIS events "
          f"({records:,} records) in {len(bodies)} documents of ≤ {args.per_document} events ({size / 1e6:.1f} MB)")
    print(f"CSV load + link:          {csv_seconds:7.2f} s  {rows / csv_seconds:9,.0f} rows/s")
    print(f"EPCIS capture over HTTP:  {capture_seconds:7.2f} s  {len(written) / capture_seconds:9,.0f} events/s  "
          f"{records / capture_seconds:9,.0f} records/s")
    print(f"capture records/s ÷ CSV rows/s: {records / capture_seconds / (rows / csv_seconds):.2f}")
    print(f"same graph both ways (provenance aside): {same}")
    if not same:
        sys.exit(1)
    if os.environ.get("KEEP") is None:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

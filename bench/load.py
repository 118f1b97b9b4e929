"""Load benchmark: rows/s, peak RSS, size on disk and reopen time, beside the floor of each store.

    python bench/load.py [--sizes 100000,1000000] [--neo4j] [--out bench/out]

For each size (number of CN export shipments) it generates the demo files once (cached in
``--out``), then, each in a fresh process so that peak RSS is its own:

* **embedded** — ``loaders.load`` into a new embedded store (validation, provenance, durability),
  the rows/s and peak RSS of that; then linkage, as ``tracegraph load`` runs it after a load (timed
  apart); then the reopen time of that linked store (median of three fresh processes) and its size on disk;
* **networkx floor** — the same CSV files read with ``csv.DictReader`` into a bare ``nx.DiGraph``
  (no validation, no provenance, nothing written): what Python and networkx cost on their own;
  that graph is then pickled whole (``pickle.dump``, untimed) and **reopened** the plain way,
  ``pickle.load`` with the collector off, in fresh processes alternating with the store's reopens:
  the floor for reopening a networkx graph of that size on this machine at that hour;
* with ``--neo4j`` (``NEO4J_URI`` set, or a server started by ``deploy/neo4j/server.sh``):
  **neo4j** — ``loaders.load`` into the Neo4j store, and **bare driver** — the same rows sent as
  ``UNWIND $rows CREATE (n:Label) SET n = row`` in batches of the same size, the floor.

Prints a table, and the ratios against the floors measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

TOP = Path(__file__).resolve().parent.parent


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _rows(data: Path) -> int:
    return sum(max(sum(1 for _ in open(f, "rb")) - 1, 0) for f in data.glob("*.csv"))


# -- workers (each runs in its own process) -------------------------------------------------------
def work_embedded(data: str, store: str) -> dict:
    from tracegraph.graph.memory import MemoryStore
    from tracegraph.loaders.load import load

    t = time.perf_counter()
    with MemoryStore(store) as s:
        report = load(s, [data])  # durable when it returns: it ends with a snapshot
        secs = time.perf_counter() - t
        rss = _rss_mb()
        loaded = s.stats()  # counting is not loading (it walks every relationship: seconds at 1M)
        # then linkage, as `tracegraph load` runs it: the store users reopen holds the links (imported
        # only now: it brings scipy and rapidfuzz, some 50 MB the load's own peak should not count)
        from tracegraph.linkage import link

        t = time.perf_counter()
        link(s, report.loaded_at, since=report.loaded_at)
        link_secs = time.perf_counter() - t
        stats = s.stats()
    return {"rows": sum(f.read for f in report.files), "secs": secs, "rss_mb": rss, "link_secs": link_secs,
            "link_rss_mb": _rss_mb(), "links": stats.relationship_total - loaded.relationship_total,
            "nodes": loaded.node_total, "rels": loaded.relationship_total, "disk": _du(Path(store))}


def work_reopen(store: str) -> dict:
    from tracegraph.graph.memory import MemoryStore

    t = time.perf_counter()
    s = MemoryStore(store, readonly=True)
    secs = time.perf_counter() - t
    n = s.graph.number_of_nodes()
    return {"secs": secs, "nodes": n, "rss_mb": _rss_mb()}


def work_floor(data: str, dump: str = "") -> dict:
    """The same files into a bare networkx graph: node per row, edge per reference; then, untimed,
    the graph pickled whole into ``dump`` for :func:`work_floor_reopen`."""
    import csv
    import pickle

    import networkx as nx

    refs = {
        "cn-products": [("manufacturer_uscc", "M")], "cn-shipments": [("exporter_uscc", "E"), ("containers", "C")],
        "cn-shipment-lines": [("declaration_no", "S")], "cn-certificates": [("declaration_no", "S"), ("issuer", "O")],
        "cn-investigations": [("finding_id", "F")], "eu-arrivals": [("containers", "C"), ("importer_eori", "I")],
        "eu-inspections": [("mrn", "A"), ("authority", "O")], "eu-findings": [("inspection_id", "N"), ("mrn", "A")],
    }
    t = time.perf_counter()
    g = nx.DiGraph()
    rows = 0
    for f in sorted(Path(data).glob("*.csv")):
        name = f.stem
        with open(f, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            key = (reader.fieldnames or [""])[0]
            for i, row in enumerate(reader):
                rows += 1
                nid = f"{name}:{row[key]}:{i}" if name == "cn-shipment-lines" else f"{name}:{row[key]}"
                g.add_node(nid, **row)
                for field, label in refs.get(name, ()):
                    for v in row[field].split(";"):
                        if v:
                            g.add_edge(nid, f"{label}:{v}", type=field)
    secs = time.perf_counter() - t
    rss = _rss_mb()  # the build's own peak, before the pickler's memo
    if dump:
        with open(dump, "wb") as out:
            pickle.dump(g, out, protocol=pickle.HIGHEST_PROTOCOL)
    return {"rows": rows, "secs": secs, "rss_mb": rss, "nodes": g.number_of_nodes(), "rels": g.number_of_edges()}


def work_floor_reopen(dump: str) -> dict:
    """A pickled networkx graph read back the plain way, with the collector off (as the store does)."""
    import gc
    import pickle

    gc.disable()
    t = time.perf_counter()
    with open(dump, "rb") as f:
        g = pickle.load(f)
    secs = time.perf_counter() - t
    return {"secs": secs, "nodes": g.number_of_nodes(), "rels": g.number_of_edges(), "rss_mb": _rss_mb()}


def _neo4j_env() -> tuple[str, str, str]:
    return os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "")


def work_neo4j(data: str) -> dict:
    from tracegraph.graph.neo4j import Neo4jStore
    from tracegraph.loaders.load import load

    with Neo4jStore(*_neo4j_env()) as s:
        s.clear()
        t = time.perf_counter()
        report = load(s, [data])
        secs = time.perf_counter() - t
        stats = s.stats()
        s.clear()
    return {"rows": sum(f.read for f in report.files), "secs": secs, "nodes": stats.node_total, "rels": stats.relationship_total}


def work_bare_driver(data: str) -> dict:
    import csv

    from neo4j import GraphDatabase

    from tracegraph.graph.neo4j import BATCH

    uri, user, pw = _neo4j_env()
    rows = 0
    wipe = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
    with GraphDatabase.driver(uri, auth=(user, pw)) as driver:
        with driver.session() as session:
            session.run(wipe).consume()  # IN TRANSACTIONS needs an implicit transaction
        t = time.perf_counter()
        for f in sorted(Path(data).glob("*.csv")):
            label = "Bare_" + f.stem.replace("-", "_")
            with open(f, encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                batch: list[dict] = []
                for row in reader:
                    batch.append(row)
                    rows += 1
                    if len(batch) >= BATCH:
                        driver.execute_query(f"UNWIND $rows AS row CREATE (n:`{label}`) SET n = row", rows=batch)
                        batch = []
                if batch:
                    driver.execute_query(f"UNWIND $rows AS row CREATE (n:`{label}`) SET n = row", rows=batch)
        secs = time.perf_counter() - t
        with driver.session() as session:
            session.run(wipe).consume()
    return {"rows": rows, "secs": secs}


WORKERS: dict[str, Callable[..., dict]] = {"embedded": work_embedded, "reopen": work_reopen, "floor": work_floor, "floor_reopen": work_floor_reopen,
           "neo4j": work_neo4j, "bare_driver": work_bare_driver}


def run_worker(name: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", name, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"worker {name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--neo4j", action="store_true", help="also load into Neo4j (NEO4J_URI must be set)")
    ap.add_argument("--neo4j-sizes", default=None, help="sizes for Neo4j (default: --sizes)")
    ap.add_argument("--out", default=str(TOP / "bench" / "out"))
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        name, *rest = args.worker
        print(json.dumps(WORKERS[name](*rest)))
        return

    from tracegraph.demo import generate

    out = Path(args.out)
    neo_sizes = {int(s) for s in (args.neo4j_sizes or args.sizes).split(",")} if args.neo4j else set()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    for size in (int(s) for s in args.sizes.split(",")):
        data = out / f"data-{size}"
        if not (data / "ground-truth.json").exists():
            t = time.perf_counter()
            generate(data, shipments=size, seed=42, alerts=False)
            print(f"generated {size:,} shipments in {time.perf_counter() - t:.0f} s")
        rows = _rows(data)
        store = out / f"store-{size}"
        subprocess.run(["rm", "-rf", str(store)], check=True)
        emb = run_worker("embedded", str(data), str(store))
        floor_dump = out / f"floor-{size}.pickle"
        floor = run_worker("floor", str(data), str(floor_dump))
        # Three reopens of each, every one in a fresh process, alternating so that both see the same
        # hours of this VM (memory-heavy work here varies by 20 % and more): the medians are the figures.
        pairs = [(run_worker("reopen", str(store)), run_worker("floor_reopen", str(floor_dump))) for _ in range(3)]
        floor_dump.unlink()
        reopens = sorted((p[0] for p in pairs), key=lambda r: r["secs"])
        floor_reopens = sorted((p[1] for p in pairs), key=lambda r: r["secs"])
        reopen, floor_reopen = reopens[1], floor_reopens[1]
        elements = emb["nodes"] + emb["rels"]
        floor_elements = floor["nodes"] + floor["rels"]
        print(f"\n== {size:,} shipments: {rows:,} rows; graph of {emb['nodes']:,} nodes + {emb['rels']:,} relationships")
        print(f"{'':22}{'rows/s':>10}{'secs':>9}{'peak RSS MB':>13}{'B/element':>11}")
        for name, r in (("embedded store", emb), ("networkx floor", floor)):
            el = r["nodes"] + r["rels"]
            print(f"{name:22}{r['rows'] / r['secs']:>10,.0f}{r['secs']:>9.1f}{r['rss_mb']:>13,.0f}{r['rss_mb'] * 2**20 / el:>11,.0f}")
        print(f"embedded / floor: speed {emb['secs'] and (emb['rows'] / emb['secs']) / (floor['rows'] / floor['secs']):.2f}, "
              f"memory {emb['rss_mb'] / floor['rss_mb']:.2f}")
        print(f"then linkage: {emb['links']:,} links in {emb['link_secs']:.1f} s, peak RSS {emb['link_rss_mb']:,.0f} MB; "
              f"size on disk with them {emb['disk'] / 2**20:,.0f} MB ({emb['disk'] / (elements + emb['links']):.0f} B/element)")
        each = ", ".join(f"{r['secs']:.1f}" for r in reopens)
        floor_each = ", ".join(f"{r['secs']:.1f}" for r in floor_reopens)
        print(f"reopen: embedded store {reopen['secs']:.1f} s (median of {each}; "
              f"peak RSS {reopen['rss_mb']:,.0f} MB); networkx floor {floor_reopen['secs']:.1f} s "
              f"(median of {floor_each}; {floor_elements:,} elements; "
              f"peak RSS {floor_reopen['rss_mb']:,.0f} MB)")
        print(f"reopen embedded / floor, time per element (links counted): "
              f"{(reopen['secs'] / (elements + emb['links'])) / (floor_reopen['secs'] / floor_elements):.2f}")
        if size in neo_sizes:
            neo = run_worker("neo4j", str(data))
            bare = run_worker("bare_driver", str(data))
            print(f"{'neo4j store':22}{neo['rows'] / neo['secs']:>10,.0f}{neo['secs']:>9.1f}")
            print(f"{'bare driver CREATE':22}{bare['rows'] / bare['secs']:>10,.0f}{bare['secs']:>9.1f}")
            print(f"neo4j / bare driver: {(neo['rows'] / neo['secs']) / (bare['rows'] / bare['secs']):.2f}; "
                  f"same counts as embedded: {neo['nodes'] == emb['nodes'] and neo['rels'] == emb['rels']}")
        subprocess.run(["rm", "-rf", str(store)], check=True)


if __name__ == "__main__":
    main()

"""First loads into Neo4j, each beside its floor measured in the same run.

    python bench/neo4j_load.py [--size 100000] [--out bench/out] [--bulk-only]

Needs NEO4J_URI (a server the transactional path may empty: never the shared one) and Java 17 with
Maven (the bulk path starts a server of its own with deploy/neo4j/server.sh, NEO4J_STATE in --out).

* **transactional** — ``loaders.load`` into the Neo4j store (read, then ``CREATE``/rewrite;
  provenance, content hashes, relationships; 2 writers), then linkage, timed apart;
* **bare-driver floor** — the same nodes and relationships (taken beforehand from the files,
  loaded into an embedded store without linkage) written by the bare driver: ``UNWIND … CREATE`` of
  each label's nodes under the same uniqueness constraints, then ``UNWIND … MATCH … MATCH …
  CREATE`` of each relationship type by key; no provenance, no idempotence, no linkage;
* **bulk** — ``tracegraph neo4j import`` end to end: the files checked, loaded and linked in this
  process, the importer's CSV files written, the server stopped, the importer run, the server
  started again, constraints and indexes made;
* **importer floor** — neo4j-admin's importer alone, on those CSV files written beforehand, with
  the server stopped.

Rows are the exchange rows of both sides.
"""

from __future__ import annotations

import argparse
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

TOP = Path(__file__).resolve().parents[1]
SERVER = TOP / "deploy" / "neo4j" / "server.sh"
BIN = Path(sys.executable).parent


def _rows(data: Path) -> int:
    return sum(sum(1 for _ in open(f, "rb")) - 1 for f in data.glob("*.csv"))


def transactional(data: Path, uri: str, user: str, pw: str) -> dict[str, Any]:
    from tracegraph.graph.neo4j import Neo4jStore
    from tracegraph.linkage import link
    from tracegraph.loaders.load import load

    with Neo4jStore(uri, user, pw) as s:
        s.clear()
        t = time.perf_counter()
        report = load(s, [str(data)])
        load_secs = time.perf_counter() - t
        t = time.perf_counter()
        link(s, report.loaded_at, report.loaded_at)
        link_secs = time.perf_counter() - t
        stats = s.stats()
        s.clear()
    return {"load": load_secs, "link": link_secs, "nodes": stats.node_total, "rels": stats.relationship_total}


def bare_driver(data: Path, uri: str, user: str, pw: str) -> dict[str, Any]:
    """The floor: the nodes and stated relationships of the files, written bare."""
    from neo4j import GraphDatabase

    from tracegraph.graph.memory import MemoryStore
    from tracegraph.graph.model import LABELS, split_id
    from tracegraph.graph.neo4j import BATCH, Neo4jStore
    from tracegraph.loaders.load import load

    with tempfile.TemporaryDirectory() as tmp, MemoryStore(Path(tmp) / "s") as store:
        load(store, [str(data)])
        g = store.reader()
        nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for nid, attrs in g.nodes.items():
            label, key = split_id(nid)
            props = {k: list(v) if isinstance(v, tuple) else v for k, v in attrs.items() if k[0] != "_"}
            props["key"] = key
            nodes[label].append(props)
        rels: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
        for u, out in g.succ.items():
            a, ak = split_id(u)
            for v, d in out.items():
                b, bk = split_id(v)
                rels[(d["type"], a, b)].append({"s": ak, "e": bk})
    with Neo4jStore(uri, user, pw) as s:  # (empty, with the store's constraints and indexes)
        s.clear()
    with GraphDatabase.driver(uri, auth=(user, pw)) as driver:
        t = time.perf_counter()
        for label in LABELS:
            items = nodes.get(label, [])
            for i in range(0, len(items), BATCH):
                driver.execute_query(f"UNWIND $rows AS row CREATE (n:`{label}`) SET n = row", rows=items[i : i + BATCH])
        for (rel_type, a, b), items in rels.items():
            q = (f"UNWIND $rows AS r MATCH (x:`{a}` {{key: r.s}}) MATCH (y:`{b}` {{key: r.e}}) "
                 f"CREATE (x)-[:`{rel_type}`]->(y)")
            for i in range(0, len(items), BATCH):
                driver.execute_query(q, rows=items[i : i + BATCH])
        secs = time.perf_counter() - t
    with Neo4jStore(uri, user, pw) as s:
        stats = s.stats()
        s.clear()
    return {"secs": secs, "nodes": stats.node_total, "rels": stats.relationship_total}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bulk(data: Path, out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The bulk path end to end, and the importer alone on its files (a server of this run's own)."""
    state = out / "bulk-neo4j"
    env = {**os.environ, "NEO4J_STATE": str(state)}
    admin = shlex.join(["env", f"NEO4J_STATE={state}", str(SERVER), "admin"])
    files = out / "bulk-files"
    subprocess.run(["rm", "-rf", str(files)], check=True)
    port = _free_port()
    uri = f"bolt://127.0.0.1:{port}"
    subprocess.run([str(SERVER), "start", str(port)], env=env, check=True, capture_output=True)
    try:
        t = time.perf_counter()
        subprocess.run([str(BIN / "tracegraph"), "--store", uri, "--neo4j-password", "tracegraph", "neo4j", "import", "-q",
                        str(data), "--files", str(files), "--admin", admin], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end_to_end = time.perf_counter() - t
        from tracegraph.graph.neo4j import Neo4jStore

        with Neo4jStore(uri, "neo4j", "tracegraph", create=False) as s:
            stats = s.stats()
    finally:
        subprocess.run([str(SERVER), "stop"], env=env, capture_output=True)
    args = [a for a in (Path(files) / "import.args").read_text().splitlines()]
    t = time.perf_counter()  # (no server runs now: server.sh admin is the importer alone)
    subprocess.run([str(SERVER), "admin", *args], env=env, check=True, stdout=subprocess.DEVNULL)
    importer = time.perf_counter() - t
    subprocess.run([str(SERVER), "stop"], env=env, capture_output=True)  # (deletes its data)
    return ({"secs": end_to_end, "nodes": stats.node_total, "rels": stats.relationship_total}, {"secs": importer})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--out", default=str(TOP / "bench" / "out"))
    ap.add_argument("--bulk-only", action="store_true", help="only the bulk path and the importer (no NEO4J_URI needed)")
    args = ap.parse_args()
    out = Path(args.out).resolve()
    data = out / f"data-{args.size}"
    if not (data / "ground-truth.json").exists():
        from tracegraph.demo import generate

        generate(data, shipments=args.size, seed=42, alerts=False)
    rows = _rows(data)
    print(f"{args.size:,} shipments, {rows:,} rows; python {sys.version.split()[0]}, {os.cpu_count()} cores")
    end, importer = bulk(data, out)
    print(f"bulk, end to end    {rows / end['secs']:>9,.0f} rows/s {end['secs']:>7.1f} s  "
          f"({end['nodes']:,} nodes, {end['rels']:,} relationships, linked)")
    print(f"importer alone      {rows / importer['secs']:>9,.0f} rows/s {importer['secs']:>7.1f} s")
    print(f"bulk / importer: {importer['secs'] / end['secs']:.2f}")
    if args.bulk_only:
        return
    uri, user, pw = os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "")
    tx = transactional(data, uri, user, pw)
    floor = bare_driver(data, uri, user, pw)
    print(f"transactional load  {rows / tx['load']:>9,.0f} rows/s {tx['load']:>7.1f} s  (+ linkage {tx['link']:.1f} s; "
          f"{tx['nodes']:,} nodes, {tx['rels']:,} relationships linked)")
    print(f"bare-driver floor   {rows / floor['secs']:>9,.0f} rows/s {floor['secs']:>7.1f} s  "
          f"({floor['nodes']:,} nodes, {floor['rels']:,} relationships)")
    print(f"transactional / floor: {floor['secs'] / tx['load']:.2f}")
    print(f"bulk against transactional load + linkage: {(tx['load'] + tx['link']) / end['secs']:.1f}x")


if __name__ == "__main__":
    main()

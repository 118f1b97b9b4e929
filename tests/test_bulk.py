"""A first load through Neo4j's offline importer (`tracegraph neo4j import`) builds the graph that
`tracegraph load` builds through transactions from the same files: the same counts, the same nodes
and relationships with the same properties, the same answers to every query; a later `tracegraph
load` on top of it does what it does on the other; a database holding data is refused.

The importer replaces a database while it is stopped, so the bulk side runs on a server of its own
(deploy/neo4j/server.sh with its own state folder), started and stopped here; the transactional
side runs on the tests' server (NEO4J_URI)."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from conftest import neo4j_settings
from exchange import VALID, write_all, write_csv
from serving import TRACEGRAPH
from tracegraph.graph.neo4j import Neo4jStore
from tracegraph.graph.store import Store

pytestmark = pytest.mark.neo4j
SERVER = Path(__file__).resolve().parents[1] / "deploy" / "neo4j" / "server.sh"
SAFETY_GATE = Path(__file__).resolve().parent / "data" / "safety-gate"  # real exports: alerts land as findings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def bulk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str, str]]:
    """A Neo4j server of this module's own: (uri, user, password, the `--admin` command for it)."""
    settings = neo4j_settings()
    assert settings is not None
    if not (shutil.which("java") and shutil.which("mvn")):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but Java 17 and Maven are missing: the bulk load needs a server of its own")
        pytest.skip("the bulk load's tests start a server of their own: they need Java 17 and Maven")
    state = tmp_path_factory.mktemp("bulk-neo4j")
    env = {**os.environ, "NEO4J_STATE": str(state), "NEO4J_HEAP": "768m", "NEO4J_PAGECACHE_MB": "128"}
    port = _free_port()
    subprocess.run([str(SERVER), "start", str(port)], env=env, check=True, capture_output=True)
    admin = shlex.join(["env", f"NEO4J_STATE={state}", "NEO4J_HEAP=768m", "NEO4J_PAGECACHE_MB=128", str(SERVER), "admin"])
    try:
        yield f"bolt://127.0.0.1:{port}", settings[1], "tracegraph", admin
    finally:
        subprocess.run([str(SERVER), "stop"], env=env, capture_output=True)


def tg(store: str, password: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TRACEGRAPH, "--store", store, "--neo4j-password", password, *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def both(bulk_server, demo_dir, tmp_path_factory) -> Iterator[tuple[Store, Store, Any]]:
    """The demo data and real Safety Gate exports loaded by each path: (transactional, bulk, the bulk server)."""
    uri, user, password, admin = bulk_server
    settings = neo4j_settings()
    assert settings is not None
    tx = Neo4jStore(*settings)
    tx.clear()
    paths = [str(demo_dir), *(str(p) for p in sorted(SAFETY_GATE.glob("*.csv")))]
    r = tg(settings[0], settings[2], "load", "-q", *paths)
    assert r.returncode == 0, r.stderr
    files = tmp_path_factory.mktemp("import-files")
    r = tg(uri, password, "neo4j", "import", "-q", *paths, "--files", str(files), "--admin", admin)
    assert r.returncode == 0, r.stderr
    assert "constraints and indexes made" in r.stdout
    bulk = Neo4jStore(uri, user, password, create=False)
    try:
        yield tx, bulk, bulk_server
    finally:
        tx.close()
        bulk.close()


def _same(both, read: Callable[[Store], Any]) -> Any:
    a, b = read(both[0]), read(both[1])
    assert a == b
    return a


def _hashes(store: Neo4jStore) -> dict[tuple[str, str], str | None]:
    return {(r["l"], r["k"]): r["h"] for r in store.read("MATCH (n) WHERE n.key IS NOT NULL RETURN labels(n)[0] AS l, n.key AS k, n._h AS h")}


def test_the_bulk_load_builds_the_graph_of_the_transactional_load(both):
    stats = _same(both, lambda s: s.stats())
    assert stats.node_total > 2000 and stats.relationships["SAME_CONSIGNMENT"] > 100 and stats.relationships["MATCHES_PRODUCT"]
    dump = _same(both, lambda s: s.dump())
    assert all(p["_src"] for p in dump.nodes.values()) and all(p["_src"] for p in dump.edges.values())
    hashes = _same(both, _hashes)  # what the next load compares its records with
    assert sum(h is None for h in hashes.values()) > 100 and sum(h is not None for h in hashes.values()) > 1000
    # The graph's own schema: the API's token book (ApiToken) makes its own on the tests' shared
    # server when an API test ran before, and clearing the data does not drop a constraint.
    constraints = _same(both, lambda s: sorted(r["name"] for r in s.read(
        "SHOW CONSTRAINTS YIELD name, labelsOrTypes WHERE NOT 'ApiToken' IN labelsOrTypes RETURN name")))
    assert "shipment_key" in constraints and "arrival_key" in constraints
    indexes = _same(both, lambda s: sorted(r["name"] for r in s.read(
        "SHOW INDEXES YIELD name, state, labelsOrTypes WHERE state = 'ONLINE' AND NOT 'ApiToken' IN coalesce(labelsOrTypes, []) "
        "RETURN name")))
    assert "arrival_bill_of_lading" in indexes


def test_every_query_answers_alike_on_the_bulk_loaded_graph(both):
    from tracegraph.graph.model import LABELS
    from tracegraph.queries import nodes as q
    from tracegraph.queries.china_rapex import report, worklist
    from tracegraph.queries.links import review
    from tracegraph.queries.offenders import offenders
    from tracegraph.queries.priorities import priorities
    from tracegraph.queries.profile import factory_profile
    from tracegraph.queries.schemes import alignment, consignments, reliability
    from tracegraph.queries.trace import exposure, finding_ids, trace

    findings = _same(both, finding_ids)
    traced = [_same(both, lambda s: trace(s, f).to_dict()) for f in findings]
    assert sum(bool(t["candidates"]) for t in traced) >= 5 and len({t["status"] for t in traced}) > 1
    top = _same(both, lambda s: offenders(s, None, None, 10))
    usccs = [f["uscc"] for f in top["factories"]]
    assert usccs
    for uscc in usccs[:5]:
        _same(both, lambda s: exposure(s, uscc))
        _same(both, lambda s: factory_profile(s, uscc))
    _same(both, alignment)
    _same(both, reliability)
    _same(both, consignments)
    rows = _same(both, lambda s: priorities(s, "NLRTM", "2015-01-01", "2016-12-31"))
    assert rows
    for below in (0.5, 0.9, 1.01):
        _same(both, lambda s: review(s, below))
    for text in ("toys", "Co., Ltd", usccs[0].lower(), "no such company"):
        _same(both, lambda s: q.search(s, text))
    _same(both, lambda s: worklist(s))
    _same(both, lambda s: report(s, "2015-Q2"))
    for label in LABELS:
        _same(both, lambda s: q.page(s, label, 0, 50))


def test_a_database_holding_data_is_refused_and_nothing_is_written(both, demo_dir, tmp_path):
    uri, _, password, admin = both[2]
    before = both[1].stats()
    r = tg(uri, password, "neo4j", "import", "-q", str(demo_dir), "--files", str(tmp_path / "f"), "--admin", admin)
    assert r.returncode == 2
    assert f"database 'neo4j' at {uri} holds {before.node_total:,} nodes" in r.stderr
    assert "tracegraph load" in r.stderr
    assert not (tmp_path / "f").exists()
    assert both[1].stats() == before


def test_a_load_on_top_of_the_bulk_load_does_what_it_does_on_the_transactional_one(both, demo_dir, tmp_path):
    settings = neo4j_settings()
    assert settings is not None
    uri, _, password, _ = both[2]
    again = [tg(settings[0], settings[2], "load", str(demo_dir)), tg(uri, password, "load", str(demo_dir))]
    assert [r.returncode for r in again] == [0, 0]
    assert again[0].stdout == again[1].stdout  # (each file: new 0, updated 0, every row unchanged)
    assert "new 0, updated 0" in again[1].stdout
    more = write_all(tmp_path / "more")
    write_csv(more / "cn-manufacturers.csv", [dict(VALID["cn-manufacturers"], name_en="Xingda Toys (renamed)")])
    on_top = [tg(settings[0], settings[2], "load", str(more)), tg(uri, password, "load", str(more))]
    assert [r.returncode for r in on_top] == [0, 0], on_top[1].stderr
    assert on_top[0].stdout == on_top[1].stdout
    _same(both, lambda s: s.stats())
    _same(both, lambda s: s.dump())
    _same(both, _hashes)


def test_for_a_server_of_ones_own_the_files_are_written_and_the_importers_line_printed(both, demo_dir, tmp_path):
    settings = neo4j_settings()
    assert settings is not None
    both[0].clear()  # (an empty database: the transactional side is done with)
    r = tg(settings[0], settings[2], "neo4j", "import", "-q", str(demo_dir), "--files", str(tmp_path / "f"))
    assert r.returncode == 0, r.stderr
    line = next(l.strip() for l in r.stdout.splitlines() if l.strip().startswith("neo4j-admin "))
    args = shlex.split(line)
    assert args[1:5] == ["database", "import", "full", "neo4j"]
    named = [Path(a.split("=", 2)[2]) for a in args if a.startswith(("--nodes=", "--relationships="))]
    assert named and all(p.exists() and p.parent == (tmp_path / "f").resolve() for p in named)
    assert f"neo4j finish {tmp_path / 'f'}" in r.stdout
    assert both[0].stats().node_total == 0  # nothing written to the server

"""A Neo4j server that is down, refuses the credentials, hangs or restarts mid-load: clear errors, no damage."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tracegraph.graph.errors import StoreUnavailable
from tracegraph.graph.memory import MemoryStore
from tracegraph.graph.neo4j import Neo4jStore
from tracegraph.loaders.load import load
from tracegraph.demo import generate

pytestmark = pytest.mark.neo4j
SERVER_DIR = Path(__file__).resolve().parent.parent / "deploy" / "neo4j" / "target"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_that_is_down_names_the_uri(neo4j_server):
    uri = f"bolt://127.0.0.1:{_free_port()}"
    with pytest.raises(StoreUnavailable, match=f"Neo4j at {uri} cannot be reached.*make neo4j-start"):
        Neo4jStore(uri, "neo4j", "x", connection_timeout=2)


def test_wrong_credentials_name_the_uri_and_the_user(neo4j_server):
    uri, user, _ = neo4j_server
    with pytest.raises(StoreUnavailable, match=f"Neo4j at {uri} refused the credentials of user 'neo4j'"):
        Neo4jStore(uri, user, "wrong-password")


def test_a_server_that_never_answers_times_out_with_the_uri(neo4j_server):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts TCP connections but never speaks Bolt
    uri = f"bolt://127.0.0.1:{listener.getsockname()[1]}"
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match=f"Neo4j at {uri}"):
            Neo4jStore(uri, "neo4j", "x", connection_timeout=1.5, retry_time=2)
        assert time.monotonic() - started < 60
    finally:
        listener.close()


class _Server:
    """A Neo4j server of our own, so that this test may kill and restart it."""

    def __init__(self, data: Path, port: int) -> None:
        self.data, self.port, self.proc = data, port, None

    def start(self) -> None:
        if not (SERVER_DIR / "lib").is_dir():
            pytest.fail("deploy/neo4j is not built: run `deploy/neo4j/server.sh build` (make test does)")
        log = open(self.data.parent / f"neo4j-{self.port}.log", "a")
        self.proc = subprocess.Popen(
            ["java", "-Xmx1g", "-cp", f"{SERVER_DIR / 'classes'}:{SERVER_DIR / 'lib'}/*", "tracegraph.neo4j.Server",
             "--port", str(self.port), "--data", str(self.data), "--password", "password-1", "--page-cache-mb", "128"],
            stdout=subprocess.PIPE, stderr=log, text=True,
        )
        deadline = time.monotonic() + 180
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("READY"):
                return
            if not line and self.proc.poll() is not None:
                pytest.fail(f"the Neo4j server exited; see {log.name}")
        pytest.fail("the Neo4j server did not start within 180 s")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


@pytest.mark.slow
def test_a_load_cut_off_by_a_server_restart_can_be_run_again(neo4j_server, tmp_path):
    data = tmp_path / "in"
    generate(data, shipments=4000, seed=9)
    server = _Server(tmp_path / "neo4j-data", _free_port())
    uri = f"bolt://127.0.0.1:{server.port}"
    server.start()
    try:
        store = Neo4jStore(uri, "neo4j", "password-1", retry_time=3)
        outcome: dict[str, BaseException | None] = {}

        def run() -> None:
            try:
                load(store, [str(data)])
                outcome["error"] = None
            except BaseException as exc:  # noqa: BLE001 - the test inspects it
                outcome["error"] = exc

        loader = threading.Thread(target=run)
        loader.start()
        time.sleep(2.0)
        server.kill()
        loader.join(timeout=120)
        assert not loader.is_alive()
        err = outcome["error"]
        assert isinstance(err, StoreUnavailable), f"expected a clear error, got {err!r}"
        assert uri in str(err)
        store.close()

        server.start()  # the same data folder: what was committed is there
        with Neo4jStore(uri, "neo4j", "password-1") as again:
            report = load(again, [str(data)])
            assert report.rejected == 0
            got = again.dump()
        with MemoryStore(tmp_path / "reference") as ref:
            load(ref, [str(data)])
            expected = ref.dump()
        assert got.nodes == expected.nodes
        assert got.edges == expected.edges
    finally:
        server.kill()


@pytest.mark.slow
def test_two_loads_at_once_end_with_the_graph_of_one(neo4j_server, tmp_path):
    """Two processes loading the same files at the same time: each finds keys missing, both create,
    the unique constraint fails one and it merges instead; shared nodes get each tag once."""
    data = tmp_path / "in"
    generate(data, shipments=3000, seed=4)
    stores = [Neo4jStore(*neo4j_server), Neo4jStore(*neo4j_server)]
    stores[0].clear()
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(s: Neo4jStore) -> None:
        try:
            start.wait()
            report = load(s, [str(data)])
            assert report.rejected == 0
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    got = stores[0].dump()
    for s in stores:
        s.close()
    with MemoryStore(tmp_path / "reference") as ref:
        load(ref, [str(data)])
        expected = ref.dump()
    assert got.nodes == expected.nodes
    assert got.edges == expected.edges


def test_a_bad_writer_count_is_a_clear_error(monkeypatch):
    from tracegraph.graph.errors import StoreError

    monkeypatch.setenv("TRACEGRAPH_NEO4J_WRITERS", "many")
    with pytest.raises(StoreError, match="TRACEGRAPH_NEO4J_WRITERS must be a whole number from 1 to 32, not 'many'"):
        Neo4jStore("bolt://127.0.0.1:1", "neo4j", "x")

"""A load killed with SIGKILL leaves a store that opens, keeps every earlier commit, and can be run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tracegraph.graph.memory import MemoryStore
from tracegraph.loaders.load import load
from tracegraph.demo import generate
from serving import TRACEGRAPH


@pytest.fixture(scope="module")
def big_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("big")
    generate(out, shipments=15_000, seed=5)
    return out


def _load_in_child(store: Path, paths: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [TRACEGRAPH, "--store", str(store), "load", "--no-link", "-q", *paths],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.4, 1.2, 2.5])
def test_kill_during_load(tmp_path, demo_dir, big_dir, delay):
    store = tmp_path / "store"
    # An earlier, committed load.
    with MemoryStore(store) as s:
        load(s, [str(demo_dir)])
        committed = s.dump()
    child = _load_in_child(store, [str(big_dir)])
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait()
    # The store opens, and holds at least what was committed before.
    with MemoryStore(store) as s:
        after = s.dump()
    for key, props in committed.nodes.items():
        assert key in after.nodes
        assert {k: v for k, v in props.items() if k != "_src"} == {k: v for k, v in after.nodes[key].items() if k != "_src"}
    assert set(committed.edges) <= set(after.edges)
    # Running the load again ends with the graph an uninterrupted load gives.
    rerun = subprocess.run([TRACEGRAPH, "--store", str(store), "load", "--no-link", "-q", str(big_dir)],
                           capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    with MemoryStore(tmp_path / "reference") as ref:
        load(ref, [str(demo_dir)])
        load(ref, [str(big_dir)])
        expected = ref.dump()
    with MemoryStore(store) as s:
        assert s.dump() == expected


@pytest.mark.slow
def test_kill_while_appending_to_the_log(tmp_path, big_dir, demo_dir):
    """Small loads into a big store go to the write-ahead log; a torn log record is dropped."""
    store = tmp_path / "store"
    with MemoryStore(store) as s:
        load(s, [str(big_dir)])
    files = sorted(str(p) for p in demo_dir.glob("*.csv"))
    child = _load_in_child(store, files)
    time.sleep(1.0)
    child.send_signal(signal.SIGKILL)
    child.wait()
    wal = store / "wal.log"
    if wal.exists():  # tear the last record, as a crash in the middle of a write would
        with open(wal, "ab") as f:
            f.write(os.urandom(64))
    with MemoryStore(store) as s:
        load(s, files)
        got = s.dump()
    with MemoryStore(tmp_path / "reference") as ref:
        load(ref, [str(big_dir)])
        load(ref, files)
        assert got == ref.dump()

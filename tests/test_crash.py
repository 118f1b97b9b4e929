"""A load killed with SIGKILL leaves a store that opens, keeps every earlier commit, and can be run
again; a log record torn by a crash is dropped, and the records before it are kept."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tracegraph.demo import generate
from tracegraph.graph.memory import MemoryStore
from tracegraph.loaders.load import load
from serving import TRACEGRAPH


@pytest.fixture(scope="module")
def big_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("big")
    generate(out, shipments=15_000, seed=5)
    return out


@pytest.fixture(scope="module")
def load_seconds(tmp_path_factory: pytest.TempPathFactory, big_dir: Path) -> float:
    """How long the load below takes uninterrupted on this machine, now: the kills are timed by it."""
    started = time.perf_counter()
    _load_in_child(tmp_path_factory.mktemp("timing") / "store", [str(big_dir)]).wait()
    return time.perf_counter() - started


def _load_in_child(store: Path, paths: list[str]) -> subprocess.Popen:
    return subprocess.Popen([TRACEGRAPH, "--store", str(store), "load", "--no-link", "-q", *paths],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill_while_loading(child: subprocess.Popen, when: float | str, store: Path) -> None:
    """Kill ``child`` at ``when`` seconds, or as soon as it writes its snapshot (``"snapshot"``); the
    test fails if the load ended before it could be killed (then it would prove nothing)."""
    if when == "snapshot":
        tmp = store / "graph.pickle.tmp"
        deadline = time.monotonic() + 300
        while not tmp.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        assert tmp.exists(), "the load never began writing its snapshot"
    else:
        time.sleep(float(when))
    assert child.poll() is None, f"the load had ended before it was killed ({when})"
    child.send_signal(signal.SIGKILL)
    child.wait()


@pytest.mark.slow
@pytest.mark.parametrize("share", [0.15, 0.5, 0.85, "snapshot"])
def test_kill_during_load(tmp_path, demo_dir, big_dir, load_seconds, share):
    store = tmp_path / "store"
    with MemoryStore(store) as s:  # an earlier, committed load
        load(s, [str(demo_dir)])
        committed = s.dump()
    child = _load_in_child(store, [str(big_dir)])
    _kill_while_loading(child, share if share == "snapshot" else share * load_seconds, store)
    with MemoryStore(store) as s:  # the store opens, and holds at least what was committed before
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
def test_a_torn_log_record_is_dropped_and_the_records_before_it_kept(tmp_path, big_dir, demo_dir):
    """Small loads into a big store go to the write-ahead log. A crash in the middle of appending a
    record leaves part of it: the store opens with every record before it, cuts the torn tail off,
    and the interrupted load run again lands."""
    store = tmp_path / "store"
    with MemoryStore(store) as s:
        load(s, [str(big_dir)])
    files = sorted((str(p) for p in demo_dir.glob("*.csv")), key=lambda f: Path(f).stat().st_size)
    first, rest = files[:2], files[2:3]  # small enough to be logged, not folded into a snapshot
    with MemoryStore(store) as s:
        load(s, first)
        logged = s.dump()
    wal = store / "wal.log"
    before = wal.read_bytes()
    assert before, "the small load was not logged: this test needs a log"
    shutil.copytree(store, tmp_path / "copy")
    with MemoryStore(tmp_path / "copy") as s:  # the record the next commit appends, whole
        load(s, rest)
    record = (tmp_path / "copy" / "wal.log").read_bytes()[len(before):]
    assert record, "the second small load was not logged"
    for cut in (3, len(record) // 2, len(record) - 1):  # torn in its header, its middle, its last byte
        wal.write_bytes(before + record[:cut])
        with MemoryStore(store) as s:
            assert s.dump() == logged
        assert wal.read_bytes() == before  # the torn tail is gone
    with MemoryStore(store) as s:
        load(s, rest)
        got = s.dump()
    with MemoryStore(tmp_path / "reference") as ref:
        load(ref, [str(big_dir)])
        load(ref, first + rest)
        assert got == ref.dump()

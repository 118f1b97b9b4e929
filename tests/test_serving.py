"""A served embedded store, run for real: the day's files loaded beside it while it answers, and a
server killed in the middle of API writes keeping every write it acknowledged."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tracegraph.graph.memory import MemoryStore
from tracegraph.loaders.load import load
from tracegraph.queries.nodes import page
from tracegraph.queries.trace import trace
from serving import TRACEGRAPH, Served, serve

COUNTS = "{ findings(first: 0) { totalCount } arrivals(first: 0) { totalCount } }"


class Poller(threading.Thread):
    """Asks the server the same question, again and again, noting every answer and failure."""

    def __init__(self, api: Served, query: str) -> None:
        super().__init__(daemon=True)
        self.api, self.query = api, query
        self.answers: list[tuple[float, Any]] = []
        self.failures: list[str] = []
        self.stopping = threading.Event()
        self.start()

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stopping.is_set():
                try:
                    r = client.post(self.api.graphql, json={"query": self.query},
                                    headers={"authorization": f"Bearer {self.api.tokens['analyst']}"})
                    body = r.json()
                    if r.status_code != 200 or "errors" in body:
                        self.failures.append(f"{r.status_code} {r.text[:200]}")
                    else:
                        self.answers.append((time.monotonic(), body["data"]))
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))

    def stop(self) -> None:
        self.stopping.set()
        self.join(30)


def _split(demo_dir: Path, tmp: Path) -> tuple[Path, Path, Path]:
    """The demo's CN files, its EU files but the findings, and its findings, in three folders."""
    cn, eu, findings = (tmp / "cn", tmp / "eu", tmp / "findings")
    for d in (cn, eu, findings):
        d.mkdir()
    for f in demo_dir.glob("*.csv"):
        target = cn if f.name.startswith("cn-") else findings if f.name.startswith("eu-findings") else eu
        shutil.copy(f, target / f.name)
    for answers in cn.glob("cn-investigations*.csv"):  # they answer findings (and alerts), which come last
        answers.unlink()
    return cn, eu, findings


def _until(condition: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the server never answered from the new data"
        time.sleep(0.05)


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TRACEGRAPH, *args], capture_output=True, text=True, timeout=300)


def test_files_load_into_a_served_store_and_the_server_answers_from_them_once_committed(tmp_path, demo_dir):
    cn, eu, findings = _split(demo_dir, tmp_path)
    store = tmp_path / "store"
    with MemoryStore(store) as s:
        assert load(s, [str(cn)]).rejected == 0
        api = serve(s, tmp_path)
    try:
        with MemoryStore(tmp_path / "reference") as ref:  # what the store will hold
            load(ref, [str(cn), str(eu)])
            arrivals = page(ref, "Arrival", 0, 0)[0]
        poller = Poller(api, COUNTS)
        time.sleep(0.5)
        # The EU side, large next to the CN side: its commit writes a new snapshot, which the server
        # reads beside the graph it answers from, and swaps in.
        done = _run_cli("--store", str(store), "load", str(eu))
        assert done.returncode == 0, done.stderr
        loaded_at = time.monotonic()
        _until(lambda: poller.answers and poller.answers[-1][1]["arrivals"]["totalCount"] == arrivals)
        # The day's findings, small next to the store: committed to the log, which the server reads on.
        done = _run_cli("--store", str(store), "load", str(findings))
        assert done.returncode == 0, done.stderr
        expected = sum(1 for _ in open(findings / "eu-findings.csv", encoding="utf-8")) - 1
        _until(lambda: poller.answers[-1][1]["findings"]["totalCount"] == expected)
        time.sleep(0.3)
        poller.stop()
        assert not poller.failures, poller.failures[:5]
        seen = [(a["arrivals"]["totalCount"], a["findings"]["totalCount"]) for _, a in poller.answers]
        # every answer is of a committed state: before, between and after the two loads, nothing half-way
        assert set(seen) <= {(0, 0), (arrivals, 0), (arrivals, expected)}, sorted(set(seen))
        assert seen[0] == (0, 0) and seen[-1] == (arrivals, expected)
        assert seen == sorted(seen)  # never back to an older state
        assert len(poller.answers) > 20 and any(t > loaded_at for t, _ in poller.answers)
        # what the server answers now is what a fresh open of the store answers
        with MemoryStore(store, readonly=True) as direct:
            fid = page(direct, "Finding", 0, 1)[1][0]
            want = trace(direct, fid)
        got = api.data("analyst", "query($f: String!) { trace(findingId: $f) { status candidates(first: 5) "
                                  "{ edges { node { uscc confidence } } } } }", {"f": fid})["trace"]
        assert got["status"] == want.status
        assert [(e["node"]["uscc"], e["node"]["confidence"]) for e in got["candidates"]["edges"]] == \
               [(c.uscc, c.confidence) for c in want.candidates[:5]]
        # and it still takes writes of its own, which a command then sees
        token = _run_cli("--store", str(store), "token", "create", "--org", "Later", "--role", "eu_authority")
        assert token.returncode == 0, token.stderr
        r = api.post(token.stdout.strip().splitlines()[-1], REPORT, {"items": [_finding("F-SERVED-1")]})
        assert r.status_code == 200 and r.json()["data"]["reportFindings"]["accepted"] == 1, r.text
        listed = _run_cli("--store", str(store), "trace", "F-SERVED-1", "--json")
        assert listed.returncode == 0 and '"F-SERVED-1"' in listed.stdout
    finally:
        api.stop()


def test_the_server_takes_up_a_writers_commits_once_it_has_finished_not_one_by_one(tmp_path, demo_dir):
    """A writer that committed and still holds the store (a load between its rows and its links)
    is not taken up half-way: the server answers from the data before it, then, once the writer
    lets go, from all of it at once."""
    cn, eu, findings = _split(demo_dir, tmp_path)
    store = tmp_path / "store"
    with MemoryStore(store) as s:
        assert load(s, [str(cn), str(eu)]).rejected == 0
        api = serve(s, tmp_path)
    try:
        before = api.data("analyst", COUNTS)["findings"]["totalCount"]
        writer = subprocess.Popen(
            [str(Path(TRACEGRAPH).with_name("python")), "-c",
             "import sys; from tracegraph.graph.memory import MemoryStore; from tracegraph.loaders.load import load; "
             "s = MemoryStore(sys.argv[1]); load(s, [sys.argv[2]]); s.commit(); print('committed', flush=True); "
             "sys.stdin.readline(); s.close()", str(store), str(findings)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tmp_path)
        assert writer.stdin is not None and writer.stdout is not None
        try:
            assert writer.stdout.readline().strip() == "committed"
            with MemoryStore(store, readonly=True) as direct:  # committed: a fresh open sees it
                expected = page(direct, "Finding", 0, 0)[0]
            assert expected > before
            for _ in range(10):  # ... the server, while the writer still holds the store, does not
                assert api.data("analyst", COUNTS)["findings"]["totalCount"] == before
                time.sleep(0.1)
        finally:
            writer.stdin.write("\n")
            writer.stdin.close()
            assert writer.wait(30) == 0
        _until(lambda: api.data("analyst", COUNTS)["findings"]["totalCount"] == expected, 10)
    finally:
        api.stop()


REPORT = """mutation($items: [FindingInput!]!) { reportFindings(items: $items) { accepted rejected } }"""


def _finding(finding_id: str) -> dict[str, str]:
    return {"findingId": finding_id, "foundOn": "2015-06-01", "notifyingCountry": "NL", "productName": "Plush toy",
            "category": "Toys", "hazard": "Choking", "riskLevel": "serious", "brand": "Xingda", "model": "XD-2087"}


def test_a_write_while_a_load_holds_the_store_is_refused_clearly_and_reads_go_on(tmp_path, demo_dir):
    """An API write waits a little for the lock a load holds, then is refused with a message saying
    why and what to do (not a server error); reads are answered throughout."""
    with MemoryStore(tmp_path / "store") as s:
        load(s, [str(demo_dir)])
        api = serve(s, tmp_path)
    try:
        holder = subprocess.Popen([str(Path(TRACEGRAPH).with_name("python")), "-c",
                                   "import sys, time; from tracegraph.graph.memory import MemoryStore; "
                                   "s = MemoryStore(sys.argv[1]); print('locked', flush=True); time.sleep(30)",
                                   str(tmp_path / "store")], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        try:
            out = api.gql("eu_authority", REPORT, {"items": [_finding("F-WAITED")]})
            assert out["data"]["reportFindings"] is None
            assert "being written by another process" in out["errors"][0]["message"]
            assert api.data("analyst", COUNTS)["findings"]["totalCount"] > 0
        finally:
            holder.kill()
            holder.wait()
        assert api.data("eu_authority", REPORT, {"items": [_finding("F-AFTER")]})["reportFindings"]["accepted"] == 1
    finally:
        api.stop()
    assert "unexpected error" not in api.log.read_text()  # type: ignore[union-attr]


@pytest.mark.slow
def test_a_server_killed_in_the_middle_of_api_writes_keeps_every_write_it_acknowledged(tmp_path, demo_dir):
    with MemoryStore(tmp_path / "store") as s:
        load(s, [str(demo_dir)])
        api = serve(s, tmp_path)
    acknowledged: list[str] = []
    failures: list[str] = []

    def write() -> None:
        with httpx.Client(timeout=30) as client:
            for i in range(100_000):
                fid = f"F-KILL-{i:05d}"
                try:
                    r = client.post(api.graphql, json={"query": REPORT, "variables": {"items": [_finding(fid)]}},
                                    headers={"authorization": f"Bearer {api.tokens['eu_authority']}"})
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 200 and (r.json().get("data") or {}).get("reportFindings", {}).get("accepted") == 1:
                    acknowledged.append(fid)
                else:
                    failures.append(r.text[:200])

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    _until(lambda: len(acknowledged) >= 25, 120)
    assert api.process is not None
    api.process.send_signal(signal.SIGKILL)
    api.process.wait()
    writer.join(30)
    assert not failures, failures[:3]
    with MemoryStore(tmp_path / "store") as s:  # it opens, with every write the server said it had made
        held = set(page(s, "Finding", 0, 1_000_000)[1])
    missing = [f for f in acknowledged if f not in held]
    assert not missing and len(acknowledged) >= 25

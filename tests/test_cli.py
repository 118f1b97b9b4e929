"""The tracegraph command line, run as a user runs it."""

from __future__ import annotations

import csv
import filecmp
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from exchange import VALID, write_all, write_csv
from serving import TRACEGRAPH


def tg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([TRACEGRAPH, *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def test_load_reports_rejections_and_exits_non_zero_unless_partial_is_allowed(tmp_path):
    data = write_all(tmp_path / "in")
    write_csv(data / "cn-shipments.csv", [VALID["cn-shipments"], dict(VALID["cn-shipments"], declaration_no="X2", containers="MSCU1234560")])
    store = tmp_path / "store"
    report = tmp_path / "rejected.csv"
    r = tg("--store", str(store), "load", str(data), "--report", str(report))
    assert r.returncode == 1
    assert "cn-shipments.csv: read 2, landed 1, rejected 1" in r.stdout
    assert "cn-shipments.csv line 3 field containers: container 'MSCU1234560' fails the ISO 6346 check digit (expected 6)" in r.stderr
    rows = list(csv.DictReader(open(report, encoding="utf-8")))
    assert rows == [{"file": str(data / "cn-shipments.csv"), "line": "3", "field": "containers", "kind": "rejected",
                     "reason": "container 'MSCU1234560' fails the ISO 6346 check digit (expected 6)", "value": "MSCU1234560"}]
    r = tg("--store", str(store), "load", "--allow-partial", str(data))
    assert r.returncode == 0 and "unchanged 1" in r.stdout


def test_the_report_names_files_as_given_and_shows_values_exactly(tmp_path):
    """Two folders' files of one name stay apart; a rejected value is shown as the row gave it (a
    formula made inert by a leading apostrophe, nothing else changed); a valid formula-like name is
    stored as the text it is."""
    formula_name = "=cmd|' /C calc'!A0"
    hostile = '=HYPERLINK("http://x")'
    for folder, uscc in (("a", hostile), ("b", "  bad-1 ")):
        (tmp_path / folder).mkdir()
        write_csv(tmp_path / folder / "cn-manufacturers.csv",
                  [dict(VALID["cn-manufacturers"], name_en=formula_name), dict(VALID["cn-manufacturers"], uscc=uscc)])
    r = subprocess.run([TRACEGRAPH, "--store", "store", "load", "a", "b", "--report", "r.csv"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert r.returncode == 1
    rows = list(csv.DictReader(open(tmp_path / "r.csv", encoding="utf-8")))
    assert [(x["file"], x["line"], x["field"]) for x in rows] == [("a/cn-manufacturers.csv", "3", "uscc"),
                                                                 ("b/cn-manufacturers.csv", "3", "uscc")]
    assert rows[0]["value"] == "'" + hostile and hostile in rows[0]["reason"]
    assert rows[1]["value"] == "  bad-1 "
    stored = json.loads(tg("--store", str(tmp_path / "store"), "stats", "--json").stdout)
    assert stored["nodes"]["Manufacturer"] == 1
    got = subprocess.run([TRACEGRAPH, "--store", "store", "offenders", "--json"], cwd=tmp_path, capture_output=True, text=True)
    assert got.returncode == 0
    from tracegraph.graph.memory import MemoryStore
    from tracegraph.queries.nodes import nodes

    with MemoryStore(tmp_path / "store", readonly=True) as s:
        assert nodes(s, "Manufacturer", [VALID["cn-manufacturers"]["uscc"]])[VALID["cn-manufacturers"]["uscc"]]["name_en"] == formula_name


def test_validate_checks_without_loading_and_stats_counts(tmp_path):
    data = write_all(tmp_path / "in")
    store = tmp_path / "store"
    r = tg("--store", str(store), "validate", str(data))
    assert r.returncode == 0, r.stderr
    assert "10 files: read 10, valid 10, rejected 0" in r.stdout
    assert not store.exists()  # validating stores nothing, and makes no store
    assert tg("load", str(data), env={"TRACEGRAPH_STORE": str(store)}).returncode == 0
    stats = json.loads(tg("--store", str(store), "stats", "--json").stdout)
    assert stats["nodes"]["Shipment"] == 1 and stats["nodes"]["Container"] == 2
    assert stats["relationships"]["IN_CONTAINER"] == 4
    text = tg("--store", str(store), "stats").stdout
    assert "nodes: " in text and "Shipment" in text


def test_a_bad_path_or_store_is_a_clear_error(tmp_path):
    r = tg("--store", str(tmp_path / "s"), "load", str(tmp_path / "nowhere.csv"))
    assert r.returncode == 2 and "nowhere.csv: no such file or folder" in r.stderr
    (tmp_path / "notes.csv").write_text("a,b\n")
    r = tg("--store", str(tmp_path / "s"), "load", str(tmp_path / "notes.csv"))
    assert r.returncode == 2 and "not an exchange file" in r.stderr
    r = tg("--store", "bolt://127.0.0.1:1", "stats")
    assert r.returncode == 2 and "bolt://127.0.0.1:1 cannot be reached" in r.stderr and "Traceback" not in r.stderr


def test_generate_is_deterministic_and_every_row_is_valid(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert tg("generate", "--shipments", "300", "--seed", "4", str(a)).returncode == 0
    assert tg("generate", "--shipments", "300", "--seed", "4", str(b)).returncode == 0
    names = sorted(p.name for p in a.iterdir())
    assert filecmp.cmpfiles(a, b, names, shallow=False)[0] == names
    r = tg("validate", str(a))
    assert r.returncode == 0 and "rejected 0" in r.stdout
    truth = json.loads((a / "ground-truth.json").read_text())
    findings = list(csv.DictReader(open(a / "eu-findings.csv", encoding="utf-8")))
    assert set(truth["findings"]) == {f["finding_id"] for f in findings}
    assert any(not f["inspection_id"] for f in findings) and any(f["inspection_id"] for f in findings)
    arrivals = list(csv.DictReader(open(a / "eu-arrivals.csv", encoding="utf-8")))
    assert set(truth["arrivals"]) == {x["mrn"] for x in arrivals}
    assert any(not x["bill_of_lading"] for x in arrivals)  # the noise of real data
    assert truth["bad_factories"]


def test_jsonl_demo_data_loads_like_csv(tmp_path):
    for fmt in ("csv", "jsonl"):
        assert tg("generate", "--shipments", "200", "--seed", "2", "--format", fmt, str(tmp_path / fmt)).returncode == 0
        assert tg("--store", str(tmp_path / f"s-{fmt}"), "load", "-q", str(tmp_path / fmt)).returncode == 0
    counts = [json.loads(tg("--store", str(tmp_path / f"s-{fmt}"), "stats", "--json").stdout) for fmt in ("csv", "jsonl")]
    assert counts[0]["nodes"] == counts[1]["nodes"] and counts[0]["relationships"] == counts[1]["relationships"]


def test_trace_and_exposure_from_the_command_line(tmp_path):
    data = write_all(tmp_path / "in")
    store = str(tmp_path / "store")
    r = tg("--store", store, "load", str(data))
    assert r.returncode == 0 and "linked 1 of 1 new or changed arrivals" in r.stdout
    r = tg("--store", store, "trace", "F-NL-1")
    assert r.returncode == 0 and "traced" in r.stdout and "汕头市澄海区星达玩具厂" in r.stdout
    lines = tg("--store", store, "trace", "--all", "--json").stdout.splitlines()
    (only,) = [json.loads(x) for x in lines]
    assert only["finding_id"] == "F-NL-1" and only["status"] == "traced"
    assert only["candidates"][0]["confidence"] >= 0.9 and only["candidates"][0]["evidence"]
    assert tg("--store", store, "trace", "NOPE").returncode == 1
    e = json.loads(tg("--store", store, "exposure", VALID["cn-products"]["manufacturer_uscc"], "--json").stdout)
    assert e["entry_points"] == ["NLRTM"] and len(e["arrivals"]) == 1


def test_links_review_confirm_and_reject(tmp_path):
    data = write_all(tmp_path / "in")
    write_csv(data / "eu-arrivals.csv", [dict(VALID["eu-arrivals"], bill_of_lading="")])
    store = str(tmp_path / "store")
    assert tg("--store", store, "load", "-q", str(data)).returncode == 0
    rows = [json.loads(x) for x in tg("--store", store, "links", "review", "--json").stdout.splitlines()]
    consignment = [r for r in rows if r["type"] == "SAME_CONSIGNMENT"]
    assert len(consignment) == 1 and consignment[0]["score"] < 0.9
    mrn, decl = consignment[0]["start"], consignment[0]["end"]
    r = tg("--store", store, "links", "reject", "SAME_CONSIGNMENT", mrn, decl, "--by", "analyst 3")
    assert r.returncode == 0 and "rejected by analyst 3" in r.stdout
    assert json.loads(tg("--store", store, "trace", "F-NL-1", "--json").stdout)["shipment"] is None
    r = tg("--store", store, "links", "confirm", "SAME_CONSIGNMENT", mrn, decl, "--by", "analyst 3")
    assert json.loads(tg("--store", store, "trace", "F-NL-1", "--json").stdout)["shipment"] == decl
    assert tg("--store", store, "links", "confirm", "NOPE", "a", "b", "--by", "x").returncode == 2


READING = [["stats"], ["trace", "F-NL-1"], ["trace", "--all"], ["offenders"], ["alignment"], ["reliability"],
           ["exposure", "91440515MA4UXD9A1X"], ["priorities", "--entry-point", "NLRTM", "--since", "2015-01-01",
                                               "--until", "2015-03-31"], ["links", "review"], ["link"],
           ["links", "confirm", "SAME_AS", "A", "B", "--by", "me"], ["token", "list"], ["token", "revoke", "abc"]]


@pytest.mark.parametrize("command", READING, ids=lambda c: " ".join(c[:2]))
def test_a_path_that_holds_no_store_is_an_error_and_makes_none(tmp_path, command):
    """A wrong --store (or working directory) must not answer "nothing found" from a new empty store."""
    typo = tmp_path / "typo"
    for args, cwd in ((["--store", str(typo), *command], None), (command, tmp_path)):
        r = subprocess.run([TRACEGRAPH, *args], capture_output=True, text=True, cwd=cwd,
                           env={k: v for k, v in os.environ.items() if k != "TRACEGRAPH_STORE"})
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "no tracegraph store at" in r.stderr and "Traceback" not in r.stderr
        assert str(typo) in r.stderr or "tracegraph-data" in r.stderr
    assert not typo.exists() and not (tmp_path / "tracegraph-data").exists()


def test_only_commands_that_write_make_a_store(tmp_path):
    data = write_all(tmp_path / "in")
    for command in (["init"], ["token", "create", "--org", "x", "--role", "analyst"], ["load", str(data)]):
        store = tmp_path / command[0]
        r = tg("--store", str(store), *command)
        assert r.returncode == 0, r.stderr
        assert tg("--store", str(store), "stats").returncode == 0
    assert "nodes: 0" in tg("--store", str(tmp_path / "init"), "stats").stdout


@pytest.mark.neo4j
def test_a_neo4j_database_with_no_tracegraph_data_is_an_error_until_init(neo4j_server):
    from neo4j import GraphDatabase

    uri, user, password = neo4j_server
    with GraphDatabase.driver(uri, auth=(user, password)) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n")
    env = {"NEO4J_USER": user, "NEO4J_PASSWORD": password}
    for command in (["stats"], ["offenders"], ["token", "list"]):
        r = tg("--store", uri, *command, env=env)
        assert r.returncode == 2 and "holds no tracegraph data" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert tg("--store", uri, "init", env=env).returncode == 0
    r = tg("--store", uri, "stats", env=env)
    assert r.returncode == 0 and "nodes: 0" in r.stdout

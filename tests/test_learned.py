"""Priorities learned from the EU's checks: nothing dated after an arrival moves its score; the
probabilities are calibrated on months the model never saw; too little data falls back and says
so; both stores read the same; the backtest answers through the CLI and GraphQL."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from tracegraph.graph.memory import MemoryStore
from tracegraph.linkage import link
from tracegraph.loaders.load import load
from tracegraph.queries import learned
from tracegraph.queries.backtest import POLICIES, backtest
from tracegraph.queries.priorities import priorities
from exchange import VALID, write_csv
from serving import TRACEGRAPH
from test_api import api, truth  # noqa: F401 - the served fixtures
from test_schemes import loaded  # noqa: F401 - six consignments: far too few to learn from

import subprocess

WINDOW = ("NLRTM", "2016-09-01", "2016-09-30")
LATE = "2016-12-01"  # after every arrival of WINDOW


@pytest.fixture(scope="module")
def rich(tmp_path_factory) -> Path:
    """Generated data with enough EU checks (about 900 over three years) to learn from."""
    from tracegraph.demo import generate

    out = tmp_path_factory.mktemp("rich")
    generate(out, shipments=10000, seed=5)
    return out


@pytest.fixture
def rich_store(rich, tmp_path):
    with MemoryStore(tmp_path / "store") as s:
        assert load(s, [str(rich)]).rejected == 0
        link(s, "learned")
        yield s


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_nothing_dated_after_an_arrival_changes_its_score(rich, rich_store, tmp_path):
    before = priorities(rich_store, *WINDOW)
    assert before and {r["model"] for r in before} == {"learned"}
    arrivals = learned.arrival_rows(rich_store, WINDOW)
    shipments = sorted({r["shipment"] for r in arrivals if r["shipment"]})
    kept = learned.parts(rich_store)
    factories = sorted({f for s in shipments for f in kept[s].factories})
    products = [p for p in _rows(rich / "cn-products.csv") if p["manufacturer_uscc"] in factories and p["gtin"]]
    assert shipments and factories and products
    # after the window: every arrival checked and non-compliant, every shipment failed by CIQ, every
    # factory investigated with measures, findings on their products
    late = tmp_path / "late"
    late.mkdir()
    write_csv(late / "eu-inspections.csv", [dict(VALID["eu-inspections"], inspection_id=f"LATE-I{i}", mrn=r["arrival"],
                                                 inspected_on=LATE, outcome="non_compliant") for i, r in enumerate(arrivals)])
    write_csv(late / "cn-certificates.csv", [dict(VALID["cn-certificates"], certificate_no=f"LATE-C{i}", declaration_no=s,
                                                  issued_on=LATE, result="fail", issuer="Late CIQ") for i, s in enumerate(shipments)])
    write_csv(late / "cn-investigations.csv", [dict(VALID["cn-investigations"], finding_id=f"LATE-F{i}", manufacturer_uscc=f,
                                                    opened_on=LATE, status="closed", closed_on="2016-12-10")
                                               for i, f in enumerate(factories)])
    write_csv(late / "eu-findings.csv", [dict(VALID["eu-findings"], finding_id=f"LATE-F{i}", found_on=LATE, inspection_id="", mrn="",
                                              alert_no="", brand="", model=p["model"], gtin=p["gtin"])
                                         for i, p in enumerate(products[:50])])
    report = load(rich_store, [str(late)])
    assert report.rejected == 0
    link(rich_store, "late")
    assert learned.history(rich_store).factory_events is not None
    after = priorities(rich_store, *WINDOW)
    assert after == before
    # and the same facts dated inside the window do move the later arrivals (the test can fail)
    assert priorities(rich_store, "NLRTM", "2017-01-01", "2017-01-31") != []


def _calibration_misses(pairs: list[tuple[float, bool]], bins: int = 5) -> list[tuple[float, int, int]]:
    """Groups (all, then bins by predicted probability) whose non-compliant count is further from the
    predicted count than 2.5 standard deviations (of a sum of Bernoulli draws) + 1."""
    pairs = sorted(pairs)
    chunks = [pairs] + [pairs[b * len(pairs) // bins: (b + 1) * len(pairs) // bins] for b in range(bins)]
    misses = []
    for chunk in chunks:
        predicted = sum(p for p, _ in chunk)
        observed = sum(y for _, y in chunk)
        if abs(predicted - observed) > 2.5 * math.sqrt(sum(p * (1 - p) for p, _ in chunk)) + 1:
            misses.append((predicted, observed, len(chunk)))
    return misses


def test_what_a_score_reads_of_each_shipment_survives_being_kept_with_the_data(rich_store):
    """The shipments' parts are pickled as plain tuples (fast to take up) and come back as the same
    Parts, and a fresh process's priorities from them are the same."""
    import pickle

    kept = learned.parts(rich_store)
    back = pickle.loads(pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL))
    assert type(back) is learned.PartsByShipment and back == kept and len(back) > 1000
    assert all(type(p) is learned.Parts for p in back.values())
    some = next(p for p in back.values() if p.certificates and p.factories)
    assert some.certificates[0][1] in ("pass", "fail") and some.lines >= len(some.factories)


def test_scores_are_calibrated_on_months_the_model_never_saw(rich_store):
    checked = {r["arrival"]: "non_compliant" in r["outcomes"] for r in learned.arrival_rows(rich_store, None)
               if r["outcomes"] and "2016-06-01" <= r["arrived_on"] <= "2017-02-28"}
    pairs = []
    for entry_point in sorted({r["entry_point"] for r in learned.arrival_rows(rich_store, None)}):
        for r in priorities(rich_store, entry_point, "2016-06-01", "2017-02-28", reasons=False):
            if r["mrn"] in checked:
                assert r["model"] == "learned"  # each fitted before the arrival's month: held out
                pairs.append((r["score"], checked[r["mrn"]]))
    assert len(pairs) >= 150
    assert _calibration_misses(pairs) == []
    # a broken calibration fails the same check
    assert _calibration_misses([(min(p * 3, 1.0), y) for p, y in pairs]) != []
    assert _calibration_misses([(p / 4, y) for p, y in pairs]) != []


def test_reasons_come_from_the_model_strongest_first(rich_store):
    ranked = priorities(rich_store, *WINDOW)
    top = ranked[0]
    assert top["reasons"] and top["model_note"].startswith("learned: logistic regression fitted on")
    odds = [float(x.rsplit("odds ", 1)[1][1:-1]) for x in top["reasons"]]
    assert odds == sorted(odds, reverse=True) or all("odds" in x for x in top["reasons"])


def test_too_few_checks_fall_back_on_the_handbuilt_model_and_say_why(loaded):  # noqa: F811
    ranked = priorities(loaded, "NLRTM", "2015-02-12", "2015-02-12")
    assert ranked and {r["model"] for r in ranked} == {"fallback"}
    assert all(r["model_note"].startswith("fallback: 0 EU checks (0 non-compliant) before 2015-02-01") for r in ranked)


@pytest.mark.neo4j
def test_both_stores_read_and_rank_alike(store_factory, rich):
    pair = store_factory("embedded"), store_factory("neo4j")
    for s in pair:
        assert load(s, [str(rich)]).rejected == 0
        link(s, "2026-01-01T00:00:00+00:00")
    embedded, neo = pair

    def same(read):
        a, b = read(embedded), read(neo)
        assert a == b
        return a

    assert same(lambda s: learned.arrival_rows(s, None))
    assert same(lambda s: learned.arrival_rows(s, WINDOW))
    assert same(lambda s: learned.parts(s))
    assert same(lambda s: sorted(s.run(learned.FACTORY_EVENTS), key=lambda e: (e["kind"], e["id"], e["uscc"])))
    same(lambda s: sorted(s.run(learned.SAME_AS_PAIRS), key=lambda e: (e["a"], e["b"])))
    assert same(lambda s: priorities(s, *WINDOW))
    same(lambda s: backtest(s, "NLRTM", "2016-01-01", "2016-12-31", 0.1))


def test_the_backtest_replays_each_policy_within_its_capacity(rich_store):
    b = backtest(rich_store, "NLRTM", "2016-01-01", "2016-12-31", 0.1)
    assert [p["policy"] for p in b["policies"]] == list(POLICIES)
    assert b["checked"] and b["non_compliant"]
    for p in b["policies"]:
        assert p["inspected"] == int(0.1 * b["arrivals"])
        assert 0 <= p["caught"] <= b["non_compliant"]
        assert p["low"] <= p["recall"] <= p["high"]
    with pytest.raises(ValueError, match="capacity"):
        backtest(rich_store, "NLRTM", "2016-01-01", "2016-12-31", 1.5)


def test_the_backtest_through_the_cli(rich, tmp_path):
    store = str(tmp_path / "cli-store")
    assert subprocess.run([TRACEGRAPH, "--store", store, "load", "-q", str(rich)], capture_output=True).returncode == 0
    out = subprocess.run([TRACEGRAPH, "--store", store, "backtest", "--entry-point", "NLRTM", "--since", "2016-01-01",
                          "--until", "2016-12-31", "--capacity", "10%", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert [p["policy"] for p in got["policies"]] == list(POLICIES) and got["capacity"] == 0.1
    bad = subprocess.run([TRACEGRAPH, "--store", store, "backtest", "--entry-point", "NLRTM", "--since", "2016-01-01",
                          "--until", "2016-12-31", "--capacity", "250%"], capture_output=True, text=True)
    assert bad.returncode != 0 and "250%" in bad.stderr


def test_the_backtest_and_the_model_through_graphql(api):  # noqa: F811
    got = api.data("analyst", """{ backtest(entryPoint: "NLRTM", since: "2015-01-01", until: "2016-12-31", capacity: 0.2) {
        arrivals checked nonCompliant refit counting policies { policy inspected caught recall low high unsafeReached } }
        priorities(entryPoint: "NLRTM", since: "2015-01-01", until: "2015-03-31", first: 3) { edges { node { mrn score model modelNote } } } }""")
    b = got["backtest"]
    assert [p["policy"] for p in b["policies"]] == list(POLICIES)
    assert all(p["inspected"] == int(0.2 * b["arrivals"]) for p in b["policies"])
    assert all(e["node"]["model"] in ("learned", "fallback") and e["node"]["modelNote"] for e in got["priorities"]["edges"])
    r = api.post(api.tokens["analyst"], '{ backtest(entryPoint: "NLRTM", since: "2015-01-01", until: "2015-12-31", capacity: 0) { checked } }')
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

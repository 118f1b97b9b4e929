"""Repeat offenders on a small hand-made graph whose answer is known, on both stores; and parity."""

from __future__ import annotations

import pytest

from tracegraph.linkage import link
from tracegraph.loaders.load import load
from tracegraph.queries.offenders import _trend, offenders
from tracegraph.queries.nodes import search
from tracegraph.queries.priorities import priorities
from tracegraph.queries.schemes import alignment, consignments, reliability
from tracegraph.queries.trace import trace
from exchange import EXPORTER, FACTORY, FACTORY2, GTIN, VALID, make_gtin, make_uscc, write_all, write_csv

TWIN = make_uscc("91440515MA4UXD9B2")  # a second registration of FACTORY
G_TWIN, G_OTHER = make_gtin("690123456700"), make_gtin("690123456711")


def _market(fid: str, found_on: str, gtin: str, risk: str, hazard: str) -> dict[str, str]:
    return dict(VALID["eu-findings"], finding_id=fid, found_on=found_on, gtin=gtin, risk_level=risk, hazard=hazard,
                inspection_id="", mrn="", model="", brand="")


@pytest.fixture
def loaded(store, tmp_path):
    folder = write_all(tmp_path / "in")  # F-NL-1: FACTORY, serious, through its consignment; investigated
    factory = dict(VALID["cn-manufacturers"], address="Chenghai, No. 12")
    write_csv(folder / "cn-manufacturers.csv", [
        factory, dict(factory, uscc=TWIN, name_zh="汕头市星达玩具厂", name_en="", address="Chenghai, No 12"),
        dict(factory, uscc=FACTORY2, name_zh="东莞市宏发塑胶制品厂", name_en="Dongguan Hongfa Plastic Products Factory",
             city="Dongguan", address="Humen"),
    ])
    write_csv(folder / "cn-products.csv", [
        VALID["cn-products"],
        dict(VALID["cn-products"], manufacturer_uscc=TWIN, model="XD-3000", gtin=G_TWIN),
        dict(VALID["cn-products"], manufacturer_uscc=FACTORY2, model="HF-1", brand="Hongfa", gtin=G_OTHER),
    ])
    write_csv(folder / "eu-findings.csv", [
        VALID["eu-findings"],                                                   # 2015-02-20 FACTORY
        _market("F-2", "2015-05-01", G_TWIN, "high", "chemical"),                # the twin registration
        _market("F-3", "2015-11-01", GTIN, "serious", "choking"),               # FACTORY again
        _market("F-4", "2015-06-01", G_OTHER, "medium", "injuries"),            # FACTORY2
        _market("F-5", "2015-06-02", make_gtin("400000000000"), "low", "fire"),  # nobody's product
    ])
    # VALID's investigation of F-NL-1: measures taken, opened 2015-03-01, not closed
    assert load(store, [str(folder)]).rejected == 0
    link(store, "2026-01-01T00:00:00+00:00")
    return store


def test_offenders_pool_registrations_and_count_what_each_factory_did(loaded):
    o = offenders(loaded, "2015-01-01", "2015-12-31")
    assert o["findings"] == 5 and o["attributed"] == 4 and o["not_attributed"] == {"not_traceable": 1}
    first, second = o["factories"]
    assert first["uscc"] == FACTORY and first["registrations"] == sorted([FACTORY, TWIN])
    assert first["findings"] == 3 and first["finding_ids"] == ["F-2", "F-3", "F-NL-1"]
    assert first["by_risk_level"] == {"serious": 2, "high": 1}
    assert first["hazards"] == {"Choking": 2, "Chemical": 1}  # the Safety Gate vocabulary, as loaded
    assert first["by_quarter"] == {"2015-Q1": 1, "2015-Q2": 1, "2015-Q4": 1}
    assert (first["first_found"], first["last_found"]) == ("2015-02-20", "2015-11-01")
    assert first["investigations"]["by_status"] == {"measures_taken": 1}
    assert first["investigations"]["uninvestigated"] == ["F-2", "F-3"]
    assert first["investigations"]["measures"] == ["supplier replaced"]
    # measures were taken on 2015-03-01 (opened, never closed): two findings came after them
    assert first["measures_on"] == "2015-03-01" and first["after_measures"] == ["F-2", "F-3"]
    assert first["trend"] == {"direction": "steady", "first_half": 2, "second_half": 1, "split_on": "2015-07-02"}
    assert second["uscc"] == FACTORY2 and second["findings"] == 1 and second["measures_on"] is None
    assert second["name_en"] == "Dongguan Hongfa Plastic Products Factory"
    # only the border finding has a consignment, and so an exporter
    (exporter,) = o["exporters"]
    assert exporter["uscc"] == EXPORTER and exporter["finding_ids"] == ["F-NL-1"]


def test_offenders_by_rate_weigh_findings_against_shipments_shrunk(loaded):
    o = offenders(loaded, "2015-01-01", "2015-12-31", rank_by="rate")
    by = {f["uscc"]: f for f in o["factories"]}
    # FACTORY's goods left in the one CN shipment; FACTORY2 shipped nothing: 4 findings on 1 shipment
    assert (by[FACTORY]["shipments"], by[FACTORY2]["shipments"]) == (1, 0)
    m, k = 4 / 1, 20.0  # pooled rate; fewer than 20 offenders: the default shrinkage
    assert by[FACTORY]["rate_per_1000"] == round(1000 * (3 + k * m) / (1 + k), 3)
    assert by[FACTORY2]["rate_per_1000"] == round(1000 * (1 + k * m) / (0 + k), 3)
    assert [f["uscc"] for f in o["factories"]] == [FACTORY2, FACTORY]  # no shipments to spread its finding over
    with pytest.raises(ValueError, match="rank_by"):
        offenders(loaded, rank_by="size")


def test_the_window_keeps_earlier_measures_but_counts_only_its_findings(loaded):
    o = offenders(loaded, "2015-04-01", "2015-12-31", limit=1)
    (first,) = o["factories"]
    assert first["finding_ids"] == ["F-2", "F-3"] and first["findings"] == 2
    # the investigation that names the factory predates the window; its measures still count
    assert first["measures_on"] == "2015-03-01" and first["after_measures"] == ["F-2", "F-3"]
    assert offenders(loaded, "2016-01-01", "2016-12-31") == {
        "since": "2016-01-01", "until": "2016-12-31", "rank_by": "findings", "findings": 0, "attributed": 0, "not_attributed": {},
        "factories": [], "exporters": []}


def test_an_ambiguous_finding_is_possible_for_each_candidate_never_a_finding(store, tmp_path):
    folder = write_all(tmp_path / "in")
    write_csv(folder / "cn-products.csv", [VALID["cn-products"],
                                           dict(VALID["cn-products"], manufacturer_uscc=FACTORY2, model="HF-1", brand="Hongfa")])
    write_csv(folder / "eu-findings.csv", [_market("F-M", "2015-04-01", GTIN, "serious", "choking")])
    assert load(store, [str(folder)]).rejected == 0
    link(store, "t")
    o = offenders(store)
    assert o["attributed"] == 0 and o["not_attributed"] == {"ambiguous": 1}
    assert {(f["uscc"], f["findings"], f["possible"]) for f in o["factories"]} == {(FACTORY, 0, 1), (FACTORY2, 0, 1)}


def test_kept_attributions_follow_the_data_and_any_window_order(store, tmp_path):
    """Each finding's attribution is kept between calls (any window reuses it), and a write that
    changes it is seen by the next call: here AQSIQ names the factory of an ambiguous finding."""
    folder = write_all(tmp_path / "in")
    write_csv(folder / "cn-products.csv", [VALID["cn-products"],
                                           dict(VALID["cn-products"], manufacturer_uscc=FACTORY2, model="HF-1", brand="Hongfa")])
    write_csv(folder / "eu-findings.csv", [_market("F-M", "2015-04-01", GTIN, "serious", "choking"),
                                           _market("F-N", "2015-09-01", G_OTHER, "low", "fire")])
    assert load(store, [str(folder)]).rejected == 0
    link(store, "t")
    narrow = offenders(store, "2015-04-01", "2015-04-30")
    assert narrow["not_attributed"] == {"ambiguous": 1}
    wide = offenders(store)  # F-M kept from the narrow window, F-N worked out now
    assert wide["findings"] == 2 and wide["not_attributed"] == {"ambiguous": 1, "not_traceable": 1}
    again = tmp_path / "again"
    again.mkdir()
    write_csv(again / "cn-investigations.csv", [dict(VALID["cn-investigations"], finding_id="F-M", manufacturer_uscc=FACTORY2)])
    assert load(store, [str(again)]).rejected == 0
    after = offenders(store, "2015-04-01", "2015-04-30")
    assert after["attributed"] == 1 and after["not_attributed"] == {}
    assert [(f["uscc"], f["finding_ids"]) for f in after["factories"]] == [(FACTORY2, ["F-M"])]


def test_trend_needs_a_significant_split():
    assert _trend(["2015-01-01"] + ["2015-12-01"] * 9, "2015-07-01")["direction"] == "rising"
    assert _trend(["2015-01-01"] * 9 + ["2015-12-01"], "2015-07-01")["direction"] == "falling"
    assert _trend(["2015-01-01"] * 3 + ["2015-12-01"] * 6, "2015-07-01")["direction"] == "steady"
    assert _trend([], "2015-07-01") == {"direction": "steady", "first_half": 0, "second_half": 0, "split_on": "2015-07-01"}


@pytest.mark.neo4j
def test_both_stores_answer_every_analysis_alike(store_factory, demo_dir):
    """Offenders, alignment, reliability, priorities and search on generated data, on both stores."""
    results, analyses = [], []
    for kind in ("embedded", "neo4j"):
        s = store_factory(kind, f"off-{kind}")
        assert load(s, [str(demo_dir)]).rejected == 0
        link(s, "2026-01-01T00:00:00+00:00")
        results.append(offenders(s, limit=50))
        analyses.append((alignment(s), reliability(s), priorities(s, "NLRTM", "2014-01-01", "2016-12-31"),
                         consignments(s, "NLRTM", "2015-01-01", "2015-06-30"), search(s, "toys"), search(s, "玩具")))
    assert results[0] == results[1]
    for a, b in zip(*analyses):
        assert a == b
    assert len(analyses[0][2]) > 50 and analyses[0][0]["overall"]["n"] > 0 and len(analyses[0][4]) > 5
    # the bulk attribution is trace's, finding by finding
    assert results[0]["attributed"] > 0
    for f in results[0]["factories"]:
        for fid in f["finding_ids"]:
            t = trace(s, fid)
            assert t.status == "traced" and t.candidates[0].uscc in f["registrations"]

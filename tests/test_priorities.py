"""Inspection priorities: factory rates from both sides' history, shrunk; only what was known
before each arrival; the arrival's own certificate by Bayes' rule. Checked by hand on both stores."""

from __future__ import annotations

import pytest

from tracegraph.linkage import link
from tracegraph.loaders.load import load
from tracegraph.queries.priorities import PRIOR_WEIGHT, priorities
from exchange import VALID, make_container, make_mrn, write_csv
from test_schemes import CASES, loaded  # noqa: F401 - the fixture: six consignments, known verdicts


def _more(store, tmp_path, name: str, files: dict[str, list[dict]]) -> None:
    folder = tmp_path / name
    folder.mkdir()
    for file, rows in files.items():
        write_csv(folder / f"{file}.csv", rows)
    assert load(store, [str(folder)]).rejected == 0
    link(store, name)


def test_arrivals_learn_nothing_from_what_came_after_them(loaded, tmp_path):  # noqa: F811
    before = priorities(loaded, "NLRTM", "2015-02-12", "2015-02-12")
    assert len(before) == len(CASES)
    # every EU check was made on 2015-02-13, after these arrivals
    assert all(any("0 of 0 EU checks" in reason for reason in r["reasons"]) for r in before if "certificate" not in r["reasons"][0])
    # more checks and certificates, all after the arrivals, change nothing for them
    mrns = [r["mrn"] for r in before]
    _more(loaded, tmp_path, "later", {
        "eu-inspections": [dict(VALID["eu-inspections"], inspection_id=f"LATE{i}", mrn=m, inspected_on="2015-02-20",
                                outcome="non_compliant") for i, m in enumerate(mrns)],
        "cn-certificates": [dict(VALID["cn-certificates"], certificate_no=f"LATE{i}", declaration_no=f"53162015000000000{i}",
                                 issued_on="2015-02-20", result="fail") for i in range(len(CASES))],
    })
    assert priorities(loaded, "NLRTM", "2015-02-12", "2015-02-12") == before
    assert priorities(loaded, "DEHAM", "2015-01-01", "2015-12-31") == []


def test_a_factory_rate_pools_both_sides_shrunk_and_the_own_certificate_updates_it(loaded, tmp_path):  # noqa: F811
    box = make_container("MSCU000099")
    # three more CIQ certificates for the factory, passing, in March; then a consignment in June
    # carrying a passing certificate of its own, issued in June (its own month: not yet history)
    extra = [f"D-MARCH-{i}" for i in range(3)]
    _more(loaded, tmp_path, "later", {
        "cn-shipments": [dict(VALID["cn-shipments"], declaration_no=d, containers=make_container(f"TGHU00000{i}"),
                              bill_of_lading=f"MEDU000000010{i}", departed_on="2015-03-10") for i, d in enumerate(extra)]
        + [dict(VALID["cn-shipments"], declaration_no="D-LATE", containers=box, bill_of_lading="MEDU0000000099",
                departed_on="2015-05-01")],
        "cn-shipment-lines": [dict(VALID["cn-shipment-lines"], declaration_no=d) for d in extra + ["D-LATE"]],
        "cn-certificates": [dict(VALID["cn-certificates"], certificate_no=f"M{i}", declaration_no=d, issued_on="2015-03-05",
                                 result="pass") for i, d in enumerate(extra)]
        + [dict(VALID["cn-certificates"], certificate_no="OWN", declaration_no="D-LATE", issued_on="2015-06-01",
                result="pass", issuer="Shantou CIQ")],
        "eu-arrivals": [dict(VALID["eu-arrivals"], mrn=make_mrn("15NLLATEARRIVAL99"), containers=box,
                             bill_of_lading="MEDU0000000099", arrived_on="2015-06-02")],
    })
    (late,) = priorities(loaded, "NLRTM", "2015-06-01", "2015-06-30")
    # EU: 6 earlier checks, 3 non-compliant: base (3+1)/(6+2). Of the 2 non-compliant ones with a
    # certificate, CIQ failed 1: sensitivity (1+1)/(2+2). CIQ: 7 certificates before June, 1 failed.
    base, sensitivity = 4 / 8, 2 / 4
    unsafe, trials = 3 + 1 / sensitivity, 6 + 7
    rate = (unsafe + PRIOR_WEIGHT * base) / (trials + PRIOR_WEIGHT)
    # Shantou CIQ passed the one non-compliant consignment it certified: 0 of 1, shrunk to the overall
    s = (0 + PRIOR_WEIGHT * sensitivity) / (1 + PRIOR_WEIGHT)
    assert late["score"] == pytest.approx(round(rate * (1 - s) / (1 - rate * s), 4))
    assert any("3 of 6 EU checks non-compliant, 1 of 7 CIQ certificates failed" in x for x in late["reasons"])
    assert any(x.startswith("passing CIQ certificate from Shantou CIQ") for x in late["reasons"])


def test_an_arrival_no_shipment_matches_falls_back_on_the_base_rate_and_says_why(loaded, tmp_path):  # noqa: F811
    _more(loaded, tmp_path, "lonely", {"eu-arrivals": [dict(VALID["eu-arrivals"], mrn=make_mrn("15NLLONELYARRIVL1"),
                                                             containers=make_container("TGHU777777"), bill_of_lading="",
                                                             consignor_name="Nobody Ltd", arrived_on="2015-07-01")]})
    (r,) = priorities(loaded, "NLRTM", "2015-07-01", "2015-07-01")
    assert r["score"] == round(4 / 8, 4)
    assert "no CIQ certificate: China did not inspect this consignment" in r["reasons"]
    assert any("no CN export shipment found" in x for x in r["reasons"])

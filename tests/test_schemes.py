"""Alignment and reliability on a small hand-made graph whose answer is known, on both stores."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest

from tracegraph.linkage import link
from tracegraph.loaders.load import load
from tracegraph.queries.schemes import alignment, reliability
from exchange import VALID, make_container, make_mrn, write_csv

# consignment i: (CIQ certificate result or None, EU outcome)
CASES = [("pass", "compliant"), ("pass", "non_compliant"), ("fail", "non_compliant"), ("pass", "compliant"),
         (None, "non_compliant"), (None, "compliant")]


@pytest.fixture
def loaded(store, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shipments, lines, certs, arrivals, checks = [], [], [], [], []
    for i, (result, outcome) in enumerate(CASES):
        decl, box, mrn = f"53162015000000000{i}", make_container(f"MSCU00000{i}"), make_mrn(f"15NLABCDEFGHIJ12{i}")
        shipments.append(dict(VALID["cn-shipments"], declaration_no=decl, containers=box, bill_of_lading=f"MEDU00000000{i}"))
        lines.append(dict(VALID["cn-shipment-lines"], declaration_no=decl))
        if result:
            certs.append(dict(VALID["cn-certificates"], certificate_no=f"C{i}", declaration_no=decl, result=result,
                              issuer="Shantou CIQ" if i < 2 else "Ningbo CIQ"))
        arrivals.append(dict(VALID["eu-arrivals"], mrn=mrn, containers=box, bill_of_lading=f"MEDU00000000{i}"))
        checks.append(dict(VALID["eu-inspections"], inspection_id=f"I{i}", mrn=mrn, outcome=outcome))
    for name, rows in [("cn-shipments", shipments), ("cn-shipment-lines", lines), ("cn-certificates", certs),
                       ("eu-arrivals", arrivals), ("eu-inspections", checks), ("cn-products", [VALID["cn-products"]])]:
        write_csv(folder / f"{name}.csv", rows)
    assert load(store, [str(folder)]).rejected == 0
    link(store, "t")
    return store


def test_alignment_counts_the_verdicts_of_both_schemes(loaded):
    a = alignment(loaded)
    assert a["overall"] == {"pass_compliant": 2, "pass_non_compliant": 1, "fail_compliant": 0, "fail_non_compliant": 1,
                            "n": 4, "agreement": 0.75, "kappa": 0.5}
    assert a["by"]["office"]["Shantou CIQ"]["n"] == 2 and a["by"]["office"]["Ningbo CIQ"]["n"] == 2
    # Shantou passed both, the EU found one of them non-compliant: agreement 0.5, no better than chance
    assert a["by"]["office"]["Shantou CIQ"]["agreement"] == 0.5 and a["by"]["office"]["Shantou CIQ"]["kappa"] == 0.0
    assert set(a["by"]["standard"]) == {"EN 71-1", "EN 71-3"} and a["by"]["category"]["Toys"]["n"] == 4
    assert a["by"]["quarter"]["2015-Q1"]["n"] == 4


def test_reliability_compares_certified_with_uncertified_with_wilson_intervals(loaded):
    r = reliability(loaded)
    c, u = r["overall"]["certified"], r["overall"]["uncertified"]
    assert (c["checked"], c["non_compliant"], u["checked"], u["non_compliant"]) == (3, 1, 2, 1)
    ci = binomtest(1, 3).proportion_ci(method="wilson")
    assert (c["low"], c["high"]) == (round(ci.low, 4), round(ci.high, 4)) and c["rate"] == round(1 / 3, 4)
    assert r["overall"]["verdict"].startswith("not enough evidence")
    shantou = r["by"]["office"]["Shantou CIQ"]
    assert shantou["certified"]["checked"] == 2 and shantou["uncertified"] == u  # weighed against all uncertified

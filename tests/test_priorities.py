"""Inspection priorities: shrunk rates learnt only from checks made before each arrival."""

from __future__ import annotations

from queries.priorities import PRIOR_WEIGHT, priorities
from tests.test_schemes import CASES, loaded  # noqa: F401 - the fixture: six consignments, known verdicts


def test_arrivals_learn_nothing_from_checks_made_after_them(loaded):  # noqa: F811
    ranked = priorities(loaded, "NLRTM", "2015-02-12", "2015-02-12")
    assert len(ranked) == len(CASES)
    # every check was made on 2015-02-13, after these arrivals: no signal, the prior alone
    assert {r["score"] for r in ranked} == {0.5}
    assert all("0 of 0 earlier checks" in reason for r in ranked for reason in r["reasons"])
    assert priorities(loaded, "DEHAM", "2015-01-01", "2015-12-31") == []


def test_rates_are_shrunk_towards_the_base_rate(loaded, tmp_path):  # noqa: F811
    from loaders.linkage import link
    from loaders.load import load
    from tests.exchange import VALID, make_container, make_mrn, write_csv

    folder = tmp_path / "later"
    folder.mkdir()
    box = make_container("MSCU000099")
    write_csv(folder / "cn-shipments.csv", [dict(VALID["cn-shipments"], declaration_no="D-LATE", containers=box,
                                                 bill_of_lading="MEDU0000000099", departed_on="2015-05-01")])
    write_csv(folder / "cn-shipment-lines.csv", [dict(VALID["cn-shipment-lines"], declaration_no="D-LATE")])
    write_csv(folder / "eu-arrivals.csv", [dict(VALID["eu-arrivals"], mrn=make_mrn("15NLLATEARRIVAL99"), containers=box,
                                                bill_of_lading="MEDU0000000099", arrived_on="2015-06-01")])
    load(loaded, [str(folder)])
    link(loaded, "t2")
    (late,) = priorities(loaded, "NLRTM", "2015-06-01", "2015-06-30")
    # 6 earlier checks, 3 non-compliant: base (3+1)/(6+2); the factory's 3 of 6 shrunk towards it
    base = 4 / 8
    factory = (3 + PRIOR_WEIGHT * base) / (6 + PRIOR_WEIGHT)
    uncertified = (1 + PRIOR_WEIGHT * base) / (2 + PRIOR_WEIGHT)
    assert late["score"] == round(base * (factory / base) ** 3 * (uncertified / base), 4)
    assert any(reason.startswith("factory ") and "3 of 6 earlier checks" in reason for reason in late["reasons"])

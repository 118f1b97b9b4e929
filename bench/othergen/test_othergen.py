"""Checks of the generator: identifiers valid by their own rules, runs reproducible, truth consistent.

Run with ``.venv/bin/pytest bench/othergen`` (the repository's test paths do not include bench/).
"""

from __future__ import annotations

import csv
import filecmp
import json
import random
import sys
from pathlib import Path

import pytest
from stdnum import ean, iso6346
from stdnum.cn import uscc

sys.path.append(str(Path(__file__).resolve().parent.parent))

from othergen import codes, names, settings  # noqa: E402
from othergen.generate import generate  # noqa: E402


def _rows(folder: Path, kind: str) -> list[dict[str, str]]:
    with (folder / f"{kind}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("othergen")
    generate(out, 600, 3, setting="messy-logistics")
    return out


def test_mrn_check_character_follows_the_eu_rule() -> None:
    # a published MRN (Italian export, 2015)
    assert codes.mrn_check_character("15ITQ1V1T0240456E") == "9"
    rng = random.Random(1)
    for _ in range(200):
        m = codes.mrn(rng, 2016, "NL")
        assert len(m) == 18 and m[-1] == codes.mrn_check_character(m[:-1])


def test_identifiers_pass_their_check_digits(run: Path) -> None:
    for r in _rows(run, "cn-manufacturers") + _rows(run, "cn-exporters"):
        assert uscc.is_valid(r["uscc"]), r["uscc"]
    for r in _rows(run, "cn-products"):
        assert not r["gtin"] or ean.is_valid(r["gtin"])
    for kind in ("cn-shipments", "eu-arrivals"):
        for r in _rows(run, kind):
            for box in r["containers"].split(";"):
                assert iso6346.is_valid(box), box
    for r in _rows(run, "eu-arrivals"):
        assert r["mrn"][-1] == codes.mrn_check_character(r["mrn"][:17])


def test_same_seed_same_files(run: Path, tmp_path: Path) -> None:
    generate(tmp_path, 600, 3, setting="messy-logistics")
    for kind in ("cn-shipments", "eu-arrivals", "eu-findings"):
        assert filecmp.cmp(run / f"{kind}.csv", tmp_path / f"{kind}.csv", shallow=False)


def test_truth_covers_every_record(run: Path) -> None:
    truth = json.loads((run / "truth.json").read_text(encoding="utf-8"))
    assert {r["mrn"] for r in _rows(run, "eu-arrivals")} == set(truth["arrivals"])
    assert {r["finding_id"] for r in _rows(run, "eu-findings")} == set(truth["findings"])
    declared = {r["mrn"]: r["consignor_name"] for r in _rows(run, "eu-arrivals")}
    for mrn, a in truth["arrivals"].items():
        if a["consignor"] and a["consignor_entity"] != "hk_affiliate":
            assert declared[mrn] in truth["companies"][a["consignor"]]
    known = {r["uscc"] for r in _rows(run, "cn-manufacturers")}
    assert all(f["factory"] is None or f["factory"] in known for f in truth["findings"].values())


def test_every_preset_resolves() -> None:
    for name in settings.PRESETS:
        settings.resolve(name)
    assert settings.resolve("baseline", {"check_rate": "0.2"}).check_rate == 0.2


def test_typo_changes_one_letter_at_most_by_one_edit() -> None:
    rng = random.Random(5)
    for _ in range(100):
        text = "SHENZHEN HUAMEIMINGZHU IMPORT & EXPORT CO., LTD."
        changed = names.typo(text, rng)
        assert abs(len(changed) - len(text)) <= 1 and changed != ""

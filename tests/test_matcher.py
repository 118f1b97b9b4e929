"""The shared name matcher: the spellings the EU side writes find the company by search and link it
as consignor (a factory exporting itself too); a name close to two companies links to neither; the
CLI's search. Data is written as exchange files and loaded, on both stores."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from exchange import EXPORTER, FACTORY, MRN, VALID, make_container, make_uscc, write_all, write_csv
from test_cli import TRACEGRAPH
from tracegraph.linkage import link
from tracegraph.loaders.load import load
from tracegraph.queries.offenders import offenders
from tracegraph.queries.search import search
from tracegraph.queries.trace import trace

SHENGHUA, XINGHONG, TONGYE, TONGYI = (make_uscc(f"9144051{i}MA4UXD9B1") for i in range(4))
COMPANIES = [  # (USCC, Chinese name, English name in the CN data, an EU spelling)
    (SHENGHUA, "汕头市澄海区胜华玩具厂", "", "SHANTOU SHENGHUA TOYS FACTORY"),
    (XINGHONG, "上海市兴宏进出口有限公司", "Shanghai Xinghong Import & Export Co., Ltd.", "XINGHONG IMPORT & EXPORT CO LTD"),
    (TONGYE, "泉州市通业玩具有限公司", "", "Tong Ye Toys"),
    (TONGYE, "泉州市通业玩具有限公司", "", "Quanzhou Tongye Toys Co., Ltd."),
    (TONGYI, "东莞市群力玩具有限公司", "", "KWAN LIK TOYS FTY"),  # Cantonese, as Guangdong writes it
]


def _folder(tmp_path: Path, consignor: str, **arrival: str) -> Path:
    folder = write_all(tmp_path / "in")
    factories = [dict(VALID["cn-manufacturers"], uscc=u, name_zh=zh, name_en=en) for u, zh, en, _ in COMPANIES[:3] + COMPANIES[4:]]
    write_csv(folder / "cn-manufacturers.csv", [VALID["cn-manufacturers"], *factories])
    write_csv(folder / "cn-exporters.csv", [VALID["cn-exporters"]])
    write_csv(folder / "eu-arrivals.csv", [dict(VALID["eu-arrivals"], consignor_name=consignor, **arrival)])
    return folder


def _load_and_link(store, folder: Path) -> None:
    report = load(store, [str(folder)])
    assert report.rejected == 0, report.problems
    link(store, "2026-01-01T00:00:00+00:00")


def _consignor(store) -> list[tuple[str, str]]:
    return [(k[2][0], k[2][1]) for k in store.dump().edges if k[0] == "CONSIGNED_BY"]


def test_the_issues_spellings_find_their_company_first(store, tmp_path):
    _load_and_link(store, _folder(tmp_path, "ACME WIDGETS GMBH"))
    for uscc, zh, _, spelling in COMPANIES:
        hits = search(store, spelling)
        assert hits and hits[0]["key"] == uscc, (spelling, hits[:3])
        assert hits[0]["kind"] == "Manufacturer" and "trade name" in hits[0]["why"]
        assert search(store, zh)[0]["key"] == uscc  # and by its Chinese name
    # identifiers, exactly
    assert [(h["kind"], h["key"]) for h in search(store, VALID["eu-findings"]["alert_no"])] == [("Alert", "F-NL-1")]
    assert ("Product", f"{FACTORY}|XD-2087") in [(h["kind"], h["key"]) for h in search(store, VALID["cn-products"]["gtin"])]
    assert [(h["kind"], h["key"]) for h in search(store, MRN.lower())] == [("Arrival", MRN)]
    assert [(h["kind"], h["score"]) for h in search(store, EXPORTER)] == [("Exporter", 100.0)]


def test_a_self_exporting_factory_links_as_consignor_and_trace_and_offenders_still_answer(store, tmp_path):
    # the factory exports itself and is not registered as an exporter: the link ends at the Manufacturer
    _load_and_link(store, _folder(tmp_path, "SHANTOU SHENGHUA TOYS FACTORY", bill_of_lading="", containers=make_container("TGHU000002")))
    assert _consignor(store) == [("Manufacturer", SHENGHUA)]
    t = trace(store, "F-NL-1")  # a consignor that is no exporter is not put down as the exporter
    assert t.exporter is None or t.exporter.uscc != SHENGHUA
    o = offenders(store, None, None, 5)
    assert SHENGHUA not in [x["uscc"] for x in o["exporters"]]


def test_a_typo_in_a_factorys_name_still_links_through_its_shipment(store, tmp_path):
    # the factory's goods are in the linked shipment (its lines name it): a weaker match is enough
    _load_and_link(store, _folder(tmp_path, "XINGDAA TOYS FACTROY"))
    assert _consignor(store) == [("Manufacturer", FACTORY)]


def test_a_name_close_to_two_companies_links_to_neither(store, tmp_path):
    folder = _folder(tmp_path, "HONGFENG IMP & EXP CO LTD", bill_of_lading="", containers=make_container("TGHU000002"))
    twins = [dict(VALID["cn-exporters"], uscc=make_uscc(f"9131011{i}MA4UXD9C1"), name_zh=zh, name_en="")
             for i, zh in enumerate(("上海市宏丰进出口有限公司", "宁波市鸿峰进出口有限公司"))]  # both hongfeng
    write_csv(folder / "cn-exporters.csv", [VALID["cn-exporters"], *twins])
    _load_and_link(store, folder)
    assert _consignor(store) == []
    assert {h["key"] for h in search(store, "HONGFENG IMP & EXP CO LTD")[:2]} == {t["uscc"] for t in twins}


def test_the_cli_searches_and_prints_json(tmp_path):
    folder = _folder(tmp_path, "ACME WIDGETS GMBH")
    subprocess.run([TRACEGRAPH, "--store", "store", "load", "-q", str(folder)], cwd=tmp_path, check=True, capture_output=True)
    out = subprocess.run([TRACEGRAPH, "--store", "store", "search", "Tong Ye Toys", "--json"], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    hits = [json.loads(line) for line in out.splitlines()]
    assert hits[0]["key"] == TONGYE and hits[0]["kind"] == "Manufacturer" and hits[0]["score"] >= 95
    assert set(hits[0]) == {"kind", "key", "name_zh", "name_en", "score", "why"}

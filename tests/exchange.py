"""Helpers for tests: valid identifiers and small exchange files written by hand."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Iterable

from stdnum import ean, iso6346
from stdnum.cn import uscc

from tracegraph.graph.ids import mrn_check_digit


def make_uscc(body: str) -> str:
    """A valid USCC from its first 17 characters (``914405150000000`` + 2 more)."""
    return body + uscc.calc_check_digit(body)


def make_container(body: str) -> str:
    return body + iso6346.calc_check_digit(body)


def make_gtin(body: str) -> str:
    return body + ean.calc_check_digit(body)


def make_mrn(body: str) -> str:
    return body + mrn_check_digit(body)


FACTORY = make_uscc("91440515MA4UXD9A1")
FACTORY2 = make_uscc("91441900MA4UAB7C2")
EXPORTER = make_uscc("91440500MA51EXP03")
BOX1 = make_container("MSCU123456")
BOX2 = make_container("MSCU765432")
GTIN = make_gtin("690123456789")
MRN = make_mrn("15NLABCDEFGHIJ123")

VALID: dict[str, dict[str, Any]] = {
    "cn-manufacturers": {"uscc": FACTORY, "name_zh": "汕头市澄海区星达玩具厂", "name_en": "Shantou Chenghai Xingda Toys Factory",
                         "ciq_registration": "4405001234", "province": "Guangdong", "city": "Shantou", "address": "Chenghai"},
    "cn-exporters": {"uscc": EXPORTER, "name_zh": "汕头市宏发进出口有限公司", "name_en": "Shantou Hongfa Import & Export Co., Ltd.",
                     "city": "Shantou", "address": "1 Hongfa Road"},
    "cn-products": {"manufacturer_uscc": FACTORY, "model": "XD-2087", "name_en": "Plush toy", "brand": "Xingda",
                    "gtin": GTIN, "category": "toys", "hs_code": "9503.00"},
    "cn-shipments": {"declaration_no": "531620150000000001", "exporter_uscc": EXPORTER, "bill_of_lading": "MEDU0012345678",
                     "containers": f"{BOX1};{BOX2}", "port_of_loading": "CNSTG", "destination_country": "NL",
                     "destination_port": "NLRTM", "departed_on": "2015-01-10"},
    "cn-shipment-lines": {"declaration_no": "531620150000000001", "manufacturer_uscc": FACTORY, "model": "XD-2087",
                          "quantity": "480", "batch": "1501001"},
    "cn-certificates": {"certificate_no": "ST2015000001", "declaration_no": "531620150000000001", "issuer": "Shantou CIQ",
                        "issued_on": "2015-01-05", "result": "PASS", "standards": "EN 71-1;EN 71-3", "tested_models": "XD-2087"},
    "cn-investigations": {"finding_id": "F-NL-1", "manufacturer_uscc": FACTORY, "opened_on": "2015-03-01",
                          "status": "measures_taken", "root_cause": "paint supplier", "measures": "supplier replaced",
                          "closed_on": ""},
    "eu-arrivals": {"mrn": MRN, "bill_of_lading": "MEDU0012345678", "containers": f"{BOX1};{BOX2}", "entry_point": "NLRTM",
                    "arrived_on": "2015-02-12", "consignor_name": "XINGDA TOY FTY (SHANTOU)", "consignor_address": "",
                    "importer_eori": "NL123456789", "importer_name": "Toyworld B.V.", "country_of_origin": "CN",
                    "hs_code": "95030090", "goods_description": "PLUSH TOYS"},
    "eu-inspections": {"inspection_id": "NL-INSP-1", "mrn": MRN, "authority": "Douane Rotterdam", "inspected_on": "2015-02-13",
                       "kind": "laboratory", "outcome": "non_compliant"},
    "eu-findings": {"finding_id": "F-NL-1", "found_on": "2015-02-20", "notifying_country": "NL", "product_name": "Plush toy",
                    "category": "Toys", "hazard": "choking", "risk_level": "serious", "inspection_id": "NL-INSP-1", "mrn": MRN,
                    "brand": "Xingda", "model": "XD-2087", "gtin": GTIN, "batch": "1501001",
                    "standard": "EN 71-1:2014 8.2", "description": "Eyes detach", "measure": "Rejected at border",
                    "alert_no": "A12/00001/15"},
}


def write_csv(path: Path, rows: Iterable[dict[str, Any]], fields: list[str] | None = None) -> Path:
    rows = list(rows)
    fields = fields or list(rows[0])
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def write_all(folder: Path, fmt: str = "csv") -> Path:
    """Write one valid row of every record type into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, row in VALID.items():
        if fmt == "csv":
            write_csv(folder / f"{name}.csv", [row])
        else:
            write_jsonl(folder / f"{name}.jsonl", [row])
    return folder

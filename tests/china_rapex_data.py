"""A small China-RAPEX graph whose answers are known: real Safety Gate alerts on toys from China,
a few alerts of our own (one matching a CN product, others from elsewhere or with their origin
spelled as text), and the CN side of tests/exchange.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from exchange import FACTORY, FACTORY2, GTIN, VALID, write_all, write_csv

DATA = Path(__file__).resolve().parent / "data" / "safety-gate"
WEBSITE = DATA / "alerts-toys-cn-sample.csv"
MATCHED = "A12/03400/24"  # Q3 2024, China, the GTIN of FACTORY's product: traced to FACTORY
EARLIER = "A12/02000/24"  # Q2 2024, the same product: FACTORY recurs across quarters
AS_TEXT = "A12/03403/24"  # Q3 2024, origin "China (PRC)": kept as text by the loader, still China's
IN_HAN = "A12/03404/24"  # Q3 2024, origin 中华人民共和国
GERMAN = "A12/03401/24"  # Q3 2024, made in Germany: not AQSIQ's
HONG_KONG = "A12/03402/24"  # Q3 2024, Hong Kong, China: another customs territory
BY_FILE = "A12/02995/24"  # a real Q3 alert whose follow-up comes in a cn-investigations file
# The real website export's alerts forwarded in 2024Q3 (found_on 2024-07-01 … 2024-09-30).
REAL_Q3 = ("A12/02995/24", "A12/03008/24", "A12/03047/24", "A12/03139/24", "A12/03193/24", "A12/03208/24",
           "A12/03233/24", "A12/03288/24", "A12/03290/24", "A12/03322/24", "A12/03579/24")


def _alert(number: str, day: str, origin: str, **more: str) -> dict[str, str]:
    return {"alert_number": number, "alert_date": day, "product_name": "Plush toy", "product_category": "Toys",
            "product_country": origin, "risk_type": "Choking", "alert_country": "Netherlands",
            "risk_level": "Serious risk", **more}


OUR_ALERTS = [
    _alert(MATCHED, "2024-08-15", "People's Republic of China", product_brand="Xingda", product_model_type="XD-2087",
           product_barcode=GTIN),
    _alert(EARLIER, "2024-05-10", "China", product_barcode=GTIN, risk_type="Chemical"),
    _alert(AS_TEXT, "2024-07-02", "China (PRC)", product_name="Rattle"),
    _alert(IN_HAN, "2024-09-03", "中华人民共和国", product_name="Kite", risk_type="Injuries, Choking"),
    _alert(GERMAN, "2024-08-20", "Germany", product_name="Wooden train"),
    _alert(HONG_KONG, "2024-08-21", "Hong Kong, China", product_name="Yo-yo"),
]
FILE_FOLLOW_UP = {"finding_id": BY_FILE, "manufacturer_uscc": FACTORY2, "opened_on": "2024-09-20", "status": "closed",
                  "root_cause": "unapproved plasticiser", "measures": "export of the batch stopped",
                  "closed_on": "2024-11-30", "outcomes": "export_ban;export_licence_suspended", "reported_on": "2024-12-05"}


def write_china_rapex(folder: Path, follow_up_file: bool = True) -> Path:
    """The CN side of tests/exchange.py (its EU border finding F-NL-1 of 2015 included, alert
    A12/00001/15, investigated, never closed), FACTORY2, the real website export, our alerts as an
    open-data JSON export, and (``follow_up_file``) a cn-investigations file with outcomes."""
    write_all(folder)
    write_csv(folder / "cn-manufacturers.csv", [
        VALID["cn-manufacturers"],
        dict(VALID["cn-manufacturers"], uscc=FACTORY2, name_zh="东莞市宏发塑胶制品厂",
             name_en="Dongguan Hongfa Plastic Products Factory", city="Dongguan"),
    ])
    shutil.copy(WEBSITE, folder / "safety-gate-website.csv")
    (folder / "safety-gate-ours.json").write_text(json.dumps(OUR_ALERTS, ensure_ascii=False), encoding="utf-8")
    investigations = [VALID["cn-investigations"]] + ([FILE_FOLLOW_UP] if follow_up_file else [])
    write_csv(folder / "cn-investigations.csv", investigations, fields=list(FILE_FOLLOW_UP))
    return folder

"""Realistic demo data in the exchange formats of both sides, with the ground truth beside it.

``generate(out_dir, shipments=N, seed=S)`` writes the CN side's and the EU side's files and a
``ground-truth.json`` that says what no exchange file says: which factory made the product of each
finding, which arrival is which export shipment, which factories are truly bad, and each arrival's
true risk. Tests and benchmarks score against it; the loaders never read it.

What it models: toy factories in the real toy-making regions with valid USCCs, Chinese names and
several English spellings; trading companies exporting for several factories; containers and bills
of lading with valid check digits; Rotterdam as the main entry point; CIQ certificates for part of
the shipments from offices that differ in strictness; EU checks on a sample; findings with Safety
Gate's hazard pattern for toys; market findings that carry only what is printed on a product; and
the noise of real data (name variants, missing barcodes and bills of lading, a container listed on
one side only, a factory registered twice).
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterable

from pypinyin import lazy_pinyin
from stdnum import ean, iso6346
from stdnum.cn import uscc as uscc_scheme

from tracegraph.graph.ids import mrn_check_digit

# (province_zh, province_en, city_zh, city_en, district_zh, district_en, division code, port of loading, CIQ office)
REGIONS = [
    ("广东省", "Guangdong", "汕头市", "Shantou", "澄海区", "Chenghai", "440515", "CNSTG", "Shantou CIQ"),
    ("广东省", "Guangdong", "汕头市", "Shantou", "澄海区", "Chenghai", "440515", "CNSTG", "Shantou CIQ"),
    ("广东省", "Guangdong", "汕头市", "Shantou", "澄海区", "Chenghai", "440515", "CNYTN", "Shantou CIQ"),
    ("广东省", "Guangdong", "东莞市", "Dongguan", "", "", "441900", "CNYTN", "Dongguan CIQ"),
    ("广东省", "Guangdong", "东莞市", "Dongguan", "", "", "441900", "CNSHK", "Dongguan CIQ"),
    ("广东省", "Guangdong", "深圳市", "Shenzhen", "宝安区", "Bao'an", "440306", "CNYTN", "Shenzhen CIQ"),
    ("广东省", "Guangdong", "深圳市", "Shenzhen", "龙岗区", "Longgang", "440307", "CNYTN", "Shenzhen CIQ"),
    ("广东省", "Guangdong", "广州市", "Guangzhou", "番禺区", "Panyu", "440113", "CNNSA", "Guangzhou CIQ"),
    ("浙江省", "Zhejiang", "宁波市", "Ningbo", "鄞州区", "Yinzhou", "330212", "CNNGB", "Ningbo CIQ"),
    ("浙江省", "Zhejiang", "金华市", "Yiwu", "义乌市", "Yiwu", "330782", "CNNGB", "Yiwu CIQ"),
    ("江苏省", "Jiangsu", "扬州市", "Yangzhou", "", "", "321000", "CNSHA", "Jiangsu CIQ (Yangzhou)"),
    ("福建省", "Fujian", "泉州市", "Quanzhou", "", "", "350500", "CNXMN", "Fujian CIQ (Quanzhou)"),
]
NAME_CHARS = "星达宏发金鹰乐美华盛永利佳和兴隆恒丰通明辉伟业鑫源宝源顺泰嘉新奥利德昌亿宏联创玩趣童心海天"
FACTORY_SUFFIXES = [("玩具厂", "Toys Factory"), ("玩具有限公司", "Toys Co., Ltd."), ("塑胶玩具厂", "Plastic Toys Factory"),
                    ("实业有限公司", "Industrial Co., Ltd."), ("玩具制品有限公司", "Toy Products Co., Ltd."),
                    ("电子玩具有限公司", "Electronic Toys Co., Ltd."), ("工艺品厂", "Crafts Factory")]
EXPORTER_SUFFIXES = [("进出口有限公司", "Import & Export Co., Ltd."), ("贸易有限公司", "Trading Co., Ltd."),
                     ("国际贸易有限公司", "International Trading Co., Ltd.")]
ENTRY_POINTS = [("NLRTM", 0.55), ("DEHAM", 0.12), ("BEANR", 0.10), ("FRLEH", 0.06), ("ESVLC", 0.05),
                ("ITGOA", 0.04), ("PLGDN", 0.04), ("GRPIR", 0.04)]
EU_AUTHORITIES = {
    "NL": "Douane Rotterdam / NVWA", "DE": "Zoll Hamburg / Marktüberwachung", "BE": "FOD Economie / Douane Antwerpen",
    "FR": "DGDDI Le Havre / DGCCRF", "ES": "Aduana Valencia / SOIVRE", "IT": "ADM Genova", "PL": "KAS Gdańsk / UOKiK",
    "GR": "Customs Piraeus",
}
CARRIERS = [("MSCU", "MEDU"), ("MSKU", "MAEU"), ("CMAU", "CMDU"), ("CSNU", "COSU"), ("OOLU", "OOLU"),
            ("EGHU", "EGLV"), ("HLXU", "HLCU"), ("TGHU", "ONEY")]
# Hazards of Safety Gate toy alerts, roughly as often as they are notified.
HAZARDS = [("Chemical", 0.36, "EN 71-3:2019 (migration of certain elements)", "Migration of lead exceeds the limit"),
           ("Choking", 0.30, "EN 71-1:2014 8.2 (small parts)", "Small parts detach and can be swallowed"),
           ("Injuries", 0.10, "EN 71-1:2014 8.4 (sharp edges)", "Sharp edges can cut"),
           ("Strangulation", 0.06, "EN 71-1:2014 8.10 (cords)", "Cord length exceeds the limit"),
           ("Suffocation", 0.06, "EN 71-1:2014 6 (packaging)", "Plastic bag too thin"),
           ("Electric shock", 0.04, "EN 62115:2020", "Live parts accessible"),
           ("Burns", 0.04, "EN 62115:2020 9", "Battery overheats"),
           ("Damage to hearing", 0.04, "EN 71-1:2014 4.20 (acoustics)", "Sound level too high")]
TOY_TYPES = [("Plush toy", "毛绒玩具", "TY"), ("Plastic doll", "塑料娃娃", "DL"), ("Toy car", "玩具车", "CR"),
             ("Remote control car", "遥控车", "RC"), ("Soap bubble toy", "泡泡玩具", "BB"), ("Slime", "史莱姆", "SL"),
             ("Toy gun set", "玩具枪", "GN"), ("Building blocks", "积木", "BK"), ("Rattle", "摇铃", "RT"),
             ("Musical toy", "音乐玩具", "MU"), ("Balloon set", "气球", "BL"), ("Squeeze toy", "捏捏乐", "SQ")]
OTHER_CATEGORIES = [("Childcare articles and children's equipment", "Baby walker", "WK"),
                    ("Electrical appliances and equipment", "Night light", "NL")]
CN_FIELDS = {
    "cn-manufacturers": ["uscc", "name_zh", "name_en", "ciq_registration", "province", "city", "address"],
    "cn-exporters": ["uscc", "name_zh", "name_en", "city", "address"],
    "cn-products": ["manufacturer_uscc", "model", "name_en", "brand", "gtin", "category", "hs_code"],
    "cn-shipments": ["declaration_no", "exporter_uscc", "bill_of_lading", "containers", "port_of_loading",
                     "destination_country", "destination_port", "departed_on"],
    "cn-shipment-lines": ["declaration_no", "manufacturer_uscc", "model", "quantity", "batch"],
    "cn-certificates": ["certificate_no", "declaration_no", "issuer", "issued_on", "result", "standards", "tested_models"],
    "cn-investigations": ["finding_id", "manufacturer_uscc", "opened_on", "status", "root_cause", "measures", "closed_on"],
}
EU_FIELDS = {
    "eu-arrivals": ["mrn", "bill_of_lading", "containers", "entry_point", "arrived_on", "consignor_name",
                    "consignor_address", "importer_eori", "importer_name", "country_of_origin", "hs_code", "goods_description"],
    "eu-inspections": ["inspection_id", "mrn", "authority", "inspected_on", "kind", "outcome"],
    "eu-findings": ["finding_id", "found_on", "notifying_country", "product_name", "category", "hazard", "risk_level",
                    "inspection_id", "mrn", "brand", "model", "gtin", "batch", "standard", "description", "measure", "alert_no"],
}
START = date(2014, 1, 1)
DAYS = 3 * 365


@dataclass
class Factory:
    uscc: str
    name_zh: str
    core: str  # pinyin of the trade name, "Xingda"
    region: tuple
    suffix_en: str
    unsafe_rate: float
    spellings: list[str] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    duplicate_of: str | None = None


@dataclass
class Exporter:
    uscc: str
    name_zh: str
    name_en: str
    city: str
    address: str
    spellings: list[str]
    factories: list[Factory]


class _Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.used: set[str] = set()

    def uscc(self, division: str) -> str:
        while True:
            org = "".join(self.r.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
            body = "91" + division + org
            code = body + uscc_scheme.calc_check_digit(body)
            if code not in self.used:
                self.used.add(code)
                return code

    def container(self, owner: str) -> str:
        body = owner + f"{self.r.randrange(10**6):06d}"
        return body + iso6346.calc_check_digit(body)

    def gtin(self) -> str:
        body = "69" + f"{self.r.randrange(10**10):010d}"
        return body + ean.calc_check_digit(body)

    def mrn(self, year: int, country: str) -> str:
        body = f"{year % 100:02d}{country}" + "".join(self.r.choice(string.ascii_uppercase + string.digits) for _ in range(13))
        return body + mrn_check_digit(body)

    def pick(self, weighted: list[tuple]) -> tuple:
        x = self.r.random() * sum(w[1] for w in weighted)
        for item in weighted:
            x -= item[1]
            if x <= 0:
                return item
        return weighted[-1]


def _pinyin(zh: str) -> str:
    return "".join(lazy_pinyin(zh)).replace("'", "").capitalize()


def _spellings(g: _Gen, core: str, city_en: str, district_en: str, suffix_en: str) -> list[str]:
    """The ways an English name of one company is written on documents."""
    short = suffix_en.replace("Co., Ltd.", "").replace("Factory", "").strip() or "Toys"
    variants = [
        f"{city_en} {district_en + ' ' if district_en else ''}{core} {suffix_en}",
        f"{core.upper()} {short.upper().replace('TOYS', 'TOY')} FTY ({city_en.upper()})" if "Factory" in suffix_en
        else f"{core.upper()} {short.upper()} CO LTD",
        f"{core} {suffix_en}",
        f"{city_en.upper()} {core.upper()} {suffix_en.upper().replace('.', '').replace(',', '')}",
        f"{core} {short} ({city_en}) Co. Ltd",
    ]
    if len(core) > 5:
        i = g.r.randrange(1, len(core) - 1)
        variants.append(f"{core[:i] + core[i + 1:]} {suffix_en}")  # a letter dropped
    return variants


def _write(path: Path, fields: list[str], rows: Iterable[dict[str, Any]], fmt: str) -> None:
    with open(path.with_suffix("." + fmt), "w", encoding="utf-8", newline="") as f:
        if fmt == "csv":
            w = csv.writer(f)
            w.writerow(fields)
            for row in rows:
                w.writerow([";".join(v) if isinstance(v, list) else ("" if v is None else v) for v in (row.get(k) for k in fields)])
        else:
            for row in rows:
                f.write(json.dumps({k: v for k, v in row.items() if v not in (None, "")}, ensure_ascii=False) + "\n")


def generate(out_dir: str | os.PathLike[str], shipments: int = 2000, seed: int = 1, fmt: str = "csv",
             alerts: bool = True) -> dict[str, int]:
    """Write both sides' exchange files and ``ground-truth.json`` to ``out_dir``, and (``alerts``)
    a Safety Gate export with AQSIQ's answers to some of its alerts; return row counts."""
    g = _Gen(seed)
    r = g.r
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n_factories = max(8, int(40 * math.sqrt(shipments / 100)))
    n_exporters = max(4, n_factories // 3)

    # -- factories ---------------------------------------------------------------------------------
    factories: list[Factory] = []
    cores_used: set[str] = set()
    for i in range(n_factories):
        region = r.choice(REGIONS)
        for attempt in range(1000):
            # two-character trade names while they last, then three (real ones are both)
            trade = "".join(r.sample(NAME_CHARS, 2 if attempt < 20 else 3))
            core = _pinyin(trade)
            if core not in cores_used:
                cores_used.add(core)
                break
        suffix_zh, suffix_en = r.choice(FACTORY_SUFFIXES)
        name_zh = f"{region[2]}{region[4]}{trade}{suffix_zh}"
        # Most factories are sound; a few are careless (the "truly bad" ones).
        unsafe = r.betavariate(1.2, 40) if r.random() > 0.12 else r.uniform(0.15, 0.45)
        f = Factory(g.uscc(region[6]), name_zh, core, region, suffix_en, unsafe)
        f.spellings = _spellings(g, core, region[3], region[5], suffix_en)
        brand = r.choice([core, core + " Toys", "".join(r.sample(string.ascii_uppercase, 3)), ""])
        for j in range(r.randint(4, 20)):
            if r.random() < 0.08:
                category, pname, code = r.choice(OTHER_CATEGORIES)
            else:
                pname, _, code = r.choice(TOY_TYPES)
                category = "Toys"
            model = f"{core[:2].upper()}-{code}{r.randrange(100, 9999)}"
            if any(p["model"] == model for p in f.products):
                continue
            f.products.append({
                "manufacturer_uscc": f.uscc, "model": model, "name_en": pname, "brand": brand,
                "gtin": g.gtin() if r.random() < 0.75 else "", "category": category,
                "hs_code": "9503009000" if category == "Toys" else "9403700000",
            })
        factories.append(f)
    # A GTIN that two factories print (a copied barcode).
    for _ in range(max(1, n_factories // 30)):
        a, b = r.sample(factories, 2)
        pa = [p for p in a.products if p["gtin"]]
        if pa and b.products:
            r.choice(b.products)["gtin"] = r.choice(pa)["gtin"]
    # Factories registered twice, under a second code and another spelling.
    duplicates = []
    for f in r.sample(factories, max(1, n_factories // 50)):
        dup = Factory(g.uscc(f.region[6]), f.name_zh.replace(f.region[4], "") if f.region[4] else f.name_zh + "（一厂）",
                      f.core, f.region, f.suffix_en, f.unsafe_rate, spellings=f.spellings, duplicate_of=f.uscc)
        duplicates.append(dup)
    second_registration = {d.duplicate_of: d for d in duplicates if d.duplicate_of}

    # -- exporters: trading companies for several factories, and factories exporting themselves -----
    exporters: list[Exporter] = []
    for i in range(n_exporters):
        region = r.choice(REGIONS)
        trade = "".join(r.sample(NAME_CHARS, 2))
        core = _pinyin(trade)
        sz, se = r.choice(EXPORTER_SUFFIXES)
        served = r.sample(factories, min(len(factories), r.randint(2, 8)))
        name_en = f"{region[3]} {core} {se}"
        spell = [name_en, name_en.upper(), f"{core.upper()} {se.upper().replace(',', '').replace('.', '')}",
                 f"{core} {se.replace('Co., Ltd.', 'Co Ltd').replace('Import & Export', 'Imp. & Exp.')}",
                 f"{region[3].upper()} {core.upper()} I/E CO., LTD"]
        exporters.append(Exporter(g.uscc(region[6]), f"{region[2]}{trade}{sz}", name_en, region[3],
                                  f"{r.randint(1, 300)} {core} Road, {region[3]}", spell, served))
    for f in r.sample(factories, max(1, n_factories // 5)):
        exporters.append(Exporter(f.uscc, f.name_zh, f.spellings[0], f.region[3], f"{f.region[5] or f.region[3]} Industrial Zone",
                                  f.spellings, [f]))
    covered = {f.uscc for e in exporters for f in e.factories}
    for f in factories:
        if f.uscc not in covered:
            r.choice(exporters[:n_exporters]).factories.append(f)

    # Offices differ in strictness: the chance that an unsafe consignment fails their inspection.
    offices = sorted({reg[8] for reg in REGIONS})
    strictness = {o: r.uniform(0.3, 0.9) for o in offices}
    importers = [(f"{cc}{r.randrange(10**8, 10**9)}", f"{name} {kind}") for cc, name, kind in [
        (r.choice(["NL", "NL", "DE", "BE", "FR"]), r.choice(["Toy", "Kids", "Play", "Fun", "Happy", "Euro"]) +
         r.choice(["world", "land", "mart", "trade", "house"]), r.choice(["B.V.", "GmbH", "BV", "SARL", "Ltd"]))
        for _ in range(max(5, shipments // 200))]]

    # -- shipments, arrivals, checks, findings -------------------------------------------------------
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in list(CN_FIELDS) + list(EU_FIELDS)}
    truth_arrivals: dict[str, dict[str, Any]] = {}
    truth_findings: dict[str, dict[str, Any]] = {}
    shipped_unsafe: list[tuple[Factory, dict[str, Any], str, str]] = []
    n_findings = 0
    bl_seq = r.randrange(10**8)
    for s in range(shipments):
        exp = r.choice(exporters)
        day = START + timedelta(days=r.randrange(DAYS))
        decl = f"{r.choice(['5316', '5301', '3100', '5200'])}{day.year}{r.randrange(10**10):010d}"
        owner, scac = r.choice(CARRIERS)
        bl_seq += r.randint(1, 50)
        bol = f"{scac}{bl_seq % 10**10:010d}"
        containers = [g.container(owner) for _ in range(r.choices([1, 2, 3], [0.7, 0.22, 0.08])[0])]
        entry = g.pick(ENTRY_POINTS)[0]
        lines = []
        for f in r.sample(exp.factories, min(len(exp.factories), r.choices([1, 2, 3], [0.6, 0.3, 0.1])[0])):
            if not f.products:
                continue
            for p in r.sample(f.products, min(len(f.products), r.choice([1, 1, 2]))):
                unsafe = r.random() < f.unsafe_rate
                lines.append((f, p, unsafe, f"{day.strftime('%y%m')}{r.randrange(1000):03d}"))
        if not lines:
            continue
        load_port = lines[0][0].region[7]
        rows["cn-shipments"].append({
            "declaration_no": decl, "exporter_uscc": exp.uscc, "bill_of_lading": bol, "containers": containers,
            "port_of_loading": load_port, "destination_country": entry[:2], "destination_port": entry,
            "departed_on": day.isoformat(),
        })
        for f, p, _, batch in lines:
            reg = f
            if f.uscc in second_registration and r.random() < 0.3:
                reg = second_registration[f.uscc]
            rows["cn-shipment-lines"].append({"declaration_no": decl, "manufacturer_uscc": reg.uscc,
                                              "model": p["model"], "quantity": r.choice([240, 480, 960, 1200, 2400, 5000]),
                                              "batch": batch})
        unsafe_any = any(u for _, _, u, _ in lines)
        # The true risk of the consignment: the chance that at least one line is unsafe.
        risk = 1 - math.prod(1 - f.unsafe_rate for f, _, _, _ in lines)
        certified = r.random() < 0.45
        cert_fail = False
        if certified:
            office = lines[0][0].region[8]
            cert_fail = unsafe_any and r.random() < strictness[office]
            rows["cn-certificates"].append({
                "certificate_no": f"{office[:2].upper()}{day.year}{r.randrange(10**8):08d}", "declaration_no": decl,
                "issuer": office, "issued_on": (day - timedelta(days=r.randint(1, 6))).isoformat(),
                "result": "fail" if cert_fail else "pass",
                "standards": ["EN 71-1", "EN 71-2", "EN 71-3"] if r.random() < 0.7 else ["EN 71-1", "EN 71-3"],
                "tested_models": sorted({p["model"] for _, p, _, _ in lines}),
            })
        if cert_fail and r.random() < 0.85:
            continue  # a failed export inspection usually stops the consignment in China
        # -- the EU side of the same consignment --
        arrived = day + timedelta(days=r.randint(24, 42))
        cc = entry[:2]
        mrn = g.mrn(arrived.year, cc)
        eu_containers = list(containers)
        if len(eu_containers) > 1 and r.random() < 0.05:
            eu_containers.pop(r.randrange(len(eu_containers)))
        elif r.random() < 0.02:
            eu_containers.append(g.container(owner))  # listed on the EU side only
        consignor = r.choice(exp.spellings)
        if r.random() < 0.1:
            consignor = consignor.lower()
        imp = importers[(int(exp.uscc[8:16], 36) + s % 3) % len(importers)] if r.random() < 0.7 else r.choice(importers)
        f0, p0, _, _ = lines[0]
        rows["eu-arrivals"].append({
            "mrn": mrn, "bill_of_lading": bol if r.random() > 0.08 else "", "containers": eu_containers,
            "entry_point": entry, "arrived_on": arrived.isoformat(), "consignor_name": consignor,
            "consignor_address": exp.address if r.random() < 0.5 else "", "importer_eori": imp[0], "importer_name": imp[1],
            "country_of_origin": "CN", "hs_code": p0["hs_code"][:8], "goods_description": p0["name_en"].upper() + "S",
        })
        truth_arrivals[mrn] = {"declaration_no": decl, "non_compliant": unsafe_any, "risk": round(risk, 4),
                               "certified": certified}
        for f, p, u, batch in lines:
            if u:
                shipped_unsafe.append((f, p, batch, arrived.isoformat()))
        # EU control picks a sample, somewhat more often where no certificate came with the goods.
        if r.random() < (0.06 if certified else 0.12):
            kind = r.choices(["documentary", "physical", "laboratory"], [0.3, 0.45, 0.25])[0]
            detect = {"documentary": 0.25, "physical": 0.7, "laboratory": 0.95}[kind]
            bad_lines = [(f, p, b) for f, p, u, b in lines if u]
            found = bool(bad_lines) and r.random() < detect
            insp_id = f"{cc}-INSP-{seed % 1000:03d}-{len(rows['eu-inspections']) + 1:07d}"
            inspected = arrived + timedelta(days=r.randint(0, 5))
            rows["eu-inspections"].append({"inspection_id": insp_id, "mrn": mrn, "authority": EU_AUTHORITIES[cc],
                                           "inspected_on": inspected.isoformat(), "kind": kind,
                                           "outcome": "non_compliant" if found else "compliant"})
            if found:
                f, p, batch = r.choice(bad_lines)
                n_findings += 1
                fid = f"F-{cc}-{seed % 1000:03d}-{n_findings:07d}"
                rows["eu-findings"].append(_finding(r, fid, inspected, cc, p, batch, insp_id, mrn, border=True))
                truth_findings[fid] = {"uscc": f.uscc, "border": True, "mrn": mrn}
    # Market findings: products found in shops, traced only by what is printed on them.
    for _ in range(max(2, len(shipped_unsafe) // 25) if shipped_unsafe else 0):
        f, p, batch, arrived_on = r.choice(shipped_unsafe)
        n_findings += 1
        on_market = date.fromisoformat(arrived_on) + timedelta(days=r.randint(20, 200))
        cc = r.choice(["NL", "DE", "BE", "FR", "SE", "DK", "CZ", "HU"])
        fid = f"F-{cc}-{seed % 1000:03d}-{n_findings:07d}"
        rows["eu-findings"].append(_finding(r, fid, on_market, cc, p, batch, "", "", border=False))
        truth_findings[fid] = {"uscc": f.uscc, "border": False}
    # AQSIQ answers part of the findings.
    by_uscc = {f.uscc: f for f in factories}
    found_on = {x["finding_id"]: x["found_on"] for x in rows["eu-findings"]}
    for fid, t in truth_findings.items():
        if r.random() < 0.4:
            opened = date.fromisoformat(found_on[fid]) + timedelta(days=r.randint(10, 60))
            status = r.choice(["investigating", "measures_taken", "closed", "closed"])
            rows["cn-investigations"].append({
                "finding_id": fid, "manufacturer_uscc": t["uscc"], "opened_on": opened.isoformat(), "status": status,
                "root_cause": r.choice(["Unqualified raw material supplier", "Missing incoming inspection of paint",
                                        "Mould wear produced detachable parts", "Cord length not checked"]),
                "measures": "" if status == "investigating" else r.choice(
                    ["Supplier replaced; batch testing introduced", "Factory rectification ordered; re-inspection passed",
                     "Export licence suspended for 3 months"]),
                "closed_on": (opened + timedelta(days=r.randint(20, 90))).isoformat() if status == "closed" else "",
            })
            if by_uscc[t["uscc"]].unsafe_rate > 0.15 and status in ("measures_taken", "closed"):
                by_uscc[t["uscc"]].unsafe_rate *= 0.9

    # -- files -----------------------------------------------------------------------------------------
    all_factories = factories + duplicates
    rows["cn-manufacturers"] = [{
        "uscc": f.uscc, "name_zh": f.name_zh, "name_en": f.spellings[0] if r.random() < 0.8 else "",
        "ciq_registration": f"{f.region[6][:4]}{r.randrange(10**5):05d}" if r.random() < 0.7 else "",
        "province": f.region[1], "city": f.region[3],
        "address": f"{f.region[5] or f.region[3]}, No. {r.randint(1, 200)} {f.core} Industrial Road",
    } for f in all_factories]
    rows["cn-exporters"] = [{"uscc": e.uscc, "name_zh": e.name_zh, "name_en": e.name_en, "city": e.city,
                             "address": e.address} for e in exporters]
    rows["cn-products"] = [p for f in factories for p in f.products]
    for name, fields in {**CN_FIELDS, **EU_FIELDS}.items():
        _write(out / name, fields, rows[name], fmt)
    alert_truth = _safety_gate(out, seed, shipped_unsafe) if alerts else {}
    truth = {
        "seed": seed, "shipments": shipments,
        "findings": truth_findings,
        "arrivals": truth_arrivals,
        "bad_factories": sorted(f.uscc for f in factories if f.unsafe_rate > 0.15),
        "factory_unsafe_rate": {f.uscc: round(f.unsafe_rate, 4) for f in factories},
        "duplicate_factories": {d.uscc: d.duplicate_of for d in duplicates},
        "office_strictness": {o: round(s, 3) for o, s in strictness.items()},
        "alerts": alert_truth,
    }
    with open(out / "ground-truth.json", "w", encoding="utf-8") as fh:
        json.dump(truth, fh, ensure_ascii=False)
    return {name: len(v) for name, v in rows.items()}


def _finding(r: random.Random, fid: str, day: date, cc: str, p: dict[str, Any], batch: str, insp: str, mrn: str,
             border: bool) -> dict[str, Any]:
    hazard, _, standard, description = r.choices(HAZARDS, [h[1] for h in HAZARDS])[0]
    return {
        "finding_id": fid, "found_on": day.isoformat(), "notifying_country": cc,
        "product_name": p["name_en"] if r.random() < 0.8 else p["name_en"].lower(),
        "category": p["category"], "hazard": hazard,
        "risk_level": r.choices(["serious", "high", "medium", "low"], [0.7, 0.15, 0.1, 0.05])[0],
        "inspection_id": insp, "mrn": mrn,
        "brand": p["brand"] if r.random() < 0.85 else "",
        "model": p["model"] if r.random() < (0.9 if border else 0.75) else "",
        "gtin": p["gtin"] if r.random() < 0.8 else "",
        "batch": batch if r.random() < 0.5 else "", "standard": standard, "description": description,
        "measure": r.choice(["Rejected at border", "Withdrawal from the market", "Recall from end users", "Destruction"]),
        "alert_no": f"A12/{r.randrange(100, 99999):05d}/{day.year % 100:02d}" if r.random() < 0.6 else "",
    }


def _safety_gate(out: Path, seed: int, shipped_unsafe: list[tuple[Any, dict[str, Any], str, str]]) -> dict[str, str]:
    """Safety Gate alerts on unsafe products from China found on the market, as the open-data JSON
    export writes them (``safety-gate-alerts.json``): the China-RAPEX work list's input. Each alert
    names what is printed on the product (brand, model, barcode, some of them missing) and its
    origin in the spellings real exports use; a share of them AQSIQ has answered (in
    ``cn-investigations-alerts.csv``, with the exchange's outcomes). Drawn from a random stream of
    their own, so the other files of a seed stay as they were. Returns alert number → factory."""
    r = random.Random(seed * 7919 + 1)
    alerts, truth, answered = [], {}, []
    numbers: set[str] = set()
    for _ in range(max(3, len(shipped_unsafe) // 10) if shipped_unsafe else 0):
        f, p, _, arrived_on = r.choice(shipped_unsafe)
        day = date.fromisoformat(arrived_on) + timedelta(days=r.randint(30, 300))
        number = f"A12/{r.randrange(10000, 99999):05d}/{day.year % 100:02d}"
        if number in numbers:
            continue
        numbers.add(number)
        hazard = r.choices(HAZARDS, [h[1] for h in HAZARDS])[0][0]
        alerts.append({
            "alert_number": number, "alert_date": day.isoformat(), "product_name": p["name_en"],
            "product_category": "Toys", "product_brand": p["brand"] if r.random() < 0.8 else "None",
            "product_model_type": p["model"] if r.random() < 0.8 else "",
            "product_barcode": p["gtin"] if r.random() < 0.7 else "",
            "product_country": r.choice(["China", "People's Republic of China", "Peoples Republic of China", "China (PRC)"]),
            "risk_type": hazard, "risk_level": r.choices(["Serious risk", "High risk", "Other risk level"], [0.8, 0.15, 0.05])[0],
            "alert_country": r.choice(["Netherlands", "Germany", "France", "Belgium", "Sweden", "Czechia", "Hungary"]),
        })
        truth[number] = f.uscc
        if r.random() < 0.4:
            opened = day + timedelta(days=r.randint(10, 60))
            closed = r.random() < 0.6
            answered.append({
                "finding_id": number, "manufacturer_uscc": f.uscc, "opened_on": opened.isoformat(),
                "status": "closed" if closed else "measures_taken",
                "root_cause": r.choice(["Unqualified raw material supplier", "Missing incoming inspection of paint",
                                        "Mould wear produced detachable parts"]),
                "measures": r.choice(["Supplier replaced; batch testing introduced", "Factory rectification ordered"]),
                "closed_on": (opened + timedelta(days=r.randint(20, 90))).isoformat() if closed else "",
                "outcomes": r.choice(["corrective_action", "corrective_action;strengthened_supervision", "export_ban"]),
                "reported_on": (opened + timedelta(days=r.randint(30, 120))).isoformat(),
            })
    with open(out / "safety-gate-alerts.json", "w", encoding="utf-8") as fh:
        json.dump(alerts, fh, ensure_ascii=False, indent=1)
    if answered:
        _write(out / "cn-investigations-alerts.csv", list(answered[0]), answered, "csv")
    return truth

"""Writing a run: the ten exchange files (CSV) and truth.json."""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import random
import statistics
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from . import names
from .simulate import Simulation
from .world import Exporter, Factory

COLUMNS: dict[str, tuple[str, ...]] = {
    "cn-manufacturers": ("uscc", "name_zh", "name_en", "ciq_registration", "province", "city", "address"),
    "cn-exporters": ("uscc", "name_zh", "name_en", "city", "address"),
    "cn-products": ("manufacturer_uscc", "model", "name_en", "brand", "gtin", "category", "hs_code"),
    "cn-shipments": ("declaration_no", "exporter_uscc", "bill_of_lading", "containers", "port_of_loading",
                     "destination_country", "destination_port", "departed_on"),
    "cn-shipment-lines": ("declaration_no", "manufacturer_uscc", "model", "quantity", "batch"),
    "cn-certificates": ("certificate_no", "declaration_no", "issuer", "issued_on", "result", "standards",
                        "tested_models"),
    "cn-investigations": ("finding_id", "manufacturer_uscc", "opened_on", "status", "root_cause", "measures",
                          "closed_on"),
    "eu-arrivals": ("mrn", "bill_of_lading", "containers", "entry_point", "arrived_on", "consignor_name",
                    "consignor_address", "importer_eori", "importer_name", "country_of_origin", "hs_code",
                    "goods_description"),
    "eu-inspections": ("inspection_id", "mrn", "authority", "inspected_on", "kind", "outcome"),
    "eu-findings": ("finding_id", "found_on", "notifying_country", "product_name", "category", "hazard", "risk_level",
                    "inspection_id", "mrn", "brand", "model", "gtin", "batch", "standard", "description", "measure",
                    "alert_no"),
}


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def _write(path: Path, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
    n = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for row in rows:
            w.writerow(row)
            n += 1
    return n


def _exporter_name_en(rng: random.Random, e: Exporter) -> str:
    """The exporter register's English name; a factory's may be written differently from its own register."""
    if not e.name_en_listed:
        return ""
    if e.kind == "factory" and rng.random() < 0.25:
        form = names.FORMS[e.name.form]
        return e.name.en.replace(form.en, rng.choice(form.variants)) if rng.random() < 0.7 else ""
    return e.name.en


def write_exchange(sim: Simulation, out: Path) -> dict[str, int]:
    """Write the ten exchange files; return the number of rows in each."""
    w = sim.world
    rng = random.Random(f"{sim.n}:registers")
    counts: dict[str, int] = {}

    def emit(kind: str, rows: Iterable[tuple[Any, ...]]) -> None:
        counts[kind] = _write(out / f"{kind}.csv", COLUMNS[kind], rows)

    emit("cn-manufacturers", ((f.uscc, f.name.zh, f.name.en if f.name_en_listed else "", f.ciq_registration,
                               f.place.province, f.place.segments[0].pinyin, f.address.zh(f.place))
                              for f in w.factories))
    emit("cn-exporters", ((e.uscc, e.name.zh, _exporter_name_en(rng, e), e.name.place.segments[0].pinyin,
                           e.address.zh(e.name.place)) for e in w.exporters if e.listed))
    emit("cn-products", ((p.factory.uscc, p.model, p.name_en, p.brand_listed, p.gtin_listed, p.ptype.category,
                          p.ptype.hs_cn) for p in w.products))
    emit("cn-shipments", ((sh.declaration_no, sh.exporter.uscc, sh.bill, ";".join(sh.cn_containers), sh.port,
                           sh.destination_country, sh.destination_port, _iso(sh.departed)) for sh in sim.shipments))
    emit("cn-shipment-lines", ((sh.declaration_no, line.product.factory.uscc, line.product.model, line.quantity,
                                line.batch) for sh in sim.shipments for line in sh.lines if line.product))
    emit("cn-certificates", ((c.number, c.declaration_no, c.issuer, _iso(c.issued_on), c.result, ";".join(c.standards),
                              ";".join(c.tested_models)) for sh in sim.shipments for c in sh.certificates))
    emit("cn-investigations", ((i.finding_id, i.manufacturer_uscc, _iso(i.opened_on), i.status, i.root_cause,
                                i.measures, _iso(i.closed_on)) for i in sim.feedback.investigations))
    arrivals = sorted(sim.arrivals, key=lambda a: (a.arrived, a.mrn))
    emit("eu-arrivals", ((a.mrn, a.bill, ";".join(a.containers), a.entry, _iso(a.arrived), a.consignor_name,
                          a.consignor_address, a.importer.eori, a.importer.name, a.origin, a.hs_code, a.description)
                         for a in arrivals))
    emit("eu-inspections", ((i.inspection_id, i.mrn, i.authority, _iso(i.day), i.kind, i.outcome)
                            for i in sorted(sim.border.inspections, key=lambda i: (i.day, i.inspection_id))))
    emit("eu-findings", ((f.finding_id, _iso(f.found_on), f.country, f.product_name, f.category, f.hazard,
                          f.risk_level, f.inspection_id, f.mrn, f.brand, f.model, f.gtin, f.batch, f.standard,
                          f.description, f.measure, f.alert_no)
                         for f in sorted(sim.border.findings, key=lambda f: (f.found_on, f.finding_id))))
    return counts


def _factory_truth(sim: Simulation, f: Factory, p0: dict[str, list[float]]) -> dict[str, Any]:
    shipped = p0.get(f.uscc, [])
    if shipped:
        rate = statistics.fmean(shipped)
    else:
        mid = sim.start + (sim.end - sim.start) / 2
        rate = statistics.fmean(sim.risk.line(p, None, mid) for p in f.products) if f.products else 0.0
    return {"bad": f.bad, "rate": round(rate, 5), "lines_shipped": len(shipped), "small": f.small,
            "class_i": f.class_i, "bad_from": _iso(f.onset) if f.bad else "",
            "measures_from": _iso(f.measures_from) if f.measures_from and f.measures_from <= sim.end else "",
            "self_exporting": any(e.factory is f for e in sim.world.exporters)}


def truth(sim: Simulation, setting: str, seed: int, counts: dict[str, int]) -> dict[str, Any]:
    """Return everything the exchange files do not say, keyed as README.md describes."""
    p0: dict[str, list[float]] = {}
    risk_by_exporter: dict[str, list[float]] = {}
    for sh in sim.shipments:
        q = 1.0
        for line in sh.lines:
            if line.product:
                p0.setdefault(line.product.factory.uscc, []).append(line.p0)
            q *= 1.0 - line.p0
        risk_by_exporter.setdefault(sh.exporter.uscc, []).append(1.0 - q)
    all_risks = [r for rs in risk_by_exporter.values() for r in rs]
    mean_risk = statistics.fmean(all_risks) if all_risks else 0.0

    arrivals = {}
    for a in sorted(sim.arrivals, key=lambda a: (a.arrived, a.mrn)):
        arrivals[a.mrn] = {
            "shipment": a.shipments[0].declaration_no if a.shipments else None,
            "shipments": [sh.declaration_no for sh in a.shipments],
            "consignor": a.consignor_uscc, "consignor_label": a.consignor_label,
            "consignor_entity": a.consignor_entity,
            "non_compliant": a.non_compliant, "risk": round(a.risk, 5),
            "certified": any(c.result == "pass" for sh in a.shipments for c in sh.certificates),
            "checked": a.checked, "checked_after_extract": a.late_check, "entry_point": a.entry, "arrived_on": _iso(a.arrived),
            "factories": sorted({line.product.factory.uscc for line in a.lines if line.product}),
        }
    findings = {f.finding_id: {"factory": f.factory, "arrival": f.arrival, "model": f.model_true,
                               "exporter": f.exporter, "kind": "border" if f.inspection_id else "market",
                               "false_alarm": f.false_alarm}
                for f in sorted(sim.border.findings, key=lambda f: f.finding_id)}
    factories = {f.uscc: _factory_truth(sim, f, p0) for f in sim.world.factories}
    exporters = {}
    for e in sim.world.exporters:
        rs = risk_by_exporter.get(e.uscc, [])
        rate = statistics.fmean(rs) if rs else 0.0
        exporters[e.uscc] = {"bad": bool(rs) and rate >= 2 * mean_risk, "rate": round(rate, 5), "kind": e.kind,
                             "listed": e.listed, "cheap_sourcing": e.cheap, "shipments": len(rs)}
    companies = {u: list(sim.consignors.used.get(u, [])) for u in list(factories) + list(exporters)}
    holders: dict[str, set[str]] = {}
    for u, spellings in companies.items():
        for text in spellings:
            holders.setdefault(re.sub(r"[^A-Z0-9]", "", text.upper()), set()).add(u)
    ambiguous = sorted(text for u, spellings in companies.items() for text in spellings
                       if len(holders[re.sub(r"[^A-Z0-9]", "", text.upper())]) > 1)
    shipments = {sh.declaration_no: {"arrivals": sh.arrival_mrns, "withdrawn": sh.withdrawn,
                                     "eu": sh.importer is not None, "recorded_in_eu": sh.covered,
                                     "exporter_kind": sh.exporter.kind}
                 for sh in sim.shipments}
    A = sim.arrivals
    stats = {
        "rows": counts,
        "arrivals_checked": sum(a.checked for a in A),
        "arrivals_non_compliant": sum(a.non_compliant for a in A),
        "mean_arrival_risk": round(statistics.fmean(a.risk for a in A), 5) if A else 0.0,
        "findings_border": sum(1 for f in sim.border.findings if f.inspection_id),
        "findings_market": sum(1 for f in sim.border.findings if not f.inspection_id),
        "findings_unknown_factory": sum(1 for f in sim.border.findings if f.factory is None),
        "bad_factories": sum(f.bad for f in sim.world.factories),
    }
    return {"generator": "othergen", "setting": setting, "seed": seed, "shipments_requested": sim.n,
            "settings": dataclasses.asdict(sim.s), "stats": stats, "arrivals": arrivals, "findings": findings,
            "factories": factories, "exporters": exporters, "companies": companies, "ambiguous_names": ambiguous, "shipments": shipments}


def write_truth(data: dict[str, Any], out: Path) -> None:
    """Write truth.json."""
    with (out / "truth.json").open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)

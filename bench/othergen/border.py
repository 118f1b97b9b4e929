"""EU import control: which arrivals are checked, what each check sees, and the findings written up."""

from __future__ import annotations

import bisect
import random
import re
from datetime import date, timedelta

from . import catalogue, codes
from .catalogue import HAZARD_FAMILY, MEASURES_BORDER, MEASURES_MARKET
from .ciq import draw_hazard
from .places import ENTRY_POINTS, IMPORTER_COUNTRIES
from .records import Arrival, Finding, Inspection, Line
from .settings import Settings
from .world import Product

_NEXT = {"documentary": "physical", "physical": "laboratory"}
_RISK_LEVELS = (("serious", 0.62), ("high", 0.18), ("medium", 0.13), ("low", 0.07))


def _key(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


class Border:
    """The EU side's checks and findings, with a memory of past findings that steers targeting."""

    def __init__(self, rng: random.Random, s: Settings, end: date) -> None:
        self.rng, self.s, self.end = rng, s, end
        self.reported_until = end - timedelta(days=s.inspection_lag)
        self.flagged: dict[str, list[int]] = {}  # importer EORI or consignor spelling -> days of findings
        self.serial: dict[str, int] = {}
        self.findings: list[Finding] = []
        self.inspections: list[Inspection] = []

    def _next(self, key: str) -> int:
        self.serial[key] = self.serial.get(key, 0) + 1
        return self.serial[key]

    def _flag(self, keys: list[str], day: date) -> None:
        for k in keys:
            bisect.insort(self.flagged.setdefault(k, []), day.toordinal())

    def _recently_flagged(self, keys: list[str], day: date) -> bool:
        now = day.toordinal()
        for k in keys:
            days = self.flagged.get(k, [])
            i = bisect.bisect_left(days, now - 365)
            if i < len(days) and days[i] < now:
                return True
        return False

    def check(self, a: Arrival) -> None:
        """Decide whether the arrival is checked, run the checks, and write findings and market findings."""
        rng, s = self.rng, self.s
        entry = ENTRY_POINTS[a.entry]
        keys = [a.importer.eori, "C:" + _key(a.consignor_name)]
        p = s.check_rate * entry.check_factor ** s.port_check_spread
        if any(line.ptype.category in catalogue.PROFILED for line in a.lines):
            p *= s.profile_boost
        if a.arrived.month in (9, 10, 11):
            p *= s.campaign_boost
        if self._recently_flagged(keys, a.arrived):
            p *= s.targeting
        caught: set[int] = set()
        if rng.random() < min(0.9, p):
            if a.arrived + timedelta(days=2) > self.reported_until:
                a.late_check = True  # the goods are held, but nothing of it is in this extract
                return
            caught = self._inspect(a, keys)
        for i, line in enumerate(a.lines):
            if line.bad and i not in caught:
                self.market(line, a.arrived, a.importer.country, a.importer.eori, a.mrn,
                            a.shipments[0].exporter.uscc if a.shipments else None)

    def _detects(self, line: Line, kind: str, n_lines: int) -> bool:
        s, rng = self.s, self.rng
        if not line.bad or line.hazard is None:
            return False
        if kind == "documentary":
            return rng.random() < s.detect_documentary
        if kind == "physical":
            mech = HAZARD_FAMILY[line.hazard.hazard] == "mechanical"
            return rng.random() < (s.detect_physical if mech else s.detect_physical_other)
        sampled = rng.random() < min(1.0, 2.0 / n_lines)  # the laboratory gets samples of one or two models
        return sampled and rng.random() < s.detect_lab

    def _inspect(self, a: Arrival, keys: list[str]) -> set[int]:
        rng, s = self.rng, self.s
        entry = ENTRY_POINTS[a.entry]
        r = rng.random()
        kind = "laboratory" if r < 0.05 else "physical" if r < 0.05 + s.first_physical else "documentary"
        day = a.arrived + timedelta(days=rng.randint(0, 2))
        detected: list[int] = []
        outcome, result_day = "compliant", day
        while True:
            result_day = day + timedelta(days=rng.randint(14, 42)) if kind == "laboratory" else day
            if result_day > self.reported_until:
                break
            detected = [i for i, line in enumerate(a.lines) if self._detects(line, kind, len(a.lines))]
            false_alarm = not detected and rng.random() < s.eu_false_alarm
            outcome = "non_compliant" if detected or false_alarm else "compliant"
            authority = entry.customs if kind == "documentary" else entry.surveillance
            ins = Inspection(f"{a.entry}{day:%y}{self._next(a.entry + str(day.year)):06d}", a.mrn, authority, day,
                             kind, outcome)
            a.inspections.append(ins)
            self.inspections.append(ins)
            if kind == "laboratory":
                break
            suspicious = outcome == "non_compliant"
            chance = s.escalate_suspicious if suspicious else s.escalate
            if kind == "physical" and detected and all(
                    HAZARD_FAMILY[a.lines[i].hazard.hazard] == "mechanical" for i in detected  # type: ignore[union-attr]
            ):
                chance *= 0.4  # a small part seen on the bench needs no laboratory
            if rng.random() >= chance:
                break
            kind = _NEXT[kind]
            day = day + timedelta(days=rng.randint(1, 6))
        a.checked = bool(a.inspections)
        if not a.inspections or a.inspections[-1].outcome != "non_compliant":
            return set()
        last = a.inspections[-1]
        if rng.random() >= s.finding_rate:
            return set(detected)
        found = result_day + timedelta(days=rng.randint(0, 5)) if last.kind != "laboratory" else result_day
        if found > self.reported_until:
            return set(detected)
        exporter = a.shipments[0].exporter.uscc if a.shipments else None
        if detected:
            for i in detected[:2]:
                self._write(a.lines[i], found, entry.country, last.inspection_id, a.mrn, exporter, border=True)
        else:
            line = rng.choice(a.lines)
            self._write(line, found, entry.country, last.inspection_id, a.mrn, exporter, border=True,
                        false_alarm=True)
        self._flag(keys, found)
        return set(detected)

    def market(self, line: Line, arrived: date, country: str, importer: str, mrn: str | None,
               exporter: str | None) -> None:
        """Maybe find an unsafe product that got through, later, in a shop (and flag its importer)."""
        rng = self.rng
        if rng.random() >= self.s.market_finding_rate:
            return
        found = arrived + timedelta(days=30 + int(rng.expovariate(1 / 200)))
        if found > self.end:
            return
        if rng.random() >= 0.75:
            country = rng.choices([c for c, _ in IMPORTER_COUNTRIES], weights=[w for _, w in IMPORTER_COUNTRIES])[0]
        self._write(line, found, country, "", "", exporter, border=False, arrival=mrn)
        self._flag([importer], found)

    def _write(self, line: Line, found: date, country: str, inspection_id: str, mrn: str, exporter: str | None,
               border: bool, false_alarm: bool = False, arrival: str | None = None) -> None:
        rng, s = self.rng, self.s
        hazard = line.hazard if line.hazard and not false_alarm else draw_hazard(rng, line.ptype)
        product = line.product
        name = rng.choice(line.ptype.eu_names)
        brand = product.brand_printed if product and product.brand_printed else rng.choice(("Unknown", "", "No brand"))
        if brand not in ("Unknown", "", "No brand") and rng.random() < 0.2:
            name = f"{name} '{brand.title()}'"
        model = self._model(product)
        gtin = product.gtin_printed if product and product.gtin_printed and rng.random() < s.finding_gtin_printed else ""
        if product is None and rng.random() < 0.3:
            gtin = codes.gtin13(rng, rng.choice(("489", "69", "694")) + f"{rng.randint(1000, 9999)}")
        batch = line.batch if line.batch and rng.random() < s.finding_batch else ""
        level = "low" if false_alarm else rng.choices([r for r, _ in _RISK_LEVELS],
                                                        weights=[w for _, w in _RISK_LEVELS])[0]
        alert = ""
        if level in ("serious", "high") and rng.random() < 0.8:
            alert = f"A12/{self._next('alert' + str(found.year)):04d}/{found:%y}"
        fid = f"{country}-{found.year}-{self._next('F' + country + str(found.year)):05d}"
        self.findings.append(Finding(
            finding_id=fid, found_on=found, country=country, product_name=name, category=line.ptype.category,
            hazard=hazard.hazard, risk_level=level, inspection_id=inspection_id, mrn=mrn,
            brand=brand, model=model, gtin=gtin, batch=batch, standard=hazard.standard,
            description=hazard.description, measure=rng.choice(MEASURES_BORDER if border else MEASURES_MARKET),
            alert_no=alert, factory=product.factory.uscc if product else None,
            arrival=mrn if border else arrival, exporter=exporter, model_true=product.model if product else None,
            false_alarm=false_alarm, cause=hazard.root_cause))

    def _model(self, product: Product | None) -> str:
        """Return the model as printed on the product and copied into the finding."""
        rng, s = self.rng, self.s
        if product is None:
            return rng.choice(("", f"{rng.randint(100, 99999)}", f"No.{rng.randint(100, 9999)}"))
        if product.article and rng.random() < s.importer_article * 3:
            return rng.choice((product.article, f"Art. {product.article}", f"ART.NO.{product.article}"))
        if rng.random() < s.importer_article:
            return f"{rng.randint(100000, 999999)}"
        if rng.random() >= s.finding_model_printed:
            return ""
        m = product.model
        r = rng.random()
        if r < 0.6:
            return m
        if r < 0.8:
            return m.replace("-", "") if "-" in m else m[:2] + "-" + m[2:]
        if r < 0.9:
            return f"No.{m}"
        return m[:-1] if len(m) > 4 and m[-1].isalpha() else m.lower()

    def foreign(self, types: list[catalogue.ProductType], start: date, n: int) -> None:
        """Write market findings about products of factories no CN record knows."""
        rng = self.rng
        span = (self.end - start).days
        for _ in range(n):
            ptype = rng.choice(types)
            line = Line(None, ptype, 0, "", 0.0, True, draw_hazard(rng, ptype))
            found = start + timedelta(days=rng.randint(60, span))
            country = rng.choices([c for c, _ in IMPORTER_COUNTRIES], weights=[w for _, w in IMPORTER_COUNTRIES])[0]
            self._write(line, found, country, "", "", None, border=False)

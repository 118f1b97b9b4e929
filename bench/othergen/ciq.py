"""China's export inspection: which shipments get a certificate, and what the office's test sees."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from . import catalogue, codes
from .places import CIQ_OFFICES
from .records import Certificate, Shipment
from .risk import RiskModel
from .settings import Settings

# Share of each category on the legal-inspection list relative to toys (hoverboards were new and mostly
# outside it; lighting and appliances partly).
_CATEGORY_FACTOR = {catalogue.TOYS: 1.1, catalogue.CHILDCARE: 0.9, catalogue.ELECTRICAL: 1.0,
                    catalogue.LIGHTING: 0.9, catalogue.CHAINS: 1.0, catalogue.HOBBY: 0.3}


@dataclass(frozen=True)
class Office:
    """A CIQ office with its own sensitivity and false-alarm rate."""

    name: str
    code: str
    sensitivity: float
    false_alarm: float


class Ciq:
    """Certifies shipments before they leave; a failed consignment is reworked, withdrawn or shipped anyway."""

    def __init__(self, rng: random.Random, s: Settings, start: date) -> None:
        self.rng, self.s, self.start = rng, s, start
        self.offices = {
            key: Office(name, code,
                        min(0.99, max(0.01, s.ciq_sensitivity + rng.uniform(-1, 1) * s.ciq_sensitivity_spread)),
                        min(0.5, s.ciq_false_alarm * rng.lognormvariate(-0.18, 0.6)))
            for key, (name, code) in CIQ_OFFICES.items()}
        self.serial: dict[tuple[str, int], int] = {}

    def _number(self, office: Office, day: date) -> str:
        key = (office.code, day.year)
        self.serial[key] = self.serial.get(key, 0) + 1
        return codes.certificate_no(office.code, day.year, self.serial[key])

    def certify(self, sh: Shipment, risk: RiskModel) -> None:
        """Decide the shipment's certificates; may rework its lines or withdraw it."""
        rng, s = self.rng, self.s
        factories = [line.product.factory for line in sh.lines if line.product]
        followup = s.ciq_followup > 0 and any(f.followup_until and f.measures_from and
                                              f.measures_from <= sh.departed <= f.followup_until for f in factories)
        years = (sh.departed - self.start).days / 365.25
        share = max(0.0, min(1.0, s.cert_share + s.cert_trend * years)) * _CATEGORY_FACTOR[sh.lines[0].ptype.category]
        if not (rng.random() < share or (followup and rng.random() < s.ciq_followup)):
            return
        office = self.offices[factories[0].place.ciq_office]
        relevant = sorted({std for line in sh.lines for std in line.ptype.standards})
        standards = [std for std in relevant if rng.random() < s.ciq_test_coverage] or [rng.choice(relevant)]
        models = sorted({line.product.model for line in sh.lines if line.product and rng.random() < 0.7})
        if not models:
            models = [sh.lines[0].product.model] if sh.lines[0].product else []
        sensitivity = office.sensitivity * (s.ciq_class_i_leniency if factories[0].class_i else 1.0)
        if followup:
            sensitivity = min(0.98, sensitivity + 0.3)
        seen = any(line.bad and line.product and line.product.model in models and line.hazard
                   and line.hazard.tested_by in standards and rng.random() < sensitivity for line in sh.lines)
        failed = seen or rng.random() < office.false_alarm
        if not failed:
            sh.certificates.append(Certificate(self._number(office, sh.departed), sh.declaration_no, office.name,
                                               sh.departed - timedelta(days=rng.randint(2, 14)), "pass", standards,
                                               models))
            return
        sh.certificates.append(Certificate(self._number(office, sh.departed), sh.declaration_no, office.name,
                                           sh.departed - timedelta(days=rng.randint(12, 25)), "fail", standards,
                                           models))
        r = rng.random()
        if r < s.ciq_fail_rework:
            for line in sh.lines:
                line.p *= s.ciq_rework_effect
                line.bad = rng.random() < line.p
                if not line.bad:
                    line.hazard = None
                elif line.hazard is None:
                    line.hazard = draw_hazard(rng, line.ptype)
            sh.certificates.append(Certificate(self._number(office, sh.departed), sh.declaration_no, office.name,
                                               sh.departed - timedelta(days=rng.randint(1, 6)), "pass", standards,
                                               models))
        elif r < s.ciq_fail_rework + s.ciq_fail_withdrawn:
            sh.withdrawn = True


def draw_hazard(rng: random.Random, ptype: catalogue.ProductType) -> catalogue.Hazard:
    """Return the way a non-compliant product of this type fails, by the type's hazard weights."""
    return rng.choices(ptype.hazards, weights=[h.weight for h in ptype.hazards])[0]

"""The true chance that a line of a shipment is non-compliant, and how it moves over time."""

from __future__ import annotations

import math
from datetime import date

from . import catalogue
from .settings import Settings
from .world import Factory, Importer, Product


class RiskModel:
    """Per-line probabilities of non-compliance: category × product type × model × factory × time × buyer."""

    def __init__(self, s: Settings, start: date) -> None:
        self.s = s
        self.start = start
        cat = {c: r ** s.category_contrast for c, r in catalogue.CATEGORY_RISK.items()}
        shares = dict(catalogue.CATEGORY_SHARES)
        cat_mean = sum(cat[c] * shares[c] for c in cat)
        typ = {t.key: t.risk ** s.line_effect for t in catalogue.TYPES}
        typ_mean = sum(typ.values()) / len(typ)
        # scaled to a mean of 1, so base_rate stays the mean whatever the exponents
        self.category = {c: v / cat_mean for c, v in cat.items()}
        self.ptype = {k: v / typ_mean for k, v in typ.items()}

    def factory_mult(self, f: Factory, day: date) -> float:
        """Return the factory's own multiplier on the day: bad or not yet, drifting, improved after measures."""
        mult = f.ordinary_mult if f.onset and day < f.onset else f.mult
        quarter = min(len(f.walk) - 1, max(0, (day.year - self.start.year) * 4 + (day.month - 1) // 3))
        mult *= math.exp(f.walk[quarter])
        if f.measures_from and day >= f.measures_from:
            mult *= self.s.improvement_after_measures
        return mult

    def line(self, product: Product, importer: Importer | None, day: date) -> float:
        """Return the probability that this product, shipped on this day to this buyer, is non-compliant."""
        s = self.s
        years = (day - self.start).days / 365.25
        p = (s.base_rate * self.category[product.ptype.category] * self.ptype[product.ptype.key] * product.mult
             * self.factory_mult(product.factory, day) ** s.factory_effect * math.exp(s.trend * years))
        if importer and importer.qc:
            p *= s.importer_qc_effect
        return float(min(p, s.risk_cap))

    def unknown_line(self, ptype_key: str, category: str) -> float:
        """Return the probability for goods of a factory nobody knows (an ordinary factory)."""
        return float(min(self.s.base_rate * self.category[category] * self.ptype[ptype_key], self.s.risk_cap))

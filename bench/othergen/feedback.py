"""AQSIQ's follow-up of EU findings: tracing the factory, and the measures that change it."""

from __future__ import annotations

import random
from datetime import date, timedelta

from .catalogue import CN_MEASURES
from .records import Finding, Investigation
from .settings import Settings
from .world import Factory


class Feedback:
    """Opens investigations on findings; measures taken make the factory better and CIQ watchful."""

    def __init__(self, rng: random.Random, s: Settings, end: date) -> None:
        self.rng, self.s, self.end = rng, s, end
        self.investigations: list[Investigation] = []

    def follow(self, f: Finding, factory: Factory | None, root_cause: str) -> None:
        """Maybe investigate the finding; record what is known at the extract date."""
        rng, s, end = self.rng, self.s, self.end
        # AQSIQ hears of a finding through the Safety Gate (RAPEX-China) notification; without one, rarely
        if rng.random() >= s.investigation_rate * (1.0 if f.alert_no else 0.2):
            return
        opened = f.found_on + timedelta(days=rng.randint(20, 90))
        if opened > end:
            return
        informative = bool(f.gtin) or bool(f.model) or f.brand not in ("", "Unknown", "No brand")
        if factory is None or rng.random() >= (0.85 if informative else 0.35):
            closed = opened + timedelta(days=rng.randint(30, 120))
            self.investigations.append(Investigation(
                f.finding_id, "", opened, "not_traceable", "", "", closed if closed <= end else None))
            return
        uscc = factory.uscc
        if f.exporter and f.exporter != uscc and rng.random() < s.investigation_misattribution:
            uscc, root_cause = f.exporter, "Exporter identified; the manufacturer was not disclosed"
        if f.false_alarm:
            root_cause = "Re-test of retained samples found the product compliant"
        measures_path = not f.false_alarm and uscc == factory.uscc and rng.random() < 0.7
        t_invest = opened + timedelta(days=rng.randint(10, 40))
        t_measure = opened + timedelta(days=rng.randint(45, 150))
        t_close = t_measure + timedelta(days=rng.randint(30, 180))
        closed_on: date | None = None
        if end < t_invest:
            status = "open"
        elif end < t_measure:
            status = "investigating"
        elif not measures_path:
            status, closed_on = "closed", t_measure
        elif end < t_close:
            status = "measures_taken"
        else:
            status, closed_on = "closed", t_close
        measures = rng.choice(CN_MEASURES) if measures_path and status in ("measures_taken", "closed") else ""
        if measures and factory.measures_from is None:
            factory.measures_from = t_measure
            factory.followup_until = t_measure + timedelta(days=365)
        self.investigations.append(Investigation(
            f.finding_id, uscc, opened, status, root_cause if status != "open" else "", measures, closed_on))

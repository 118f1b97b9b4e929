"""The timeline: shipments leave in date order; arrivals, checks, findings and their feedback follow."""

from __future__ import annotations

import heapq
import itertools
import math
import random
from datetime import date, timedelta
from typing import Callable

from . import catalogue, codes, logistics, names
from .border import Border
from .ciq import Ciq, draw_hazard
from .consignors import Consignors
from .feedback import Feedback
from .names import CompanyName
from .places import CN_PORTS, ENTRY_POINTS, NON_EU_DESTINATIONS, PLACES
from .records import Arrival, Line, Shipment
from .risk import RiskModel
from .settings import Settings
from .world import Exporter, Factory, Importer, Product, World, build

_QUANTITY = {catalogue.TOYS: (500, 12000), catalogue.CHILDCARE: (200, 5000), catalogue.ELECTRICAL: (300, 4000),
             catalogue.LIGHTING: (300, 5000), catalogue.CHAINS: (1000, 20000), catalogue.HOBBY: (50, 600)}


class Simulation:
    """One run: the world, then every shipment in departure order, with the EU side catching up."""

    def __init__(self, s: Settings, shipments: int, seed: int) -> None:
        self.s = s
        self.n = shipments
        self.rng = {k: random.Random(f"{seed}:{k}")
                    for k in ("world", "trade", "risk", "logistics", "ciq", "eu", "names", "feedback")}
        self.world: World = build(self.rng["world"], s, shipments)
        self.start, self.end = self.world.start, self.world.end
        self.risk = RiskModel(s, self.start)
        self.ciq = Ciq(self.rng["ciq"], s, self.start)
        self.border = Border(self.rng["eu"], s, self.end)
        self.feedback = Feedback(self.rng["feedback"], s, self.end)
        self.consignors = Consignors(self.rng["names"], s)
        self.pool = logistics.ContainerPool(self.rng["logistics"], max(50, int(shipments * s.container_pool)))
        self.shipments: list[Shipment] = []
        self.arrivals: list[Arrival] = []
        self._pending: list[tuple[int, int, Arrival]] = []
        self._pending_by_key: dict[tuple[str, str], list[Arrival]] = {}
        self._seq = itertools.count()
        self._numbers: set[str] = set()
        self._lcl_open: dict[tuple[str, str], tuple[str, int, int]] = {}
        self._followed = 0
        self._outsiders: list[tuple[str, CompanyName, names.Address]] = []
        self.factory_by_uscc = {f.uscc: f for f in self.world.factories}
        self._by_kind: dict[str, tuple[list[Exporter], list[float]]] = {}
        for kind in ("trader", "agent", "factory"):
            members = [e for e in self.world.exporters if e.kind == kind]
            self._by_kind[kind] = (members, list(itertools.accumulate(e.size for e in members)))
        self._importer_cum = list(itertools.accumulate(i.size for i in self.world.importers))

    # -- the run

    def run(self) -> None:
        """Simulate every shipment and everything that follows from it up to the extract date."""
        for day in self._departures():
            self._flush(day)
            sh = None
            for _ in range(20):  # an exporter with nothing on offer that day: another one ships instead
                sh = self._shipment(day)
                if sh is not None:
                    break
            if sh is None:
                continue
            self.shipments.append(sh)
            self.ciq.certify(sh, self.risk)
            if sh.importer is None or sh.withdrawn:
                continue
            if sh.covered:
                self._arrive(sh)
                if self.rng["logistics"].random() < self.s.unmatched_arrival_share / (1 - self.s.unmatched_arrival_share):
                    self._outsider_arrival(day)
            else:
                reached = logistics.days(day, logistics.transit_days(self.rng["logistics"], sh.port, sh.entry, 3.0))
                for line in sh.lines:
                    if line.bad:
                        self.border.market(line, reached, sh.importer.country, sh.importer.eori, None,
                                           sh.exporter.uscc)
            self._follow()
        self._flush(None)
        q = self.s.foreign_findings_share
        if q > 0:
            extra = round(len(self.border.findings) * q / (1 - q))
            self.border.foreign(list(catalogue.TYPES), self.start, extra)
            self._follow()

    def _departures(self) -> list[date]:
        rng, s = self.rng["trade"], self.s
        span = (self.end - self.start).days
        out: list[date] = []
        while len(out) < self.n:
            day = self.start + timedelta(days=rng.randint(0, span))
            season = 1 + s.seasonality * math.cos(2 * math.pi * (day.timetuple().tm_yday - 245) / 365.25)
            if rng.random() * (1 + s.seasonality) < season:
                out.append(day)
        return sorted(out)

    def _flush(self, until: date | None) -> None:
        while self._pending and (until is None or self._pending[0][0] <= until.toordinal()):
            _, _, a = heapq.heappop(self._pending)
            self._pending_by_key[(a.importer.eori, a.entry)].remove(a)
            self.border.check(a)
            self._follow()

    def _follow(self) -> None:
        for f in self.border.findings[self._followed:]:
            self.feedback.follow(f, self.factory_by_uscc.get(f.factory or ""), f.cause)
        self._followed = len(self.border.findings)

    # -- the Chinese side

    def _exporter(self, day: date) -> Exporter:
        rng, s = self.rng["trade"], self.s
        r = rng.random()
        kind = "agent" if r < s.agent_share else "factory" if r < s.agent_share + s.self_export_share else "trader"
        members, cum = self._by_kind[kind]
        if not members:
            members, cum = self._by_kind["trader"]
        e = members[0]
        for _ in range(30):
            e = rng.choices(members, cum_weights=cum)[0]
            if e.active[0] <= day <= e.active[1]:
                break
        return e

    def _available(self, f: Factory, importer: Importer | None, day: date) -> list[Product]:
        return [p for p in f.products if p.launched <= day <= p.retired
                and (p.private_label is None or p.private_label is importer)]

    def _lines(self, e: Exporter, importer: Importer | None, day: date) -> list[Line]:
        rng, s = self.rng["trade"], self.s
        if e.kind == "factory" and e.factory:
            factories = [e.factory]
            if rng.random() < s.self_export_buys_in:
                near = [f for f in self.world.factories if f.place is e.factory.place and f is not e.factory]
                if near:
                    factories.append(rng.choice(near))
        else:
            k = 1 if e.kind == "agent" else rng.choices((1, 2, 3), weights=(0.6, 0.25, 0.15))[0]
            factories = []
            for _ in range(k * 4):
                f = rng.choices(e.suppliers, weights=e.supplier_weights)[0]
                if f not in factories and f.active[0] <= day <= f.active[1] and self._available(f, importer, day):
                    factories.append(f)
                if len(factories) == k:
                    break
        lines: list[Line] = []
        for f in factories:
            avail = self._available(f, importer, day)
            if not avail:
                continue
            weights = [4.0 if p.private_label is importer and importer else 1.0 for p in avail]
            m = rng.choices((1, 2, 3, 4), weights=(0.5, 0.3, 0.15, 0.05))[0]
            chosen: list[Product] = []
            for _ in range(m * 3):
                p = rng.choices(avail, weights=weights)[0]
                if p not in chosen:
                    chosen.append(p)
                if len(chosen) == m:
                    break
            for p in chosen:
                prob = self.risk.line(p, importer, day)
                # two draws per line whatever happens, so the risk knobs do not reshuffle the trade
                bad = self.rng["risk"].random() < prob
                hazard = draw_hazard(self.rng["risk"], p.ptype)
                lo, hi = _QUANTITY[p.ptype.category]
                lines.append(Line(p, p.ptype, rng.randint(lo, hi) // 10 * 10, self._batch(f, day),
                                  prob, bad, hazard if bad else None, prob))
        return lines

    def _batch(self, f: Factory, day: date) -> str:
        rng = self.rng["trade"]
        if f.batch_style == 3 or rng.random() > 0.8:
            return ""
        made = day - timedelta(days=rng.randint(10, 60))
        return (made.strftime("%Y%m%d"), f"B{made:%y%m}{rng.randint(1, 30):02d}",
                f"LOT{made:%y}{made.isocalendar()[1]:02d}")[f.batch_style]

    def _number(self, make: Callable[[], str]) -> str:
        while True:
            n = make()
            if n not in self._numbers:
                self._numbers.add(n)
                return str(n)

    def _shipment(self, day: date) -> Shipment | None:
        rng, lrng, s = self.rng["trade"], self.rng["logistics"], self.s
        e = self._exporter(day)
        eu = rng.random() >= s.non_eu_share
        importer = rng.choices(e.customers, weights=e.customer_weights)[0] if eu and e.customers else None
        lines = self._lines(e, importer, day)
        if not lines:
            return None
        first = lines[0].product
        assert first is not None
        port = names.pick(lrng, first.factory.place.ports)
        if importer:
            entry = names.pick(lrng, importer.routing)
            if entry == "DEDUI":
                if day.year < 2015:
                    entry = "DEHAM"
                else:
                    port = logistics.rail_terminal(port)
            country = importer.country if lrng.random() < 0.85 else ENTRY_POINTS[entry].country
            dest_port = entry if lrng.random() < 0.85 else ""
        else:
            country, dest_port, _ = lrng.choices(NON_EU_DESTINATIONS, weights=[w for *_, w in NON_EU_DESTINATIONS])[0]
            entry = dest_port
        carrier = logistics.pick_carrier(lrng)
        lcl = lrng.random() < s.lcl_share
        if lcl:
            key = (port, entry)
            open_box = self._lcl_open.get(key)
            if open_box and day.toordinal() - open_box[1] <= 5 and open_box[2] < 4:
                containers = [open_box[0]]
                self._lcl_open[key] = (open_box[0], open_box[1], open_box[2] + 1)
            else:
                containers = [self.pool.take(carrier, day)]
                self._lcl_open[key] = (containers[0], day.toordinal(), 1)
            bill = logistics.house_bill(lrng, port, day)
        else:
            containers = [self.pool.take(carrier, day) for _ in range(logistics.container_count(lrng))]
            bill = logistics.master_bill(lrng, carrier, port, day)
        cn_containers, eu_drop = list(containers), False
        if len(containers) >= 2 and lrng.random() < s.container_one_side:
            if lrng.random() < 0.4:
                cn_containers.remove(lrng.choice(cn_containers))
            else:
                eu_drop = True
        customs = CN_PORTS[port][0]
        number = self._number(lambda: codes.declaration_no(rng, customs, day.year))
        return Shipment(number, e, importer, lines, day, port, country, dest_port, carrier, containers, cn_containers,
                        bill, "", lcl, entry, eu_drop, covered=importer is not None and lrng.random() < s.eu_coverage)

    # -- the EU side

    def _arrive(self, sh: Shipment) -> None:
        lrng, s = self.rng["logistics"], self.s
        assert sh.importer is not None
        entry = sh.entry
        transit = logistics.transit_days(lrng, sh.port, entry, s.transit_jitter)
        if lrng.random() < s.transhipment:
            transit += lrng.randint(4, 14)
            if lrng.random() < 0.3 and entry != "DEDUI":
                entry = names.pick(lrng, tuple((k, w) for k, w in sh.importer.routing if k != "DEDUI")) or entry
        arrived = logistics.days(sh.departed, transit + lrng.randint(0, 3))
        containers = list(sh.containers)
        if sh.eu_drop:
            containers.remove(lrng.choice(containers))
        if lrng.random() < s.container_swapped:
            containers[lrng.randrange(len(containers))] = self.pool.spare(sh.carrier)
        parts = [(containers, sh.lines, arrived)]
        if len(containers) >= 2 and lrng.random() < s.split_arrivals:
            cut = lrng.randint(1, len(containers) - 1)
            groups: list[list[Line]] = [[], []]
            for line in sh.lines:
                groups[lrng.randrange(2)].append(line)
            for g in range(2):
                if not groups[g]:
                    groups[g].append(lrng.choice(sh.lines))  # the goods of one model filled both boxes
            parts = [(containers[:cut], groups[0], arrived),
                     (containers[cut:], groups[1], logistics.days(arrived, lrng.randint(0, 10)))]
        for boxes, lines, day in parts:
            if day > self.end:
                continue  # still at sea at the extract date
            if lrng.random() < s.consolidation and self._consolidate(sh, boxes, lines, entry, day):
                continue
            self._declare(sh, boxes, lines, entry, day)

    def _consolidate(self, sh: Shipment, boxes: list[str], lines: list[Line], entry: str, day: date) -> bool:
        assert sh.importer is not None
        for a in self._pending_by_key.get((sh.importer.eori, entry), []):
            if abs((a.arrived - day).days) <= 4 and len(a.shipments) == 1 and a.shipments[0] is not sh:
                a.shipments.append(sh)
                a.lines.extend(lines)
                a.containers.extend(b for b in boxes if b not in a.containers)
                sh.arrival_mrns.append(a.mrn)
                return True
        return False

    def _eu_bill(self, sh: Shipment) -> str:
        lrng, s = self.rng["logistics"], self.s
        r = lrng.random()
        if r < s.bl_missing:
            return ""
        if sh.lcl:
            return sh.bill
        if r < s.bl_missing + s.bl_house:
            if not sh.house_bill:
                sh.house_bill = logistics.house_bill(lrng, sh.port, sh.departed)
            return sh.house_bill
        if r < s.bl_missing + s.bl_house + s.bl_prefix_dropped:
            return sh.bill[4:]
        return sh.bill

    def _declare(self, sh: Shipment, boxes: list[str], lines: list[Line], entry: str, day: date) -> None:
        assert sh.importer is not None
        erng = self.rng["eu"]
        mrn = self._number(lambda: codes.mrn(erng, day.year, ENTRY_POINTS[entry].country))
        a = Arrival(mrn, [sh], list(lines), list(boxes), self._eu_bill(sh), entry, day, sh.importer, None, None,
                    "exporter")
        self._name_consignor(a, sh)
        self._describe(a, erng)
        sh.arrival_mrns.append(mrn)
        self._queue(a)

    def _queue(self, a: Arrival) -> None:
        heapq.heappush(self._pending, (a.arrived.toordinal(), next(self._seq), a))
        self._pending_by_key.setdefault((a.importer.eori, a.entry), []).append(a)
        self.arrivals.append(a)

    def _describe(self, a: Arrival, rng: random.Random) -> None:
        ptype = a.lines[0].ptype
        r = rng.random()
        a.hs_code = "" if r < 0.08 else ptype.hs_eu + ("00" if r < 0.35 else "")
        mixed = len({line.ptype.category for line in a.lines}) > 1
        a.description = rng.choice(("GENERAL MERCHANDISE", "FAK", ptype.eu_description)) if mixed else (
            ptype.eu_description if rng.random() < 0.85 else f"{ptype.eu_description} HS {ptype.hs_eu[:6]}")
        a.origin = "CN" if rng.random() < 0.95 else rng.choice(("", "", "HK"))

    def _name_consignor(self, a: Arrival, sh: Shipment) -> None:
        rng, s = self.rng["names"], self.s
        e = sh.exporter
        first = sh.lines[0].product
        assert first is not None
        factory = first.factory
        eori = a.importer.eori
        r = rng.random()
        if e.kind in ("trader", "factory") and r < s.hk_affiliate:
            a.consignor_uscc, a.consignor_entity = e.uscc, "hk_affiliate"
            a.consignor_label = "Manufacturer" if e.kind == "factory" else "Exporter"
            a.consignor_name, a.consignor_address = self.consignors.affiliate(eori, e.uscc, e.name)
            if a.origin == "CN" and rng.random() < 0.3:
                a.origin = "HK"
            return
        if e.kind == "factory" or (e.kind == "agent" and r < s.agent_consignor_factory) or (
                e.kind == "trader" and r < s.hk_affiliate + s.consignor_factory_via_trader):
            target = factory if e.kind != "factory" or e.factory is None else e.factory
            a.consignor_uscc, a.consignor_label, a.consignor_entity = target.uscc, "Manufacturer", "factory"
            a.consignor_name, a.consignor_address = self.consignors.write(
                eori, target.uscc, target.name, target.name_en_listed, target.address, target.place)
            return
        a.consignor_uscc, a.consignor_label, a.consignor_entity = e.uscc, "Exporter", "exporter"
        a.consignor_name, a.consignor_address = self.consignors.write(
            eori, e.uscc, e.name, e.name_en_listed, e.address, e.name.place)

    def _outsider_arrival(self, day: date) -> None:
        """Declare an arrival of Chinese goods that no CN declaration in the data covers."""
        lrng, erng, nrng = self.rng["logistics"], self.rng["eu"], self.rng["names"]
        importer = lrng.choices(self.world.importers, cum_weights=self._importer_cum)[0]
        entry = names.pick(lrng, importer.routing)
        if entry == "DEDUI" and day.year < 2015:
            entry = "DEHAM"
        arrived = logistics.days(day, lrng.randint(20, 40))
        if arrived > self.end:
            return
        types = [t for t in catalogue.TYPES if date.fromisoformat(t.launched) <= day <= date.fromisoformat(t.retired)]
        lines = []
        for _ in range(lrng.choice((1, 1, 2))):
            ptype = lrng.choice(types)
            prob = self.risk.unknown_line(ptype.key, ptype.category)
            bad = lrng.random() < prob
            lines.append(Line(None, ptype, 1000, "", prob, bad, draw_hazard(lrng, ptype) if bad else None, prob))
        carrier = logistics.pick_carrier(lrng)
        boxes = [self.pool.take(carrier, day) for _ in range(lrng.choice((1, 1, 2)))]
        port = lrng.choice(("HKHKG", "HKHKG", "CNYTN", "CNSHA", "CNNGB"))
        bill = "" if lrng.random() < self.s.bl_missing else logistics.master_bill(lrng, carrier, port, day)
        mrn = self._number(lambda: codes.mrn(erng, arrived.year, ENTRY_POINTS[entry].country))
        a = Arrival(mrn, [], lines, boxes, bill, entry, arrived, importer, None, None, "unknown")
        if len(self._outsiders) < max(5, self.n // 60) or not self._outsiders:
            place = PLACES[nrng.choice(sorted(PLACES))]
            trade = names.new_trade(nrng, self.world.trades)
            hk = nrng.random() < 0.5
            cname = CompanyName(place, 1, trade, names.pick(nrng, names.TRADER_INDUSTRIES), "ltd", "", hk)
            self._outsiders.append((f"outsider:{len(self._outsiders)}", cname, names.new_address(nrng, place, True)))
        key, cname, address = nrng.choice(self._outsiders)
        if cname.cantonese:
            a.consignor_name, a.consignor_address = self.consignors.affiliate(importer.eori, key, cname)
        else:
            a.consignor_name, a.consignor_address = self.consignors.write(importer.eori, key, cname, False, address,
                                                                          cname.place)
        self._describe(a, erng)
        self._queue(a)

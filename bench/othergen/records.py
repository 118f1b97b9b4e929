"""The simulated events: shipments and their lines, certificates, arrivals, checks, findings, investigations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .catalogue import Hazard, ProductType
from .logistics import Carrier
from .world import Exporter, Importer, Product


@dataclass(eq=False)
class Line:
    """Goods of one model in one shipment, with whether they are (truly) non-compliant."""

    product: Product | None  # None: goods of a factory the CN data does not know
    ptype: ProductType
    quantity: int
    batch: str
    p: float  # after any CIQ rework
    bad: bool
    hazard: Hazard | None
    p0: float = 0.0  # as produced, before CIQ


@dataclass(eq=False)
class Certificate:
    """A CIQ export-inspection certificate."""

    number: str
    declaration_no: str
    issuer: str
    issued_on: date
    result: str
    standards: list[str]
    tested_models: list[str]


@dataclass(eq=False)
class Shipment:
    """A CN export declaration and what really travelled under it."""

    declaration_no: str
    exporter: Exporter
    importer: Importer | None
    lines: list[Line]
    departed: date
    port: str
    destination_country: str
    destination_port: str
    carrier: Carrier
    containers: list[str]  # the boxes the goods really went in
    cn_containers: list[str]  # the boxes the declaration lists
    bill: str
    house_bill: str
    lcl: bool
    entry: str
    eu_drop: bool = False  # one of the containers is missing from the EU declaration
    certificates: list[Certificate] = field(default_factory=list)
    withdrawn: bool = False
    covered: bool = True
    arrival_mrns: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Inspection:
    """One EU check of an arrival."""

    inspection_id: str
    mrn: str
    authority: str
    day: date
    kind: str
    outcome: str


@dataclass(eq=False)
class Arrival:
    """An EU import declaration and the goods that truly came under it."""

    mrn: str
    shipments: list[Shipment]
    lines: list[Line]
    containers: list[str]
    bill: str
    entry: str
    arrived: date
    importer: Importer
    consignor_uscc: str | None
    consignor_label: str | None
    consignor_entity: str  # "exporter", "factory", "hk_affiliate", "unknown"
    consignor_name: str = ""
    consignor_address: str = ""
    hs_code: str = ""
    description: str = ""
    origin: str = "CN"
    checked: bool = False
    late_check: bool = False  # checked, but after the last reported day
    inspections: list[Inspection] = field(default_factory=list)

    @property
    def risk(self) -> float:
        """The probability the model gave that at least one line is non-compliant."""
        q = 1.0
        for line in self.lines:
            q *= 1.0 - line.p
        return 1.0 - q

    @property
    def non_compliant(self) -> bool:
        return any(line.bad for line in self.lines)


@dataclass(eq=False)
class Finding:
    """An EU non-compliance finding, at the border or on the market, and its truth."""

    finding_id: str
    found_on: date
    country: str
    product_name: str
    category: str
    hazard: str
    risk_level: str
    inspection_id: str
    mrn: str
    brand: str
    model: str
    gtin: str
    batch: str
    standard: str
    description: str
    measure: str
    alert_no: str
    factory: str | None
    arrival: str | None
    exporter: str | None
    model_true: str | None
    false_alarm: bool = False
    cause: str = ""  # the true root cause, for the investigation


@dataclass(eq=False)
class Investigation:
    """AQSIQ's follow-up of a finding."""

    finding_id: str
    manufacturer_uscc: str
    opened_on: date
    status: str
    root_cause: str
    measures: str
    closed_on: date | None

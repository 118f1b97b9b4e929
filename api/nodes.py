"""The graph's node types, as the API shows them: one strawberry type per label of
:mod:`tracegraph.graph.model`, built from a node's properties (:func:`of`), its relationships read
through the context's DataLoaders (:func:`one`, :func:`many`).

Which roles may read which fields is not said here but in :mod:`tracegraph.api.permissions`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Protocol, TypeVar

import strawberry
from strawberry.types import Info

from tracegraph.api.context import ctx
from tracegraph.api.pagination import Connection, connection, window
from tracegraph.api.scalars import Cursor, PageSize
from tracegraph.graph.model import (CHECKED, CONCERNS, CONCERNS_FACTORY, CONSIGNED_BY, COVERS, EXPORTED_BY, FOUND_IN,
                                    IMPORTED_BY, INVESTIGATES, ISSUED_BY, LINE_OF, MADE_BY, MATCHES_PRODUCT, OF_PRODUCT,
                                    PERFORMED_BY, SAME_AS, SAME_CONSIGNMENT)

if TYPE_CHECKING:
    from tracegraph.api.analysis import Exposure, Trace


# -- building node types from properties -------------------------------------------------------------------
class NodeType(Protocol):
    """A node type: the label it shows, and which of its fields is the node's key."""

    LABEL: ClassVar[str]
    KEY: ClassVar[str]

    def __init__(self, p: dict[str, Any], **fields: Any) -> None: ...


N = TypeVar("N", bound=NodeType)


def of(cls: type[N], props: dict[str, Any] | None) -> N | None:
    """An instance of the node type ``cls`` from a node's properties."""
    if props is None:
        return None
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name == "p" or not f.init:  # resolvers are fields too, but not the constructor's
            continue
        v = props["key"] if f.name == cls.KEY else props.get(f.name)
        kwargs[f.name] = list(v) if isinstance(v, (tuple, list)) else v
    return cls(p=props, **kwargs)


async def one(info: Info, label: str, key: str, rel: str, direction: str, cls: type[N]) -> N | None:
    c = ctx(info)
    found = await c.rel_loader(label, rel, direction).load(key)
    if not found:
        return None
    return of(cls, await c.node_loader(cls.LABEL).load(found[0]["key"]))


async def many(info: Info, label: str, key: str, rel: str, direction: str, cls: type[N],
               first: int | None, after: str | None) -> Connection[N]:
    c = ctx(info)
    offset, limit = window(first, after)
    found = await c.rel_loader(label, rel, direction).load(key)
    keys = [x["key"] for x in found[offset: offset + limit]]
    props = await c.node_loader(cls.LABEL).load_many(keys)
    return connection([of(cls, p) for p in props if p is not None], len(found), offset)


async def by_key(info: Info, cls: type[N], key: str) -> N | None:
    return of(cls, await ctx(info).node_loader(cls.LABEL).load(key.strip()))


# -- node types ---------------------------------------------------------------------------------------------------
@strawberry.type(description="A factory in China, by its unified social credit code (USCC).")
class Manufacturer:
    LABEL: ClassVar[str] = "Manufacturer"
    KEY: ClassVar[str] = "uscc"
    p: strawberry.Private[dict]
    uscc: str
    name_zh: str | None
    name_en: str | None
    province: str | None
    city: str | None
    ciq_registration: str | None = strawberry.field(description="CIQ registration number (company-internal)")
    address: str | None = strawberry.field(description="Street address (company-internal)")

    @strawberry.field(description="Products made here.")
    async def products(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Product]:
        return await many(info, self.LABEL, self.uscc, MADE_BY, "in", Product, first, after)

    @strawberry.field(description="Other registrations that linkage found to be the same factory.")
    async def same_as(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Manufacturer]:
        return await many(info, self.LABEL, self.uscc, SAME_AS, "both", Manufacturer, first, after)

    @strawberry.field(description="AQSIQ investigations that name this factory.")
    async def investigations(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Investigation]:
        return await many(info, self.LABEL, self.uscc, CONCERNS_FACTORY, "in", Investigation, first, after)

    @strawberry.field(description="Everything of this factory's that reached the EU.")
    async def exposure(self, info: Info) -> Annotated[Exposure, strawberry.lazy("tracegraph.api.analysis")]:
        from tracegraph.api.analysis import exposure_of

        return await exposure_of(info, self.uscc)

    @strawberry.field(description="Which side and file (or API sender) stated this node.")
    def sources(self) -> list[str]:
        return list(self.p.get("_src", []))


@strawberry.type(description="A CN exporter (often a trading company shipping for several factories).")
class Exporter:
    LABEL: ClassVar[str] = "Exporter"
    KEY: ClassVar[str] = "uscc"
    p: strawberry.Private[dict]
    uscc: str
    name_zh: str | None
    name_en: str | None
    city: str | None
    address: str | None = strawberry.field(description="Street address (company-internal)")

    @strawberry.field(description="CN export shipments it declared.")
    async def shipments(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Shipment]:
        return await many(info, self.LABEL, self.uscc, EXPORTED_BY, "in", Shipment, first, after)

    @strawberry.field(description="EU arrivals whose declared consignor linkage matched to this exporter.")
    async def consigned_arrivals(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Arrival]:
        return await many(info, self.LABEL, self.uscc, CONSIGNED_BY, "in", Arrival, first, after)


@strawberry.type(description="A product model of a factory.")
class Product:
    LABEL: ClassVar[str] = "Product"
    KEY: ClassVar[str] = "key"
    p: strawberry.Private[dict]
    key: str
    manufacturer_uscc: str | None
    model: str | None
    name_en: str | None
    brand: str | None
    gtin: str | None
    category: str | None
    hs_code: str | None

    @strawberry.field
    async def manufacturer(self, info: Info) -> Manufacturer | None:
        return await one(info, self.LABEL, self.key, MADE_BY, "out", Manufacturer)

    @strawberry.field(description="Export declaration lines that carried it.")
    async def lines(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[ShipmentLine]:
        return await many(info, self.LABEL, self.key, OF_PRODUCT, "in", ShipmentLine, first, after)

    @strawberry.field(description="EU findings that linkage matched to this product.")
    async def findings(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Finding]:
        return await many(info, self.LABEL, self.key, MATCHES_PRODUCT, "in", Finding, first, after)


@strawberry.type(description="A CN export declaration.")
class Shipment:
    LABEL: ClassVar[str] = "Shipment"
    KEY: ClassVar[str] = "declaration_no"
    p: strawberry.Private[dict]
    declaration_no: str
    exporter_uscc: str | None
    bill_of_lading: str | None
    containers: list[str] | None
    port_of_loading: str | None
    destination_country: str | None
    destination_port: str | None
    departed_on: str | None

    @strawberry.field
    async def exporter(self, info: Info) -> Exporter | None:
        return await one(info, self.LABEL, self.declaration_no, EXPORTED_BY, "out", Exporter)

    @strawberry.field
    async def lines(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[ShipmentLine]:
        return await many(info, self.LABEL, self.declaration_no, LINE_OF, "in", ShipmentLine, first, after)

    @strawberry.field(description="CIQ certificates that cover it.")
    async def certificates(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Certificate]:
        return await many(info, self.LABEL, self.declaration_no, COVERS, "in", Certificate, first, after)

    @strawberry.field(description="EU arrivals that linkage found to be this consignment.")
    async def arrivals(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Arrival]:
        return await many(info, self.LABEL, self.declaration_no, SAME_CONSIGNMENT, "in", Arrival, first, after)


@strawberry.type(description="One line of an export declaration: a factory's product.")
class ShipmentLine:
    LABEL: ClassVar[str] = "ShipmentLine"
    KEY: ClassVar[str] = "key"
    p: strawberry.Private[dict]
    key: str
    declaration_no: str | None
    manufacturer_uscc: str | None
    model: str | None
    quantity: int | None = strawberry.field(description="Quantity (company-internal)")
    batch: str | None = strawberry.field(description="Batch (company-internal)")

    @strawberry.field
    async def shipment(self, info: Info) -> Shipment | None:
        return await one(info, self.LABEL, self.key, LINE_OF, "out", Shipment)

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await one(info, self.LABEL, self.key, OF_PRODUCT, "out", Product)


@strawberry.type(description="A CIQ export-inspection certificate.")
class Certificate:
    LABEL: ClassVar[str] = "Certificate"
    KEY: ClassVar[str] = "certificate_no"
    p: strawberry.Private[dict]
    certificate_no: str
    declaration_no: str | None
    issuer: str | None
    issued_on: str | None
    result: str | None
    standards: list[str] | None
    tested_models: list[str] | None

    @strawberry.field
    async def shipment(self, info: Info) -> Shipment | None:
        return await one(info, self.LABEL, self.certificate_no, COVERS, "out", Shipment)

    @strawberry.field
    async def office(self, info: Info) -> Office | None:
        return await one(info, self.LABEL, self.certificate_no, ISSUED_BY, "out", Office)


@strawberry.type(description="A CIQ office or an EU authority.")
class Office:
    LABEL: ClassVar[str] = "Office"
    KEY: ClassVar[str] = "name"
    p: strawberry.Private[dict]
    name: str
    side: str | None

    @strawberry.field
    async def certificates(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Certificate]:
        return await many(info, self.LABEL, self.name, ISSUED_BY, "in", Certificate, first, after)

    @strawberry.field
    async def inspections(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Inspection]:
        return await many(info, self.LABEL, self.name, PERFORMED_BY, "in", Inspection, first, after)


@strawberry.type(description="AQSIQ's investigation of an EU finding, and what it did.")
class Investigation:
    LABEL: ClassVar[str] = "Investigation"
    KEY: ClassVar[str] = "finding_id"
    p: strawberry.Private[dict]
    finding_id: str
    manufacturer_uscc: str | None
    opened_on: str | None
    status: str | None
    closed_on: str | None
    root_cause: str | None = strawberry.field(description="Root cause found at the factory (company-internal)")
    measures: str | None = strawberry.field(description="Measures taken at the factory (company-internal)")
    outcomes: list[str] | None = strawberry.field(description="China-RAPEX outcomes: not_traceable, no_measure, "
                                                  "corrective_action, export_ban, … (company-internal)")
    reported_on: str | None = strawberry.field(description="When the follow-up was reported back to the EU")

    @strawberry.field
    async def finding(self, info: Info) -> Finding | None:
        return await one(info, self.LABEL, self.finding_id, INVESTIGATES, "out", Finding)

    @strawberry.field
    async def factory(self, info: Info) -> Manufacturer | None:
        return await one(info, self.LABEL, self.finding_id, CONCERNS_FACTORY, "out", Manufacturer)


@strawberry.type(description="An EU importer, by EORI number. Visible to EU roles only.")
class Importer:
    LABEL: ClassVar[str] = "Importer"
    KEY: ClassVar[str] = "eori"
    p: strawberry.Private[dict]
    eori: str
    name: str | None


@strawberry.type(description="An inferred link, with its method, score and evidence.")
class Link:
    method: str | None
    score: float | None
    evidence: list[str] | None


@strawberry.type
class LinkedShipment:
    link: Link
    shipment: Shipment | None


@strawberry.type
class LinkedExporter:
    link: Link
    exporter: Exporter | None


def _link(rel: dict[str, Any]) -> Link:
    return Link(method=rel.get("method"), score=rel.get("score"), evidence=list(rel.get("evidence") or []))


@strawberry.type(description="An EU import declaration, by MRN.")
class Arrival:
    LABEL: ClassVar[str] = "Arrival"
    KEY: ClassVar[str] = "mrn"
    p: strawberry.Private[dict]
    mrn: str
    bill_of_lading: str | None
    containers: list[str] | None
    entry_point: str | None
    arrived_on: str | None
    consignor_name: str | None
    country_of_origin: str | None
    hs_code: str | None
    goods_description: str | None
    consignor_address: str | None = strawberry.field(description="The consignor's address (company-internal)")
    importer_eori: str | None = strawberry.field(description="EU roles only")
    importer_name: str | None = strawberry.field(description="EU roles only")

    @strawberry.field(description="EU roles only.")
    async def importer(self, info: Info) -> Importer | None:
        return await one(info, self.LABEL, self.mrn, IMPORTED_BY, "out", Importer)

    @strawberry.field(description="The CN export shipment linkage found to be this consignment.")
    async def consignment(self, info: Info) -> LinkedShipment | None:
        found = await ctx(info).rel_loader(self.LABEL, SAME_CONSIGNMENT, "out").load(self.mrn)
        if not found:
            return None
        return LinkedShipment(link=_link(found[0]["rel"]), shipment=await by_key(info, Shipment, found[0]["key"]))

    @strawberry.field(description="The exporter linkage matched the declared consignor to.")
    async def consignor(self, info: Info) -> LinkedExporter | None:
        found = await ctx(info).rel_loader(self.LABEL, CONSIGNED_BY, "out").load(self.mrn)
        if not found:
            return None
        return LinkedExporter(link=_link(found[0]["rel"]), exporter=await by_key(info, Exporter, found[0]["key"]))

    @strawberry.field
    async def inspections(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Inspection]:
        return await many(info, self.LABEL, self.mrn, CHECKED, "in", Inspection, first, after)

    @strawberry.field
    async def findings(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Finding]:
        return await many(info, self.LABEL, self.mrn, CONCERNS, "in", Finding, first, after)


@strawberry.type(description="An EU check of an arrival.")
class Inspection:
    LABEL: ClassVar[str] = "Inspection"
    KEY: ClassVar[str] = "inspection_id"
    p: strawberry.Private[dict]
    inspection_id: str
    mrn: str | None
    authority: str | None
    inspected_on: str | None
    kind: str | None
    outcome: str | None

    @strawberry.field
    async def arrival(self, info: Info) -> Arrival | None:
        return await one(info, self.LABEL, self.inspection_id, CHECKED, "out", Arrival)

    @strawberry.field
    async def findings(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Finding]:
        return await many(info, self.LABEL, self.inspection_id, FOUND_IN, "in", Finding, first, after)


@strawberry.type(description="An EU non-compliance finding (at the border or on the market).")
class Finding:
    LABEL: ClassVar[str] = "Finding"
    KEY: ClassVar[str] = "finding_id"
    p: strawberry.Private[dict]
    finding_id: str
    found_on: str | None
    notifying_country: str | None
    product_name: str | None
    category: str | None
    hazard: str | None
    risk_level: str | None
    inspection_id: str | None
    mrn: str | None
    brand: str | None
    model: str | None
    gtin: str | None
    batch: str | None
    standard: str | None
    description: str | None
    measure: str | None
    alert_no: str | None

    @strawberry.field
    async def arrival(self, info: Info) -> Arrival | None:
        return await one(info, self.LABEL, self.finding_id, CONCERNS, "out", Arrival)

    @strawberry.field
    async def inspection(self, info: Info) -> Inspection | None:
        return await one(info, self.LABEL, self.finding_id, FOUND_IN, "out", Inspection)

    @strawberry.field(description="AQSIQ's investigation of it, once recorded.")
    async def investigation(self, info: Info) -> Investigation | None:
        return await one(info, self.LABEL, self.finding_id, INVESTIGATES, "in", Investigation)

    @strawberry.field(description="Products linkage matched it to (GTIN, model, brand).")
    async def matched_products(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Product]:
        return await many(info, self.LABEL, self.finding_id, MATCHES_PRODUCT, "out", Product, first, after)

    @strawberry.field(description="The factories that may have made its product, ranked.")
    async def trace(self, info: Info) -> Annotated[Trace, strawberry.lazy("tracegraph.api.analysis")]:
        from tracegraph.api.analysis import trace_of

        return await trace_of(info, self.finding_id)


NODE_TYPES = (Manufacturer, Exporter, Product, Shipment, ShipmentLine, Certificate, Office, Investigation, Importer,
              Arrival, Inspection, Finding, Link, LinkedShipment, LinkedExporter)

"""The GraphQL schema (strawberry): lookups by natural key with their relationships, the analyses
of :mod:`queries`, a name search, and the mutations each side sends.

Every list of entities or results is a Relay-style connection (``first``/``after``, ``pageInfo``,
``totalCount``; ``first`` at most ``MAX_PAGE``). Relationships are read through DataLoaders: a
page of 100 findings asking for their arrivals costs one store call, not 100. Store calls run on
the :class:`Backend`'s threads, so the event loop keeps serving while a long analysis runs.

Field access follows :mod:`tracegraph.api.auth`: EU importers' identities only for EU roles, company-internal
fields not for partners; a denied field is an error on that field (its value null), never a
silent null.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import enum
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Generic, Iterable, NewType, TypeVar

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.permission import BasePermission
from strawberry.scalars import JSON
from strawberry.types import Info

from tracegraph.api.auth import (EU_ROLES, INTERNAL_DENIED, MAY_RECORD_INVESTIGATIONS, MAY_REPORT_FINDINGS, MAY_SHARE_CERTIFICATES,
                      Principal)
from tracegraph.graph.model import composite_key
from tracegraph.graph.store import Store
from tracegraph.queries import nodes as q

MAX_PAGE = 100
DEFAULT_PAGE = 20
MAX_ITEMS = 500  # items in one mutation


# -- the store behind the schema -----------------------------------------------------------------------
class Backend:
    """The store and the threads its calls run on: one for the embedded store (which keeps reads
    and writes in order), several for Neo4j (whose driver is thread-safe)."""

    def __init__(self, store: Store, workers: int = 8, on_call: Callable[[], None] | None = None) -> None:
        self.store = store
        self.executor = ThreadPoolExecutor(1 if store.kind == "embedded" else workers, thread_name_prefix="store")
        self.on_call = on_call

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.on_call:
            self.on_call()
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, self.store, *args)

    def close(self) -> None:
        self.executor.shutdown(wait=True)


@dataclass
class Context:
    principal: Principal
    backend: Backend
    operation: dict[str, Any] = field(default_factory=dict)  # filled for the audit log
    _loaders: dict[tuple, DataLoader] = field(default_factory=dict)

    def node_loader(self, label: str) -> DataLoader:
        key = ("node", label)
        if key not in self._loaders:
            async def load(keys: list[str]) -> list[dict[str, Any] | None]:
                found = await self.backend.run(q.nodes, label, list(keys))
                return [found.get(k) for k in keys]
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    def rel_loader(self, label: str, rel_type: str, direction: str) -> DataLoader:
        key = ("rel", label, rel_type, direction)
        if key not in self._loaders:
            async def load(keys: list[str]) -> list[list[dict[str, Any]]]:
                found = await self.backend.run(q.neighbours, label, rel_type, direction, list(keys))
                return [found[k] for k in keys]
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self.backend.run(fn, *args)


def ctx(info: Info) -> Context:
    return info.context  # type: ignore[no-any-return]


# -- access ----------------------------------------------------------------------------------------------
class EuOnly(BasePermission):
    error_extensions = {"code": "FORBIDDEN"}
    message = "EU importers' identities are visible to EU roles only (eu_authority, analyst, admin)"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return ctx(info).principal.role in EU_ROLES


class NotPartner(BasePermission):
    error_extensions = {"code": "FORBIDDEN"}
    message = "a company-internal field: partner tokens may not read it"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return ctx(info).principal.role not in INTERNAL_DENIED


def _role_permission(name: str, roles: frozenset[str], what: str) -> type[BasePermission]:
    def has_permission(self: BasePermission, source: Any, info: Info, **kwargs: Any) -> bool:
        return ctx(info).principal.role in roles
    return type(name, (BasePermission,), {"error_extensions": {"code": "FORBIDDEN"}, "message": f"only {' or '.join(sorted(roles))} tokens may {what}",
                                          "has_permission": has_permission})


MayRecordInvestigations = _role_permission("MayRecordInvestigations", MAY_RECORD_INVESTIGATIONS, "record investigations")
MayShareCertificates = _role_permission("MayShareCertificates", MAY_SHARE_CERTIFICATES, "share certificates")
MayReportFindings = _role_permission("MayReportFindings", MAY_REPORT_FINDINGS, "report findings")


def eu_only(**kw: Any) -> Any:
    return strawberry.field(permission_classes=[EuOnly], default=None, **kw)


def internal(**kw: Any) -> Any:
    return strawberry.field(permission_classes=[NotPartner], default=None, **kw)


# -- connections -------------------------------------------------------------------------------------------
T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    total_count: int
    page_info: PageInfo
    edges: list[Edge[T]]


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        tag, _, n = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if tag != "o" or not n.isdigit() or len(n) > 12:
            raise ValueError
    except (ValueError, UnicodeError):
        raise ValueError(f"{cursor!r} is not a cursor this API gave out") from None
    return int(n)


def _page_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PAGE:
        raise ValueError(f"a page holds 0 to {MAX_PAGE} items, not {value!r}")
    return value


def _cursor_value(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"a cursor is a string, not {value!r}")
    _offset(value)
    return value


def _date_value(value: Any) -> str:
    from tracegraph.graph.errors import InvalidIdentifier
    from tracegraph.graph.ids import clean_date

    if not isinstance(value, str):
        raise ValueError(f"a date is an ISO 8601 string like 2015-03-31, not {value!r}")
    try:
        return clean_date(value)
    except InvalidIdentifier as exc:
        raise ValueError(str(exc)) from None


def _locode_value(value: Any) -> str:
    from tracegraph.graph.errors import InvalidIdentifier
    from tracegraph.graph.ids import clean_locode

    if not isinstance(value, str):
        raise ValueError(f"a UN/LOCODE is a string like NLRTM, not {value!r}")
    try:
        return clean_locode(value)
    except InvalidIdentifier as exc:
        raise ValueError(str(exc)) from None


# Arguments are typed, so a bad one fails validation (naming the argument) before anything runs.
PageSize = NewType("PageSize", int)
Cursor = NewType("Cursor", str)
Date = NewType("Date", str)
Locode = NewType("Locode", str)
SCALARS: dict[object, Any] = {
    PageSize: strawberry.scalar(name="PageSize", serialize=int, parse_value=_page_size,
                                description=f"How many items a page holds: an Int from 0 to {MAX_PAGE}."),
    Cursor: strawberry.scalar(name="Cursor", serialize=str, parse_value=_cursor_value,
                              description="An opaque position in a connection, from pageInfo.endCursor or an edge's cursor."),
    Date: strawberry.scalar(name="Date", serialize=str, parse_value=_date_value,
                            description="A calendar date, ISO 8601: 2015-03-31."),
    Locode: strawberry.scalar(name="Locode", serialize=str, parse_value=_locode_value,
                              description="A UN/LOCODE of a port or place: NLRTM."),
}

def window(first: int | None, after: str | None) -> tuple[int, int]:
    """``(offset, limit)`` of a page (the scalars have checked both)."""
    return (0 if after is None else _offset(after) + 1), (DEFAULT_PAGE if first is None else first)


def connection(nodes: list[Any], total: int, offset: int) -> Connection[Any]:
    edges = [Edge(cursor=_cursor(offset + i), node=n) for i, n in enumerate(nodes)]
    return Connection(total_count=total, edges=edges, page_info=PageInfo(
        has_next_page=offset + len(nodes) < total, has_previous_page=offset > 0,
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))


def paginate(items: list[Any], first: int | None, after: str | None) -> Connection[Any]:
    offset, limit = window(first, after)
    return connection(items[offset: offset + limit], len(items), offset)


# -- building node types from properties -------------------------------------------------------------------
N = TypeVar("N")


def of(cls: type[N], props: dict[str, Any] | None) -> N | None:
    """An instance of the node type ``cls`` from a node's properties."""
    if props is None:
        return None
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name == "p" or not f.init:  # resolvers are fields too, but not the constructor's
            continue
        v = props["key"] if f.name == cls.KEY else props.get(f.name)  # type: ignore[attr-defined]
        kwargs[f.name] = list(v) if isinstance(v, (tuple, list)) else v
    return cls(p=props, **kwargs)  # type: ignore[call-arg]


async def one(info: Info, label: str, key: str, rel: str, direction: str, cls: type[N]) -> N | None:
    c = ctx(info)
    found = await c.rel_loader(label, rel, direction).load(key)
    if not found:
        return None
    return of(cls, await c.node_loader(cls.LABEL).load(found[0]["key"]))  # type: ignore[attr-defined]


async def many(info: Info, label: str, key: str, rel: str, direction: str, cls: type[N],
               first: int | None, after: str | None) -> Connection[N]:
    c = ctx(info)
    offset, limit = window(first, after)
    found = await c.rel_loader(label, rel, direction).load(key)
    keys = [x["key"] for x in found[offset: offset + limit]]
    props = await c.node_loader(cls.LABEL).load_many(keys)  # type: ignore[attr-defined]
    return connection([of(cls, p) for p in props if p is not None], len(found), offset)


async def by_key(info: Info, cls: type[N], key: str) -> N | None:
    return of(cls, await ctx(info).node_loader(cls.LABEL).load(key.strip()))  # type: ignore[attr-defined]


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
    ciq_registration: str | None = internal(description="CIQ registration number (company-internal)")
    address: str | None = internal(description="Street address (company-internal)")

    @strawberry.field(description="Products made here.")
    async def products(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Product]:
        return await many(info, self.LABEL, self.uscc, "MADE_BY", "in", Product, first, after)

    @strawberry.field(description="Other registrations that linkage found to be the same factory.")
    async def same_as(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Manufacturer]:
        return await many(info, self.LABEL, self.uscc, "SAME_AS", "both", Manufacturer, first, after)

    @strawberry.field(description="AQSIQ investigations that name this factory.")
    async def investigations(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Investigation]:
        return await many(info, self.LABEL, self.uscc, "CONCERNS_FACTORY", "in", Investigation, first, after)

    @strawberry.field(description="Everything of this factory's that reached the EU.")
    async def exposure(self, info: Info) -> Exposure:
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
    address: str | None = internal(description="Street address (company-internal)")

    @strawberry.field(description="CN export shipments it declared.")
    async def shipments(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Shipment]:
        return await many(info, self.LABEL, self.uscc, "EXPORTED_BY", "in", Shipment, first, after)

    @strawberry.field(description="EU arrivals whose declared consignor linkage matched to this exporter.")
    async def consigned_arrivals(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Arrival]:
        return await many(info, self.LABEL, self.uscc, "CONSIGNED_BY", "in", Arrival, first, after)


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
        return await one(info, self.LABEL, self.key, "MADE_BY", "out", Manufacturer)

    @strawberry.field(description="Export declaration lines that carried it.")
    async def lines(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[ShipmentLine]:
        return await many(info, self.LABEL, self.key, "OF_PRODUCT", "in", ShipmentLine, first, after)

    @strawberry.field(description="EU findings that linkage matched to this product.")
    async def findings(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Finding]:
        return await many(info, self.LABEL, self.key, "MATCHES_PRODUCT", "in", Finding, first, after)


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
        return await one(info, self.LABEL, self.declaration_no, "EXPORTED_BY", "out", Exporter)

    @strawberry.field
    async def lines(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[ShipmentLine]:
        return await many(info, self.LABEL, self.declaration_no, "LINE_OF", "in", ShipmentLine, first, after)

    @strawberry.field(description="CIQ certificates that cover it.")
    async def certificates(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Certificate]:
        return await many(info, self.LABEL, self.declaration_no, "COVERS", "in", Certificate, first, after)

    @strawberry.field(description="EU arrivals that linkage found to be this consignment.")
    async def arrivals(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Arrival]:
        return await many(info, self.LABEL, self.declaration_no, "SAME_CONSIGNMENT", "in", Arrival, first, after)


@strawberry.type(description="One line of an export declaration: a factory's product.")
class ShipmentLine:
    LABEL: ClassVar[str] = "ShipmentLine"
    KEY: ClassVar[str] = "key"
    p: strawberry.Private[dict]
    key: str
    declaration_no: str | None
    manufacturer_uscc: str | None
    model: str | None
    quantity: int | None = internal(description="Quantity (company-internal)")
    batch: str | None = internal(description="Batch (company-internal)")

    @strawberry.field
    async def shipment(self, info: Info) -> Shipment | None:
        return await one(info, self.LABEL, self.key, "LINE_OF", "out", Shipment)

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await one(info, self.LABEL, self.key, "OF_PRODUCT", "out", Product)


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
        return await one(info, self.LABEL, self.certificate_no, "COVERS", "out", Shipment)

    @strawberry.field
    async def office(self, info: Info) -> Office | None:
        return await one(info, self.LABEL, self.certificate_no, "ISSUED_BY", "out", Office)


@strawberry.type(description="A CIQ office or an EU authority.")
class Office:
    LABEL: ClassVar[str] = "Office"
    KEY: ClassVar[str] = "name"
    p: strawberry.Private[dict]
    name: str
    side: str | None

    @strawberry.field
    async def certificates(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Certificate]:
        return await many(info, self.LABEL, self.name, "ISSUED_BY", "in", Certificate, first, after)

    @strawberry.field
    async def inspections(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Inspection]:
        return await many(info, self.LABEL, self.name, "PERFORMED_BY", "in", Inspection, first, after)


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
    root_cause: str | None = internal(description="Root cause found at the factory (company-internal)")
    measures: str | None = internal(description="Measures taken at the factory (company-internal)")

    @strawberry.field
    async def finding(self, info: Info) -> Finding | None:
        return await one(info, self.LABEL, self.finding_id, "INVESTIGATES", "out", Finding)

    @strawberry.field
    async def factory(self, info: Info) -> Manufacturer | None:
        return await one(info, self.LABEL, self.finding_id, "CONCERNS_FACTORY", "out", Manufacturer)


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
    consignor_address: str | None = internal(description="The consignor's address (company-internal)")
    importer_eori: str | None = eu_only(description="EU roles only")
    importer_name: str | None = eu_only(description="EU roles only")

    @strawberry.field(permission_classes=[EuOnly], description="EU roles only.")
    async def importer(self, info: Info) -> Importer | None:
        return await one(info, self.LABEL, self.mrn, "IMPORTED_BY", "out", Importer)

    @strawberry.field(description="The CN export shipment linkage found to be this consignment.")
    async def consignment(self, info: Info) -> LinkedShipment | None:
        found = await ctx(info).rel_loader(self.LABEL, "SAME_CONSIGNMENT", "out").load(self.mrn)
        if not found:
            return None
        return LinkedShipment(link=_link(found[0]["rel"]), shipment=await by_key(info, Shipment, found[0]["key"]))

    @strawberry.field(description="The exporter linkage matched the declared consignor to.")
    async def consignor(self, info: Info) -> LinkedExporter | None:
        found = await ctx(info).rel_loader(self.LABEL, "CONSIGNED_BY", "out").load(self.mrn)
        if not found:
            return None
        return LinkedExporter(link=_link(found[0]["rel"]), exporter=await by_key(info, Exporter, found[0]["key"]))

    @strawberry.field
    async def inspections(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Inspection]:
        return await many(info, self.LABEL, self.mrn, "CHECKED", "in", Inspection, first, after)

    @strawberry.field
    async def findings(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Finding]:
        return await many(info, self.LABEL, self.mrn, "CONCERNS", "in", Finding, first, after)


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
        return await one(info, self.LABEL, self.inspection_id, "CHECKED", "out", Arrival)

    @strawberry.field
    async def findings(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Finding]:
        return await many(info, self.LABEL, self.inspection_id, "FOUND_IN", "in", Finding, first, after)


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
        return await one(info, self.LABEL, self.finding_id, "CONCERNS", "out", Arrival)

    @strawberry.field
    async def inspection(self, info: Info) -> Inspection | None:
        return await one(info, self.LABEL, self.finding_id, "FOUND_IN", "out", Inspection)

    @strawberry.field(description="AQSIQ's investigation of it, once recorded.")
    async def investigation(self, info: Info) -> Investigation | None:
        return await one(info, self.LABEL, self.finding_id, "INVESTIGATES", "in", Investigation)

    @strawberry.field(description="Products linkage matched it to (GTIN, model, brand).")
    async def matched_products(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Product]:
        return await many(info, self.LABEL, self.finding_id, "MATCHES_PRODUCT", "out", Product, first, after)

    @strawberry.field(description="The factories that may have made its product, ranked.")
    async def trace(self, info: Info) -> Trace:
        return await trace_of(info, self.finding_id)


# -- trace and exposure ----------------------------------------------------------------------------------------
@strawberry.type
class CompanyRef:
    uscc: str
    name_zh: str | None
    name_en: str | None


@strawberry.type
class CertificateSummary:
    certificate_no: str
    issuer: str | None
    issued_on: str | None
    result: str | None


@strawberry.type(description="A factory that may have made the product of a finding.")
class Candidate:
    uscc: str
    confidence: float
    strength: float
    name_zh: str | None
    name_en: str | None
    evidence: JSON
    other_findings: list[str]
    same_as: list[str]

    @strawberry.field
    async def manufacturer(self, info: Info) -> Manufacturer | None:
        return await by_key(info, Manufacturer, self.uscc)


@strawberry.type(description="Where a finding's product was made: traced, ambiguous, not_traceable or unknown_finding.")
class Trace:
    finding_id: str
    status: str
    reason: str
    arrival: str | None
    shipment: str | None
    exporter: CompanyRef | None
    certificates: list[CertificateSummary]
    _candidates: strawberry.Private[list]

    @strawberry.field
    def candidates(self, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Candidate]:
        return paginate(self._candidates, first, after)


async def trace_of(info: Info, finding_id: str) -> Trace:
    from tracegraph.queries.trace import trace

    t = await ctx(info).run(trace, finding_id)
    return Trace(
        finding_id=t.finding_id, status=t.status, reason=t.reason, arrival=t.arrival, shipment=t.shipment,
        exporter=CompanyRef(**t.exporter) if t.exporter else None,
        certificates=[CertificateSummary(**c) for c in t.certificates],
        _candidates=[Candidate(uscc=c.uscc, confidence=c.confidence, strength=c.strength, name_zh=c.name_zh,
                               name_en=c.name_en, evidence=c.evidence, other_findings=c.other_findings, same_as=c.same_as)
                     for c in t.candidates],
    )


@strawberry.type
class ExposureRow:
    product: str
    model: str | None
    name: str | None
    shipment: str | None
    departed_on: str | None
    arrival: str | None
    entry_point: str | None
    arrived_on: str | None
    importer: str | None = eu_only()
    importer_name: str | None = eu_only()


@strawberry.type(description="A factory forward: its products, their shipments, arrivals and entry points.")
class Exposure:
    uscc: str
    products: list[str]
    shipments: list[str]
    arrivals: list[str]
    entry_points: list[str]
    _importers: strawberry.Private[list]
    _rows: strawberry.Private[list]

    @strawberry.field(permission_classes=[EuOnly], description="EU roles only.")
    def importers(self) -> list[str] | None:
        return self._importers

    @strawberry.field
    def rows(self, first: PageSize | None = None, after: Cursor | None = None) -> Connection[ExposureRow]:
        return paginate(self._rows, first, after)


async def exposure_of(info: Info, uscc: str) -> Exposure:
    from tracegraph.queries.trace import exposure

    e = await ctx(info).run(exposure, uscc.strip().upper())
    return Exposure(uscc=e["uscc"], products=e["products"], shipments=e["shipments"], arrivals=e["arrivals"],
                    entry_points=e["entry_points"], _importers=e["importers"], _rows=[ExposureRow(**r) for r in e["rows"]])


# -- alignment, reliability, priorities, repeat offenders ------------------------------------------------------
@strawberry.type(description="Verdicts of one group: CN pass/fail × EU compliant/non-compliant.")
class VerdictTable:
    pass_compliant: int
    pass_non_compliant: int
    fail_compliant: int
    fail_non_compliant: int
    n: int
    agreement: float | None
    kappa: float | None


@strawberry.type
class AlignmentGroup:
    value: str
    table: VerdictTable


@strawberry.enum
class AlignmentDimension(enum.Enum):
    CATEGORY = "category"
    HAZARD = "hazard"
    STANDARD = "standard"
    OFFICE = "office"
    QUARTER = "quarter"


@strawberry.type(description="CIQ's and the EU's verdicts on the consignments both checked.")
class Alignment:
    overall: VerdictTable
    _by: strawberry.Private[dict]

    @strawberry.field
    def groups(self, dimension: AlignmentDimension, first: PageSize | None = None, after: Cursor | None = None) -> Connection[AlignmentGroup]:
        return paginate([AlignmentGroup(value=v, table=VerdictTable(**t)) for v, t in self._by[dimension.value].items()],
                        first, after)


@strawberry.type(description="Non-compliance among EU-checked consignments, with a Wilson 95 % interval.")
class Rate:
    checked: int
    non_compliant: int
    rate: float | None
    low: float | None
    high: float | None


@strawberry.type
class ReliabilityGroup:
    value: str
    certified: Rate
    uncertified: Rate
    verdict: str


@strawberry.enum
class ReliabilityDimension(enum.Enum):
    OFFICE = "office"
    EXPORTER = "exporter"
    FACTORY = "factory"
    CATEGORY = "category"


def _rel_group(value: str, x: dict[str, Any]) -> ReliabilityGroup:
    return ReliabilityGroup(value=value, certified=Rate(**x["certified"]), uncertified=Rate(**x["uncertified"]),
                            verdict=x["verdict"])


@strawberry.type(description="Are consignments with a passing CIQ certificate non-compliant less often than those without?")
class Reliability:
    overall: ReliabilityGroup
    _by: strawberry.Private[dict]

    @strawberry.field
    def groups(self, dimension: ReliabilityDimension, first: PageSize | None = None, after: Cursor | None = None) -> Connection[ReliabilityGroup]:
        return paginate([_rel_group(v, x) for v, x in self._by[dimension.value].items()], first, after)


@strawberry.type(description="An arrival's risk of non-compliance, with the reasons, strongest first.")
class Priority:
    mrn: str
    score: float
    arrived_on: str
    reasons: list[str]

    @strawberry.field
    async def arrival(self, info: Info) -> Arrival | None:
        return await by_key(info, Arrival, self.mrn)


@strawberry.type
class KeyCount:
    key: str
    count: int


def _counts(d: dict[str, int]) -> list[KeyCount]:
    return [KeyCount(key=k, count=n) for k, n in d.items()]


@strawberry.type
class Trend:
    direction: str
    first_half: int
    second_half: int
    split_on: str


@strawberry.type
class OffenderInvestigations:
    count: int
    by_status: list[KeyCount]
    uninvestigated: list[str]
    measures: list[str] | None = internal()
    root_causes: list[str] | None = internal()


@strawberry.type(description="A factory (all its registrations) or an exporter, and the findings traced to it.")
class Offender:
    uscc: str
    registrations: list[str]
    name_zh: str | None
    name_en: str | None
    city: str | None
    findings: int
    finding_ids: list[str]
    by_risk_level: list[KeyCount]
    hazards: list[KeyCount]
    categories: list[KeyCount]
    by_quarter: list[KeyCount]
    trend: Trend
    first_found: str | None
    last_found: str | None
    possible: int
    investigations: OffenderInvestigations | None
    measures_on: str | None
    after_measures: list[str]
    shipments: int = strawberry.field(description="CN shipments in the window that carried its goods (or it declared).")
    rate_per_1000: float = strawberry.field(description="Findings per 1,000 of those shipments, shrunk towards the pooled rate.")


def _offender(o: dict[str, Any]) -> Offender:
    inv = o.get("investigations")
    return Offender(
        uscc=o["uscc"], registrations=o.get("registrations", [o["uscc"]]), name_zh=o["name_zh"], name_en=o["name_en"],
        city=o["city"], findings=o["findings"], finding_ids=o["finding_ids"], by_risk_level=_counts(o["by_risk_level"]),
        hazards=_counts(o["hazards"]), categories=_counts(o["categories"]), by_quarter=_counts(o["by_quarter"]),
        trend=Trend(**o["trend"]), first_found=o["first_found"], last_found=o["last_found"], possible=o.get("possible", 0),
        investigations=OffenderInvestigations(count=inv["count"], by_status=_counts(inv["by_status"]),
                                              uninvestigated=inv["uninvestigated"], measures=inv["measures"],
                                              root_causes=inv["root_causes"]) if inv else None,
        measures_on=o.get("measures_on"), after_measures=o.get("after_measures", []),
        shipments=o["shipments"], rate_per_1000=o["rate_per_1000"],
    )


@strawberry.enum(description="How repeat offenders are ranked.")
class OffenderRanking(enum.Enum):
    FINDINGS = "findings"  # the most findings first
    RATE = "rate"  # the most findings per shipment first (shrunk): a big company is not a bad one for being big


@strawberry.type(description="Factories and exporters ranked by the EU findings of a window traced to them.")
class RepeatOffenders:
    rank_by: OffenderRanking
    since: str | None
    until: str | None
    findings: int
    attributed: int
    not_attributed: list[KeyCount]
    _factories: strawberry.Private[list]
    _exporters: strawberry.Private[list]

    @strawberry.field
    def factories(self, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Offender]:
        return paginate(self._factories, first, after)

    @strawberry.field
    def exporters(self, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Offender]:
        return paginate(self._exporters, first, after)


@strawberry.type(description="A manufacturer or exporter whose name matched.")
class SearchHit:
    kind: str
    uscc: str
    name_zh: str | None
    name_en: str | None

    @strawberry.field
    async def manufacturer(self, info: Info) -> Manufacturer | None:
        return await by_key(info, Manufacturer, self.uscc) if self.kind == "Manufacturer" else None

    @strawberry.field
    async def exporter(self, info: Info) -> Exporter | None:
        return await by_key(info, Exporter, self.uscc) if self.kind == "Exporter" else None


async def _page_of(info: Info, cls: type[N], first: int | None, after: str | None, prop: str | None = None,
                   low: str | None = None, high: str | None = None) -> Connection[N]:
    offset, limit = window(first, after)
    total, keys = await ctx(info).run(q.page, cls.LABEL, offset, limit, prop, low, high)  # type: ignore[attr-defined]
    props = await ctx(info).node_loader(cls.LABEL).load_many(keys)  # type: ignore[attr-defined]
    return connection([of(cls, p) for p in props if p is not None], total, offset)


# -- the query root ------------------------------------------------------------------------------------------------
@strawberry.type
class Query:
    @strawberry.field(description="A factory by USCC.")
    async def manufacturer(self, info: Info, uscc: str) -> Manufacturer | None:
        return await by_key(info, Manufacturer, uscc.upper())

    @strawberry.field(description="An exporter by USCC.")
    async def exporter(self, info: Info, uscc: str) -> Exporter | None:
        return await by_key(info, Exporter, uscc.upper())

    @strawberry.field(description="A product by its factory's USCC and its model.")
    async def product(self, info: Info, manufacturer_uscc: str, model: str) -> Product | None:
        return await by_key(info, Product, composite_key(manufacturer_uscc.strip().upper(), model.strip()))

    @strawberry.field(description="A CN export shipment by declaration number.")
    async def shipment(self, info: Info, declaration_no: str) -> Shipment | None:
        return await by_key(info, Shipment, declaration_no)

    @strawberry.field(description="A CIQ certificate by number.")
    async def certificate(self, info: Info, certificate_no: str) -> Certificate | None:
        return await by_key(info, Certificate, certificate_no)

    @strawberry.field(description="An EU arrival by MRN.")
    async def arrival(self, info: Info, mrn: str) -> Arrival | None:
        return await by_key(info, Arrival, mrn.upper())

    @strawberry.field(description="An EU inspection by id.")
    async def inspection(self, info: Info, inspection_id: str) -> Inspection | None:
        return await by_key(info, Inspection, inspection_id)

    @strawberry.field(description="An EU finding by id.")
    async def finding(self, info: Info, finding_id: str) -> Finding | None:
        return await by_key(info, Finding, finding_id)

    @strawberry.field(description="AQSIQ's investigation of a finding, by the finding's id.")
    async def investigation(self, info: Info, finding_id: str) -> Investigation | None:
        return await by_key(info, Investigation, finding_id)

    @strawberry.field(description="A CIQ office or EU authority by name.")
    async def office(self, info: Info, name: str) -> Office | None:
        return await by_key(info, Office, name)

    @strawberry.field(description="Every factory, by USCC.")
    async def manufacturers(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Manufacturer]:
        return await _page_of(info, Manufacturer, first, after)

    @strawberry.field(description="Every exporter, by USCC.")
    async def exporters(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Exporter]:
        return await _page_of(info, Exporter, first, after)

    @strawberry.field(description="EU findings, by id; since/until (ISO dates) select by the date found.")
    async def findings(self, info: Info, first: PageSize | None = None, after: Cursor | None = None, since: Date | None = None,
                       until: Date | None = None) -> Connection[Finding]:
        return await _page_of(info, Finding, first, after, "found_on" if since or until else None, since, until)

    @strawberry.field(description="EU arrivals, by MRN; since/until (ISO dates) select by arrival date.")
    async def arrivals(self, info: Info, first: PageSize | None = None, after: Cursor | None = None, since: Date | None = None,
                       until: Date | None = None) -> Connection[Arrival]:
        return await _page_of(info, Arrival, first, after, "arrived_on" if since or until else None, since, until)

    @strawberry.field(description="Rank the factories that may have made the product of a finding, with the evidence.")
    async def trace(self, info: Info, finding_id: str) -> Trace:
        return await trace_of(info, finding_id.strip())

    @strawberry.field(description="Everything of a factory's that reached the EU.")
    async def exposure(self, info: Info, uscc: str) -> Exposure:
        return await exposure_of(info, uscc)

    @strawberry.field(description="CN and EU verdicts on the same consignments: 2×2 table, agreement, Cohen's kappa.")
    async def alignment(self, info: Info) -> Alignment:
        from tracegraph.queries.schemes import alignment

        a = await ctx(info).run(alignment)
        return Alignment(overall=VerdictTable(**a["overall"]), _by=a["by"])

    @strawberry.field(description="Non-compliance with a passing CIQ certificate against none (Wilson 95 %).")
    async def reliability(self, info: Info) -> Reliability:
        from tracegraph.queries.schemes import reliability

        r = await ctx(info).run(reliability)
        return Reliability(overall=_rel_group("overall", r["overall"]), _by=r["by"])

    @strawberry.field(description="Arrivals at an entry point (UN/LOCODE) in a window, riskiest first, with reasons.")
    async def priorities(self, info: Info, entry_point: Locode, since: Date, until: Date, first: PageSize | None = None,
                         after: Cursor | None = None) -> Connection[Priority]:
        from tracegraph.queries.priorities import priorities

        ranked = await ctx(info).run(priorities, entry_point, since, until)
        return paginate([Priority(mrn=r["mrn"], score=r["score"], arrived_on=r["arrived_on"], reasons=r["reasons"])
                         for r in ranked], first, after)

    @strawberry.field(description="Factories (across duplicate registrations) and exporters ranked by findings in a window.")
    async def repeat_offenders(self, info: Info, since: Date | None = None, until: Date | None = None,
                               rank_by: OffenderRanking = OffenderRanking.FINDINGS) -> RepeatOffenders:
        from tracegraph.queries.offenders import offenders

        o = await ctx(info).run(offenders, since, until, None, rank_by.value)
        return RepeatOffenders(rank_by=rank_by, since=o["since"], until=o["until"], findings=o["findings"], attributed=o["attributed"],
                               not_attributed=_counts(o["not_attributed"]),
                               _factories=[_offender(f) for f in o["factories"]],
                               _exporters=[_offender(x) for x in o["exporters"]])

    @strawberry.field(description="Manufacturers and exporters by name, in Chinese or English, or by USCC.")
    async def search(self, info: Info, text: str, first: PageSize | None = None, after: Cursor | None = None) -> Connection[SearchHit]:
        if len(text.strip()) < 2:
            return paginate([], first, after)  # too short to mean anything
        hits = await ctx(info).run(q.search, text)
        return paginate([SearchHit(kind=h["label"], uscc=h["key"], name_zh=h["name_zh"], name_en=h["name_en"]) for h in hits],
                        first, after)


# -- mutations -----------------------------------------------------------------------------------------------------
@strawberry.input(description="A CIQ certificate, with the fields of cn-certificates.")
class CertificateInput:
    certificate_no: str
    declaration_no: str
    issuer: str
    issued_on: str
    result: str
    standards: list[str] | None = None
    tested_models: list[str] | None = None


@strawberry.input(description="AQSIQ's investigation of an EU finding, with the fields of cn-investigations.")
class InvestigationInput:
    finding_id: str
    opened_on: str
    status: str
    manufacturer_uscc: str | None = None
    root_cause: str | None = None
    measures: str | None = None
    closed_on: str | None = None


@strawberry.input(description="An EU finding, with the fields of eu-findings.")
class FindingInput:
    finding_id: str
    found_on: str
    notifying_country: str
    product_name: str
    category: str
    hazard: str
    risk_level: str
    inspection_id: str | None = None
    mrn: str | None = None
    brand: str | None = None
    model: str | None = None
    gtin: str | None = None
    batch: str | None = None
    standard: str | None = None
    description: str | None = None
    measure: str | None = None
    alert_no: str | None = None


@strawberry.type
class FieldProblem:
    field: str
    message: str


@strawberry.type
class ItemResult:
    index: int
    key: str | None
    ok: bool
    problems: list[FieldProblem]


@strawberry.type(description="What a mutation landed, item by item.")
class WriteResult:
    accepted: int
    rejected: int
    items: list[ItemResult]


def _items(items: Iterable[Any]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        out.append({k: v for k, v in dataclasses.asdict(item).items() if v is not None})
    if len(out) > MAX_ITEMS:
        raise ValueError(f"items: send at most {MAX_ITEMS} in one request, not {len(out)}")
    return out


async def _write(info: Info, record_type: str, items: list[dict[str, Any]],
                 refuse: dict[int, tuple[str, str]] | None = None) -> WriteResult:
    from tracegraph.loaders.submit import submit

    who = ctx(info).principal.org
    outcomes = await ctx(info).run(submit, record_type, items, who, refuse)
    results = [ItemResult(index=o.index, key=o.key, ok=o.status == "landed",
                          problems=[FieldProblem(field=f, message=m) for f, m in o.problems]) for o in outcomes]
    ok = sum(r.ok for r in results)
    return WriteResult(accepted=ok, rejected=len(results) - ok, items=results)


@strawberry.type
class Mutation:
    @strawberry.mutation(permission_classes=[MayShareCertificates],
                         description="CIQ shares export-inspection certificates (cn_authority).")
    async def share_certificates(self, info: Info, items: list[CertificateInput]) -> WriteResult | None:
        return await _write(info, "cn-certificates", _items(items))

    @strawberry.mutation(permission_classes=[MayRecordInvestigations],
                         description="AQSIQ records its investigation of a finding and the measures taken (cn_authority).")
    async def record_investigations(self, info: Info, items: list[InvestigationInput]) -> WriteResult | None:
        raw = _items(items)
        ids = [str(i.get("finding_id", "")).strip() for i in raw]
        known = await ctx(info).run(q.nodes, "Finding", ids)
        refuse = {i: ("finding_id", f"no finding {fid} in the store: investigations answer findings the EU shared")
                  for i, fid in enumerate(ids) if fid and fid not in known}
        return await _write(info, "cn-investigations", raw, refuse)

    @strawberry.mutation(permission_classes=[MayReportFindings],
                         description="An EU authority reports non-compliance findings (eu_authority).")
    async def report_findings(self, info: Info, items: list[FindingInput]) -> WriteResult | None:
        return await _write(info, "eu-findings", _items(items))

"""The API's analysis types: what :mod:`tracegraph.queries` answers (trace, exposure, scheme
alignment, certificate reliability, inspection priorities, repeat offenders, search), as strawberry
types built from the queries' plain results."""

from __future__ import annotations

import enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from tracegraph.api.context import ctx
from tracegraph.api.auth import (EU_ROLES, INTERNAL_DENIED, MAY_DECIDE_LINKS, MAY_READ_METRICS, MAY_RECORD_INVESTIGATIONS,
                                 MAY_REPORT_FINDINGS, MAY_SHARE_CERTIFICATES)
from tracegraph.api.nodes import Arrival, Exporter, Finding, Investigation, Manufacturer, by_key, of
from tracegraph.api.pagination import Connection, connection, paginate, window
from tracegraph.api.scalars import Cursor, PageSize
from tracegraph.queries.china_rapex import report as china_rapex_report
from tracegraph.queries.china_rapex import worklist
from tracegraph.queries.search import search
from tracegraph.queries.kept import kept
from tracegraph.queries.offenders import offenders
from tracegraph.queries.backtest import backtest
from tracegraph.queries.priorities import priorities
from tracegraph.queries.profile import factory_profile
from tracegraph.queries.schemes import alignment, reliability
from tracegraph.queries.trace import exposure, trace


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
    importer: str | None
    importer_name: str | None


@strawberry.type(description="A factory forward: its products, their shipments, arrivals and entry points.")
class Exposure:
    uscc: str
    products: list[str]
    shipments: list[str]
    arrivals: list[str]
    entry_points: list[str]
    _importers: strawberry.Private[list]
    _rows: strawberry.Private[list]

    @strawberry.field(description="EU roles only.")
    def importers(self) -> list[str] | None:
        return self._importers

    @strawberry.field
    def rows(self, first: PageSize | None = None, after: Cursor | None = None) -> Connection[ExposureRow]:
        return paginate(self._rows, first, after)


async def exposure_of(info: Info, uscc: str) -> Exposure:
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


def _reliability_group(value: str, x: dict[str, Any]) -> ReliabilityGroup:
    return ReliabilityGroup(value=value, certified=Rate(**x["certified"]), uncertified=Rate(**x["uncertified"]),
                            verdict=x["verdict"])


@strawberry.type(description="Are consignments with a passing CIQ certificate non-compliant less often than those without?")
class Reliability:
    overall: ReliabilityGroup
    _by: strawberry.Private[dict]

    @strawberry.field
    def groups(self, dimension: ReliabilityDimension, first: PageSize | None = None, after: Cursor | None = None) -> Connection[ReliabilityGroup]:
        return paginate([_reliability_group(v, x) for v, x in self._by[dimension.value].items()], first, after)


@strawberry.type(description="An arrival's risk of non-compliance, with the reasons, strongest first.")
class Priority:
    mrn: str
    score: float = strawberry.field(description="The probability that an EU check finds it non-compliant.")
    arrived_on: str
    reasons: list[str]
    model: str = strawberry.field(description="learned, or fallback (the hand-built model: too few EU checks to learn from).")
    model_note: str = strawberry.field(description="Which model scored it, fitted on what; or why it fell back.")

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
    measures: list[str] | None
    root_causes: list[str] | None


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


@strawberry.type(description="What a search text named: a factory or exporter by name or USCC, a product by GTIN, an "
                              "arrival by MRN, a finding by its id or Safety Gate alert number (kind Alert).")
class SearchHit:
    kind: str = strawberry.field(description="Manufacturer, Exporter, Product, Arrival, Finding or Alert")
    key: str = strawberry.field(description="The USCC, product key, MRN or finding id")
    uscc: str | None = strawberry.field(description="The USCC of a factory or exporter")
    name_zh: str | None
    name_en: str | None
    score: float = strawberry.field(description="100 for an identifier; for a name, how alike its trade-name core is (60-100)")
    why: str = strawberry.field(description="Which name or identifier matched, in words")

    @strawberry.field
    async def manufacturer(self, info: Info) -> Manufacturer | None:
        return await by_key(info, Manufacturer, self.key) if self.kind == "Manufacturer" else None

    @strawberry.field
    async def exporter(self, info: Info) -> Exporter | None:
        return await by_key(info, Exporter, self.key) if self.kind == "Exporter" else None


# -- a factory's profile, and who is asking -------------------------------------------------------------------
@strawberry.type
class MonthCount:
    month: str
    count: int


@strawberry.type
class MonthCertificates:
    month: str
    issued: int
    failed: int


@strawberry.type
class QuarterRisk:
    quarter: str
    risk_level: str
    count: int


@strawberry.type(description="AQSIQ's investigation of a finding that reaches the factory, or names it.")
class ProfileInvestigation:
    finding_id: str
    status: str | None
    opened_on: str | None
    closed_on: str | None
    factories: list[str]

    @strawberry.field(description="The investigation itself (its root cause and measures are company-internal).")
    async def investigation(self, info: Info) -> Investigation | None:
        return await by_key(info, Investigation, self.finding_id)


@strawberry.type(description="A factory over time, across every registration linkage found to be it.")
class FactoryProfile:
    uscc: str
    shipments_by_month: list[MonthCount]
    certificates_by_month: list[MonthCertificates]
    findings_by_quarter: list[KeyCount]
    findings_by_hazard: list[KeyCount]
    findings_by_risk_level: list[KeyCount]
    findings_by_quarter_and_risk: list[QuarterRisk]
    investigations: list[ProfileInvestigation]
    _registrations: strawberry.Private[list]
    _findings: strawberry.Private[list]

    @strawberry.field(description="This registration and every other linkage found to be the same factory.")
    def registrations(self) -> list[Manufacturer]:
        return [m for m in (of(Manufacturer, p) for p in self._registrations) if m is not None]

    @strawberry.field(description="The EU findings whose evidence reaches the factory, newest first.")
    async def findings(self, info: Info, first: PageSize | None = None, after: Cursor | None = None) -> Connection[Finding]:
        offset, limit = window(first, after)
        props = await ctx(info).node_loader(Finding.LABEL).load_many(self._findings[offset: offset + limit])
        return connection([f for f in (of(Finding, p) for p in props) if f is not None], len(self._findings), offset)

    @strawberry.field(description="Everything of the factory's that reached the EU.")
    async def exposure(self, info: Info) -> Exposure:
        return await exposure_of(info, self.uscc)


async def factory_profile_of(info: Info, uscc: str) -> FactoryProfile | None:
    p = await ctx(info).run(factory_profile, uscc.strip().upper())
    if p is None:
        return None
    found = await ctx(info).node_loader(Finding.LABEL).load_many(p["findings"])
    newest = [f["key"] for f in sorted((f for f in found if f), key=lambda f: (f.get("found_on") or "", f["key"]), reverse=True)]
    return FactoryProfile(
        uscc=p["uscc"], shipments_by_month=[MonthCount(**m) for m in p["shipments_by_month"]],
        certificates_by_month=[MonthCertificates(**m) for m in p["certificates_by_month"]],
        findings_by_quarter=_counts({x["key"]: x["count"] for x in p["findings_by_quarter"]}),
        findings_by_hazard=_counts({x["key"]: x["count"] for x in p["findings_by_hazard"]}),
        findings_by_risk_level=_counts({x["key"]: x["count"] for x in p["findings_by_risk_level"]}),
        findings_by_quarter_and_risk=[QuarterRisk(**x) for x in p["findings_by_quarter_and_risk"]],
        investigations=[ProfileInvestigation(finding_id=i["finding"], status=i["status"], opened_on=i["opened_on"],
                                             closed_on=i["closed_on"], factories=i["factories"]) for i in p["investigations"]],
        _registrations=p["registrations"], _findings=newest)


@strawberry.type(description="Who is asking: the organisation and role of the bearer token, and what the role may do.")
class Me:
    org: str
    role: str
    token_id: str
    may: list[str] = strawberry.field(description="see_importers, see_internal, record_investigations, share_certificates, "
                                                  "report_findings, decide_links, read_metrics")


def me_of(info: Info) -> Me:
    p = ctx(info).principal
    may = [name for name, roles in (("see_importers", EU_ROLES), ("record_investigations", MAY_RECORD_INVESTIGATIONS),
                                    ("share_certificates", MAY_SHARE_CERTIFICATES), ("report_findings", MAY_REPORT_FINDINGS),
                                    ("decide_links", MAY_DECIDE_LINKS), ("read_metrics", MAY_READ_METRICS)) if p.role in roles]
    if p.role not in INTERNAL_DENIED:
        may.insert(1, "see_internal")
    return Me(org=p.org, role=p.role, token_id=p.token_id, may=may)

# -- China-RAPEX: AQSIQ's work list of alerts on products from China, and its quarterly report ---------------------
@strawberry.type(description="A factory an alert is put down to (with the trace's confidence, where the trace named it).")
class FactoryRef:
    uscc: str
    name_zh: str | None
    name_en: str | None
    confidence: float | None = None

    @strawberry.field
    async def manufacturer(self, info: Info) -> Manufacturer | None:
        return await by_key(info, Manufacturer, self.uscc)


def _factory_ref(c: dict[str, Any] | None) -> FactoryRef | None:
    return FactoryRef(uscc=c["uscc"], name_zh=c.get("name_zh"), name_en=c.get("name_en"),
                      confidence=c.get("confidence")) if c else None


@strawberry.type(description="An alert's trace in brief: traced, ambiguous or not_traceable, and the top candidate.")
class AlertTrace:
    status: str
    reason: str
    candidates: int
    top: FactoryRef | None


@strawberry.type(description="What AQSIQ found and did on an alert: its cn-investigations record.")
class FollowUp:
    status: str | None
    outcomes: list[str] | None = strawberry.field(description="not_traceable, no_measure, corrective_action, export_ban, "
                                                  "strengthened_supervision, export_licence_suspended (company-internal)")
    factory: FactoryRef | None = strawberry.field(description="The factory the investigation found.")
    root_cause: str | None = strawberry.field(description="Root cause found at the factory (company-internal)")
    measures: str | None = strawberry.field(description="Measures taken at the factory (company-internal)")
    opened_on: str | None
    closed_on: str | None
    reported_on: str | None
    recorded_by: list[str] = strawberry.field(description="Provenance of the record: cn:<file>, cn:api:<org> or cn:cli:<org>.")


@strawberry.type(description="A Safety Gate alert on a product from China, forwarded to AQSIQ, with its trace and follow-up.")
class ChinaRapexAlert:
    alert_no: str
    finding_id: str
    forwarded_on: str = strawberry.field(description="The alert's date (its finding's found_on).")
    quarter: str
    product_name: str | None
    brand: str | None
    model: str | None
    category: str | None
    hazard: str | None
    hazards: list[str]
    risk_level: str | None
    country_of_origin: str | None = strawberry.field(description="As stored: CN, or the text an export wrote.")
    notifying_country: str | None
    trace: AlertTrace
    follow_up: FollowUp | None
    factory: FactoryRef | None = strawberry.field(description="The factory it is put down to: the follow-up's, else the "
                                                  "trace's top candidate when traced.")
    state: str = strawberry.field(description="uninvestigated, pending or concluded (closed or not traceable), as of asOf.")
    due_on: str = strawberry.field(description="90 days after it was forwarded.")
    overdue: bool = strawberry.field(description="Not concluded, and past its due day.")
    days_open: int

    @strawberry.field
    async def finding(self, info: Info) -> Finding | None:
        return await by_key(info, Finding, self.finding_id)


def _china_rapex_alert(a: dict[str, Any]) -> ChinaRapexAlert:
    t, f = a["trace"], a["follow_up"]
    follow_up = FollowUp(status=f["status"], outcomes=f["outcomes"], factory=_factory_ref(f["factory"]),
                         root_cause=f["root_cause"], measures=f["measures"], opened_on=f["opened_on"], closed_on=f["closed_on"],
                         reported_on=f["reported_on"], recorded_by=f["recorded_by"]) if f else None
    return ChinaRapexAlert(
        alert_no=a["alert_no"], finding_id=a["finding_id"], forwarded_on=a["forwarded_on"], quarter=a["quarter"],
        product_name=a["product_name"], brand=a["brand"], model=a["model"], category=a["category"], hazard=a["hazard"],
        hazards=a["hazards"], risk_level=a["risk_level"], country_of_origin=a["country_of_origin"],
        notifying_country=a["notifying_country"],
        trace=AlertTrace(status=t["status"], reason=t["reason"], candidates=t["candidates"], top=_factory_ref(t["top"])),
        follow_up=follow_up, factory=_factory_ref(a["factory"]), state=a["state"], due_on=a["due_on"],
        overdue=a["overdue"], days_open=a["days_open"])


@strawberry.enum(description="A follow-up status, or a state: UNINVESTIGATED (no follow-up yet), PENDING (not concluded), "
                             "OVERDUE (pending more than 90 days after forwarding), CONCLUDED (closed or not traceable).")
class ChinaRapexStatus(enum.Enum):
    UNINVESTIGATED = "uninvestigated"
    OPEN = "open"
    INVESTIGATING = "investigating"
    MEASURES_TAKEN = "measures_taken"
    CLOSED = "closed"
    NOT_TRACEABLE = "not_traceable"
    PENDING = "pending"
    OVERDUE = "overdue"
    CONCLUDED = "concluded"


@strawberry.type(description="The quarter's notifications of one category or hazard.")
class ChinaRapexGroup:
    key: str
    forwarded: int
    traced: int
    investigated: int
    concluded: int


@strawberry.type(description="A factory alerts were put down to in two quarters or more of the trailing year.")
class RecurringFactory:
    uscc: str
    name_zh: str | None
    name_en: str | None
    alerts: int
    quarters: list[str]
    in_quarter: int
    alert_nos: list[str]

    @strawberry.field
    async def manufacturer(self, info: Info) -> Manufacturer | None:
        return await by_key(info, Manufacturer, self.uscc)


@strawberry.type(description="AQSIQ's quarterly China-RAPEX follow-up report: the figures of `tracegraph report china-rapex`.")
class ChinaRapexReport:
    quarter: str
    since: str
    until: str
    as_of: str
    due_days: int
    trailing_since: str
    forwarded: int
    traced: int
    investigated: int
    concluded: int
    open_past_due: int = strawberry.field(description="Alerts of any quarter still open past 90 days as of asOf.")
    open_past_due_of_quarter: int
    by_outcome: list[KeyCount]
    by_category: list[ChinaRapexGroup]
    by_hazard: list[ChinaRapexGroup]
    recurring_factories: list[RecurringFactory]
    _alerts: strawberry.Private[list]
    _overdue: strawberry.Private[list]

    @strawberry.field(description="The notifications forwarded in the quarter.")
    def alerts(self, first: PageSize | None = None, after: Cursor | None = None) -> Connection[ChinaRapexAlert]:
        return paginate(self._alerts, first, after)

    @strawberry.field(description="The alerts of any quarter still open past 90 days as of asOf.")
    def overdue(self, first: PageSize | None = None, after: Cursor | None = None) -> Connection[ChinaRapexAlert]:
        return paginate(self._overdue, first, after)


async def china_rapex_worklist_of(info: Info, since: str | None, until: str | None, status: ChinaRapexStatus | None,
                                  as_of: str | None) -> list[ChinaRapexAlert]:
    alerts = await ctx(info).run(worklist, since, until, status.value if status else None, as_of)
    return [_china_rapex_alert(a) for a in alerts]


async def china_rapex_report_of(info: Info, quarter: str, as_of: str | None) -> ChinaRapexReport:
    r = await ctx(info).run(china_rapex_report, quarter, as_of)

    def groups(rows: list[dict[str, Any]], key: str) -> list[ChinaRapexGroup]:
        return [ChinaRapexGroup(key=g[key], forwarded=g["forwarded"], traced=g["traced"], investigated=g["investigated"],
                                concluded=g["concluded"]) for g in rows]

    return ChinaRapexReport(
        quarter=r["quarter"], since=r["since"], until=r["until"], as_of=r["as_of"], due_days=r["due_days"],
        trailing_since=r["trailing_since"], forwarded=r["forwarded"], traced=r["traced"], investigated=r["investigated"],
        concluded=r["concluded"], open_past_due=r["open_past_due"], open_past_due_of_quarter=r["open_past_due_of_quarter"],
        by_outcome=[KeyCount(key=x["outcome"], count=x["alerts"]) for x in r["by_outcome"]],
        by_category=groups(r["by_category"], "category"), by_hazard=groups(r["by_hazard"], "hazard"),
        recurring_factories=[RecurringFactory(uscc=x["uscc"], name_zh=x["name_zh"], name_en=x["name_en"], alerts=x["alerts"],
                                              quarters=x["quarters"], in_quarter=x["in_quarter"], alert_nos=x["alert_nos"])
                             for x in r["recurring_factories"]],
        _alerts=[_china_rapex_alert(a) for a in r["alerts"]], _overdue=[_china_rapex_alert(a) for a in r["overdue"]])


CHINA_RAPEX_TYPES = (FactoryRef, AlertTrace, FollowUp, ChinaRapexAlert, ChinaRapexGroup, RecurringFactory, ChinaRapexReport)


# -- the answers of the root fields, built from the queries' results -----------------------------------------
async def alignment_of(info: Info) -> Alignment:
    a = await ctx(info).run(alignment)
    return Alignment(overall=VerdictTable(**a["overall"]), _by=a["by"])


async def reliability_of(info: Info) -> Reliability:
    r = await ctx(info).run(reliability)
    return Reliability(overall=_reliability_group("overall", r["overall"]), _by=r["by"])


async def priorities_of(info: Info, entry_point: str, since: str, until: str) -> list[Priority]:
    ranked = await ctx(info).run(kept, priorities, entry_point, since, until)  # a page at a time: rank once
    return [Priority(mrn=r["mrn"], score=r["score"], arrived_on=r["arrived_on"], reasons=r["reasons"], model=r["model"],
                     model_note=r["model_note"]) for r in ranked]


@strawberry.type(description="What one inspection policy would have caught over the period.")
class BacktestPolicy:
    policy: str
    inspected: int
    caught: int = strawberry.field(description="Non-compliant EU-checked consignments its selection contained.")
    recall: float | None = strawberry.field(description="caught / non-compliant checked; low and high: Wilson 95 %.")
    low: float | None
    high: float | None
    unsafe_reached: float | None = strawberry.field(description="Estimated non-compliant consignments it let through.")
    unsafe_reached_low: float | None
    unsafe_reached_high: float | None


@strawberry.type(description="Inspection policies replayed day by day over a past period at an entry point.")
class Backtest:
    entry_point: str
    since: str
    until: str
    capacity: float
    arrivals: int
    checked: int
    non_compliant: int
    refit: str
    counting: str
    policies: list[BacktestPolicy]


async def backtest_of(info: Info, entry_point: str, since: str, until: str, capacity: float) -> Backtest:
    b = await ctx(info).run(backtest, entry_point, since, until, capacity)
    return Backtest(**{k: v for k, v in b.items() if k != "policies"}, policies=[BacktestPolicy(**p) for p in b["policies"]])


async def offenders_of(info: Info, since: str | None, until: str | None, rank_by: OffenderRanking) -> RepeatOffenders:
    o = await ctx(info).run(kept, offenders, since, until, None, rank_by.value)  # a page at a time: rank once
    return RepeatOffenders(rank_by=rank_by, since=o["since"], until=o["until"], findings=o["findings"], attributed=o["attributed"],
                           not_attributed=_counts(o["not_attributed"]),
                           _factories=[_offender(f) for f in o["factories"]],
                           _exporters=[_offender(x) for x in o["exporters"]])


async def search_of(info: Info, text: str) -> list[SearchHit]:
    if len(text.strip()) < 2:
        return []  # too short to mean anything
    hits = await ctx(info).run(search, text)
    return [SearchHit(kind=h["kind"], key=h["key"], uscc=h["key"] if h["label"] in ("Manufacturer", "Exporter") else None,
                      name_zh=h["name_zh"], name_en=h["name_en"], score=h["score"], why=h["why"]) for h in hits]


ANALYSIS_TYPES = (CompanyRef, CertificateSummary, Candidate, Trace, ExposureRow, Exposure, VerdictTable, AlignmentGroup,
                  Alignment, Rate, ReliabilityGroup, Reliability, Priority, BacktestPolicy, Backtest, KeyCount, Trend, OffenderInvestigations, Offender,
                  RepeatOffenders, SearchHit, MonthCount, MonthCertificates, QuarterRisk, ProfileInvestigation, FactoryProfile,
                  Me) + CHINA_RAPEX_TYPES

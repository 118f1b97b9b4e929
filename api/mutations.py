"""What each side sends through the API: CIQ certificates and AQSIQ's investigations (CN
authority), EU findings (EU authority). Each item is checked by the loaders' rules and lands or is
refused on its own, with the fields at fault (:mod:`tracegraph.loaders.submit`)."""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime, timezone
from typing import Any, Iterable

import strawberry
from strawberry.types import Info

from tracegraph.api.context import ctx
from tracegraph.api.permissions import MayDecideLinks, MayRecordInvestigations, MayReportFindings, MayShareCertificates
from tracegraph.linkage import decide
from tracegraph.loaders.submit import submit
from tracegraph.queries.china_rapex import finding_keys

MAX_ITEMS = 500  # items in one mutation


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
    # China-RAPEX follow-up: what the investigation of an alert found and did, when it was reported back
    outcomes: list[str] | None = strawberry.field(default=None, description=(
        "not_traceable (manufacturer or exporter not found, or no longer producing), no_measure, corrective_action, "
        "export_ban, strengthened_supervision, export_licence_suspended; several allowed"))
    reported_on: str | None = None


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
    who = ctx(info).principal.org
    outcomes = await ctx(info).run(submit, record_type, items, who, refuse)
    results = [ItemResult(index=o.index, key=o.key, ok=o.status == "landed",
                          problems=[FieldProblem(field=f, message=m) for f, m in o.problems]) for o in outcomes]
    ok = sum(r.ok for r in results)
    return WriteResult(accepted=ok, rejected=len(results) - ok, items=results)


@strawberry.enum(description="The links linkage infers, which a person may confirm or reject.")
class InferredLinkType(enum.Enum):
    SAME_CONSIGNMENT = "SAME_CONSIGNMENT"  # arrival -> CN shipment
    MATCHES_PRODUCT = "MATCHES_PRODUCT"  # finding -> CN product
    CONSIGNED_BY = "CONSIGNED_BY"  # arrival -> CN exporter
    SAME_AS = "SAME_AS"  # factory -> another registration of it


@strawberry.enum
class Decision(enum.Enum):
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@strawberry.type(description="A link as it stands after a decision.")
class DecidedLink:
    end: str
    method: str
    score: float
    evidence: list[str]


@strawberry.type(description="A person's decision on a link, recorded and applied: the start's links of that type now.")
class LinkDecisionResult:
    type: InferredLinkType
    start: str
    end: str
    decision: Decision
    by: str
    links: list[DecidedLink]


@strawberry.type
class Mutation:
    @strawberry.mutation(permission_classes=[MayShareCertificates],
                         description="CIQ shares export-inspection certificates (cn_authority).")
    async def share_certificates(self, info: Info, items: list[CertificateInput]) -> WriteResult | None:
        return await _write(info, "cn-certificates", _items(items))

    @strawberry.mutation(permission_classes=[MayRecordInvestigations],
                         description="AQSIQ records its investigation of a finding, or its follow-up of a China-RAPEX alert "
                                     "(findingId: the finding's id or the alert number), and the measures taken and "
                                     "outcomes (cn_authority).")
    async def record_investigations(self, info: Info, items: list[InvestigationInput]) -> WriteResult | None:
        raw = _items(items)
        ids = [str(i.get("finding_id", "")).strip() for i in raw]
        keys = await ctx(info).run(finding_keys, ids)  # an alert number in any of its forms names its finding
        for item, key in zip(raw, keys):
            if key is not None:
                item["finding_id"] = key
        refuse = {i: ("finding_id", f"no finding {fid} in the store: investigations answer findings the EU shared")
                  for i, (fid, key) in enumerate(zip(ids, keys)) if fid and key is None}
        return await _write(info, "cn-investigations", raw, refuse)

    @strawberry.mutation(permission_classes=[MayDecideLinks],
                         description="Confirm or reject an inferred link (analyst and authority roles); every later "
                                     "linkage keeps the decision.")
    async def decide_link(self, info: Info, type: InferredLinkType, start: str, end: str,
                          decision: Decision) -> LinkDecisionResult | None:
        principal = ctx(info).principal
        by = f"{principal.org} ({principal.role})"
        at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        links = await ctx(info).run(decide, type.value, start.strip(), end.strip(), decision.value, by, at)
        return LinkDecisionResult(type=type, start=start.strip(), end=end.strip(), decision=decision, by=by,
                                  links=[DecidedLink(end=l.end, method=l.method, score=l.score, evidence=list(l.evidence))
                                         for l in sorted(links, key=lambda l: (-l.score, l.end))])

    @strawberry.mutation(permission_classes=[MayReportFindings],
                         description="An EU authority reports non-compliance findings (eu_authority).")
    async def report_findings(self, info: Info, items: list[FindingInput]) -> WriteResult | None:
        return await _write(info, "eu-findings", _items(items))

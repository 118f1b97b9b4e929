"""The GraphQL schema: the root ``Query`` (lookups by natural key, pages of a label, the analyses),
the mutations, and the schema built from them with its limits.

The parts live in rooms of their own: node types (:mod:`~tracegraph.api.nodes`), analysis types
(:mod:`~tracegraph.api.analysis`), mutations (:mod:`~tracegraph.api.mutations`), who may see what
(:mod:`~tracegraph.api.permissions`), connections (:mod:`~tracegraph.api.pagination`), scalars
(:mod:`~tracegraph.api.scalars`) and what every resolver is given (:mod:`~tracegraph.api.context`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import (AddValidationRules, MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, ParserCache,
                                   QueryDepthLimiter, SchemaExtension, ValidationCache)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from tracegraph.api import permissions
from tracegraph.api.analysis import (ANALYSIS_TYPES, Alignment, Backtest, backtest_of, Exposure, FactoryProfile, Me, OffenderRanking, Priority,
                                     Reliability, RepeatOffenders, SearchHit, Trace, alignment_of, exposure_of,
                                     factory_profile_of, me_of, offenders_of, priorities_of, reliability_of, search_of,
                                     trace_of)
from tracegraph.api.analysis import (ChinaRapexAlert, ChinaRapexReport, ChinaRapexStatus, china_rapex_report_of,
                                     china_rapex_worklist_of)
from tracegraph.api.context import Context, ctx
from tracegraph.api.mutations import Mutation
from tracegraph.api.nodes import (NODE_TYPES, N, Arrival, Certificate, Exporter, Finding, Inspection, Investigation,
                                  Manufacturer, Office, Product, Shipment, by_key, of)
from tracegraph.api.pagination import Connection, connection, paginate, window
from tracegraph.api.scalars import SCALARS, Cursor, Date, Locode, PageSize, Quarter
from tracegraph.graph.errors import StoreError, TracegraphError
from tracegraph.graph.model import composite_key
from tracegraph.queries import nodes as q



async def _page_of(info: Info, cls: type[N], first: int | None, after: str | None, prop: str | None = None,
                   low: str | None = None, high: str | None = None) -> Connection[N]:
    offset, limit = window(first, after)
    total, keys = await ctx(info).run(q.page, cls.LABEL, offset, limit, prop, low, high)
    props = await ctx(info).node_loader(cls.LABEL).load_many(keys)
    return connection([of(cls, p) for p in props if p is not None], total, offset)


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

    @strawberry.field(description="A factory over time, across its registrations: shipments, certificates, findings, investigations.")
    async def factory_profile(self, info: Info, uscc: str) -> FactoryProfile | None:
        return await factory_profile_of(info, uscc)

    @strawberry.field(description="Who is asking: the token's organisation and role, and what the role may do.")
    def me(self, info: Info) -> Me:
        return me_of(info)

    @strawberry.field(description="CN and EU verdicts on the same consignments: 2×2 table, agreement, Cohen's kappa.")
    async def alignment(self, info: Info) -> Alignment:
        return await alignment_of(info)

    @strawberry.field(description="Non-compliance with a passing CIQ certificate against none (Wilson 95 %).")
    async def reliability(self, info: Info) -> Reliability:
        return await reliability_of(info)

    @strawberry.field(description="Arrivals at an entry point (UN/LOCODE) in a window, riskiest first, with reasons.")
    async def priorities(self, info: Info, entry_point: Locode, since: Date, until: Date, first: PageSize | None = None,
                         after: Cursor | None = None) -> Connection[Priority]:
        return paginate(await priorities_of(info, entry_point, since, until), first, after)

    @strawberry.field(description="Inspection policies (random, uncertified first, CIQ-failed first, learned) replayed day "
                                  "by day over a past period with a capacity (share of arrivals, 0.1 = 10 %).")
    async def backtest(self, info: Info, entry_point: Locode, since: Date, until: Date, capacity: float = 0.1) -> Backtest:
        return await backtest_of(info, entry_point, since, until, capacity)

    @strawberry.field(description="Factories (across duplicate registrations) and exporters ranked by findings in a window.")
    async def repeat_offenders(self, info: Info, since: Date | None = None, until: Date | None = None,
                               rank_by: OffenderRanking = OffenderRanking.FINDINGS) -> RepeatOffenders:
        return await offenders_of(info, since, until, rank_by)

    # -- China-RAPEX ------------------------------------------------------------------------------------------------
    @strawberry.field(description="AQSIQ's work list: Safety Gate alerts on products from China, oldest first, traced, "
                                  "with their follow-up; since/until select by the day forwarded (the alert's date), "
                                  "status by follow-up status or state as of asOf (default today).")
    async def china_rapex_worklist(self, info: Info, since: Date | None = None, until: Date | None = None,
                                   status: ChinaRapexStatus | None = None, as_of: Date | None = None,
                                   first: PageSize | None = None, after: Cursor | None = None) -> Connection[ChinaRapexAlert]:
        return paginate(await china_rapex_worklist_of(info, since, until, status, as_of), first, after)

    @strawberry.field(description="The quarterly China-RAPEX follow-up report (quarter like 2024Q3) as of asOf (default: "
                                  "the quarter's last day, today while it runs).")
    async def china_rapex_report(self, info: Info, quarter: Quarter, as_of: Date | None = None) -> ChinaRapexReport:
        return await china_rapex_report_of(info, quarter, as_of)

    @strawberry.field(description="Factories and exporters by name in either script (EU spellings and typing errors too) "
                                  "or USCC; products by GTIN, arrivals by MRN, findings by id or alert number; best first.")
    async def search(self, info: Info, text: str, first: PageSize | None = None, after: Cursor | None = None) -> Connection[SearchHit]:
        return paginate(await search_of(info, text), first, after)


# -- the schema ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    max_body: int = 1_000_000  # bytes
    timeout: float = 30.0  # seconds per operation
    max_depth: int = 12
    max_tokens: int = 5_000
    max_aliases: int = 30


class Observe(SchemaExtension):
    """Note the operation's type and name, and whether it failed, for the audit log and metrics."""

    def on_operation(self):  # type: ignore[no-untyped-def]
        yield
        ec = self.execution_context
        context: Context = ec.context
        op_type = ec.operation_type.value if ec.operation_type else None
        context.operation.update(type=op_type, name=ec.operation_name)
        result = ec.result
        errors = getattr(result, "errors", None) or ec.pre_execution_errors or []
        for e in errors:  # a bad argument is the client's to fix: say so in the error, as GraphQL servers do
            if isinstance(e.original_error, ValueError) and not (e.extensions or {}).get("code"):
                e.extensions = {**(e.extensions or {}), "code": "BAD_USER_INPUT"}
            elif isinstance(e.original_error, StoreError) and not (e.extensions or {}).get("code"):
                e.extensions = {**(e.extensions or {}), "code": "SERVICE_UNAVAILABLE"}
        if errors:
            messages = [e.message for e in errors][:5]
            context.operation["errors"] = messages
            denied = any((e.extensions or {}).get("code") == "FORBIDDEN" for e in errors)
            context.operation["outcome"] = "denied" if denied else "error"


log = logging.getLogger("tracegraph.api")


def _unexpected(error: GraphQLError) -> bool:
    """Mask an error the code did not mean to show (a bug's message may leak internals); log it.
    tracegraph's own errors (a store busy with a load, one that cannot be reached) say what to do."""
    original = error.original_error
    if original is None or isinstance(original, (ValueError, GraphQLError, StrawberryGraphQLError, TracegraphError)):
        return False
    log.error("unexpected error at %s", error.path, exc_info=original)
    return True


class Schema(strawberry.Schema):
    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        """Client errors (validation, bad arguments, denied fields) are the client's business and go
        back to it; unexpected ones are logged where they are masked (:func:`_unexpected`)."""


def make_schema(limits: Limits = Limits()) -> strawberry.Schema:
    permissions.restrict(NODE_TYPES + ANALYSIS_TYPES)
    # The depth and alias rules are made once: the validation cache is keyed by the rule classes,
    # and a limiter built per request would make new ones each time (and never hit the cache).
    rules = (QueryDepthLimiter(max_depth=limits.max_depth).validation_rules
             + MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules)
    return Schema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(scalar_map=SCALARS),
        extensions=[  # factories: a fresh extension per request (the two caches live at module level)
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
            lambda: AddValidationRules(rules),
            Observe,
            lambda: MaskErrors(should_mask_error=_unexpected, error_message="internal error (logged on the server)"),
        ],
    )


schema = make_schema()  # what `strawberry export-schema tracegraph.api.schema:schema` writes to schema.graphql

"""The EPCIS 2.0 REST binding beside /graphql: capture, query, and exports, as GS1 specifies them.

* ``POST /epcis/capture`` takes an ``EPCISDocument`` (JSON or JSON-LD), checks it against GS1's
  EPCIS 2.0 JSON Schema (shipped inside the package; every ``$ref`` of it is local, nothing is
  fetched), and answers ``202 Accepted`` with the capture job's ``Location``; the job lands the
  events on the store's thread (:func:`tracegraph.loaders.epcis.capture`). A CN role writes CN-side
  events, an EU role EU-side ones, admin both; the others may not capture.
* ``GET /epcis/capture/{id}`` tells whether the job is running, whether it succeeded, and every
  event's problem (``errors``) and notice (``warnings``).
* ``GET /epcis/events`` answers an ``EPCISQueryDocument`` with the simple query parameters that fit
  (``EQ_bizStep``, ``GE_eventTime``, ``LT_eventTime``, ``MATCH_epc``, ``EQ_bizLocation``), paged by
  ``perPage`` and ``nextPageToken`` (the next page's address is in the ``Link`` header).
* ``GET /epcis/trace/{findingId}`` and ``GET /epcis/exposure/{uscc}``: a finding's trace and a
  factory's exposure as an ``EPCISDocument``.

Errors are RFC 7807 ``application/problem+json`` with the binding's exception types. What a role
may not read through GraphQL (:data:`tracegraph.api.permissions.HIDDEN`) is left out of events too.
Capture jobs are kept in memory: a restart forgets them (what they landed stays).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import threading
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from typing import Any

import fastjsonschema
from jsonschema import Draft7Validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tracegraph.api.context import Backend
from tracegraph.api.middleware import PRINCIPAL
from tracegraph.api.permissions import HIDDEN
from tracegraph.loaders import epcis
from tracegraph.loaders.reader import FileProblem
from tracegraph.queries import epcis as q

PROBLEM = "application/problem+json"
SIDES = {"cn_authority": frozenset({"cn"}), "eu_authority": frozenset({"eu"}), "admin": frozenset({"cn", "eu"})}
PER_PAGE, MAX_PER_PAGE = 100, 1000
MAX_JOBS = 1000  # capture jobs remembered; the oldest finished ones are forgotten first
HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}


def problem(status: int, kind: str, detail: str, instance: str | None = None, **extra: Any) -> Response:
    """An RFC 7807 answer with the EPCIS exception type ``kind`` (``ValidationException`` …)."""
    body = {"type": f"epcisException:{kind}", "title": kind, "status": status, "detail": detail, **extra}
    if instance:
        body["instance"] = instance
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=HEADERS)


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    """GS1's EPCIS 2.0 JSON Schema, from the package (its references are all inside it)."""
    text = resources.files("tracegraph.loaders").joinpath("schema/EPCIS-JSON-Schema.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def validator() -> Draft7Validator:
    """The schema as jsonschema checks it: the judge, and what explains a document it refuses."""
    Draft7Validator.check_schema(_schema())
    return Draft7Validator(_schema())


def _any(_: Any) -> bool:
    return True


@lru_cache(maxsize=1)
def _fast() -> Any:
    """The schema compiled to Python by fastjsonschema: 2.5 ms -> 0.13 ms an event (bench/epcis.py).
    Formats are not checked (as jsonschema does not without a format checker)."""
    return fastjsonschema.compile(_schema(), formats={"uri": _any, "date-time": _any})


def schema_errors(doc: Any, limit: int = 20) -> list[dict[str, str]]:
    """Where and why ``doc`` breaks the schema (the first ``limit``), deepest first. A document the
    compiled schema passes is valid; one it refuses is judged, and explained, by jsonschema."""
    try:
        _fast()(doc)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    found = []
    for err in validator().iter_errors(doc):
        best = max([err, *err.context], key=lambda e: len(e.absolute_path)) if err.context else err
        found.append({"pointer": "/" + "/".join(str(p) for p in best.absolute_path), "message": best.message[:300]})
        if len(found) >= limit:
            break
    return found


def hidden_for(role: str) -> frozenset[str]:
    """The fields (``Arrival.importer_eori``) a role may not read."""
    return frozenset(f"{t}.{f}" for (t, f), (roles, _) in HIDDEN.items() if role in roles)


class Jobs:
    """Capture jobs, by id, in memory."""

    def __init__(self) -> None:
        self._jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def new(self, org: str) -> dict[str, Any]:
        job = {"captureID": secrets.token_hex(8), "createdAt": _now(), "running": True, "success": None,
               "captureErrorBehaviour": "proceed", "errors": [], "warnings": [], "_org": org}
        with self._lock:
            if len(self._jobs) >= MAX_JOBS:
                done = [k for k, j in self._jobs.items() if not j["running"]]
                for k in done[: len(self._jobs) - MAX_JOBS + 1]:
                    del self._jobs[k]
            self._jobs[str(job["captureID"])] = job
        return job

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._jobs.get(job_id)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _shown(job: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in job.items() if not k.startswith("_")}


def routes(backend: Backend) -> list[Route]:
    jobs = Jobs()
    tasks: set[asyncio.Task[None]] = set()

    async def run_job(job: dict[str, Any], doc: epcis.Document, sides: frozenset[str], org: str) -> None:
        try:
            out = await backend.run(epcis.capture, doc, sides, org)
            job["errors"] = [_note(i, line, n) for i, line, n in out.notes if n.kind == "rejected"]
            job["warnings"] = [_note(i, line, n) for i, line, n in out.notes if n.kind != "rejected"]
            job.update(events=out.events, landed=out.landed, kept=out.kept, rejected=out.rejected,
                       success=out.rejected == 0)
        except Exception as exc:  # noqa: BLE001 - the job reports what went wrong; the service goes on
            job["errors"] = [{"type": "epcisException:ImplementationException", "title": "ImplementationException",
                              "status": 500, "detail": f"the capture failed: {type(exc).__name__}: {exc}"}]
            job["success"] = False
        finally:
            job["finishedAt"], job["running"] = _now(), False

    async def capture(request: Request) -> Response:
        principal = request.scope[PRINCIPAL]
        sides = SIDES.get(principal.role)
        if sides is None:
            return problem(403, "SecurityException", f"a {principal.role} token may not capture events "
                                                     "(cn_authority, eu_authority or admin may)", "/epcis/capture")
        body = await request.body()
        try:
            raw = await asyncio.to_thread(epcis.parse_document, body)
        except FileProblem as exc:
            return problem(400, "ValidationException", f"the document {exc.reason}", "/epcis/capture")
        if raw.get("type") != "EPCISDocument":
            return problem(400, "ValidationException", f"capture takes an EPCISDocument, not {raw.get('type')!r}", "/epcis/capture")
        for e in ((raw.get("epcisBody") or {}).get("eventList") or []) if isinstance(raw.get("epcisBody"), dict) else []:
            epcis.normalise(e)
        errors = await asyncio.to_thread(schema_errors, raw)
        if errors:
            return problem(400, "ValidationException", f"the document breaks the EPCIS 2.0 JSON Schema in {len(errors)}"
                           f"{'+' if len(errors) >= 20 else ''} places; the first: {errors[0]['pointer']}: "
                           f"{errors[0]['message']}", "/epcis/capture", errors=errors)
        try:
            doc = await asyncio.to_thread(epcis.read_document, body)
        except FileProblem as exc:
            return problem(400, "ValidationException", f"the document {exc.reason}", "/epcis/capture")
        job = jobs.new(principal.org)
        task = asyncio.create_task(run_job(job, doc, sides, principal.org))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return Response(status_code=202, headers={"Location": f"/epcis/capture/{job['captureID']}", **HEADERS})

    async def capture_job(request: Request) -> Response:
        principal = request.scope[PRINCIPAL]
        job_id = request.path_params["job"]
        job = jobs.get(job_id)
        if job is None or (job["_org"] != principal.org and principal.role != "admin"):
            return problem(404, "NoSuchResourceException", f"no capture job {job_id}", f"/epcis/capture/{job_id}")
        return JSONResponse(_shown(job), headers=HEADERS)

    async def events(request: Request) -> Response:
        principal = request.scope[PRINCIPAL]
        params = request.query_params
        known = {"EQ_bizStep", "GE_eventTime", "LT_eventTime", "MATCH_epc", "EQ_bizLocation", "perPage", "nextPageToken"}
        unknown = sorted(set(params) - known)
        if unknown:
            return problem(400, "QueryParameterException", f"query parameter {unknown[0]} is not supported "
                           f"(supported: {', '.join(sorted(known))})", "/epcis/events")

        def many(name: str) -> list[str] | None:
            values = [v.strip() for raw in params.getlist(name) for v in raw.split(",") if v.strip()]
            return values or None

        try:
            per_page = int(params.get("perPage", PER_PAGE))
            offset = _offset(params.get("nextPageToken"))
            for name in ("GE_eventTime", "LT_eventTime"):
                if params.get(name):
                    q._parse_time(params[name])
        except ValueError as exc:
            return problem(400, "QueryParameterException", str(exc), "/epcis/events")
        if not 1 <= per_page <= MAX_PER_PAGE:
            return problem(400, "QueryParameterException", f"perPage must be 1 to {MAX_PER_PAGE}", "/epcis/events")
        found = await backend.run(lambda store: q.events(
            store, biz_step=many("EQ_bizStep"), since=params.get("GE_eventTime"), before=params.get("LT_eventTime"),
            epcs=many("MATCH_epc"), locations=many("EQ_bizLocation"), hidden=hidden_for(principal.role)))
        page = found[offset : offset + per_page]
        headers = dict(HEADERS)
        if offset + per_page < len(found):
            token = base64.urlsafe_b64encode(str(offset + per_page).encode()).decode()
            rest = [(k, v) for k, v in params.multi_items() if k != "nextPageToken"] + [("nextPageToken", token)]
            from urllib.parse import urlencode

            headers["Link"] = f'</epcis/events?{urlencode(rest)}>; rel="next"'
        return JSONResponse(epcis.document(page, query="SimpleEventQuery", created=_now()), headers=headers)

    async def trace(request: Request) -> Response:
        principal = request.scope[PRINCIPAL]
        finding = request.path_params["finding"]
        found = await backend.run(q.trace_events, finding, hidden_for(principal.role))
        if found is None:
            return problem(404, "NoSuchResourceException", f"no finding {finding}", f"/epcis/trace/{finding}")
        return JSONResponse(epcis.document(found, created=_now()), headers=HEADERS)

    async def exposure(request: Request) -> Response:
        principal = request.scope[PRINCIPAL]
        uscc = request.path_params["uscc"].strip().upper()
        found = await backend.run(q.exposure_events, uscc, hidden_for(principal.role))
        return JSONResponse(epcis.document(found, created=_now()), headers=HEADERS)

    return [Route("/epcis/capture", capture, methods=["POST"]),
            Route("/epcis/capture/{job}", capture_job, methods=["GET"]),
            Route("/epcis/events", events, methods=["GET"]),
            Route("/epcis/trace/{finding:path}", trace, methods=["GET"]),
            Route("/epcis/exposure/{uscc}", exposure, methods=["GET"])]


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        value = int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise ValueError(f"nextPageToken {token!r} is not one this service gave") from None
    if value < 0:
        raise ValueError(f"nextPageToken {token!r} is not one this service gave")
    return value


def _note(index: int, line: int, n: epcis.Note) -> dict[str, Any]:
    return {"eventIndex": index, "line": line, "field": n.field, "detail": n.reason,
            **({"value": n.value} if n.value is not None else {})}

"""The ASGI middleware around the service, outermost first (see :func:`tracegraph.api.app.create_app`):

* :class:`RequestMetrics` — Prometheus counts and latency by route, operation type and outcome;
* :class:`AuditTrail` — one JSON line per request: who, what, how it ended, how long it took;
* :class:`JsonErrors` — every 4xx answer in the GraphQL-over-HTTP error shape
  (``{"errors": [{"message": …}]}``), whoever wrote it (strawberry, starlette or us);
* :class:`BearerAuth` — the bearer token, checked against the token book, except on open paths;
* :class:`BodyLimit` — the request body read whole, up to a cap, before the app sees any of it
  (413 otherwise, chunked or not): the app never starts an answer that the cap would cut off.

They talk through the ASGI scope: ``tracegraph.principal`` (who is asking), ``tracegraph.outcome``
(why a middleware refused: ``unauthorized: …``, ``rejected: …``) and ``tracegraph.operation`` (what
the GraphQL view ran, filled by the schema's ``Observe`` extension).
"""

from __future__ import annotations

import json
import time
from typing import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracegraph.api.auth import AuditLog, AuthError, TokenBook, bearer

PRINCIPAL = "tracegraph.principal"
OUTCOME = "tracegraph.outcome"
OPERATION = "tracegraph.operation"
ROUTES = ("/graphql", "/healthz", "/metrics")  # metric labels take these, and "other": a bounded set


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error answer in the GraphQL-over-HTTP shape."""
    return JSONResponse({"errors": [{"message": message}]}, status_code=status, headers=headers)


EPCIS_KINDS = {401: "SecurityException", 403: "SecurityException", 404: "NoSuchResourceException",
               405: "ValidationException", 413: "CaptureLimitExceededException"}


def error_answer(scope: Scope, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """:func:`json_error`, or under ``/epcis/`` the RFC 7807 problem the EPCIS REST binding answers."""
    if not str(scope.get("path", "")).startswith("/epcis/"):
        return json_error(status, message, headers)
    kind = EPCIS_KINDS.get(status, "ValidationException")
    return JSONResponse({"type": f"epcisException:{kind}", "title": kind, "status": status, "detail": message},
                        status_code=status, headers=headers, media_type="application/problem+json")


def _path(scope: Scope) -> str:
    return str(scope["path"]).rstrip("/") or "/"


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k.lower() == name:
            return str(v.decode("latin-1"))
    return None


class _Status:
    """A ``send`` that notes the status of the answer it passes on."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.code: int | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.code = message["status"]
        await self.send(message)


def outcome(scope: Scope, status: int | None) -> str:
    """How a request ended: ``ok``, or why not (``unauthorized: …``, ``denied``, ``timeout`` …)."""
    said = scope.get(OUTCOME)
    if said:
        return str(said)
    op = scope.get(OPERATION) or {}
    if op.get("outcome"):
        return str(op["outcome"])
    if status is None:
        return "server_error"  # nothing was answered
    return "error" if status >= 400 else "ok"


class Metrics:
    """The service's Prometheus registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("tracegraph_requests", "HTTP requests by path, operation type and outcome",
                                ["path", "operation", "outcome"], registry=self.registry)
        self.latency = Histogram("tracegraph_request_seconds", "Request latency by path and operation type",
                                 ["path", "operation"], registry=self.registry,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.errors = Counter("tracegraph_errors", "Requests that failed: unauthorized, denied, error, timeout, server_error",
                              ["kind"], registry=self.registry)
        self.store_calls = Counter("tracegraph_store_calls", "Calls into the store (a DataLoader batch is one)",
                                   registry=self.registry)
        self.in_flight = Gauge("tracegraph_requests_in_flight", "Requests being served", registry=self.registry)


class RequestMetrics:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        m = self.metrics
        started = time.perf_counter()
        status = _Status(send)
        m.in_flight.inc()
        try:
            await self.app(scope, receive, status)
        except Exception:
            scope.setdefault(OUTCOME, "server_error")
            raise
        finally:
            m.in_flight.dec()
            path = _path(scope)
            route = path if path in ROUTES else "other"
            op_type = (scope.get(OPERATION) or {}).get("type") or "-"
            kind = outcome(scope, status.code).split(":")[0]
            m.requests.labels(route, op_type, kind).inc()
            m.latency.labels(route, op_type).observe(time.perf_counter() - started)
            if kind != "ok":
                m.errors.labels(kind).inc()


class AuditTrail:
    """One audit line per request but for those ``quiet(scope)`` names (health probes, page assets)."""

    def __init__(self, app: ASGIApp, log: AuditLog, quiet: Callable[[Scope], bool]) -> None:
        self.app = app
        self.log = log
        self.quiet = quiet

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.quiet(scope):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = _Status(send)
        try:
            await self.app(scope, receive, status)
        except Exception:
            scope.setdefault(OUTCOME, "server_error")
            raise
        finally:
            p = scope.get(PRINCIPAL)
            op = scope.get(OPERATION) or {}
            self.log.write(token=p.token_id if p else None, org=p.org if p else None, role=p.role if p else None,
                           client=(scope.get("client") or ("-",))[0], method=scope["method"], path=_path(scope),
                           operation=op.get("type") or "-", name=op.get("name"), status=status.code or 500,
                           outcome=outcome(scope, status.code), errors=op.get("errors"),
                           ms=round((time.perf_counter() - started) * 1000, 2))


class JsonErrors:
    """Rewrites a 4xx answer that is not JSON (``Unable to parse request body as JSON``, ``Method
    Not Allowed`` …) as ``{"errors": [{"message": <its text>}]}``, keeping its status and headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                kind = dict((k.lower(), v) for k, v in message.get("headers", [])).get(b"content-type", b"").decode("latin-1")
                if 400 <= message["status"] < 500 and "json" not in kind and scope["method"] != "HEAD":
                    start = message  # held until its body is whole
                    return
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                text = b"".join(body).decode("utf-8", "replace").strip() or "the request cannot be answered"
                answer = error_answer(scope, start["status"], text)
                payload = bytes(answer.body)
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-type", b"content-length")]
                headers += [(b"content-type", (answer.media_type or "application/json").encode()), (b"content-length", str(len(payload)).encode())]
                await send({"type": "http.response.start", "status": start["status"], "headers": headers})
                await send({"type": "http.response.body", "body": payload})
                return
            await send(message)

        await self.app(scope, receive, rewrite)


class BearerAuth:
    """Puts the principal of the request's bearer token in the scope, or answers 401. Paths that
    ``is_open(scope)`` names need no token (health, the pages and their assets: the pages sign in
    in the browser and send the token with every API call)."""

    def __init__(self, app: ASGIApp, tokens: TokenBook, is_open: Callable[[Scope], bool]) -> None:
        self.app = app
        self.tokens = tokens
        self.is_open = is_open

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.is_open(scope):
            await self.app(scope, receive, send)
            return
        try:
            scope[PRINCIPAL] = self.tokens.check(bearer(_header(scope, b"authorization")))
        except AuthError as exc:
            scope[OUTCOME] = f"unauthorized: {exc}"
            await error_answer(scope, 401, "a valid bearer token is required (Authorization: Bearer tg_…)",
                             {"WWW-Authenticate": 'Bearer realm="tracegraph"'})(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """Reads the request body whole, up to ``limit`` bytes, before the app runs; a body declared or
    sent longer gets 413 and the app never sees it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before its body was whole: nothing to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        given = False

        async def replay() -> Message:
            nonlocal given
            if not given:
                given = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[OUTCOME] = "rejected: body too large"
        await error_answer(scope, 413, f"the request body is over the {self.limit} byte limit",
                         {"Connection": "close"})(scope, receive, send)

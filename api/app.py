"""The running service: GraphQL on ``/graphql`` (GraphiQL in a browser), ``/healthz`` and
``/metrics`` (Prometheus), with bearer-token access, an audit line per request, and limits.

``create_app(store, audit_path)`` returns the ASGI app that ``tracegraph serve`` hands to uvicorn.

Protection: a request body over ``Limits.max_body`` bytes gets 413 before it is parsed; a document
over the token, depth or alias limits fails validation; a page over ``MAX_PAGE`` is refused; an
operation that runs past ``Limits.timeout`` seconds answers with an error (its store call is left
to finish on its thread). Parsed and validated documents are cached.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
import contextlib
import logging
from typing import Any, AsyncIterator

import strawberry
from graphql import GraphQLError
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.extensions import (AddValidationRules, MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter,
                                   SchemaExtension, ValidationCache)
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from tracegraph.api.auth import MAY_READ_METRICS, AuditLog, AuthError, Principal, TokenBook, bearer
from tracegraph.api.schema import SCALARS, Backend, Context, Mutation, Query
from tracegraph.graph.store import Store


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
        if errors:
            messages = [e.message for e in errors][:5]
            context.operation["errors"] = messages
            denied = any((e.extensions or {}).get("code") == "FORBIDDEN" for e in errors)
            context.operation["outcome"] = "denied" if denied else "error"


log = logging.getLogger("tracegraph.api")


def _unexpected(error: GraphQLError) -> bool:
    """Mask an error the code did not mean to show (a bug's message may leak internals); log it."""
    original = error.original_error
    if original is None or isinstance(original, (ValueError, GraphQLError, StrawberryGraphQLError)):
        return False
    log.error("unexpected error at %s", error.path, exc_info=original)
    return True


class Schema(strawberry.Schema):
    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        """Client errors (validation, bad arguments, denied fields) are the client's business and go
        back to it; unexpected ones are logged where they are masked (:func:`_unexpected`)."""


def make_schema(limits: Limits = Limits()) -> strawberry.Schema:
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


schema = make_schema()  # what `strawberry export-schema api.app:schema` writes to schema.graphql


class Metrics:
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


GRAPHQL_RESPONSE = "application/graphql-response+json"


def _operation_of(data: Any) -> dict[str, Any]:
    """The type and name of the operation a request asked for (for the audit of an abandoned one)."""
    from graphql import OperationDefinitionNode, parse

    wanted = getattr(data, "operation_name", None)
    try:
        ops = [d for d in parse(getattr(data, "query", "") or "").definitions if isinstance(d, OperationDefinitionNode)]
    except GraphQLError:
        return {"name": wanted}
    op = next((o for o in ops if wanted is None or (o.name and o.name.value == wanted)), None)
    if op is None:
        return {"name": wanted}
    return {"type": op.operation.value, "name": op.name.value if op.name else None}


class View(GraphQL):
    """Strawberry's ASGI view with our context and an operation timeout."""

    def __init__(self, schema: strawberry.Schema, backend: Backend, limits: Limits) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self.backend = backend
        self.limits = limits

    def decode_json(self, data: str | bytes) -> object:
        """The request body as JSON; a body that Python's parser cannot read for reasons of its own
        (nesting that exhausts its recursion, an integer of over 4,300 digits) is answered like any
        other unreadable body (400, "Unable to parse request body as JSON"), not as a server error."""
        try:
            return json.loads(data)
        except json.JSONDecodeError:
            raise
        except (RecursionError, ValueError) as exc:
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
            raise json.JSONDecodeError(f"{type(exc).__name__}: {exc}", text[:100], 0) from None

    async def get_context(self, request: Any, response: Any = None) -> Context:  # type: ignore[override]
        principal = request.scope.get("tracegraph.principal") or Principal("-", "-", "-")
        context = Context(principal=principal, backend=self.backend)
        request.scope["tracegraph.operation"] = context.operation
        return context

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Answer in ``application/graphql-response+json`` to clients that accept it, with 400 and no
        ``data`` for a document that does not parse or validate (GraphQL over HTTP)."""
        response = await super().run(request, context, root_value)
        if not isinstance(request, Request) or not isinstance(response, Response):
            return response
        if not (response.media_type or "").startswith("application/json") or response.status_code != 200:
            return response
        body = bytes(response.body)
        payload = json.loads(body)
        op = request.scope.get("tracegraph.operation")
        errors: list[dict[str, Any]] = (payload.get("errors") if isinstance(payload, dict) else None) or []
        # Errors without a path and no data: the document did not parse, validate or coerce its variables.
        invalid = (bool(errors) and payload.get("data") is None and not any("path" in e for e in errors)
                   and (op or {}).get("outcome") != "timeout")
        if invalid and op is not None:
            op.update(outcome="error", errors=[e.get("message") for e in errors][:5])
        if GRAPHQL_RESPONSE not in request.headers.get("accept", ""):
            return response
        status = 200
        if invalid:
            payload.pop("data", None)
            body, status = json.dumps(payload).encode(), 400
        headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}
        return Response(body, status_code=status, headers=headers, media_type=GRAPHQL_RESPONSE)

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:  # type: ignore[override]
        try:
            return await asyncio.wait_for(super().execute_single(*args, **kwargs), self.limits.timeout)
        except asyncio.TimeoutError:
            context, data = kwargs.get("context"), kwargs.get("request_data")
            if isinstance(context, Context):
                context.operation.update(outcome="timeout", **_operation_of(data))
            return ExecutionResult(data=None, errors=[GraphQLError(
                f"the operation ran past the {self.limits.timeout:g} s limit and was abandoned; ask for less")])


class BodyTooLarge(Exception):
    pass


def _json_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"errors": [{"message": message}]}, status_code=status, headers=headers)


def create_app(store: Store, audit_path: str, limits: Limits = Limits(), workers: int = 8) -> Starlette:
    metrics = Metrics()
    backend = Backend(store, workers, on_call=metrics.store_calls.inc)
    tokens = TokenBook(store)
    audit = AuditLog(audit_path)
    view = View(make_schema(limits), backend, limits)

    async def healthz(request: Request) -> Response:
        """Alive, and for Neo4j the server answers. Never queued behind a long query: the embedded
        store is in this process (opened before serving began), and Neo4j is asked on a thread of
        its own."""
        try:
            if store.kind == "neo4j":
                await asyncio.wait_for(asyncio.to_thread(store.version), 5)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - a probe reports, it does not raise
            return JSONResponse({"status": "unavailable", "store": store.kind, "error": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "store": store.kind})

    async def metrics_endpoint(request: Request) -> Response:
        principal = request.scope.get("tracegraph.principal")
        if principal is None or principal.role not in MAY_READ_METRICS:
            return _json_error(403, "only admin tokens may read the metrics")
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        backend.close()
        audit.close()

    app = Starlette(routes=[Route("/healthz", healthz), Route("/metrics", metrics_endpoint), Route("/graphql", view, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])],
                    lifespan=lifespan)

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path = scope["path"].rstrip("/") or "/"
        started = time.perf_counter()
        status = {"code": 500}
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        client = (scope.get("client") or ("-",))[0]
        principal: Principal | None = None

        async def send_noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        async def reply(response: Response) -> None:
            await response(scope, receive, send_noting)

        opens_ide = (path == "/graphql" and scope["method"] == "GET" and "text/html" in headers.get("accept", "")
                     and not scope.get("query_string"))
        metrics.in_flight.inc()
        outcome = "ok"
        try:
            if path in ("/healthz",) or opens_ide:
                await app(scope, receive, send_noting)
                return
            try:
                principal = tokens.check(bearer(headers.get("authorization")))
            except AuthError as exc:
                outcome = f"unauthorized: {exc}"
                await reply(_json_error(401, "a valid bearer token is required (Authorization: Bearer tg_…)",
                                        {"WWW-Authenticate": 'Bearer realm="tracegraph"'}))
                return
            scope["tracegraph.principal"] = principal
            declared = headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limits.max_body):
                outcome = "rejected: body too large"
                await reply(_json_error(413, f"the request body is over the {limits.max_body} byte limit"))
                return
            body_left = {"n": limits.max_body}

            async def receive_capped() -> Message:
                message = await receive()
                if message["type"] == "http.request":
                    body_left["n"] -= len(message.get("body", b""))
                    if body_left["n"] < 0:
                        raise BodyTooLarge()
                return message

            try:
                await app(scope, receive_capped, send_noting)
            except BodyTooLarge:
                outcome = "rejected: body too large"
                if status["code"] == 500:  # nothing sent yet
                    await reply(_json_error(413, f"the request body is over the {limits.max_body} byte limit"))
        except Exception:
            outcome = "server_error"
            raise
        finally:
            elapsed = time.perf_counter() - started
            op = scope.get("tracegraph.operation") or {}
            if outcome == "ok" and op.get("outcome"):
                outcome = op["outcome"]
            elif outcome == "ok" and status["code"] >= 400:
                outcome = "error"
            kind = outcome.split(":")[0]
            op_type = op.get("type") or "-"
            route = path if path in ("/graphql", "/healthz", "/metrics") else "other"  # bounded label values
            metrics.requests.labels(route, op_type, kind).inc()
            metrics.latency.labels(route, op_type).observe(elapsed)
            if kind != "ok":
                metrics.errors.labels(kind).inc()
            metrics.in_flight.dec()
            if not opens_ide and path != "/healthz":
                audit.write(token=principal.token_id if principal else None, org=principal.org if principal else None,
                            role=principal.role if principal else None, client=client, method=scope["method"], path=path,
                            operation=op_type, name=op.get("name"), status=status["code"], outcome=outcome,
                            errors=op.get("errors"), ms=round(elapsed * 1000, 2))

    asgi.app = app  # type: ignore[attr-defined]
    asgi.backend = backend  # type: ignore[attr-defined]
    return asgi  # type: ignore[return-value]

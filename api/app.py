"""The running service: GraphQL on ``/graphql`` (GraphiQL in a browser), ``/healthz`` and
``/metrics`` (Prometheus), with bearer-token access, an audit line per request, and limits.

``create_app(store, audit_path)`` returns the ASGI app that ``tracegraph serve`` hands to uvicorn:
the routes of :class:`starlette.applications.Starlette` inside the middleware of
:mod:`tracegraph.api.middleware`.

Protection: a request body over ``Limits.max_body`` bytes gets 413 before any of it is parsed; a
document over the token, depth or alias limits fails validation; a page over ``MAX_PAGE`` is
refused; an operation that runs past ``Limits.timeout`` seconds answers with an error (its store
call is left to finish on its thread). Parsed and validated documents are cached.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import AsyncIterator

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracegraph.api.auth import MAY_READ_METRICS, AuditLog, TokenBook
from tracegraph.api.context import Backend
from tracegraph.api import epcis
from tracegraph.api.middleware import (PRINCIPAL, AuditTrail, BearerAuth, BodyLimit, JsonErrors, Metrics, RequestMetrics,
                                       json_error)
from tracegraph.api.schema import Limits, make_schema
from tracegraph.api.view import STATIC, View
from tracegraph.graph.store import Store

__all__ = ["create_app", "Limits"]


def _opens_ide(scope: Scope) -> bool:
    """A browser asking for GraphiQL: a GET of /graphql for HTML, with no query in it."""
    accept = next((v for k, v in scope.get("headers", ()) if k == b"accept"), b"")
    return (scope["path"].rstrip("/") == "/graphql" and scope["method"] == "GET" and b"text/html" in accept
            and not scope.get("query_string"))


# The pages: one shell for every path, which asks the API for what it shows (and signs in first).
PAGES = ("/", "/sign-in", "/search", "/findings/{id:path}", "/factories/{uscc}", "/exporters/{uscc}", "/offenders",
         "/priorities", "/schemes", "/china-rapex")
_PAGE_PATHS = re.compile("^(" + "|".join(re.escape(p).replace(r"\{id:path\}", ".+").replace(r"\{uscc\}", "[^/]+")
                                         for p in PAGES) + ")$")
APP_PAGE = (STATIC / "app.html").read_text(encoding="utf-8")


def _is_open(scope: Scope) -> bool:
    """Paths that need no token: the health probe, the GraphiQL page, the pages and their files
    (they hold no data: the pages send the token with every API call they make)."""
    path = scope["path"]
    return (path.rstrip("/") == "/healthz" or path.startswith("/static/") or _opens_ide(scope)
            or (scope["method"] in ("GET", "HEAD") and bool(_PAGE_PATHS.match(path))))


async def page(request: Request) -> Response:
    return HTMLResponse(APP_PAGE)


# What a page of ours may load: its own files and the API, nothing from another host. Styles may
# be inline: GraphiQL's dialogs set them.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class PageHeaders:
    """The CSP and no sniffing on every HTML answer; cached files revalidated (they are not versioned)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = CSP
                    headers["Cache-Control"] = "no-store"
                elif scope["path"].startswith("/static/"):
                    headers["Cache-Control"] = "no-cache"
            await send(message)

        await self.app(scope, receive, headed)


def create_app(store: Store, audit_path: str, limits: Limits = Limits(), workers: int = 8) -> Starlette:
    metrics = Metrics()
    backend = Backend(store, workers, on_call=metrics.store_calls.inc)
    backend.take_up()  # what the first visitors would otherwise wait for, between requests
    tokens = TokenBook(store)
    audit = AuditLog(audit_path)
    view = View(make_schema(limits), backend, limits)

    async def healthz(request: Request) -> Response:
        """Alive, and the store answers. Never queued behind a long query: asked on a thread of its
        own (the embedded store, opened before serving began, has nothing to ask)."""
        try:
            await asyncio.wait_for(asyncio.to_thread(store.ping), 5)
        except Exception as exc:  # noqa: BLE001 - a probe reports, it does not raise
            return JSONResponse({"status": "unavailable", "store": store.kind, "error": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "store": store.kind})

    async def metrics_endpoint(request: Request) -> Response:
        principal = request.scope.get(PRINCIPAL)
        if principal is None or principal.role not in MAY_READ_METRICS:
            return json_error(403, "only admin tokens may read the metrics")
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        backend.close()
        audit.close()

    app = Starlette(
        routes=[Route("/healthz", healthz), Route("/metrics", metrics_endpoint),
                Route("/graphql", view, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
                *epcis.routes(backend),  # the EPCIS 2.0 REST binding: capture, events, trace and exposure
                Mount("/static", StaticFiles(directory=STATIC), name="static"),
                *(Route(path, page) for path in PAGES)],
        middleware=[  # outermost first
            Middleware(RequestMetrics, metrics=metrics),
            Middleware(AuditTrail, log=audit, quiet=_is_open),
            Middleware(GZipMiddleware, minimum_size=2048),  # GraphiQL's 3.5 MB script is 0.73 MB so
            Middleware(PageHeaders),
            Middleware(JsonErrors),
            Middleware(BearerAuth, tokens=tokens, is_open=_is_open),
            Middleware(BodyLimit, limit=limits.max_body),
        ],
        lifespan=lifespan,
    )
    app.state.backend = backend
    return app

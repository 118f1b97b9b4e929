"""The GraphQL endpoint: strawberry's ASGI view with our context, an operation timeout, and the
answers GraphQL over HTTP asks for (``application/graphql-response+json``, 400 for a document that
does not parse or validate)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from tracegraph.api.auth import Principal
from tracegraph.api.context import Backend, Context
from tracegraph.api.middleware import OPERATION, PRINCIPAL
from tracegraph.api.schema import Limits

STATIC = Path(__file__).resolve().parent / "static"
GRAPHIQL_PAGE = (STATIC / "graphiql.html").read_text(encoding="utf-8")


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
    """Strawberry's ASGI view with our context, an operation timeout, and GraphiQL served from the
    package (strawberry's own page loads it from a CDN, which a closed network never reaches)."""

    @property
    def graphql_ide_html(self) -> str:
        return GRAPHIQL_PAGE

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
        principal = request.scope.get(PRINCIPAL) or Principal("-", "-", "-")
        context = Context(principal=principal, backend=self.backend)
        request.scope[OPERATION] = context.operation
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
        op = request.scope.get(OPERATION)
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

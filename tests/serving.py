"""A real ``tracegraph serve`` (uvicorn) in a child process, for API tests, with a token per role."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tracegraph.api.auth import ROLES, TokenBook
from tracegraph.graph.store import Store

ROOT = Path(__file__).resolve().parent.parent
# The installed command: ``python -m`` would put the working directory (this checkout, whose
# top-level folders are not the installed package) first on sys.path.
TRACEGRAPH = str(Path(sys.executable).with_name("tracegraph"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    location: str
    kind: str
    audit: Path
    tokens: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def graphql(self) -> str:
        return f"{self.url}/graphql"

    def post(self, token: str | None, query: str, variables: dict[str, Any] | None = None, **headers: str) -> httpx.Response:
        h = {"content-type": "application/json", **headers}
        if token:
            h["authorization"] = f"Bearer {token}"
        return httpx.post(self.graphql, json={"query": query, "variables": variables or {}}, headers=h, timeout=60)

    def gql(self, role: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        r = self.post(self.tokens[role], query, variables)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def data(self, role: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        out = self.gql(role, query, variables)
        assert "errors" not in out, out["errors"]
        return out["data"]  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def serve(store: Store, tmp: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    """Issue a token per role for ``store``, close it, and serve it; return once /healthz answers."""
    book = TokenBook(store)
    tokens = {role: book.create(f"test {role}", role) for role in ROLES}
    location, kind = store.location, store.kind
    store.close()
    port = free_port()
    served = Served(url=f"http://127.0.0.1:{port}", location=location, kind=kind, audit=tmp / "audit.jsonl",
                    tokens=tokens, log=tmp / "serve.log")
    cmd = [TRACEGRAPH, "--store", location, "serve", "--port", str(port), "--audit-log", str(served.audit), *args]
    with open(served.log, "w") as log:
        served.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"tracegraph serve exited: {served.log.read_text()}")
        try:
            if httpx.get(f"{served.url}/healthz", timeout=2).status_code == 200:
                return served
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    served.stop()
    raise RuntimeError(f"tracegraph serve did not answer within 120 s: {served.log.read_text()}")


def serve_loaded(request: Any, kind: str, tmp: Path, folder: Path | list[Path]) -> Served:
    """Load and link ``folder`` (or several) into a new store of ``kind`` (``embedded`` or ``neo4j``) and serve it."""
    from tracegraph.graph.memory import MemoryStore
    from tracegraph.linkage import link
    from tracegraph.loaders.load import load
    from conftest import _open_neo4j

    env = {}
    if kind == "embedded":
        store: Store = MemoryStore(tmp / "store")
    else:
        settings = request.getfixturevalue("neo4j_server")
        store = _open_neo4j(settings)
        env = {"NEO4J_USER": settings[1], "NEO4J_PASSWORD": settings[2]}
    assert load(store, [str(f) for f in (folder if isinstance(folder, list) else [folder])]).rejected == 0
    link(store, "2026-01-01T00:00:00+00:00")
    served = serve(store, tmp, env=env)
    served.neo4j = request.getfixturevalue("neo4j_server") if kind == "neo4j" else None  # type: ignore[attr-defined]
    return served

"""An operation that runs past the time limit answers with an error, and the service keeps serving."""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn

from tracegraph.api.app import Limits, create_app
from tracegraph.api.auth import TokenBook
from tracegraph.graph.memory import MemoryStore
from serving import free_port


def test_an_operation_past_the_time_limit_is_abandoned_with_an_error(tmp_path, monkeypatch):
    import tracegraph.api.analysis

    def slow_alignment(store):  # a query that would take far longer than the limit
        time.sleep(3)
        return {}

    monkeypatch.setattr(tracegraph.api.analysis, "alignment", slow_alignment)  # where the API looks it up
    store = MemoryStore(tmp_path / "store")
    token = TokenBook(store).create("Test", "analyst")
    app = create_app(store, str(tmp_path / "audit.jsonl"), Limits(timeout=0.3))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        headers = {"authorization": f"Bearer {token}"}
        started = time.perf_counter()
        r = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "query Slow { alignment { overall { n } } }"},
                       headers=headers, timeout=10)
        assert time.perf_counter() - started < 2.5
        assert "ran past the 0.3 s limit" in r.json()["errors"][0]["message"]
        # the loop was never blocked: the health probe answers at once while the abandoned call finishes
        probe = time.perf_counter()
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        assert time.perf_counter() - probe < 0.5
        audit = (tmp_path / "audit.jsonl").read_text()
        assert '"name": "Slow"' in audit and '"outcome": "timeout"' in audit
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()

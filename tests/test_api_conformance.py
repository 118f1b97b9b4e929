"""The API against outside judges: the GraphQL-over-HTTP audit of the npm package graphql-http,
a schemathesis GraphQL run, and the committed schema.graphql against `strawberry export-schema`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tracegraph.graph.memory import MemoryStore
from tracegraph.linkage import link
from tracegraph.loaders.load import load
from serving import ROOT, serve

AUDIT = ROOT / "tests" / "http-audit"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def api(tmp_path_factory, demo_dir):
    tmp = tmp_path_factory.mktemp("conformance")
    store = MemoryStore(tmp / "store")
    load(store, [str(demo_dir)])
    link(store, "2026-01-01T00:00:00+00:00")
    served = serve(store, tmp)
    yield served
    served.stop()


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{tool} is needed for the GraphQL-over-HTTP audit (Node.js 18+)")
        pytest.skip(f"{tool} not found: install Node.js 18+ to run the GraphQL-over-HTTP audit")
    return path


def test_schema_graphql_is_what_the_code_exports():
    out = subprocess.run([str(BIN / "strawberry"), "export-schema", "tracegraph.api.schema:schema", "--app-dir", str(BIN)],
                         capture_output=True, text=True, check=True).stdout
    committed = (ROOT / "schema.graphql").read_text()
    assert out.strip() == committed.strip(), "schema.graphql is stale: run `make schema` and commit it"


def test_graphql_over_http_audit_passes_every_must(api):
    node, npm = _need("node"), _need("npm")
    if not (AUDIT / "node_modules" / "graphql-http").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=AUDIT, check=True, capture_output=True)
    run = subprocess.run([node, "audit.mjs", api.graphql, api.tokens["analyst"]], cwd=AUDIT, capture_output=True, text=True)
    lines = run.stdout.splitlines()
    failed = [line for line in lines if '"MUST' in line and '"status":"ok"' not in line]
    assert run.returncode == 0 and not failed, "\n".join(failed) or run.stderr
    assert len(lines) >= 40  # the audit ran in full
    assert not [line for line in lines if '"status":"ok"' not in line], "a SHOULD audit fails too"


def test_schemathesis_finds_no_server_error(api):
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "st_hooks", "PYTHONPATH": str(ROOT / "tests")}
    run = subprocess.run(
        [str(BIN / "schemathesis"), "run", api.graphql, "-H", f"Authorization: Bearer {api.tokens['admin']}",
         "--checks", "not_a_server_error", "--max-examples", "30", "--workers", "1", "--seed", "20261126"],
        cwd=api.audit.parent, capture_output=True, text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    # Warnings may stand ("decideLink never returned data": fuzzed keys name no arrival); failures may not.
    assert "Failures:" not in run.stdout and re.search(r"(\d+) generated, \1 passed", run.stdout), run.stdout[-4000:]
    assert "unexpected error" not in api.log.read_text()

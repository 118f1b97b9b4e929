"""GraphiQL, served from the package, runs in a real browser with no network but this machine."""

from __future__ import annotations

import json

import pytest

from browser import until
from serving import serve_loaded


@pytest.fixture(scope="module")
def api(request, tmp_path_factory, demo_dir):
    served = serve_loaded(request, "embedded", tmp_path_factory.mktemp("graphiql"), demo_dir)
    yield served
    served.stop()


def _editor(page, selector: str) -> str:
    return str(page.locator(f"{selector} .CodeMirror").first.evaluate("el => el.CodeMirror.getValue()"))


def test_graphiql_runs_a_query_offline_with_the_sessions_token(api, browser, tmp_path):
    page = browser.page(api.url, token=api.tokens["analyst"])
    page.goto(f"{api.graphql}", wait_until="load")
    page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=30_000)
    assert f"Bearer {api.tokens['analyst']}" in _editor(page, ".graphiql-editor-tool .graphiql-editor:not(.hidden)")
    page.locator(".graphiql-query-editor .CodeMirror").first.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("query Count { findings(first: 1) { totalCount } }")
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Enter")
    until(page, "() => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue().includes('totalCount')")
    answer = json.loads(_editor(page, ".graphiql-response"))
    assert answer == {"data": api.data("analyst", "{ findings(first: 1) { totalCount } }")}
    page.screenshot(path=str(tmp_path / "graphiql.png"))
    assert not page.errors and browser.outside == []

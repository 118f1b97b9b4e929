"""The EPCIS 2.0 REST binding over real HTTP: capture (202 and a job), the events query, a
finding's trace; each side captures its own events; bad documents get RFC 7807 problems, never a 500."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from exchange import write_all
from serving import Served, serve_loaded
from test_epcis import EXAMPLES, MASTER, PINNED, partner_document
from tracegraph.api.epcis import schema_errors

PROBLEM = "application/problem+json"


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def api(request, tmp_path):
    """The factories, exporters and products of tests/exchange.py, served; no consignment yet."""
    folder = write_all(tmp_path / "in")
    for p in folder.iterdir():
        if p.name.split(".")[0] not in MASTER:
            p.unlink()
    served = serve_loaded(request, request.param, tmp_path, folder)
    yield served
    served.stop()


def _headers(api: Served, role: str | None) -> dict[str, str]:
    return {"authorization": f"Bearer {api.tokens[role]}"} if role else {}


def post(api: Served, role: str | None, body: Any, raw: bytes | None = None) -> httpx.Response:
    content = raw if raw is not None else json.dumps(body).encode()
    return httpx.post(f"{api.url}/epcis/capture", content=content, timeout=60,
                      headers={"content-type": "application/ld+json", **_headers(api, role)})


def get(api: Served, role: str | None, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{api.url}{path}", params=params, headers=_headers(api, role), timeout=60)


def captured(api: Served, role: str, body: Any) -> dict[str, Any]:
    """POST a document, then wait for its job to finish; return the job."""
    r = post(api, role, body)
    assert r.status_code == 202, r.text
    location = r.headers["location"]
    assert location.startswith("/epcis/capture/")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = get(api, role, location)
        assert job.status_code == 200, job.text
        if not job.json()["running"]:
            return job.json()  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("the capture job did not finish")


def _problem(r: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    body = r.json()
    assert body["type"] == f"epcisException:{kind}" and body["status"] == status and body["detail"]
    return body  # type: ignore[no-any-return]


def test_each_gs1_example_is_captured_and_kept_with_why(api):
    held = 0
    for path in EXAMPLES:
        job = captured(api, "admin", json.loads(path.read_text()))
        assert job["success"] is True and job["errors"] == [], job
        assert job["events"] == len(PINNED[path.name])
        for i, (_, why) in enumerate(PINNED[path.name]):
            assert any(w["eventIndex"] == i and why in w["detail"] for w in job["warnings"]), (why, job["warnings"])
    found = get(api, "admin", "/epcis/events", perPage=1000)
    assert found.status_code == 200
    doc = found.json()
    assert doc["type"] == "EPCISQueryDocument" and schema_errors(doc) == []
    held = len(doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"])
    assert held == 11  # every event kept, once (two examples share an eventID)


def test_each_side_captures_its_own_events_and_the_trace_comes_back(api):
    cn = captured(api, "cn_authority", partner_document())
    assert cn["success"] is False and (cn["landed"], cn["rejected"]) == (3, 3)
    assert sorted(e["eventIndex"] for e in cn["errors"]) == [3, 4, 5]
    assert all("CN-side events only" in e["detail"] and "EU side" in e["detail"] for e in cn["errors"])
    eu = captured(api, "eu_authority", partner_document())
    assert sorted(e["eventIndex"] for e in eu["errors"]) == [0, 2]  # (the aggregation only packs the CN shipment)
    trace = get(api, "analyst", "/epcis/trace/F-NL-1")
    assert trace.status_code == 200 and schema_errors(trace.json()) == []
    steps = sorted(e["bizStep"] for e in trace.json()["epcisBody"]["eventList"])
    assert steps == ["arriving", "inspecting", "inspecting", "sampling", "shipping"]
    _problem(get(api, "analyst", "/epcis/trace/F-NOWHERE"), 404, "NoSuchResourceException")
    gql = api.data("analyst", '{ trace(findingId: "F-NL-1") { status } }')["trace"]
    assert gql["status"] == "traced"  # captured events are linked like loaded ones
    # what a role may not read in GraphQL it does not read here either
    arrival = [e for e in get(api, "partner", "/epcis/events", EQ_bizStep="arriving").json()
               ["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]
    assert len(arrival) == 1 and "destinationList" not in arrival[0] and "tg:importerName" not in arrival[0]
    eu_view = get(api, "eu_authority", "/epcis/events", EQ_bizStep="arriving").json()
    assert "tg:importerName" in eu_view["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]
    # a job is its sender's
    _problem(get(api, "cn_authority", f"/epcis/capture/{eu['captureID']}"), 404, "NoSuchResourceException")


def test_the_events_query_pages_and_filters(api):
    captured(api, "admin", partner_document())
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] | None = {"perPage": 2}
    pages = 0
    url = "/epcis/events"
    for _ in range(10):
        r = httpx.get(f"{api.url}{url}", params=params, headers=_headers(api, "admin"), timeout=60)
        assert r.status_code == 200 and schema_errors(r.json()) == []
        seen += r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        pages += 1
        if "link" not in r.headers:
            break
        url, params = r.headers["link"].split(">")[0].lstrip("<"), None  # (the next page's address, as given)
    assert pages == 3 and len(seen) == 5 and len({e["eventID"] for e in seen}) == 5  # the aggregation is in its shipment
    between = get(api, "admin", "/epcis/events", GE_eventTime="2015-02-01T00:00:00Z", LT_eventTime="2015-02-14T00:00:00Z")
    assert [e["bizStep"] for e in between.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]] == [
        "arriving", "sampling"]
    _problem(get(api, "admin", "/epcis/events", EQ_nonsense="1"), 400, "QueryParameterException")
    _problem(get(api, "admin", "/epcis/events", nextPageToken="%%%"), 400, "QueryParameterException")
    _problem(get(api, "admin", "/epcis/events", GE_eventTime="yesterday"), 400, "QueryParameterException")
    _problem(get(api, "admin", "/epcis/events", perPage="0"), 400, "QueryParameterException")


def test_bad_requests_get_the_bindings_problems_never_a_500(api):
    doc = partner_document()
    _problem(post(api, None, doc), 401, "SecurityException")
    for role in ("partner", "analyst"):
        _problem(post(api, role, doc), 403, "SecurityException")
    _problem(post(api, "admin", None, raw=b"{not json"), 400, "ValidationException")
    _problem(post(api, "admin", None, raw=b"[]"), 400, "ValidationException")
    _problem(post(api, "admin", None, raw="{}".encode("utf-16")), 400, "ValidationException")
    _problem(post(api, "admin", None, raw=b'{"type": "EPCISDocument", "x": NaN}'), 400, "ValidationException")
    _problem(post(api, "admin", None, raw=b"[" * 200_000), 400, "ValidationException")
    broken = partner_document()
    del broken["epcisBody"]["eventList"][2]["eventTime"]
    body = _problem(post(api, "admin", broken), 400, "ValidationException")
    assert any(e["pointer"].startswith("/epcisBody/eventList/2") for e in body["errors"]), body
    _problem(post(api, "admin", {"type": "EPCISQueryDocument"}), 400, "ValidationException")
    big = partner_document()
    big["epcisBody"]["eventList"][0]["tg:padding"] = "x" * 1_100_000
    _problem(post(api, "admin", big), 413, "CaptureLimitExceededException")
    _problem(get(api, "admin", "/epcis/capture/nope"), 404, "NoSuchResourceException")
    _problem(httpx.delete(f"{api.url}/epcis/capture", headers=_headers(api, "admin")), 405, "ValidationException")
    assert get(api, "admin", "/epcis/events").json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []
    lines = [json.loads(x) for x in Path(api.audit).read_text().splitlines()]
    assert not [x for x in lines if x["status"] >= 500]

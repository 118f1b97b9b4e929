"""The GraphQL API over real HTTP (a served `tracegraph serve`), on both stores: access, roles,
connections, DataLoaders, the analyses, limits and the audit log."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest

from tracegraph.graph.memory import MemoryStore
from tracegraph.graph.store import Store
from tracegraph.queries.offenders import offenders
from tracegraph.queries.priorities import priorities
from tracegraph.queries.schemes import alignment, reliability
from tracegraph.queries.trace import trace
from serving import TRACEGRAPH, ROOT, Served, serve_loaded


@pytest.fixture(scope="module", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def api(request, tmp_path_factory, demo_dir):
    served = serve_loaded(request, request.param, tmp_path_factory.mktemp(f"api-{request.param}"), demo_dir)
    yield served
    served.stop()


def _direct(api: Served) -> Store:
    """The served store opened beside the server, to compute what the API must answer."""
    if api.kind == "embedded":
        return MemoryStore(api.location, readonly=True)
    from tracegraph.graph.neo4j import Neo4jStore

    return Neo4jStore(*api.neo4j)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def truth(demo_dir):
    return json.loads((demo_dir / "ground-truth.json").read_text())


def _metric(api: Served, name: str) -> float:
    text = httpx.get(f"{api.url}/metrics", headers={"authorization": f"Bearer {api.tokens['admin']}"}).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " ") or line.startswith(name + "{"))


# -- access --------------------------------------------------------------------------------------------
def test_a_request_without_a_valid_token_gets_401(api):
    for headers in ({}, {"authorization": "Bearer nonsense"}, {"authorization": "Bearer tg_abc_def"},
                    {"authorization": f"Basic {api.tokens['admin']}"}, {"authorization": "Bearer " + api.tokens["admin"][:-2]}):
        r = httpx.post(api.graphql, json={"query": "{ __typename }"}, headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["errors"][0]["message"].startswith("a valid bearer token is required")
    assert httpx.get(f"{api.url}/metrics").status_code == 401
    assert api.post(api.tokens["analyst"], "{ __typename }").status_code == 200


def test_a_revoked_token_stops_working(api, tmp_path):
    created = subprocess.run([TRACEGRAPH, "--store", api.location, "token", "create", "--org", "Temp",
                              "--role", "analyst"], capture_output=True, text=True, check=True,
                             env=_cli_env(api))
    token = created.stdout.strip().splitlines()[-1]
    assert api.post(token, "{ __typename }").status_code == 200
    listed = subprocess.run([TRACEGRAPH, "--store", api.location, "token", "list", "--json"],
                            capture_output=True, text=True, check=True, env=_cli_env(api)).stdout
    entry = next(json.loads(line) for line in listed.splitlines() if json.loads(line)["org"] == "Temp")
    assert "digest" not in entry and token.split("_")[2] not in listed  # the secret is never shown again
    subprocess.run([TRACEGRAPH, "--store", api.location, "token", "revoke", entry["id"]],
                   check=True, capture_output=True, env=_cli_env(api))
    deadline = time.monotonic() + 5
    while api.post(token, "{ __typename }").status_code != 401:
        assert time.monotonic() < deadline, "a revoked token still works after 5 s"
        time.sleep(0.2)


def _cli_env(api: Served) -> dict[str, str]:
    import os

    env = dict(os.environ)
    if api.kind == "neo4j":
        env["NEO4J_USER"], env["NEO4J_PASSWORD"] = api.neo4j[1], api.neo4j[2]  # type: ignore[attr-defined]
    return env


def test_healthz_is_open_and_metrics_are_for_admins(api):
    assert httpx.get(f"{api.url}/healthz").json() == {"status": "ok", "store": api.kind}
    assert httpx.get(f"{api.url}/metrics", headers={"authorization": f"Bearer {api.tokens['analyst']}"}).status_code == 403
    api.post(api.tokens["analyst"], "query Ping { __typename }")
    r = httpx.get(f"{api.url}/metrics", headers={"authorization": f"Bearer {api.tokens['admin']}"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert 'tracegraph_requests_total{operation="query",outcome="ok",path="/graphql"}' in r.text
    assert "tracegraph_request_seconds_bucket" in r.text and "tracegraph_errors_total" in r.text


def test_graphiql_opens_in_a_browser_without_a_token_and_names_no_other_host(api):
    r = httpx.get(api.graphql, headers={"accept": "text/html"})
    assert r.status_code == 200 and "graphiql" in r.text.lower()
    assert "://" not in r.text.replace("http://www.w3.org", "")  # every file it loads is ours
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    for src in ("/static/graphiql.js", "/static/vendor/graphiql/graphiql.min.js", "/static/vendor/react/react.production.min.js"):
        assert src in r.text and httpx.get(api.url + src).status_code == 200


# -- roles -----------------------------------------------------------------------------------------------
def _arrival_with_importer(api: Served) -> str:
    page = api.data("admin", "{ arrivals(first: 1) { edges { node { mrn importerEori } } } }")
    return page["arrivals"]["edges"][0]["node"]["mrn"]  # type: ignore[no-any-return]


IMPORTER_QUERY = "query($m: String!) { arrival(mrn: $m) { mrn entryPoint importerName importerEori importer { eori name } } }"


@pytest.mark.parametrize("role,allowed", [("eu_authority", True), ("analyst", True), ("admin", True),
                                          ("cn_authority", False), ("partner", False)])
def test_eu_importers_are_visible_to_eu_roles_only(api, role, allowed):
    mrn = _arrival_with_importer(api)
    out = api.gql(role, IMPORTER_QUERY, {"m": mrn})
    arrival = out["data"]["arrival"]
    assert arrival["mrn"] == mrn and arrival["entryPoint"]  # the rest of the arrival is there either way
    if allowed:
        assert "errors" not in out and arrival["importerEori"] and arrival["importer"]["eori"] == arrival["importerEori"]
    else:
        # a denied field is an error on that field, not a silent null
        denied = {tuple(e["path"]) for e in out["errors"]}
        assert denied == {("arrival", "importerName"), ("arrival", "importerEori"), ("arrival", "importer")}
        assert all(e["extensions"]["code"] == "FORBIDDEN" for e in out["errors"])
        assert arrival["importerName"] is None and arrival["importer"] is None


def test_partners_see_no_company_internal_fields(api, truth):
    uscc = sorted(truth["bad_factories"])[0]
    q = "query($u: String!) { manufacturer(uscc: $u) { uscc nameZh address ciqRegistration } }"
    out = api.gql("partner", q, {"u": uscc})
    assert out["data"]["manufacturer"]["uscc"] == uscc and out["data"]["manufacturer"]["address"] is None
    assert {tuple(e["path"]) for e in out["errors"]} == {("manufacturer", "address"), ("manufacturer", "ciqRegistration")}
    full = api.data("analyst", q, {"u": uscc})["manufacturer"]
    assert full["address"]


# -- reading ------------------------------------------------------------------------------------------------
def test_connections_page_through_every_manufacturer_once(api):
    with _direct(api) as direct:
        expected = sorted(k for (label, k) in direct.dump().nodes if label == "Manufacturer")
    seen, after, pages = [], None, 0
    while True:
        page = api.data("analyst", "query($a: Cursor) { manufacturers(first: 7, after: $a) { totalCount "
                        "pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { uscc } } } }",
                        {"a": after})["manufacturers"]
        assert page["totalCount"] == len(expected)
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        seen += [e["node"]["uscc"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected and pages == -(-len(expected) // 7)


@pytest.mark.parametrize("args,complaint", [("first: 101", "a page holds 0 to 100 items"), ("first: -1", "a page holds"),
                                            ('after: "bm9wZQ=="', "is not a cursor this API gave out")])
def test_bad_paging_is_refused_before_anything_runs(api, args, complaint):
    r = api.post(api.tokens["analyst"], f"{{ manufacturers({args}) {{ totalCount }} }}")
    body = r.json()
    assert "data" not in body or body["data"] is None
    assert complaint in body["errors"][0]["message"]


def test_a_page_with_relationships_costs_a_few_store_calls_not_one_per_row(api):
    query = """{ arrivals(first: 60) { edges { node { mrn importer { name }
                 inspections(first: 5) { totalCount edges { node { outcome findings(first: 3) { edges { node { hazard } } } } } }
                 consignment { link { score } shipment { declarationNo exporter { nameEn }
                   lines(first: 10) { edges { node { model product { manufacturer { uscc nameEn } } } } } } }
                 consignor { exporter { uscc } } } } } }"""
    before = _metric(api, "tracegraph_store_calls_total")
    rows = api.data("eu_authority", query)["arrivals"]["edges"]
    calls = _metric(api, "tracegraph_store_calls_total") - before
    assert len(rows) == 60 and sum(bool(r["node"]["consignment"]) for r in rows) > 30
    # one call for the page, then one per relationship batch and per label loaded, at each level:
    # the same for 60 rows as for 1
    assert 5 <= calls <= 20, calls


def test_trace_over_http_answers_what_the_query_answers(api, truth):
    ids = sorted(truth["findings"])[:8]
    with _direct(api) as direct:
        expected = {f: trace(direct, f) for f in ids}
    q = """query($f: String!) { trace(findingId: $f) { findingId status reason shipment
           candidates(first: 10) { totalCount edges { node { uscc confidence evidence manufacturer { uscc } } } } } }"""
    for f in ids:
        t = api.data("cn_authority", q, {"f": f})["trace"]
        e = expected[f]
        assert (t["status"], t["reason"], t["shipment"]) == (e.status, e.reason, e.shipment)
        got = [(x["node"]["uscc"], x["node"]["confidence"]) for x in t["candidates"]["edges"]]
        assert got == [(c.uscc, c.confidence) for c in e.candidates]
        assert all(x["node"]["manufacturer"] is None or x["node"]["manufacturer"]["uscc"] == x["node"]["uscc"]
                   for x in t["candidates"]["edges"])
    assert api.data("analyst", q, {"f": "F-NOPE"})["trace"]["status"] == "unknown_finding"


def test_the_analyses_over_http_answer_what_the_queries_answer(api, truth):
    with _direct(api) as direct:
        a, r = alignment(direct), reliability(direct)
        p = priorities(direct, "NLRTM", "2015-01-01", "2016-12-31")
        o = offenders(direct, None, None, None)
    got = api.data("analyst", """{ alignment { overall { n agreement kappa passCompliant failNonCompliant }
        groups(dimension: OFFICE, first: 100) { totalCount edges { node { value table { n kappa } } } } }
        reliability { overall { verdict certified { checked nonCompliant low high } uncertified { checked } }
        groups(dimension: CATEGORY) { edges { node { value certified { checked } } } } }
        priorities(entryPoint: "nlrtm", since: "2015-01-01", until: "2016-12-31", first: 25) { totalCount edges { node { mrn score reasons } } }
        repeatOffenders { findings attributed factories(first: 5) { totalCount edges { node { uscc registrations findings
          byRiskLevel { key count } trend { direction } investigations { byStatus { key count } } afterMeasures } } }
          exporters(first: 3) { edges { node { uscc findings } } } } }""")
    ov = got["alignment"]["overall"]
    assert (ov["n"], ov["agreement"], ov["kappa"]) == (a["overall"]["n"], a["overall"]["agreement"], a["overall"]["kappa"])
    assert got["alignment"]["groups"]["totalCount"] == len(a["by"]["office"])
    assert {e["node"]["value"]: e["node"]["table"]["n"] for e in got["alignment"]["groups"]["edges"]} == \
        {k: v["n"] for k, v in a["by"]["office"].items()}
    rel = got["reliability"]["overall"]
    assert rel["verdict"] == r["overall"]["verdict"]
    assert rel["certified"] == {"checked": r["overall"]["certified"]["checked"], "nonCompliant": r["overall"]["certified"]["non_compliant"],
                                "low": r["overall"]["certified"]["low"], "high": r["overall"]["certified"]["high"]}
    pr = got["priorities"]
    assert pr["totalCount"] == len(p)
    assert [(e["node"]["mrn"], e["node"]["score"], e["node"]["reasons"]) for e in pr["edges"]] == \
        [(x["mrn"], x["score"], x["reasons"]) for x in p[:25]]
    ro = got["repeatOffenders"]
    assert (ro["findings"], ro["attributed"], ro["factories"]["totalCount"]) == (o["findings"], o["attributed"], len(o["factories"]))
    assert [e["node"]["uscc"] for e in ro["factories"]["edges"]] == [f["uscc"] for f in o["factories"][:5]]
    assert [e["node"]["findings"] for e in ro["exporters"]["edges"]] == [x["findings"] for x in o["exporters"][:3]]


@pytest.mark.parametrize("bad,complaint", [('entryPoint: "XXXXX"', "Locode"), ('since: "2015-13-01"', "Date")])
def test_bad_analysis_arguments_fail_validation_naming_the_type(api, bad, complaint):
    args = {"entryPoint": '"NLRTM"', "since": '"2015-01-01"', "until": '"2015-03-31"'}
    key = bad.split(":")[0]
    args[key] = bad.split(":", 1)[1].strip()
    r = api.post(api.tokens["analyst"], "{ priorities(%s) { totalCount } }" % ", ".join(f"{k}: {v}" for k, v in args.items()))
    assert complaint in r.json()["errors"][0]["message"]


def test_search_finds_companies_by_name_in_either_script(api, truth):
    with _direct(api) as direct:
        m = next(p | {"uscc": k} for (label, k), p in sorted(direct.dump().nodes.items())
                 if label == "Manufacturer" and p.get("name_en") and p.get("name_zh"))
    q = "query($t: String!) { search(text: $t, first: 50) { totalCount edges { node { kind uscc nameZh manufacturer { uscc } } } } }"
    for text in (m["name_zh"][-6:], m["name_en"].split()[1].lower(), m["uscc"].lower()):
        hits = api.data("partner", q, {"t": text})["search"]
        assert m["uscc"] in [h["node"]["uscc"] for h in hits["edges"]], text
    assert api.data("partner", q, {"t": "x"})["search"]["totalCount"] == 0


# -- protection ---------------------------------------------------------------------------------------------
def test_depth_alias_and_token_limits_refuse_a_document(api):
    deep = "{ manufacturers(first: 1) { edges { node { products { edges { node { manufacturer { products { edges { node { manufacturer { products { edges { node { model } } } } } } } } } } } } } } }"
    assert "exceeds maximum operation depth" in api.post(api.tokens["analyst"], deep).json()["errors"][0]["message"]
    hidden = "fragment F on Query { " + " ".join(f"a{i}: __typename" for i in range(31)) + " } query { ...F }"
    assert "aliases found" in api.post(api.tokens["analyst"], hidden).json()["errors"][0]["message"]
    many = "{ " + " ".join("__typename" for _ in range(6000)) + " }"
    assert "token" in api.post(api.tokens["analyst"], many).json()["errors"][0]["message"].lower()


def test_a_request_body_over_the_limit_gets_413_sent_whole_or_chunked(api):
    big = {"query": "{ __typename }", "variables": {"pad": "x" * 1_100_000}}
    headers = {"authorization": f"Bearer {api.tokens['analyst']}", "content-type": "application/json"}
    r = httpx.post(api.graphql, json=big, headers=headers)
    assert r.status_code == 413 and "byte limit" in r.json()["errors"][0]["message"]
    body = json.dumps(big).encode()

    def chunks():  # no Content-Length: Transfer-Encoding chunked, 64 KB at a time
        for i in range(0, len(body), 65_536):
            yield body[i:i + 65_536]

    r = httpx.post(api.graphql, content=chunks(), headers=headers)
    assert r.status_code == 413 and r.headers["content-type"] == "application/json"
    assert "byte limit" in r.json()["errors"][0]["message"]
    small = json.dumps({"query": "{ __typename }"}).encode()
    r = httpx.post(api.graphql, content=iter([small[:5], small[5:]]), headers=headers)  # chunked, under the cap
    assert r.json() == {"data": {"__typename": "Query"}}
    assert httpx.get(f"{api.url}/healthz").status_code == 200
    log = api.log.read_text()  # type: ignore[union-attr]
    assert "Traceback" not in log and "RuntimeError" not in log


def test_a_body_too_deep_or_too_large_a_number_for_the_json_parser_gets_400(api):
    """Bodies the JSON parser gives up on for reasons of its own (its recursion limit; an integer of
    over 4,300 digits) are answered 400 like any unreadable body, not 500, and the server goes on."""
    headers = {"authorization": f"Bearer {api.tokens['analyst']}", "content-type": "application/json"}
    deep = '{"query": "{ __typename }", "variables": {"v": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    huge = '{"query": "{ __typename }", "variables": {"v": ' + "9" * 5000 + "}}"
    for body in (deep, huge, "{not json", ""):
        r = httpx.post(api.graphql, content=body.encode(), headers=headers)
        assert r.status_code == 400 and r.headers["content-type"] == "application/json", r.text
        assert "Unable to parse request body as JSON" in r.json()["errors"][0]["message"]
    assert api.post(api.tokens["analyst"], "{ __typename }").json() == {"data": {"__typename": "Query"}}


def test_every_error_answer_is_json_in_the_graphql_over_http_shape(api):
    """Whoever writes a 4xx (strawberry, starlette, our middleware), the client gets JSON errors."""
    token = {"authorization": f"Bearer {api.tokens['analyst']}"}
    answers = [httpx.post(api.graphql, content=b"query=x", headers={**token, "content-type": "text/plain"}),
               httpx.put(api.graphql, json={"query": "{ __typename }"}, headers=token),
               httpx.get(f"{api.url}/nowhere", headers=token),
               httpx.get(api.graphql, params={"query": "mutation { __typename }"}, headers=token),
               httpx.post(api.graphql, json={"variables": {}}, headers=token)]
    for r in answers:
        assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith("application/json"), (r.status_code, r.text)
        message = r.json()["errors"][0]["message"]
        assert isinstance(message, str) and message


def test_every_request_is_audited_with_who_what_and_outcome(api):
    api.post(None, "query Anonymous { __typename }")
    api.post(api.tokens["partner"], "query Snoop($m: String!) { arrival(mrn: $m) { importerName } }", {"m": _arrival_with_importer(api)})
    api.post(api.tokens["eu_authority"], "query Fine { __typename }")
    time.sleep(0.2)
    lines = [json.loads(x) for x in api.audit.read_text().splitlines()]
    by_name = {x["name"]: x for x in lines if x.get("name")}
    assert by_name["Snoop"]["outcome"] == "denied" and by_name["Snoop"]["role"] == "partner" and by_name["Snoop"]["org"] == "test partner"
    assert by_name["Fine"]["outcome"] == "ok" and by_name["Fine"]["operation"] == "query"
    assert any(x["outcome"].startswith("unauthorized") and x["token"] is None for x in lines)
    assert all({"at", "token", "org", "role", "operation", "outcome", "status", "ms"} <= x.keys() for x in lines)


def test_lists_select_a_window_by_date(api):
    with _direct(api) as direct:
        days = sorted(p["arrived_on"] for (label, _), p in direct.dump().nodes.items() if label == "Arrival")
        found = sorted(p["found_on"] for (label, _), p in direct.dump().nodes.items() if label == "Finding")
    lo, hi = days[len(days) // 4], days[len(days) // 2]
    page = api.data("analyst", "query($s: Date, $u: Date) { arrivals(since: $s, until: $u, first: 100) { totalCount "
                    "edges { node { mrn arrivedOn } } } }", {"s": lo, "u": hi})["arrivals"]
    assert page["totalCount"] == sum(lo <= d <= hi for d in days) > 0
    assert all(lo <= e["node"]["arrivedOn"] <= hi for e in page["edges"])
    assert [e["node"]["mrn"] for e in page["edges"]] == sorted(e["node"]["mrn"] for e in page["edges"])
    since = found[len(found) // 2]
    got = api.data("analyst", "query($s: Date) { findings(since: $s) { totalCount } }", {"s": since})["findings"]
    assert got["totalCount"] == sum(d >= since for d in found)

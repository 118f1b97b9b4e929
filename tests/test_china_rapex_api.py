"""The China-RAPEX loop over real HTTP and the real command, on both stores: AQSIQ records its
follow-up of an alert through the API and at the command line beside the served store; the work
list and the quarterly report show both; only cn_authority and admin tokens may record; the
report's figures are the same through GraphQL, in its CSV files and on its page."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from china_rapex_data import AS_TEXT, BY_FILE, GERMAN, HONG_KONG, MATCHED, write_china_rapex
from exchange import FACTORY
from report_files import assert_page_is_the_csvs, assert_self_contained, read_csvs, read_page
from serving import TRACEGRAPH, serve_loaded

AS_OF = "2024-12-31"


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def api(request, tmp_path):
    served = serve_loaded(request, request.param, tmp_path, write_china_rapex(tmp_path / "in"))
    yield served
    served.stop()


def tg(api, *args: str) -> subprocess.CompletedProcess:
    """The command on the served store (Neo4j's credentials from the environment, as a user sets them)."""
    env = dict(os.environ)
    if api.neo4j:
        env.update(NEO4J_USER=api.neo4j[1], NEO4J_PASSWORD=api.neo4j[2])
    return subprocess.run([TRACEGRAPH, "--store", api.location, *args], capture_output=True, text=True, env=env)


RECORD = """mutation($items: [InvestigationInput!]!) { recordInvestigations(items: $items) {
  accepted rejected items { index key ok problems { field message } } } }"""
WORKLIST = """query($status: ChinaRapexStatus, $since: Date, $until: Date) {
  chinaRapexWorklist(since: $since, until: $until, status: $status, asOf: "2024-12-31", first: 100) {
    totalCount edges { node { alertNo findingId forwardedOn quarter countryOfOrigin state overdue daysOpen
      trace { status candidates top { uscc confidence } }
      factory { uscc nameZh manufacturer { uscc city } }
      followUp { status outcomes openedOn closedOn reportedOn recordedBy factory { uscc } } } } } }"""
REPORT = """{ chinaRapexReport(quarter: "2024Q3", asOf: "2024-12-31") {
  quarter since until asOf dueDays forwarded traced investigated concluded openPastDue openPastDueOfQuarter
  byOutcome { key count } byCategory { key forwarded traced investigated concluded }
  byHazard { key forwarded traced investigated concluded }
  recurringFactories { uscc nameZh nameEn alerts quarters inQuarter alertNos }
  alerts(first: 100) { totalCount edges { node { alertNo state factory { uscc } } } }
  overdue(first: 100) { totalCount edges { node { alertNo daysOpen } } } } }"""
FOLLOW_UP = {"findingId": "A12/3400/24", "openedOn": "2024-09-01", "status": "measures_taken",  # the number as an export may write it
             "outcomes": ["corrective_action", "strengthened_supervision"], "manufacturerUscc": FACTORY,
             "rootCause": "small parts glued, not sewn", "measures": "production line re-tooled", "reportedOn": "2024-10-15"}


def _worklist(api, role: str = "cn_authority", **variables: str) -> dict[str, dict]:
    data = api.data(role, WORKLIST, variables)["chinaRapexWorklist"]
    return {e["node"]["alertNo"]: e["node"] for e in data["edges"]}


def test_a_follow_up_through_the_api_and_at_the_command_line_shows_in_the_work_list_and_the_report(api, tmp_path):
    before = _worklist(api)
    assert len(before) == 28 and GERMAN not in before and HONG_KONG not in before
    assert before[MATCHED]["trace"] == {"status": "traced", "candidates": 1, "top": {"uscc": FACTORY, "confidence": 0.9}}
    assert before[MATCHED]["factory"]["manufacturer"] == {"uscc": FACTORY, "city": "Shantou"}
    assert before[MATCHED]["followUp"] is None and before[AS_TEXT]["countryOfOrigin"] == "China (PRC)"

    # AQSIQ through the API: the alert number in another form names the alert; bad outcomes are refused by item
    bad = [dict(FOLLOW_UP, outcomes=["banned"]), dict(FOLLOW_UP, outcomes=["no_measure", "export_ban"]),
           dict(FOLLOW_UP, findingId=GERMAN.replace("03401", "09999"))]
    out = api.data("cn_authority", RECORD, {"items": [FOLLOW_UP, *bad]})["recordInvestigations"]
    assert (out["accepted"], out["rejected"]) == (1, 3)
    assert out["items"][0]["key"] == MATCHED
    assert [p["field"] for i in out["items"][1:] for p in i["problems"]] == ["outcomes", "outcomes", "finding_id"]
    # ... and at the command line, beside the served store
    r = tg(api, "china-rapex", "record", "a12/3403/24", "--status", "not_traceable", "--outcome", "not_traceable",
           "--opened-on", "2024-09-10", "--closed-on", "2024-09-25", "--root-cause", "exporter deregistered", "--by", "Ningbo CIQ")
    assert r.returncode == 0, r.stderr
    assert f"recorded the follow-up of {AS_TEXT}: not_traceable [not_traceable], by Ningbo CIQ" in r.stdout
    r = tg(api, "china-rapex", "record", MATCHED, "--status", "closed", "--outcome", "no_measure", "--outcome", "export_ban",
           "--opened-on", "2024-09-01", "--by", "Ningbo CIQ")
    assert r.returncode == 1 and "outcomes: no_measure contradicts export_ban" in r.stderr
    r = tg(api, "china-rapex", "record", "A12/09999/24", "--status", "open", "--opened-on", "2024-09-01", "--by", "x")
    assert r.returncode == 2 and "no alert or finding A12/09999/24 in the store" in r.stderr

    after = _worklist(api)
    m, t = after[MATCHED], after[AS_TEXT]
    assert m["followUp"] == {"status": "measures_taken", "outcomes": ["corrective_action", "strengthened_supervision"],
                             "openedOn": "2024-09-01", "closedOn": None, "reportedOn": "2024-10-15",
                             "recordedBy": ["cn:api:test cn_authority"], "factory": {"uscc": FACTORY}}
    assert (m["state"], m["overdue"]) == ("pending", True)
    assert t["followUp"]["recordedBy"] == ["cn:cli:Ningbo CIQ"] and t["followUp"]["outcomes"] == ["not_traceable"]
    assert (t["state"], t["overdue"], t["daysOpen"]) == ("concluded", False, 85)
    by_status = _worklist(api, status="CONCLUDED", since="2024-07-01", until="2024-09-30")
    assert sorted(by_status) == sorted([AS_TEXT, BY_FILE])
    assert list(_worklist(api, status="MEASURES_TAKEN", since="2024-07-01")) == [MATCHED]
    # the command's work list says the same
    lines = [json.loads(x) for x in tg(api, "china-rapex", "worklist", "--status", "concluded", "--since", "2024-07-01",
                                        "--until", "2024-09-30", "--as-of", AS_OF, "--json").stdout.splitlines()]
    assert sorted(a["alert_no"] for a in lines) == sorted(by_status)

    # the quarter's report through GraphQL, and as files by the command: the same figures
    rep = api.data("analyst", REPORT)["chinaRapexReport"]
    assert (rep["forwarded"], rep["traced"], rep["investigated"], rep["concluded"]) == (14, 2, 3, 2)
    assert {x["key"]: x["count"] for x in rep["byOutcome"]} == {
        "not_traceable": 1, "no_measure": 0, "corrective_action": 1, "export_ban": 1, "strengthened_supervision": 1,
        "export_licence_suspended": 1}
    assert rep["alerts"]["totalCount"] == 14 and rep["overdue"]["totalCount"] == rep["openPastDue"] == 19
    assert rep["recurringFactories"][0]["uscc"] == FACTORY
    out_dir = tmp_path / "report"
    r = tg(api, "report", "china-rapex", "--quarter", "2024Q3", "--as-of", AS_OF, "--out", str(out_dir))
    assert r.returncode == 0, r.stderr
    tables = read_csvs(out_dir, "2024Q3")
    summary = {x["figure"]: x["value"] for x in tables["summary"]}
    assert summary == {"quarter": rep["quarter"], "period_from": rep["since"], "period_to": rep["until"], "as_of": rep["asOf"],
                       **{k: str(rep[c]) for k, c in (("forwarded", "forwarded"), ("traced", "traced"),
                                                       ("investigated", "investigated"), ("concluded", "concluded"),
                                                       ("open_past_due", "openPastDue"),
                                                       ("open_past_due_of_quarter", "openPastDueOfQuarter"))}}
    assert [(x["outcome"], int(x["alerts"])) for x in tables["by-outcome"]] == [(x["key"], x["count"]) for x in rep["byOutcome"]]
    for name, key in (("by-category", "byCategory"), ("by-hazard", "byHazard")):
        assert [list(x.values()) for x in tables[name]] == [
            [g["key"], *(str(g[c]) for c in ("forwarded", "traced", "investigated", "concluded"))] for g in rep[key]]
    assert [x["alert_no"] for x in tables["alerts"]] == [e["node"]["alertNo"] for e in rep["alerts"]["edges"]]
    assert [(x["alert_no"], int(x["days_open"])) for x in tables["open-past-90-days"]] == [
        (e["node"]["alertNo"], e["node"]["daysOpen"]) for e in rep["overdue"]["edges"]]
    assert [(x["uscc"], x["alert_nos"]) for x in tables["recurring-factories"]] == [
        (f["uscc"], "; ".join(f["alertNos"])) for f in rep["recurringFactories"]]
    page = out_dir / "china-rapex-2024Q3.html"
    assert_page_is_the_csvs(read_page(page), tables)
    assert_self_contained(read_page(page), page.read_text(encoding="utf-8"))


def test_only_cn_authority_and_admin_tokens_record_follow_up_and_partners_see_no_internals(api):
    for role in ("partner", "eu_authority", "analyst"):
        out = api.gql(role, RECORD, {"items": [FOLLOW_UP]})
        assert out["data"] is None or out["data"]["recordInvestigations"] is None
        assert out["errors"][0]["extensions"]["code"] == "FORBIDDEN" and "cn_authority" in out["errors"][0]["message"]
    assert _worklist(api, "admin")[MATCHED]["followUp"] is None  # nothing landed
    out = api.data("admin", RECORD, {"items": [dict(FOLLOW_UP, findingId=MATCHED)]})["recordInvestigations"]
    assert out["accepted"] == 1
    # a partner reads the work list, but not what AQSIQ found inside a company
    q = """{ chinaRapexWorklist(status: MEASURES_TAKEN, since: "2024-07-01") { edges { node { alertNo
             followUp { status outcomes rootCause measures } } } } }"""
    denied = api.gql("partner", q)
    assert {tuple(e["path"][-1:]) for e in denied["errors"]} == {("outcomes",), ("rootCause",), ("measures",)}
    assert all(e["extensions"]["code"] == "FORBIDDEN" for e in denied["errors"])
    node = denied["data"]["chinaRapexWorklist"]["edges"][0]["node"]
    assert node["followUp"]["status"] == "measures_taken" and node["followUp"]["outcomes"] is None
    shown = api.data("cn_authority", q)["chinaRapexWorklist"]["edges"][0]["node"]["followUp"]
    assert shown["outcomes"] == ["corrective_action", "strengthened_supervision"] and shown["rootCause"]
    # the report's counts by outcome are no company's internals: every role reads them
    rep = api.data("partner", '{ chinaRapexReport(quarter: "2024Q3", asOf: "2024-12-31") { byOutcome { key count } } }')
    assert {x["key"]: x["count"] for x in rep["chinaRapexReport"]["byOutcome"]}["corrective_action"] == 1
    bad = api.gql("analyst", '{ chinaRapexReport(quarter: "2024Q7") { forwarded } }')
    assert "not a quarter like 2024Q3" in bad["errors"][0]["message"]
    lines = [json.loads(x) for x in api.audit.read_text().splitlines()]
    assert sum(x["outcome"] == "denied" and x["operation"] == "mutation" for x in lines) == 3

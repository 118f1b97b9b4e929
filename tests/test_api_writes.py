"""Mutations over real HTTP, on both stores: each side sends what it may, by the loaders' rules,
with an outcome per item; the rest is refused and nothing lands."""

from __future__ import annotations

import json

import pytest

from tracegraph.graph.memory import MemoryStore
from exchange import FACTORY, GTIN, VALID, write_all
from serving import serve_loaded


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def api(request, tmp_path):
    """The hand-made graph of tests/exchange.py, without its investigation, served."""
    folder = write_all(tmp_path / "in")
    (folder / "cn-investigations.csv").unlink()
    served = serve_loaded(request, request.param, tmp_path, folder)
    yield served
    served.stop()


RECORD = """mutation($items: [InvestigationInput!]!) { recordInvestigations(items: $items) {
  accepted rejected items { index key ok problems { field message } } } }"""
INVESTIGATION = "query($f: String!) { investigation(findingId: $f) { status measures closedOn factory { uscc } finding { findingId } } }"


def test_aqsiq_records_investigations_item_by_item(api):
    good = {"findingId": "F-NL-1", "openedOn": "2015-03-01", "status": "measures_taken", "manufacturerUscc": FACTORY,
            "measures": "=cmd|' /C calc'!A0", "rootCause": "paint supplier"}
    bad_date = dict(good, closedOn="2015-02-01")  # before it was opened
    unknown = dict(good, findingId="F-NOWHERE")
    bad_status = dict(good, status="done")
    out = api.data("cn_authority", RECORD, {"items": [good, bad_date, unknown, bad_status]})["recordInvestigations"]
    assert (out["accepted"], out["rejected"]) == (1, 3)
    items = {i["index"]: i for i in out["items"]}
    assert items[0]["ok"] and items[0]["key"] == "F-NL-1"
    assert [p["field"] for p in items[1]["problems"]] == ["closed_on"]
    assert items[2]["problems"][0]["field"] == "finding_id" and "no finding F-NOWHERE" in items[2]["problems"][0]["message"]
    assert items[3]["problems"][0]["field"] == "status" and "not one of" in items[3]["problems"][0]["message"]
    got = api.data("cn_authority", INVESTIGATION, {"f": "F-NL-1"})["investigation"]
    assert got["status"] == "measures_taken" and got["factory"]["uscc"] == FACTORY
    assert got["measures"] == "=cmd|' /C calc'!A0"  # stored as the text it is
    # what was recorded shows in repeat offenders
    ro = api.data("analyst", "{ repeatOffenders { factories { edges { node { uscc measuresOn investigations { byStatus { key count } } } } } } }")
    (node,) = [e["node"] for e in ro["repeatOffenders"]["factories"]["edges"]]
    assert node["measuresOn"] == "2015-03-01" and node["investigations"]["byStatus"] == [{"key": "measures_taken", "count": 1}]


def test_only_the_cn_authority_records_investigations_and_nothing_lands_otherwise(api):
    item = {"findingId": "F-NL-1", "openedOn": "2015-03-01", "status": "open"}
    for role in ("eu_authority", "analyst", "partner"):
        out = api.gql(role, RECORD, {"items": [item]})
        assert out["data"] is None or out["data"]["recordInvestigations"] is None
        assert out["errors"][0]["extensions"]["code"] == "FORBIDDEN" and "cn_authority" in out["errors"][0]["message"]
    assert api.data("admin", INVESTIGATION, {"f": "F-NL-1"})["investigation"] is None
    lines = [json.loads(x) for x in api.audit.read_text().splitlines()]
    assert sum(x["outcome"] == "denied" and x["operation"] == "mutation" for x in lines) == 3


REPORT = """mutation($items: [FindingInput!]!) { reportFindings(items: $items) { accepted rejected
  items { index ok problems { field message } } } }"""


def test_an_eu_finding_reported_through_the_api_is_linked_and_traceable(api):
    finding = {"findingId": "F-DE-77", "foundOn": "2015-06-01", "notifyingCountry": "DE", "productName": "Plush toy",
               "category": "Toys", "hazard": "choking", "riskLevel": "serious", "gtin": GTIN}
    hostile = dict(finding, findingId="F-DE-78", gtin="6901234567890", notifyingCountry="XX", riskLevel="extreme")
    out = api.data("eu_authority", REPORT, {"items": [finding, hostile, finding]})["reportFindings"]
    assert (out["accepted"], out["rejected"]) == (1, 2)
    assert {p["field"] for p in out["items"][1]["problems"]} == {"gtin", "notifying_country", "risk_level"}
    assert "repeats the key F-DE-77" in out["items"][2]["problems"][0]["message"]
    t = api.data("cn_authority", "{ trace(findingId: \"F-DE-77\") { status candidates { edges { node { uscc } } } } }")["trace"]
    assert t["status"] == "traced" and t["candidates"]["edges"][0]["node"]["uscc"] == FACTORY
    denied = api.gql("cn_authority", REPORT, {"items": [dict(finding, findingId="F-DE-79")]})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert api.data("admin", "{ finding(findingId: \"F-DE-79\") { findingId } }")["finding"] is None


def test_ciq_shares_certificates_and_they_cover_the_shipment(api):
    q = """mutation($items: [CertificateInput!]!) { shareCertificates(items: $items) { accepted rejected items { ok problems { field } } } }"""
    cert = {"certificateNo": "ST2015000099", "declarationNo": VALID["cn-shipments"]["declaration_no"], "issuer": "Shantou CIQ",
            "issuedOn": "2015-01-06", "result": "pass", "standards": ["EN 71-1", "EN 71-2"]}
    out = api.data("cn_authority", q, {"items": [cert, dict(cert, certificateNo="X", issuedOn="yesterday")]})["shareCertificates"]
    assert (out["accepted"], out["rejected"]) == (1, 1) and out["items"][1]["problems"] == [{"field": "issued_on"}]
    got = api.data("analyst", "query($d: String!) { shipment(declarationNo: $d) { certificates { totalCount edges { node { certificateNo standards } } } } }",
                   {"d": cert["declarationNo"]})
    assert {e["node"]["certificateNo"] for e in got["shipment"]["certificates"]["edges"]} == {"ST2015000001", "ST2015000099"}
    src = api.data("admin", "{ certificate(certificateNo: \"ST2015000099\") { certificateNo } }")
    assert src["certificate"]["certificateNo"] == "ST2015000099"


def test_too_many_items_in_one_request_are_refused_whole(api):
    item = {"findingId": "F-NL-1", "openedOn": "2015-03-01", "status": "open"}
    out = api.gql("cn_authority", RECORD, {"items": [item] * 501})
    assert "at most 500" in out["errors"][0]["message"]
    assert api.data("admin", INVESTIGATION, {"f": "F-NL-1"})["investigation"] is None


def test_what_the_api_wrote_survives_a_restart(api, tmp_path):
    item = {"findingId": "F-NL-1", "openedOn": "2015-03-01", "status": "investigating"}
    assert api.data("cn_authority", RECORD, {"items": [item]})["recordInvestigations"]["accepted"] == 1
    api.stop()
    if api.kind == "embedded":
        with MemoryStore(api.location, readonly=True) as s:
            props = s.graph.nodes["Investigation:F-NL-1"]
            assert props["status"] == "investigating" and "cn:api:test cn_authority" in props["_src"]


DECIDE = """mutation($t: InferredLinkType!, $s: String!, $e: String!, $d: Decision!) {
  decideLink(type: $t, start: $s, end: $e, decision: $d) { decision by links { end method score } } }"""
CONSIGNMENT = "query($m: String!) { arrival(mrn: $m) { consignment { link { method score } shipment { declarationNo } } } }"


def test_a_person_confirms_and_rejects_a_link_through_the_api_and_it_holds(api):
    from exchange import MRN

    shipment = VALID["cn-shipments"]["declaration_no"]
    refused = api.gql("partner", DECIDE, {"t": "SAME_CONSIGNMENT", "s": MRN, "e": shipment, "d": "REJECTED"})
    assert refused["data"]["decideLink"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    unknown = api.gql("analyst", DECIDE, {"t": "SAME_CONSIGNMENT", "s": "24NLXXXXXXXXXXXXX0", "e": shipment, "d": "REJECTED"})
    assert "no Arrival 24NLXXXXXXXXXXXXX0" in unknown["errors"][0]["message"]
    assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # the client's to fix, not a server fault
    out = api.data("analyst", DECIDE, {"t": "SAME_CONSIGNMENT", "s": MRN, "e": shipment, "d": "REJECTED"})["decideLink"]
    assert out["decision"] == "REJECTED" and out["by"] == "test analyst (analyst)" and out["links"] == []
    assert api.data("analyst", CONSIGNMENT, {"m": MRN})["arrival"]["consignment"] is None
    # a later load (linkage runs again) keeps the decision
    api.data("eu_authority", REPORT, {"items": [{"findingId": "F-LATER", "foundOn": "2015-06-01", "notifyingCountry": "NL",
                                                 "productName": "Plush toy", "category": "Toys", "hazard": "Choking",
                                                 "riskLevel": "serious"}]})
    assert api.data("analyst", CONSIGNMENT, {"m": MRN})["arrival"]["consignment"] is None
    out = api.data("cn_authority", DECIDE, {"t": "SAME_CONSIGNMENT", "s": MRN, "e": shipment, "d": "CONFIRMED"})["decideLink"]
    assert out["links"] == [{"end": shipment, "method": "confirmed", "score": 1.0}]
    link = api.data("analyst", CONSIGNMENT, {"m": MRN})["arrival"]["consignment"]
    assert link["link"] == {"method": "confirmed", "score": 1.0} and link["shipment"]["declarationNo"] == shipment
    missing = api.gql("analyst", DECIDE, {"t": "SAME_CONSIGNMENT", "s": MRN, "e": "NO-SUCH", "d": "CONFIRMED"})
    assert "no Shipment NO-SUCH in the store" in missing["errors"][0]["message"]

"""GS1 EPCIS 2.0 in and out: the GS1 examples load (each event pinned), a partner's document of a
consignment gives the graph its exchange files give, what tracegraph writes reads back to the same
graph and trace and validates against GS1's schema, withdrawals hold whatever the order, and
hostile documents are reported, not loaded."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from exchange import BOX1, BOX2, EXPORTER, FACTORY, GTIN, MRN, write_all
from serving import TRACEGRAPH
from tracegraph.api.epcis import schema_errors
from tracegraph.demo import generate
from tracegraph.graph.errors import InvalidIdentifier
from tracegraph.graph.memory import MemoryStore
from tracegraph.graph.model import EPCIS_EVENT
from tracegraph.linkage import link
from tracegraph.loaders import epcis, gs1
from tracegraph.loaders.load import load
from tracegraph.queries.epcis import EVENT_NODES, events, exposure_events, trace_events
from tracegraph.queries.trace import finding_ids, trace

DATA = Path(__file__).parent / "data" / "epcis"
EXAMPLES = sorted(DATA.glob("*.jsonld"))
MASTER = ("cn-manufacturers", "cn-exporters", "cn-products", "cn-investigations")
AT = "2026-01-01T00:00:00+00:00"

# What each event of GS1's examples becomes: none carries a key of ours, so each is kept as
# written with the reason; the error declaration withdraws the shipping event it corrects.
PINNED = {
    "Example-Type-sourceOrDestination,measurement,bizTransaction.jsonld": [("kept", "an AssociationEvent event is none")],
    "Example_9.6.1-ObjectEvent-with-error-declaration.jsonld": [("withdrawal", "withdraws event ni:///sha-256;aa49"),
                                                                ("kept", "no bizTransaction of type tg:mrn")],
    "Example_9.6.1-ObjectEvent.jsonld": [("kept", "no bizTransaction of type tg:declaration"),
                                         ("kept", "no bizTransaction of type tg:mrn")],
    "Example_9.6.1-ObjectEventWithDigitalLink.jsonld": [("kept", "no bizTransaction of type tg:declaration"),
                                                        ("kept", "no bizTransaction of type tg:mrn")],
    "Example_9.6.2-ObjectEvent.jsonld": [("kept", "no bizTransaction of type tg:mrn")],
    "Example_9.6.3-AggregationEvent.jsonld": [("kept", "parent urn:epc:id:sscc:0614141.1234567890 is not")],
    "Example_9.6.4-TransformationEvent.jsonld": [("kept", "a TransformationEvent event is none")],
    "PersistentDisposition-example.jsonld": [("kept", "no bizTransaction of type tg:mrn"),
                                             ("kept", "a CIQ certificate (bizTransaction cert), an EU inspection")],
}


def _norm(store: Any) -> tuple[dict, dict]:
    """A store's graph without provenance (files, load times, the EPCIS event a record came from)."""
    d = store.dump()
    nodes = {k: {f: v for f, v in p.items() if f not in ("_src", "epcis_event")} for k, p in d.nodes.items()}
    edges = {k: {f: v for f, v in p.items() if f != "_src"} for k, p in d.edges.items()}
    return nodes, edges


def test_the_examples_and_schema_ship_with_the_tests():
    assert {p.name for p in EXAMPLES} == set(PINNED)
    for path in EXAMPLES:
        assert schema_errors(json.loads(path.read_text())) == [], path.name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_each_gs1_example_loads_and_each_event_is_pinned(path, tmp_path):
    doc = epcis.read_document(path.read_bytes())
    placed = epcis.place_all(doc)
    assert [p.what for p in placed] == [w for w, _ in PINNED[path.name]]
    for p, (_, why) in zip(placed, PINNED[path.name]):
        assert not p.rejected
        assert any(why in n.reason for n in p.notes), (p.notes, why)
        assert p.line > 1 and doc.raw["epcisBody"]["eventList"][p.index] is doc.events[p.index]
    store = MemoryStore(tmp_path / "s")
    report = load(store, [str(path)])  # recognised by its content, whatever its name
    assert report.rejected == 0 and report.files[0].type == "epcis"
    assert report.landed == len(placed)
    kept = store.run(EVENT_NODES, EPCIS_EVENT, None, None, None)
    assert sorted(r["props"]["key"] for r in kept) == sorted({p.event_id for p in placed})
    for r in kept:  # kept as written: the event comes back as it was, with its document's context
        event = json.loads(r["props"]["event"])
        original = next(e for e in doc.events if e["eventID"] == r["props"]["key"])
        assert {k: v for k, v in event.items() if k != "@context"} == original
    again = load(store, [str(path)])
    assert again.files[0].result.created == again.files[0].result.updated == 0  # idempotent
    assert store.stats().nodes == {EPCIS_EVENT: len({p.event_id for p in placed})}


def test_the_error_declaration_example_withdraws_its_event(tmp_path):
    store = MemoryStore(tmp_path / "s")
    load(store, [str(DATA / "Example_9.6.1-ObjectEvent-with-error-declaration.jsonld")])
    (row,) = store.run(EVENT_NODES, EPCIS_EVENT, None, None,
                       ["ni:///sha-256;aa49daa1fe0b773e0437e546078dc87de9c864d5b9babe84488f31478887fdf3?ver=CBV2.0"])
    assert row["props"]["withdrawn_on"] == "2021-02-01T22:46:31.117000+00:00"
    assert "errorDeclaration" in json.loads(row["props"]["event"])


# -- identifiers ----------------------------------------------------------------------------------------
def test_gs1_identifiers():
    assert gs1.parse("urn:epc:id:sgtin:0614141.107346.2017") == gs1.Epc("item", "10614141073464", serial="2017")
    assert gs1.parse("https://id.gs1.org/01/70614141123451/21/2018") == gs1.Epc("item", "70614141123451", serial="2018")
    assert gs1.parse("urn:epc:class:lgtin:690123.0456789.1501001") == gs1.Epc("class", GTIN, lot="1501001")
    assert gs1.parse(gs1.gtin_digital_link(GTIN, "1501 001")) == gs1.Epc("class", GTIN, lot="1501 001")
    assert gs1.parse("urn:epc:idpat:sgtin:4012345.098765.*").kind == "class"
    assert gs1.parse("urn:epc:id:sscc:0614141.1234567890") == gs1.Epc("sscc", "106141412345678908")
    assert gs1.parse("urn:epc:id:sgln:0614141.07346.1234") == gs1.Epc("location", "0614141073467", extension="1234")
    assert gs1.parse("urn:epc:id:pgln:4000001.00012").kind == "party"
    assert gs1.parse(f"urn:epc:id:bic:{BOX1}") == gs1.Epc("container", BOX1)
    for bad in ("urn:epc:id:sgtin:0614141.10734.2017", "urn:epc:id:bic:MSCU1234560", "https://id.gs1.org/01/70614141123452",
                "https://example.com/products/9", "urn:epc:id:giai:4000001.12345", "GTIN 123"):
        with pytest.raises(InvalidIdentifier):
            gs1.parse(bad)


# -- a partner's document of the consignment of tests/exchange.py -------------------------------------------
def partner_document() -> dict[str, Any]:
    """The consignment of ``VALID`` as a partner's traceability system writes it: GS1 identifiers
    (an LGTIN and SGLN explained by master data, a Digital Link, a container packed by an
    AggregationEvent), CBV URNs and the older ``isA`` here and there, and a vendor field."""
    ctx = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           {"tg": epcis.NS, "acme": "https://acme.example/epcis/"}]
    declaration = {"type": "tg:declaration", "bizTransaction": epcis.urn("declaration", "531620150000000001")}
    bol = {"type": "urn:epcglobal:cbv:btt:bol", "bizTransaction": "urn:epcglobal:cbv:bt:0614141000005:MEDU0012345678"}
    mrn = {"type": "tg:mrn", "bizTransaction": epcis.urn("mrn", MRN)}
    testres = {"type": "testres", "bizTransaction": epcis.urn("inspection", "NL-INSP-1")}
    md = [{"type": "urn:epcglobal:epcis:vtype:EPCClass", "vocabularyElementList": [
              {"id": "urn:epc:idpat:sgtin:690123.0456789.*", "attributes": [
                  {"id": "tg:manufacturerUscc", "attribute": FACTORY}, {"id": "tg:model", "attribute": "XD-2087"}]}]},
          {"type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": [
              {"id": "urn:epc:id:sgln:690123.00001.0", "attributes": [{"id": "tg:locode", "attribute": "CNSTG"}]}]}]
    events = [
        {"isA": "ObjectEvent", "eventID": "urn:uuid:0d0f5f3e-0001-4c3e-8a51-000000000001", "action": "OBSERVE",
         "bizStep": "urn:epcglobal:cbv:bizstep:shipping", "disposition": "urn:epcglobal:cbv:disp:in_transit",
         "eventTime": "2015-01-10T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
         "epcList": [f"urn:epc:id:bic:{BOX1}"],
         "quantityList": [{"epcClass": "urn:epc:class:lgtin:690123.0456789.1501001", "quantity": 480}],
         "readPoint": {"id": "urn:epc:id:sgln:690123.00001.0"}, "bizTransactionList": [declaration, bol],
         "sourceList": [{"type": "owning_party", "source": epcis.urn("uscc", EXPORTER)}],
         "destinationList": [{"type": "location", "destination": epcis.urn("locode", "NLRTM")}],
         "tg:destinationCountry": "NL", "acme:shift": {"crew": 3}},
        {"type": "AggregationEvent", "eventID": "urn:uuid:0d0f5f3e-0001-4c3e-8a51-000000000002", "action": "ADD",
         "bizStep": "loading", "eventTime": "2015-01-09T10:00:00+08:00", "eventTimeZoneOffset": "+08:00",
         "parentID": f"urn:epc:id:bic:{BOX2}", "childEPCs": ["urn:epc:id:sscc:0614141.1234567890"],
         "bizTransactionList": [declaration]},
        {"type": "ObjectEvent", "eventID": "urn:uuid:0d0f5f3e-0001-4c3e-8a51-000000000003", "action": "OBSERVE",
         "bizStep": "inspecting", "disposition": "conformant", "eventTime": "2015-01-05T09:00:00+08:00",
         "eventTimeZoneOffset": "+08:00", "epcList": [],
         "bizTransactionList": [{"type": "cert", "bizTransaction": epcis.urn("cert", "ST2015000001")}, declaration],
         "tg:issuer": "Shantou CIQ", "tg:standards": ["EN 71-1", "EN 71-3"], "tg:testedModels": ["XD-2087"]},
        {"type": "ObjectEvent", "eventID": "urn:uuid:0d0f5f3e-0001-4c3e-8a51-000000000004", "action": "OBSERVE",
         "bizStep": "https://ref.gs1.org/cbv/BizStep-arriving", "disposition": "in_progress",
         "eventTime": "2015-02-12T07:30:00+01:00", "eventTimeZoneOffset": "+01:00",
         "epcList": [f"urn:epc:id:bic:{BOX1}", f"urn:epc:id:bic:{BOX2}"],
         "bizLocation": {"id": epcis.urn("locode", "NLRTM")}, "bizTransactionList": [mrn, bol],
         "destinationList": [{"type": "owning_party", "destination": epcis.urn("eori", "NL123456789")}],
         "tg:consignorName": "XINGDA TOY FTY (SHANTOU)", "tg:importerName": "Toyworld B.V.", "tg:countryOfOrigin": "CN",
         "tg:hsCode": "95030090", "tg:goodsDescription": "PLUSH TOYS"},
        {"type": "ObjectEvent", "eventID": "urn:uuid:0d0f5f3e-0001-4c3e-8a51-000000000005", "action": "OBSERVE",
         "bizStep": "sampling", "disposition": "non_conformant", "eventTime": "2015-02-13T10:00:00+01:00",
         "eventTimeZoneOffset": "+01:00", "epcList": [], "bizTransactionList": [testres, mrn],
         "tg:authority": "Douane Rotterdam"},
        {"type": "ObjectEvent", "eventID": "urn:uuid:0d0f5f3e-0001-4c3e-8a51-000000000006", "action": "OBSERVE",
         "bizStep": "inspecting", "disposition": "recalled", "eventTime": "2015-02-20T10:00:00+01:00",
         "eventTimeZoneOffset": "+01:00", "epcList": [gs1.gtin_digital_link(GTIN, "1501001")],
         "bizTransactionList": [{"type": "tg:finding", "bizTransaction": epcis.urn("finding", "F-NL-1")}, testres, mrn],
         **{f"tg:{k}": v for k, v in {"notifyingCountry": "NL", "productName": "Plush toy", "category": "toys",
                                      "hazard": "choking", "riskLevel": "serious", "brand": "Xingda", "model": "XD-2087",
                                      "standard": "EN 71-1:2014 8.2", "description": "Eyes detach",
                                      "measure": "Rejected at border", "alertNo": "A12/00001/15"}.items()}},
    ]
    return {"@context": ctx, "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2015-03-01T00:00:00Z",
            "epcisHeader": {"epcisMasterData": {"vocabularyList": md}}, "epcisBody": {"eventList": events}}


def _master(folder: Path) -> list[str]:
    return [str(p) for p in sorted(folder.iterdir()) if p.name.split(".")[0] in MASTER]


def test_a_partners_document_gives_the_graph_and_trace_of_the_exchange_files(tmp_path):
    csv = write_all(tmp_path / "csv")
    (tmp_path / "ep").mkdir()
    doc = tmp_path / "ep" / "partner.jsonld"
    doc.write_text(json.dumps(partner_document()))
    a, b = MemoryStore(tmp_path / "a"), MemoryStore(tmp_path / "b")
    assert load(a, [str(csv)]).rejected == 0
    report = load(b, _master(csv) + [str(doc)])
    assert report.rejected == 0, report.problems
    assert not [p for p in report.problems if p.file == str(doc) and "kept as written" in p.reason]
    again = load(b, [str(doc)]).files[0].result
    assert again.created == again.updated == 0 and again.unchanged > 0  # idempotent
    for s in (a, b):
        link(s, AT)
    assert _norm(a) == _norm(b)
    assert trace(a, "F-NL-1").to_dict() == trace(b, "F-NL-1").to_dict()
    assert trace(b, "F-NL-1").status == "traced"


@pytest.mark.parametrize("source", ["demo", "exchange"])
def test_what_tracegraph_writes_reads_back_to_the_same_graph_and_traces(source, tmp_path):
    csv = tmp_path / "csv"
    if source == "demo":
        generate(csv, shipments=150, seed=5, alerts=False)
    else:
        write_all(csv)
    a = MemoryStore(tmp_path / "a")
    assert load(a, [str(csv)]).rejected == 0
    link(a, AT)
    written = epcis.document(events(a))
    assert schema_errors(written) == []
    (tmp_path / "ep").mkdir()
    (tmp_path / "ep" / "all.json").write_text(json.dumps(written))
    b = MemoryStore(tmp_path / "b")
    report = load(b, _master(csv) + [str(tmp_path / "ep")])
    assert report.rejected == 0 and not [p for p in report.problems if p.kind == "warning"], report.problems[:3]
    link(b, AT)
    assert _norm(a) == _norm(b)
    findings = finding_ids(a)
    assert findings and [trace(a, f).to_dict() for f in findings] == [trace(b, f).to_dict() for f in findings]


def test_events_query_filters_and_its_two_stores_agree(store, tmp_path):
    csv = write_all(tmp_path / "csv")
    answers = []
    for s in (MemoryStore(tmp_path / "reference"), store):
        load(s, [str(csv)])
        load(s, [str(DATA / "Example_9.6.2-ObjectEvent.jsonld")])
        link(s, AT)
        everything = events(s)
        assert schema_errors(epcis.document(everything, query="SimpleEventQuery")) == []
        steps = sorted(e["bizStep"] for e in everything)
        assert steps == ["arriving", "inspecting", "inspecting", "receiving", "sampling", "shipping"]
        assert [e["bizStep"] for e in events(s, biz_step=["shipping"])] == ["shipping"]
        assert [e["bizStep"] for e in events(s, since="2015-02-01T00:00:00Z", before="2015-02-14T00:00:00Z")] == [
            "arriving", "sampling"]
        assert [e["bizStep"] for e in events(s, epcs=[f"urn:epc:id:bic:{BOX2}"])] == ["shipping", "arriving"]
        assert [e["bizStep"] for e in events(s, epcs=["urn:epc:class:lgtin:4012345.*"])] == ["receiving"]
        assert [e["bizStep"] for e in events(s, locations=[epcis.urn("locode", "NLRTM")])] == ["arriving"]
        hidden = events(s, hidden={"Arrival.importer_eori", "Arrival.importer_name"})
        arrival = next(e for e in hidden if e["bizStep"] == "arriving")
        assert "destinationList" not in arrival and "tg:importerName" not in arrival
        t = trace_events(s, "F-NL-1")
        assert t is not None and sorted(e["bizStep"] for e in t) == ["arriving", "inspecting", "inspecting", "sampling",
                                                                    "shipping"]
        assert trace_events(s, "F-NOWHERE") is None
        assert [e["bizStep"] for e in exposure_events(s, FACTORY)] == ["shipping", "arriving"]
        answers.append(everything)
    assert answers[0] == answers[1]


# -- withdrawals ------------------------------------------------------------------------------------
def _shipping_docs() -> tuple[dict, dict, dict]:
    doc = partner_document()
    doc["epcisBody"]["eventList"] = doc["epcisBody"]["eventList"][:2]  # the shipment and its container
    withdrawal = copy.deepcopy(doc)
    withdrawal["epcisBody"]["eventList"] = [dict(withdrawal["epcisBody"]["eventList"][0], errorDeclaration={
        "declarationTime": "2015-01-11T00:00:00Z", "reason": "incorrect_data"})]
    correction = copy.deepcopy(doc)
    correction["epcisBody"]["eventList"][0].update(eventID="urn:uuid:0d0f5f3e-0001-4c3e-8a51-0000000000ff",
                                                   eventTime="2015-01-11T08:00:00+08:00")
    return doc, withdrawal, correction


@pytest.mark.parametrize("order", [(0, 1), (1, 0), (0, 1, 2), (2, 1, 0), (1, 2, 0), (0, 2, 1)])
def test_a_withdrawal_holds_whatever_the_order(order, tmp_path):
    docs = _shipping_docs()
    csv = write_all(tmp_path / "csv")
    paths = []
    for i, d in enumerate(docs):
        paths.append(tmp_path / f"doc{i}.json")
        paths[-1].write_text(json.dumps(d))
    store = MemoryStore(tmp_path / "s")
    load(store, _master(csv))
    for i in order:
        assert load(store, [str(paths[i])]).rejected == 0
    shipment = store.dump().nodes.get(("Shipment", "531620150000000001"))
    edges = [k for k in store.dump().edges if k[1] == ("Shipment", "531620150000000001")]
    if 2 in order:  # the correction stands
        assert shipment["departed_on"] == "2015-01-11" and "withdrawn_on" not in shipment
        assert {k[0] for k in edges} == {"EXPORTED_BY", "IN_CONTAINER"}
    elif order[0] == 0:  # landed, then withdrawn: kept as withdrawn, joined to nothing
        assert shipment["withdrawn_on"] == "2015-01-11T00:00:00Z" and "containers" not in shipment and edges == []
    else:  # withdrawn before it came: it never lands
        assert shipment is None
        assert "withdrawn by an errorDeclaration loaded earlier" in " ".join(
            p.reason for p in load(store, [str(paths[0])]).problems)


# -- hostile and broken input -----------------------------------------------------------------------------
@pytest.mark.parametrize("raw, why", [
    (b"{not json", "is not valid JSON"),
    ("{}".encode("utf-16"), "UTF-16"),
    (b'{"type": "EPCISDocument", "epcisBody": {"eventList": [NaN]}}', "NaN is no JSON number"),
    (b"[" * 100_000 + b"]" * 100_000, "too deep"),
    (b'{"type": "EPCISDocument"}', "epcisBody"),
    (b'{"type": "EPCISDocument", "epcisBody": {"eventList": 3}}', "eventList"),
    (b'{"type": "Something", "epcisBody": {"eventList": []}}', "no EPCISDocument"),
    (b'{"type": "EPCISDocument", "epcisBody": {"eventList": []}, "x": "\xff"}', "not valid UTF-8"),
])
def test_a_document_that_is_none_is_refused_whole(raw, why, tmp_path):
    path = tmp_path / "doc.jsonld"
    path.write_bytes(raw)
    with pytest.raises(epcis.FileProblem, match=why):
        epcis.read_document(raw)
    if epcis.sniff(path):  # what `tracegraph load` recognises as EPCIS is refused whole, with why
        store = MemoryStore(tmp_path / "s")
        report = load(store, [str(path)])
        assert report.rejected == 1 and why in report.problems[0].reason and store.stats().node_total == 0


def test_bad_events_are_rejected_by_field_and_the_rest_lands(tmp_path):
    doc = partner_document()
    evs = doc["epcisBody"]["eventList"]
    bad_box = copy.deepcopy(evs[0])
    bol = evs[0]["bizTransactionList"][1]
    bad_box.update(eventID="urn:uuid:bad-box", epcList=["urn:epc:id:bic:MSCU1234560"],
                   bizTransactionList=[{"type": "tg:declaration", "bizTransaction": epcis.urn("declaration", "X-2")}, bol])
    no_exporter = copy.deepcopy(evs[0])
    no_exporter.update(eventID="urn:uuid:no-exporter", sourceList=[],
                       bizTransactionList=[{"type": "tg:declaration", "bizTransaction": epcis.urn("declaration", "X-3")}, bol])
    long_name = copy.deepcopy(evs[3])
    long_name.update(eventID="urn:uuid:long", **{"tg:consignorName": "x" * 70_000})
    nul = copy.deepcopy(evs[4])
    nul.update(eventID="urn:uuid:nul", **{"tg:authority": "Douane\x00"})
    doc["epcisBody"]["eventList"] = [*evs, bad_box, no_exporter, long_name, nul, "not an event", ["x"]]
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc, indent=1))
    csv = write_all(tmp_path / "csv")
    store = MemoryStore(tmp_path / "s")
    report = load(store, _master(csv) + [str(path)])
    summary = report.files[-1]
    assert (summary.read, summary.landed, summary.rejected) == (12, 6, 6)
    rejected = {(p.field, p.line): p.reason for p in report.problems if p.kind == "rejected"}
    fields = sorted(f for f, _ in rejected)
    assert fields == ["eventList[10]", "eventList[11]", "eventList[6].epcList", "eventList[6].epcList[0]", "eventList[7].sourceList",
                      "eventList[8].tg:consignorName", "eventList[9].tg:authority"]
    text = " ".join(rejected.values())
    assert "ISO 6346 check digit" in text and "exporter_uscc" in text and "over the limit" in text and "NUL" in text
    lines = path.read_text().splitlines()
    for (f, line), _ in rejected.items():  # the line given is where the event starts
        assert lines[line - 1].strip().startswith(("{", '"not an event"', "[")), (f, line)
    assert ("Shipment", "X-2") not in store.dump().nodes and ("Shipment", "531620150000000001") in store.dump().nodes


def test_a_vendor_field_and_an_unplaceable_event_break_nothing(tmp_path):
    doc = partner_document()
    doc["epcisBody"]["eventList"].append({"type": "TransactionEvent", "eventTime": "2015-01-01T00:00:00Z",
                                          "eventTimeZoneOffset": "+00:00", "action": "ADD", "acme:x": [1, {"y": None}]})
    placed = epcis.place_all(epcis.read_document(json.dumps(doc).encode()))
    assert [p.what for p in placed] == ["cn-shipments", "aggregation", "cn-certificates", "eu-arrivals", "eu-inspections",
                                        "eu-findings", "kept"]
    assert placed[-1].event_id.startswith("urn:tracegraph:event:sha256:")  # no eventID: named by its content


def test_export_command_writes_documents_that_validate(tmp_path):
    csv = write_all(tmp_path / "csv")
    store = MemoryStore(tmp_path / "s")
    load(store, [str(csv)])
    link(store, AT)
    store.close()
    out = tmp_path / "trace.jsonld"
    run = subprocess.run([TRACEGRAPH, "--store", str(tmp_path / "s"), "export", "epcis", "--finding", "F-NL-1", "-o", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    doc = json.loads(out.read_text())
    assert schema_errors(doc) == [] and len(doc["epcisBody"]["eventList"]) == 5
    run = subprocess.run([TRACEGRAPH, "--store", str(tmp_path / "s"), "export", "epcis", "--factory", FACTORY],
                         capture_output=True, text=True)
    assert run.returncode == 0 and schema_errors(json.loads(run.stdout)) == []
    assert [e["bizStep"] for e in json.loads(run.stdout)["epcisBody"]["eventList"]] == ["shipping", "arriving"]
    run = subprocess.run([TRACEGRAPH, "--store", str(tmp_path / "s"), "export", "epcis", "--finding", "F-NOWHERE"],
                         capture_output=True, text=True)
    assert run.returncode != 0 and "F-NOWHERE" in run.stderr


def test_csv_and_epcis_of_one_consignment_in_one_folder(tmp_path):
    """A folder with both: the EPCIS document is found by its content beside the exchange files."""
    folder = write_all(tmp_path / "in")
    (folder / "partner.json").write_text(json.dumps(partner_document()))
    store = MemoryStore(tmp_path / "s")
    report = load(store, [str(folder)])
    assert report.rejected == 0 and [f.type for f in report.files][-1] == "epcis" and not report.skipped
    assert store.dump().nodes[("Shipment", "531620150000000001")]["containers"] == [BOX1, BOX2]


def test_the_compiled_schema_and_jsonschema_agree():
    """Capture trusts the compiled schema where it passes a document; jsonschema judges the rest."""
    from tracegraph.api.epcis import _fast, validator

    docs = [json.loads(p.read_text()) for p in EXAMPLES] + [epcis.document([]), partner_document()]
    broken = []
    for change in ({"eventTime": None}, {"action": "SHOUT"}, {"epcList": "urn:epc:id:bic:X"}, {"bizStep": 3},
                   {"readPoint": {"nope": 1}}, {"bizTransactionList": [{"type": "bol"}]}):
        doc = partner_document()
        doc["epcisBody"]["eventList"][0] = {k: v for k, v in {**doc["epcisBody"]["eventList"][0], **change}.items()
                                           if v is not None}
        del doc["epcisBody"]["eventList"][0]["isA"]
        doc["epcisBody"]["eventList"][0]["type"] = "ObjectEvent"
        broken.append(doc)
    for doc in docs:
        epcis.normalise(doc)
        for e in doc["epcisBody"]["eventList"]:
            epcis.normalise(e)
        _fast()(doc)
        assert validator().is_valid(doc)
    for doc in broken:
        with pytest.raises(Exception):
            _fast()(doc)
        assert not validator().is_valid(doc) and schema_errors(doc)

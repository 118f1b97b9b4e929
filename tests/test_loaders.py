"""Every record type lands, in CSV and JSON Lines; every rule rejects with file, line, field and reason."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tracegraph.loaders.load import load
from tracegraph.loaders.rules import RECORD_TYPES, record_type_for
from exchange import BOX1, BOX2, EXPORTER, FACTORY, FACTORY2, GTIN, MRN, VALID, write_all, write_csv, write_jsonl


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_every_record_type_lands_with_its_relationships(store, tmp_path, fmt):
    report = load(store, [str(write_all(tmp_path / "in", fmt))])
    assert report.rejected == 0 and report.landed == len(VALID)
    g = store.dump()
    product = g.nodes[("Product", f"{FACTORY}|XD-2087")]
    assert product["category"] == "Toys" and product["hs_code"] == "950300" and product["gtin"] == GTIN
    assert g.nodes[("Certificate", "ST2015000001")]["result"] == "pass"
    assert g.nodes[("Certificate", "ST2015000001")]["standards"] == ["EN 71-1", "EN 71-3"]
    assert g.nodes[("Finding", "F-NL-1")]["hazard"] == "Choking"
    assert g.nodes[("Importer", "NL123456789")]["name"] == "Toyworld B.V."
    assert g.nodes[("Office", "Shantou CIQ")]["side"] == "cn"
    assert g.nodes[("Manufacturer", FACTORY)]["name_zh"] == "汕头市澄海区星达玩具厂"
    shipment = ("Shipment", "531620150000000001")
    expected = {
        ("MADE_BY", ("Product", f"{FACTORY}|XD-2087"), ("Manufacturer", FACTORY)),
        ("EXPORTED_BY", shipment, ("Exporter", EXPORTER)),
        ("IN_CONTAINER", shipment, ("Container", BOX1)),
        ("IN_CONTAINER", shipment, ("Container", BOX2)),
        ("LINE_OF", ("ShipmentLine", f"531620150000000001|{FACTORY}|XD-2087|1501001"), shipment),
        ("OF_PRODUCT", ("ShipmentLine", f"531620150000000001|{FACTORY}|XD-2087|1501001"), ("Product", f"{FACTORY}|XD-2087")),
        ("COVERS", ("Certificate", "ST2015000001"), shipment),
        ("ISSUED_BY", ("Certificate", "ST2015000001"), ("Office", "Shantou CIQ")),
        ("INVESTIGATES", ("Investigation", "F-NL-1"), ("Finding", "F-NL-1")),
        ("CONCERNS_FACTORY", ("Investigation", "F-NL-1"), ("Manufacturer", FACTORY)),
        ("IN_CONTAINER", ("Arrival", MRN), ("Container", BOX1)),
        ("IMPORTED_BY", ("Arrival", MRN), ("Importer", "NL123456789")),
        ("CHECKED", ("Inspection", "NL-INSP-1"), ("Arrival", MRN)),
        ("PERFORMED_BY", ("Inspection", "NL-INSP-1"), ("Office", "Douane Rotterdam")),
        ("FOUND_IN", ("Finding", "F-NL-1"), ("Inspection", "NL-INSP-1")),
        ("CONCERNS", ("Finding", "F-NL-1"), ("Arrival", MRN)),
    }
    assert expected <= set(g.edges)
    # provenance: side and file on every node and relationship
    # (every file that mentions a node is in its provenance)
    assert g.nodes[shipment]["_src"] == [f"cn:cn-certificates.{fmt}", f"cn:cn-shipment-lines.{fmt}", f"cn:cn-shipments.{fmt}"]
    assert f"cn:cn-manufacturers.{fmt}" in g.nodes[("Manufacturer", FACTORY)]["_src"]
    assert g.nodes[("Container", BOX1)]["_src"] == [f"cn:cn-shipments.{fmt}", f"eu:eu-arrivals.{fmt}"]
    assert all(e["_src"] for e in g.edges.values())


def test_file_names_announce_the_record_type():
    assert record_type_for("cn-shipments.csv").name == "cn-shipments"
    assert record_type_for("data/cn-shipment-lines-2015.jsonl").name == "cn-shipment-lines"
    assert record_type_for("EU-FINDINGS.CSV").name == "eu-findings"
    assert record_type_for("shipments.csv") is None


REJECTIONS = [
    ("cn-manufacturers", "uscc", "91440101MA59ABCD12", "expected D"),
    ("cn-manufacturers", "name_zh", "", "is required but empty"),
    ("cn-products", "gtin", "6901234567890", "GS1 check digit"),
    ("cn-products", "category", "", "is required"),
    ("cn-shipments", "containers", f"{BOX1};MSCU1234560", "ISO 6346 check digit (expected 6)"),
    ("cn-shipments", "departed_on", "10/01/2015", "ISO 8601"),
    ("cn-shipments", "port_of_loading", "SHANTOU", "UN/LOCODE"),
    ("cn-shipments", "destination_country", "Netherlands", "ISO 3166"),
    ("cn-shipment-lines", "quantity", "a few", "whole number"),
    ("cn-certificates", "result", "ok", "not one of pass, fail"),
    ("cn-investigations", "status", "done", "not one of"),
    ("cn-investigations", "closed_on", "2015-02-01", "before opened_on"),
    ("eu-arrivals", "mrn", "15NLABCDEFGHIJ1230", "MRN"),
    ("eu-arrivals", "importer_eori", "123", "EORI"),
    ("eu-inspections", "kind", "visual", "not one of documentary, physical, laboratory"),
    ("eu-inspections", "outcome", "fail", "not one of compliant, non_compliant"),
    ("eu-findings", "risk_level", "extreme", "not one of serious"),
    ("eu-findings", "found_on", "yesterday", "ISO 8601"),
    # digits of other scripts are digits to Python's \\d and str.isdigit, and are no identifier
    ("cn-shipments", "containers", "MSCU١٢٣٤٥٦٦", "not an ISO 6346 number"),
    ("eu-arrivals", "mrn", "١٥NL0000000001234X", "MRN"),
    ("cn-products", "gtin", "٦٩٠١٢٣٤٥٦٧٨٩٢", "GTIN"),
    ("cn-products", "hs_code", "٩٥٠٣٠٠", "HS code"),
    ("cn-shipment-lines", "quantity", "١٢٠", "whole number"),
    ("cn-shipment-lines", "quantity", "12²", "whole number"),
]


@pytest.mark.parametrize("name, field, value, reason", REJECTIONS)
def test_each_rule_rejects_with_file_line_field_and_reason(tmp_path, name, field, value, reason):
    good = dict(VALID[name])
    bad = dict(good, **{field: value})
    if name == "cn-investigations" and field == "closed_on":
        bad["status"] = "closed"
    second = dict(good)
    key = RECORD_TYPES[name].fields[0].name
    second[key] = second[key] if key in ("uscc", "manufacturer_uscc", "mrn") else second[key] + "2"
    path = write_csv(tmp_path / f"{name}.csv", [second, bad])
    report = load(None, [str(path)])
    assert report.files[0].read == 2 and report.files[0].landed == 1 and report.files[0].rejected == 1
    (problem,) = [p for p in report.problems if p.kind == "rejected"]
    assert (Path(problem.file).name, problem.line, problem.field) == (f"{name}.csv", 3, field)
    assert reason in problem.reason


def test_a_missing_required_column_rejects_the_file_in_one_line(tmp_path):
    row = {k: v for k, v in VALID["cn-shipments"].items() if k != "bill_of_lading"}
    path = write_csv(tmp_path / "cn-shipments.csv", [row, row])
    report = load(None, [str(path)])
    assert report.files[0].rejected == 2 and report.files[0].landed == 0
    (problem,) = report.problems
    assert (problem.line, problem.field) == (1, "bill_of_lading") and "no column" in problem.reason


def test_references_to_records_not_loaded_yet_are_not_errors(store, tmp_path):
    path = write_csv(tmp_path / "cn-shipment-lines.csv", [VALID["cn-shipment-lines"]])
    report = load(store, [str(path)])
    assert report.rejected == 0
    g = store.dump()
    assert g.nodes[("Product", f"{FACTORY}|XD-2087")] == {
        "manufacturer_uscc": FACTORY, "model": "XD-2087", "_src": ["cn:cn-shipment-lines.csv"]}
    assert g.nodes[("Shipment", "531620150000000001")] == {"_src": ["cn:cn-shipment-lines.csv"]}


def test_a_later_record_replaces_the_earlier_and_its_relationships(store, tmp_path):
    v1 = VALID["cn-shipments"]
    load(store, [str(write_csv(tmp_path / "cn-shipments.csv", [v1]))])
    v2 = dict(v1, containers=BOX2, departed_on="2015-01-11")
    (tmp_path / "later").mkdir()
    load(store, [str(write_csv(tmp_path / "later" / "cn-shipments-fix.csv", [v2]))])
    g = store.dump()
    s = ("Shipment", v1["declaration_no"])
    assert g.nodes[s]["departed_on"] == "2015-01-11" and g.nodes[s]["containers"] == [BOX2]
    assert ("IN_CONTAINER", s, ("Container", BOX1)) not in g.edges
    assert g.edges[("IN_CONTAINER", s, ("Container", BOX2))]["_src"] == ["cn:cn-shipments-fix.csv"]
    assert g.nodes[s]["_src"] == ["cn:cn-shipments-fix.csv", "cn:cn-shipments.csv"]


HOSTILE_CSV = (
    "\ufeffuscc,name_zh,name_en,city,address\n"
    f"{FACTORY},星达玩具厂,\"=cmd|' /C calc'!A0\",Shantou,ok\n"  # 2: a formula, kept as inert text
    f"{FACTORY2},\"stray \"\"quote\"\" inside\",x,Dongguan,\"multi\nline\"\n"  # 3-4: quotes and a line break, fine
    "91440101MA59ABCD12,坏,bad check,x,x\n"  # 5: wrong check character
    f"{FACTORY},重复,duplicate key,x,x\n"  # 6: duplicate key: updates line 2, with a warning
    f"{EXPORTER},nul\x00byte,x,x,x\n"  # 7: NUL byte
    f"{EXPORTER},\"{'x' * 10_000_000}\",huge,x,x\n"  # 8: a 10 MB field
)


def test_hostile_file_rejects_bad_rows_and_keeps_the_rest(store, tmp_path):
    path = tmp_path / "cn-exporters.csv"
    data = HOSTILE_CSV.encode("utf-8") + f"{EXPORTER},caf\xe9 latin-1,x,x,x\n".encode("latin-1")  # 9: not UTF-8
    data += f'{EXPORTER},"unterminated,x,x,x\n'.encode()  # 10: a stray quote runs to the end
    path.write_bytes(data)
    report = load(store, [str(path)], )
    problems = {(p.line, p.field, p.kind): p.reason for p in report.problems}
    assert any(k[0] == 5 and k[1] == "uscc" for k in problems)
    assert "NUL" in problems[(7, "name_zh", "rejected")]
    assert "10,000,000 characters" in problems[(8, "name_zh", "rejected")]
    assert "not valid UTF-8" in problems[(9, "name_zh", "rejected")]
    assert "never closed" in problems[(10, "", "rejected")]
    assert "repeats the key" in problems[(6, "", "warning")]
    assert report.files[0].landed == 3
    g = store.dump()
    assert g.nodes[("Exporter", FACTORY)]["name_en"] == "duplicate key"  # line 6 updated line 2
    assert g.nodes[("Exporter", FACTORY2)]["address"] == "multi\nline"
    assert len([n for n in g.nodes if n[0] == "Exporter"]) == 2

    # the formula is stored verbatim (data is never evaluated) and made inert in the report
    path2 = write_csv(tmp_path / "cn-manufacturers.csv", [dict(VALID["cn-manufacturers"], name_en="=cmd|' /C calc'!A0"),
                                                          dict(VALID["cn-manufacturers"], uscc="=1+1")])
    report2 = load(store, [str(path2)])
    assert store.dump().nodes[("Manufacturer", FACTORY)]["name_en"] == "=cmd|' /C calc'!A0"
    out = tmp_path / "report.csv"
    report2.write(str(out))
    rows = list(csv.reader(open(out, encoding="utf-8")))
    assert rows[0] == ["file", "line", "field", "kind", "reason", "value"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)
    assert rows[1][5] == "'=1+1"  # the value as the row gave it, made inert by an apostrophe only


def test_csv_cells_reach_their_fields_in_any_column_order_and_row_length(store, tmp_path):
    """Columns in any order, an unknown and an unnamed column beside them, an optional one absent:
    each value still reaches its field. A short row lacks its last cells (a required one is
    "missing"); a blank cell past the last column is nothing, a filled one rejects the row."""
    v = VALID["cn-shipments"]
    header = ["Departed_On ", "remarks", "containers", "", "declaration_no", "exporter_uscc", "bill_of_lading",
              "port_of_loading", "destination_country"]  # no destination_port (optional)
    full = [v["departed_on"], "fragile", v["containers"], "?", v["declaration_no"], v["exporter_uscc"],
            v["bill_of_lading"], v["port_of_loading"], v["destination_country"]]
    lines = [header, full, full[:7], [*full[:4], "531620150000000002", *full[5:], ""],
             [*full[:4], "531620150000000003", *full[5:], "extra"]]
    path = tmp_path / "cn-shipments.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(lines)
    report = load(store, [str(path)])
    got = {(p.line, p.field, p.kind): p.reason for p in report.problems}
    assert got[(3, "port_of_loading", "rejected")] == got[(3, "destination_country", "rejected")] == "is required but missing"
    assert "has 10 cells but the header names 9 columns" in got[(5, "", "rejected")]
    assert report.files[0].landed == 2 and report.files[0].rejected == 2
    nodes = store.dump().nodes
    for key in (v["declaration_no"], "531620150000000002"):
        expected = dict(v, declaration_no=key, containers=[BOX1, BOX2])
        del expected["destination_port"]
        assert {k: w for k, w in nodes[("Shipment", key)].items() if k != "_src"} == expected


def test_jsonl_rows_that_are_not_objects_are_rejected_by_line(store, tmp_path):
    path = tmp_path / "eu-findings.jsonl"
    good = VALID["eu-findings"]
    write_jsonl(path, [good])
    with open(path, "a", encoding="utf-8") as f:
        f.write("{not json\n[1, 2]\n\n")
        f.write('{"finding_id": "F-2", "found_on": "2015-01-01", "notifying_country": "NL", "product_name": ["a", "b"],'
                ' "category": "Toys", "hazard": "Fire", "risk_level": "low"}\n')
        f.write('{"finding_id": 17, "found_on": "2015-01-01", "notifying_country": "NL", "product_name": "Kite",'
                ' "category": "Toys", "hazard": "Fire", "risk_level": "low", "gtin": 4006381333931}\n')
    report = load(store, [str(path)])
    lines = {p.line: p for p in report.problems}
    assert "not valid JSON" in lines[2].reason
    assert "JSON list" in lines[3].reason
    assert lines[5].field == "product_name" and "list" in lines[5].reason
    assert report.files[0].landed == 2
    assert store.dump().nodes[("Finding", "17")]["gtin"] == "4006381333931"


def test_hostile_jsonl_lines_are_rejected_by_line_and_the_load_goes_on(store, tmp_path):
    """JSON that Python reads but the exchange cannot hold: nesting deep enough to exhaust the
    parser's recursion, NaN and 1e999 (no JSON numbers), an integer of 5,000 digits, and a lone
    surrogate escape (valid JSON, no character). Each once ended the load or landed."""
    path = tmp_path / "eu-findings.jsonl"
    good = VALID["eu-findings"]
    write_jsonl(path, [good])

    def row(**change: object) -> str:
        return json.dumps({**good, "finding_id": "F-X", **change})

    hostile = [
        '{"finding_id": ' + "[" * 100_000 + "]" * 100_000 + "}",
        row(found_on=float("nan")),  # json.dumps writes NaN
        row(found_on="HUGE").replace('"HUGE"', "1e999"),
        row().replace('"F-X"', "9" * 5000),
        row(finding_id="F-SURROGATE").replace("SURROGATE", "\\ud800"),  # the six characters \ud800
    ]
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n".join(hostile) + "\n")
    report = load(store, [str(path)])
    lines = {p.line: p for p in report.problems}
    assert "too deep" in lines[2].reason
    assert "NaN is no JSON number" in lines[3].reason
    assert "1e999 is too large" in lines[4].reason
    assert "not valid JSON" in lines[5].reason and "digits" in lines[5].reason
    assert lines[6].field == "finding_id" and "lone surrogate" in lines[6].reason
    assert report.files[0].landed == 1 and report.files[0].rejected == 5
    assert [k for k in store.dump().nodes if k[0] == "Finding"] == [("Finding", good["finding_id"])]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_utf16_file_is_refused_whole_with_what_to_do(tmp_path, fmt):
    """A spreadsheet's "Unicode text" export is UTF-16: one problem for the file, not one per row."""
    row = VALID["cn-exporters"]
    if fmt == "csv":
        text = ",".join(row) + "\n" + ",".join(str(v) for v in row.values()) + "\n"
    else:
        text = json.dumps(row, ensure_ascii=False) + "\n"
    path = tmp_path / f"cn-exporters.{fmt}"
    path.write_bytes(text.encode("utf-16"))
    report = load(None, [str(path)])
    (problem,) = report.problems
    assert (problem.line, problem.kind) == (1, "rejected") and "UTF-16" in problem.reason and "save it as UTF-8" in problem.reason
    assert report.landed == 0


def test_a_folder_skips_files_that_are_not_exchange_files(tmp_path):
    write_all(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    report = load(None, [str(tmp_path)])
    assert len(report.files) == len(VALID) and report.skipped == [str(tmp_path / "notes.txt")]


def test_one_text_check_per_row_gives_what_a_check_per_field_gives(demo_dir, tmp_path, monkeypatch):
    """A row whose text passes as a whole (no control character, nothing too long) skips the
    per-field text checks. Every record and every problem must be what the per-field path gives,
    on the demo files and on the rows of every rejection rule."""
    from tracegraph.loaders import csv_format, rules

    files = sorted(demo_dir.glob("*.csv"))
    for name, field, value, _ in REJECTIONS:
        files.append(write_csv(tmp_path / f"{name}-{field}.csv", [dict(VALID[name], **{field: value})]))
    rows = []
    for path in files:
        rtype = record_type_for(path.name)
        if rtype is None:
            continue
        with open(path, "rb") as raw:
            rows += [(rtype, row.values) for row in csv_format.read(raw, rtype.names, rtype.required) if not row.error]
    assert sum(rules.clean_row(filter(None, v)) for _, v in rows) == len(rows) > 1000  # the fast path is the one taken

    def outcome(rtype, values):
        record, errors = rtype.parse_values(values)
        return record, [(e.field, e.reason) for e in errors]

    fast = [outcome(t, v) for t, v in rows]
    monkeypatch.setattr(rules, "clean_row", lambda values: False)
    slow = [outcome(t, v) for t, v in rows]
    assert fast == slow
    assert sum(1 for r, _ in slow if r is None) == len(REJECTIONS)
    assert not rules.clean_row.__name__ == "clean_row"  # the patch took: the comparison was not of one path with itself


def test_a_row_with_a_control_character_is_checked_field_by_field(tmp_path):
    """One bad field in a row sends the whole row the slow way; the error still names that field,
    and a field with a wrong value elsewhere in the row is reported too."""
    from tracegraph.loaders.rules import clean_row

    row = dict(VALID["cn-shipments"], bill_of_lading="MSCU\x07123", departed_on="10/01/2015")
    assert not clean_row(row.values())
    report = load(None, [str(write_csv(tmp_path / "cn-shipments.csv", [row]))])
    got = {(p.field, p.line) for p in report.problems if p.kind == "rejected"}
    assert got == {("bill_of_lading", 2), ("departed_on", 2)}
    assert "control character" in next(p.reason for p in report.problems if p.field == "bill_of_lading")


def test_texts_that_repeat_across_rows_come_out_as_one_copy_and_pools_stay_bounded(monkeypatch):
    """A consignor or a date named on thousands of rows is kept once (memory, and a snapshot writes
    it once); a record's own identifier is never pooled; a pool past POOL_SIZE is emptied."""
    from tracegraph.loaders import rules

    rtype = RECORD_TYPES["eu-arrivals"]
    mrn = VALID["eu-arrivals"]["mrn"]

    def rows():  # texts built at run time, as a CSV reader makes them: equal, distinct objects
        return [dict(VALID["eu-arrivals"], mrn=mrn[:9] + mrn[9:], consignor_name=" ".join(["Haide", "Trading"])) for _ in range(20)]

    def distinct(field, records):
        return len({id(r.props[field]) for r in records})

    records = [rtype.parse(r)[0] for r in rows()]
    assert distinct("consignor_name", records) == 1
    assert distinct("mrn", records) == 20  # the record's own key: unique to it, never pooled
    pools = {name: pool for _, name, _, _, pool in rtype._plan}
    assert pools["mrn"] is None
    assert distinct("containers", records) == 1  # a list field's tuple too
    assert "Haide Trading" in pools["consignor_name"]
    monkeypatch.setattr(rules, "POOL_SIZE", 0)
    rtype.trim_pools()
    assert not pools["consignor_name"]
    unpooled = [(f, n, c, s, None) for f, n, c, s, _ in rtype._plan]
    monkeypatch.setitem(rtype.__dict__, "_plan", tuple(unpooled))  # without pools each row keeps its own
    assert distinct("consignor_name", [rtype.parse(r)[0] for r in rows()]) == 20


@pytest.mark.parametrize("collecting", [True, False])
def test_a_load_leaves_the_garbage_collector_as_it_found_it(tmp_path, collecting):
    """A load switches the collector off while it runs; a server that loads through the API, or a
    load that fails midway, must not be left without it (nor get it back if it had it off)."""
    import gc

    class Failing:
        def writing(self):
            import contextlib

            return contextlib.nullcontext()

        def apply(self, records, source):
            assert not gc.isenabled()  # off while rows are checked and landed
            raise RuntimeError("the store is gone")

        def commit(self):
            raise AssertionError("never reached")

        def checkpoint(self, force=False):
            raise AssertionError("never reached")

    data = write_all(tmp_path / "in", "csv")
    before = gc.isenabled()
    try:
        gc.enable() if collecting else gc.disable()
        with pytest.raises(RuntimeError, match="the store is gone"):
            load(Failing(), [str(data)])
        assert gc.isenabled() is collecting
        load(None, [str(data)])
        assert gc.isenabled() is collecting
    finally:
        gc.enable() if before else gc.disable()


def test_no_mangled_row_does_more_than_get_rejected():
    """Valid rows with a few characters replaced, inserted or dropped (digits and letters of other
    scripts, invisible and control characters, lone surrogates) either parse or come back as field
    problems; nothing raises. (Arabic-Indic digits in a container number once ended a whole load.)"""
    import random

    rng = random.Random(7)
    alphabet = "09AZaz -./;,_:'\"\t\u00a0١٢٣²³ßİıﬁ①Ⅻ٫\u200b\ufeff汉字Ωé\U0001F600\udc80\x00\x7f"
    rejected = 0
    for name, rtype in RECORD_TYPES.items():
        base = {k: str(v) for k, v in VALID[name].items()}
        for f in rtype.fields:
            for _ in range(300):
                chars = list(base.get(f.name, ""))
                for _ in range(rng.randint(1, 3)):
                    op, c = rng.random(), rng.choice(alphabet)
                    if chars and op < 0.5:
                        chars[rng.randrange(len(chars))] = c
                    elif op < 0.8:
                        chars.insert(rng.randrange(len(chars) + 1), c)
                    elif chars:
                        del chars[rng.randrange(len(chars))]
                record, problems = rtype.parse(dict(base, **{f.name: "".join(chars)}))
                assert (record is None) == bool(problems)
                rejected += record is None
    assert rejected > 10_000  # most mangled rows break a rule


def test_the_row_check_finds_the_characters_the_field_check_rejects():
    """clean_row checks ASCII rows with a byte table and others with the field check's regex: the
    two agree on every ASCII character, and a row with any such character is not clean."""
    from tracegraph.loaders.rules import _CONTROL, _CONTROL_BYTES, clean_row

    for i in range(128):
        assert (_CONTROL.search(chr(i)) is not None) == (bytes([i]) in _CONTROL_BYTES), hex(i)
        row = ["ST2015000001", f"Shantou{chr(i)}CIQ", "2015-01-09"]
        assert clean_row(row) is (_CONTROL.search(chr(i)) is None)
        assert clean_row([*row, "汕头"]) is (_CONTROL.search(chr(i)) is None)  # the regex path
    assert clean_row(["ok", "\udc80"]) is False and clean_row(["ok", 5]) is False

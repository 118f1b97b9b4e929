"""Safety Gate exports: every real alert lands as a finding, in each of the four formats alike,
whatever the file is called; each quirk of real exports becomes what is pinned here; loads merge
in any order; hostile files are refused whole, naming the file, and leave the store as it was."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from itertools import permutations
from pathlib import Path

import pytest

from tracegraph.loaders.load import discover, load
from tracegraph.loaders.reader import FileProblem
from tracegraph.loaders.safety_gate import RawAlert, country_code, parse_alert_number, to_record
from serving import TRACEGRAPH

DATA = Path(__file__).resolve().parent / "data" / "safety-gate"
WEBSITE = DATA / "alerts-toys-cn-sample.csv"  # real rows, as the website's export writes them
SEARCH = DATA / "search-export-barcodes-sample.csv"  # real rows, as the search export writes them
STEMS = ("alerts-toys-cn-sample", "search-export-barcodes-sample")
KINDS = ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)]


def real_alert_numbers() -> list[str]:
    return [r["alert_number"].strip() for f in (WEBSITE, SEARCH) for r in csv.DictReader(open(f, encoding="utf-8", newline=""))]


def findings(store) -> dict[str, dict]:
    return {k: v for (label, k), v in store.dump().nodes.items() if label == "Finding"}


def search_export(path: Path, rows: list[dict[str, str]]) -> Path:
    """A search-export CSV with the real file's columns; a column a row leaves out reads ``None``."""
    header = next(csv.reader(open(SEARCH, encoding="utf-8", newline="")))
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, header)
        out.writeheader()
        out.writerows({h: r.get(h, "None") for h in header} for r in rows)
    return path


def fresh(store_factory, kind: str, name: str):
    """A new empty store of ``kind`` (Neo4j has one database: the factory empties it)."""
    return store_factory(kind, name)


# -- every real alert ------------------------------------------------------------------------------
def test_every_real_alert_lands_as_a_finding_and_states_no_relationship(store):
    report = load(store, [str(WEBSITE), str(SEARCH)])
    assert report.rejected == 0 and report.landed == 30
    assert [(f.type, f.read, f.landed) for f in report.files] == [("safety-gate", 23, 23), ("safety-gate", 7, 7)]
    assert all(p.kind == "warning" for p in report.problems)
    got = findings(store)
    assert sorted(got) == sorted(real_alert_numbers())
    for key, f in got.items():
        assert f["alert_no"] == f["finding_id"] == key and f["source"] == "safety-gate"
        assert f["found_on"] and f["risk_level"] in ("serious", "high", "medium", "low") and f["category"] == "Toys"
        assert "None" not in json.dumps(f)  # the literal text None is no value
    assert store.dump().edges == {}  # a market finding has no MRN and no inspection


def test_what_each_quirk_of_real_exports_becomes(store, tmp_path):
    later = search_export(tmp_path / "search-later.csv", [
        # the wrong check digit real rows lack (6971396360259 is right)
        {"alert_number": "SR/09999/24", "product_name": "Toy gun set", "product_category": "Toys", "barcode": "6971396360258",
         "country_of_origin": "China", "risk_type": "Choking"},
    ])
    report = load(store, [str(WEBSITE), str(SEARCH), str(later)])
    warnings = {(Path(p.file).name, p.line, p.field): p.reason for p in report.problems if p.kind == "warning"}
    f = findings(store)

    # None is empty: no brand, no notifying country, no measures
    assert "brand" not in f["A12/03290/24"] and "notifying_country" not in f["SR/03781/24"] and "measure" not in f["SR/03781/24"]
    # both spellings of the People's Republic of China, and plain China, are CN, with no warning
    assert f["A12/01390/23"]["country_of_origin"] == f["SR/03781/24"]["country_of_origin"] == f["SR/09999/24"]["country_of_origin"] == "CN"
    assert not [r for (_, _, field), r in warnings.items() if field == "country_of_origin"]
    assert f["A12/01904/24"]["notifying_country"] == "CZ" and f["A12/03243/24"]["notifying_country"] == "IS"
    # a multi-line measure text with two blocks: aligned operator, category and date; the text as well
    play_mat = f["A12/03290/24"]
    assert play_mat["measure_operators"] == ["Other", "Other"]
    assert play_mat["measure_categories"] == ["Removal of this product listing by the online marketplace", "Warning consumers of the risks"]
    assert play_mat["measure_dates"] == ["2024-08-30", "2024-09-20"]
    assert play_mat["measure"].startswith("Type of economic operator taking notified measure(s): Other\nCategory")
    assert (play_mat["found_on"], play_mat["found_on_basis"]) == ("2024-08-30", "measures")
    assert "no alert date: found_on is 2024-08-30" in warnings[("alerts-toys-cn-sample.csv", 12, "found_on")]
    # three blocks; a block whose date is Unknown keeps its place
    assert f["A12/02995/24"]["measure_categories"][2] == "Withdrawal of the product from the market"
    assert f["A12/03208/24"]["measure_dates"] == ["", "2024-09-20"] and f["A12/03208/24"]["found_on"] == "2024-09-20"
    # no date at all: the earliest date the alert number allows (SR numbering starts with the GPSR)
    assert (f["A12/03037/24"]["found_on"], f["A12/03037/24"]["found_on_basis"]) == ("2024-01-01", "alert_number")
    assert (f["SR/03781/24"]["found_on"], f["SR/03781/24"]["found_on_basis"]) == ("2024-12-13", "alert_number")
    assert "earliest date alert number A12/03037/24 allows" in warnings[("alerts-toys-cn-sample.csv", 53, "found_on")]
    # risk level from the notification type of the prefix: A12 and SR are serious-risk notifications
    assert {(x["risk_level"], x["risk_level_basis"]) for x in f.values()} == {("serious", "alert_number")}
    # several risk types: the first is the hazard, every one is in hazards
    assert (f["A12/03208/24"]["hazard"], f["A12/03208/24"]["hazards"]) == ("Chemical", ["Chemical", "Choking", "Damage to sight"])
    # a 10-digit barcode and a wrong check digit: kept as text, with a warning; valid ones are GTINs
    assert f["SR/03781/24"]["barcode"] == "7802694520" and "gtin" not in f["SR/03781/24"]
    assert warnings[("search-export-barcodes-sample.csv", 2, "barcode")] == \
        "GTIN '7802694520' must be 8, 12, 13 or 14 digits: kept as text in barcode"
    assert f["SR/09999/24"]["barcode"] == "6971396360258" and "gtin" not in f["SR/09999/24"]
    assert "fails the GS1 check digit (expected 9)" in warnings[("search-later.csv", 2, "barcode")]
    assert f["SR/03782/24"]["gtin"] == "6971396360259" and "barcode" not in f["SR/03782/24"]
    assert f["SR/03812/24"]["batch"] == "007786"  # leading zeros are text, kept
    # spaces around a value go; lines inside one stay
    assert f["A12/03556/24"]["product_name"] == "Bath toy" and f["A12/03139/24"]["product_name"] == "Plastic doll"
    assert "\nMoreover" in f["A12/03047/24"]["risk_description"]


def test_an_alert_in_two_exports_is_one_finding_with_the_fields_of_both_in_any_order(store_factory, tmp_path):
    """The search export gives the barcode and batch the website export lacks, and no measures, no
    notifying country, no alert date: nothing of the first export is erased, and found_on stays
    the one derived from the measures whichever file comes first."""
    also = search_export(tmp_path / "search-export-2.csv", [
        {"alert_number": "A12/3290/24", "product_name": "Play mat", "product_category": "Toys", "brand": "",
         "barcode": "6971396360259", "batch_number": "B-7", "country_of_origin": "Peoples Republic of China",
         "risk_type": "Choking"},
    ])
    dumps = []
    for order in ([WEBSITE, also], [also, WEBSITE]):
        store = fresh(store_factory, "embedded", f"s{len(dumps)}")
        for path in order:
            assert load(store, [str(path)]).rejected == 0
        dumps.append(store.dump())
    assert dumps[0] == dumps[1]
    mat = dumps[0].nodes[("Finding", "A12/03290/24")]
    assert (mat["gtin"], mat["batch"], mat["notifying_country"]) == ("6971396360259", "B-7", "FR")
    assert (mat["found_on"], mat["found_on_basis"]) == ("2024-08-30", "measures")
    assert mat["measure_dates"] == ["2024-08-30", "2024-09-20"]
    assert mat["_src"] == ["eu:alerts-toys-cn-sample.csv", "eu:search-export-2.csv"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_derived_field_never_replaces_one_on_a_stronger_basis_whatever_the_order(store_factory, tmp_path, kind):
    """One alert in three exports: one with an alert date and a stated risk level, one with measures
    only, one with nothing but its number. Every order of loading them gives one graph."""
    dated = tmp_path / "dated.json"
    dated.write_text(json.dumps([{"alert_number": "A12/03290/24", "alert_date": "2024-09-27", "risk_level": "High risk",
                                  "product_barcode": "6971396360259"}]), encoding="utf-8")
    bare = search_export(tmp_path / "bare.csv", [{"alert_number": "A12/03290/24", "type_of_alert": "None"}])
    measured = tmp_path / "measured.csv"
    with open(WEBSITE, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["alert_number"] == "A12/03290/24"]
    with open(measured, "w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, list(rows[0]))
        out.writeheader()
        out.writerows(rows)
    dumps = []
    for i, order in enumerate(permutations([dated, bare, measured])):
        store = fresh(store_factory, kind, f"p{i}")
        for path in order:
            assert load(store, [str(path)]).rejected == 0
        dumps.append(store.dump())
    assert all(d == dumps[0] for d in dumps)
    mat = dumps[0].nodes[("Finding", "A12/03290/24")]
    assert (mat["found_on"], mat["found_on_basis"], mat["risk_level"], mat["risk_level_basis"]) == ("2024-09-27", "alert_date", "high", "stated")
    assert mat["measure_dates"] == ["2024-08-30", "2024-09-20"] and mat["gtin"] == "6971396360259"


def test_an_alert_twice_in_one_file_lands_once_with_both_rows_merged(store, tmp_path):
    path = search_export(tmp_path / "twice.csv", [
        {"alert_number": "SR/03812/24", "product_name": "Toy train", "brand": "Hornby"},
        {"alert_number": "SR/3812/24", "product_name": "Clockwork train", "barcode": "5014631011804"},
    ])
    report = load(store, [str(path)])
    assert report.files[0].landed == 2 and report.rejected == 0
    (warning,) = [p for p in report.problems if "repeats" in p.reason]
    assert (warning.line, warning.reason) == (3, "repeats alert SR/03812/24 of line 2; both are merged, this later one's fields first")
    (train,) = findings(store).values()
    assert (train["brand"], train["product_name"], train["gtin"]) == ("Hornby", "Clockwork train", "5014631011804")


def test_only_an_alert_without_a_usable_alert_number_is_rejected(store, tmp_path):
    path = search_export(tmp_path / "numbers.csv", [
        {"alert_number": "None", "product_name": "Kite"},
        {"alert_number": "RAPEX 17", "product_name": "Yo-yo"},
        {"alert_number": "a12 / 912 / 2019", "product_name": "Rattle", "country_of_origin": "Atlantis"},
    ])
    report = load(store, [str(path)])
    rejected = {(p.line, p.field): p.reason for p in report.problems if p.kind == "rejected"}
    assert rejected == {
        (2, "alert_number"): "is required but empty: an alert is known by its alert number",
        (3, "alert_number"): "'RAPEX 17' is not a Safety Gate alert number (like A12/01390/23, A12/0912/19 or SR/03781/24)",
    }
    assert (report.files[0].read, report.files[0].landed, report.files[0].rejected) == (3, 1, 2)
    rattle = findings(store)["A12/00912/19"]
    assert rattle["country_of_origin"] == "Atlantis"
    assert any(p.field == "country_of_origin" and "'Atlantis' is not recognised; kept as text" in p.reason for p in report.problems)


# -- the four formats ------------------------------------------------------------------------------
def _named_alike(tmp_path: Path, ext: str) -> list[str]:
    """The fixtures of one format copied to names without an extension, the same for every format
    (so provenance is alike too): each is recognised by its content."""
    folder = tmp_path / "exports" / ext
    folder.mkdir(parents=True)
    for stem in STEMS:
        shutil.copy(DATA / f"{stem}.{ext}", folder / stem)
    return [str(folder / stem) for stem in STEMS]


@pytest.mark.parametrize("kind", KINDS)
def test_the_four_formats_of_the_same_alerts_give_the_same_graph(store_factory, tmp_path, kind):
    """The website and search CSVs (real), the open-data JSON (records under ``fields``, and flat)
    and the search XML of the same thirty alerts."""
    dumps = {}
    for ext in ("csv", "json", "xml"):
        store = fresh(store_factory, kind, ext)
        report = load(store, _named_alike(tmp_path, ext))
        assert [(f.read, f.landed, f.rejected) for f in report.files] == [(23, 23, 0), (7, 7, 0)]
        dumps[ext] = store.dump()
    assert dumps["json"] == dumps["csv"] and dumps["xml"] == dumps["csv"]
    assert len(dumps["csv"].nodes) == 30


def test_loading_the_same_exports_twice_changes_nothing(store):
    paths = [str(DATA / f"{stem}.{ext}") for stem in STEMS for ext in ("csv", "json", "xml")]
    first = load(store, paths)
    assert first.rejected == 0
    before = store.dump()
    again = load(store, paths)
    assert sum(f.result.created + f.result.updated for f in again.files) == 0
    assert sum(f.result.unchanged for f in again.files) == again.landed == 90
    assert store.dump() == before


def test_exports_are_recognised_by_content_whatever_they_are_called(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(WEBSITE, folder / "export.csv")
    shutil.copy(DATA / "alerts-toys-cn-sample.xml", folder / "alerts (3).xml")
    shutil.copy(DATA / "search-export-barcodes-sample.json", folder / "data.json")
    shutil.copy(SEARCH, folder / "download")
    (folder / "notes.txt").write_text("alert_number,id,name\n")  # too few Safety Gate columns
    (folder / "other.csv").write_text("id,name\n1,x\n")
    (folder / "other.json").write_text('[{"id": 1}]')
    (folder / "other.xml").write_text("<alerts><alert_number>A12/01390/23</alert_number></alerts>")
    found, skipped = discover([str(folder)])
    assert sorted((Path(p).name, kind.name, kind.reader) for p, kind in found) == [
        ("alerts (3).xml", "safety-gate", "xml"), ("data.json", "safety-gate", "json"),
        ("download", "safety-gate", "csv"), ("export.csv", "safety-gate", "csv")]
    assert sorted(Path(p).name for p in skipped) == ["notes.txt", "other.csv", "other.json", "other.xml"]
    report = load(None, [str(folder)])
    assert report.landed == 23 + 23 + 7 + 7 and report.rejected == 0
    # an exchange file is still known by its name, and a file named that is neither is an error
    with pytest.raises(FileProblem, match="not an exchange file .* nor a Safety Gate export"):
        discover([str(folder / "other.csv")])
    # a forced format reads a folder's .csv, .json and .xml files as exports, and any file named
    found, skipped = discover([str(folder)], fmt="safety-gate")
    assert sorted(Path(p).name for p, _ in found) == ["alerts (3).xml", "data.json", "download", "export.csv", "other.csv",
                                                      "other.json", "other.xml"]
    assert [k.reader for _, k in discover([str(folder / "notes.txt")], fmt="safety-gate")[0]] == ["csv"]


# -- hostile files ---------------------------------------------------------------------------------
BOMB = """<?xml version="1.0"?>
<!DOCTYPE notifications [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<notifications><notification><caseNumber>A12/01390/23</caseNumber><name>&e;</name></notification></notifications>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE notifications [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<notifications><notification><caseNumber>A12/01390/23</caseNumber><name>&x;</name></notification></notifications>
"""


def _truncated_xml() -> bytes:
    whole = (DATA / "alerts-toys-cn-sample.xml").read_bytes()
    return whole[: whole.index(b"<caseNumber>A12/03008/24")]  # four notifications whole; it ends on line 67, in the fifth


HOSTILE = [
    ("truncated.xml", _truncated_xml, 67, "the XML ends before its elements are closed (is the file cut short?)"),
    ("bomb.xml", lambda: BOMB.encode(), 2, "the XML declares a document type (<!DOCTYPE …>)"),
    ("external.xml", lambda: EXTERNAL.encode(), 2, "the XML declares a document type"),
    ("string.json", lambda: b'"alert_number"', 1, "the JSON is a str, where a list of Safety Gate records is expected"),
    ("object.json", lambda: b'{"alert_number_count": 3, "records": 3}', 1, "the JSON is an object without alerts"),
    ("broken.json", lambda: b'[\n{"alert_number": "A12/01390/23",\n', 3, "the file is not valid JSON"),
    ("nan.json", lambda: b'[{"alert_number": "A12/01390/23", "risk_level": NaN}]', 1, "NaN is no JSON number"),
    ("utf16.csv", lambda: WEBSITE.read_text(encoding="utf-8").encode("utf-16"), 1,
     "the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8"),
]


@pytest.mark.parametrize("name, content, line, reason", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_file_is_refused_whole_naming_it_and_the_store_keeps_what_it_had(store, tmp_path, name, content, line, reason):
    assert load(store, [str(WEBSITE)]).rejected == 0
    before = store.dump()
    path = tmp_path / name
    path.write_bytes(content())
    report = load(store, [str(path)], fmt="safety-gate")
    (problem,) = report.problems
    assert (Path(problem.file).name, problem.line, problem.kind) == (name, line, "rejected")
    assert reason in problem.reason
    assert report.files[0].landed == 0 and report.files[0].rejected >= 1
    assert store.dump() == before


def test_a_utf16_csv_is_recognised_and_refused_by_content_and_a_utf16_xml_is_read(tmp_path):
    """A spreadsheet's UTF-16 text is no CSV the readers take; XML says its encoding itself."""
    path = tmp_path / "export.csv"
    path.write_bytes(WEBSITE.read_text(encoding="utf-8").encode("utf-16"))
    (problem,) = load(None, [str(path)]).problems
    assert Path(problem.file).name == "export.csv" and "UTF-16" in problem.reason
    xml = tmp_path / "export.xml"
    text = (DATA / "search-export-barcodes-sample.xml").read_text(encoding="utf-8")
    xml.write_bytes(text.replace("encoding='utf-8'", "encoding='UTF-16'").encode("utf-16"))
    report = load(None, [str(xml)])
    assert report.landed == 7 and report.rejected == 0
    assert ("barcode", 4) in {(p.field, p.line) for p in report.problems}  # the element's name as written, its line


def test_records_that_are_no_objects_are_rejected_by_line(store, tmp_path):
    path = tmp_path / "mixed.json"
    path.write_text('[\n  1,\n  {"fields": {"alert_number": "OR/00012/25", "product_name": "Lamp"}},\n  ["A12/01390/23"]\n]\n')
    report = load(store, [str(path)])
    rejected = {p.line: p.reason for p in report.problems if p.kind == "rejected"}
    assert rejected == {2: "the alert is a JSON int, where an object with the fields of an alert is expected",
                        4: "the alert is a JSON list, where an object with the fields of an alert is expected"}
    assert findings(store)["OR/00012/25"]["risk_level"] == "medium"


# -- alert numbers, risk levels, dates and countries -----------------------------------------------
@pytest.mark.parametrize("written, key", [
    ("A12/01390/23", "A12/01390/23"), ("A12/0912/19", "A12/00912/19"), ("a12 / 912 / 2019", "A12/00912/19"),
    ("A11/00123/20", "A11/00123/20"), ("SR/03781/24", "SR/03781/24"), ("OR/12/25", "OR/00012/25"),
    ("A12-01390-23", "A12/01390/23"), (" SR/03781/24\n", "SR/03781/24"),
])
def test_alert_numbers_are_normalised_in_every_form(written, key):
    number = parse_alert_number(written)
    assert number is not None and number.key == key


@pytest.mark.parametrize("text", ["", "12345", "A12/01390", "A12/01390/1999x", "A12/١٢٣/23", "None"])
def test_text_that_is_no_alert_number(text):
    assert parse_alert_number(text) is None


def _mapped(**values: str):
    record, notes, error = to_record(RawAlert(2, values, {k: k for k in values}))
    assert error is None and record is not None
    return record.props, [(n.field, n.reason) for n in notes]


@pytest.mark.parametrize("values, level, basis", [
    ({"alert_number": "A12/00001/20"}, "serious", "alert_number"),
    ({"alert_number": "A11/00001/20"}, "medium", "alert_number"),
    ({"alert_number": "SR/00001/25"}, "serious", "alert_number"),
    ({"alert_number": "OR/00001/25"}, "medium", "alert_number"),
    ({"alert_number": "XY/00001/25"}, "serious", "default"),
    ({"alert_number": "A12/00001/20", "alert_type": "Products with a risk level other than serious"}, "medium", "alert_type"),
    ({"alert_number": "XY/00001/25", "alert_type": "Serious risk notification"}, "serious", "alert_type"),
    ({"alert_number": "A11/00001/20", "alert_type": "Art. 12 notification"}, "serious", "alert_type"),
    ({"alert_number": "A12/00001/20", "level": "Low risk", "alert_type": "Serious risk"}, "low", "stated"),
])
def test_the_risk_level_comes_from_the_strongest_source_the_export_gives(values, level, basis):
    props, notes = _mapped(**values)
    assert (props["risk_level"], props["risk_level_basis"]) == (level, basis)
    assert bool([n for n in notes if "notification type" in n[1]]) == (basis == "default")


@pytest.mark.parametrize("values, found_on, basis", [
    ({"alert_number": "A12/00001/23", "alert_date": "2023-06-09T00:00:00+00:00"}, "2023-06-09", "alert_date"),
    ({"alert_number": "A12/00001/23", "alert_date": "09/06/2023", "measures": "Date of entry into force: 01/01/2023"}, "2023-06-09", "alert_date"),
    ({"alert_number": "A12/00001/23", "measures": "Date of entry into force: 01/02/2023"}, "2023-02-01", "measures"),
    ({"alert_number": "A11/00001/19"}, "2019-01-01", "alert_number"),
    ({"alert_number": "OR/00001/24"}, "2024-12-13", "alert_number"),
    ({"alert_number": "SR/00001/25"}, "2025-01-01", "alert_number"),
])
def test_found_on_is_the_alert_date_else_the_first_measure_else_the_alert_number(values, found_on, basis):
    props, notes = _mapped(**values)
    assert (props["found_on"], props["found_on_basis"]) == (found_on, basis)
    assert bool([n for n in notes if n[0] == "found_on"]) == (basis != "alert_date")


@pytest.mark.parametrize("written, code", [
    ("People's Republic of China", "CN"), ("Peoples Republic of China", "CN"), ("People’s Republic of China", "CN"),
    ("China", "CN"), ("CHINA", "CN"), ("cn", "CN"), ("CHN", "CN"), ("Hong Kong", "HK"), ("Taiwan", "TW"),
    ("Czechia", "CZ"), ("Czech Republic", "CZ"), ("Turkey", "TR"), ("Türkiye", "TR"), ("Vietnam", "VN"),
    ("United Kingdom", "GB"), ("Korea, Republic of", "KR"), ("Unknown", None), ("China, Vietnam", None),
])
def test_country_spellings(written, code):
    assert country_code(written) == code


def test_a_value_with_control_characters_or_bad_bytes_is_cleaned_with_a_warning(tmp_path, store):
    path = tmp_path / "dirty.csv"
    path.write_bytes(b"alert_number,product_name,brand,product_category\n"
                     b"A12/01390/23,Soap\x07 bubble toy,Caf\xe9,Toys\n")
    report = load(store, [str(path)])
    notes = {p.field: p.reason for p in report.problems if p.kind == "warning"}
    assert "control characters" in notes["product_name"] and "not valid UTF-8" in notes["brand"]
    soap = findings(store)["A12/01390/23"]
    assert (soap["product_name"], soap["brand"]) == ("Soap bubble toy", "Caf\ufffd")


# -- the command line ------------------------------------------------------------------------------
def tg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TRACEGRAPH, *args], capture_output=True, text=True, env=dict(os.environ))


def test_format_safety_gate_through_the_command_line(tmp_path):
    store = str(tmp_path / "store")
    renamed = tmp_path / "alerts.txt"
    shutil.copy(WEBSITE, renamed)
    r = tg("--store", store, "load", "--format", "safety-gate", str(renamed))
    assert r.returncode == 0, r.stderr
    assert f"{renamed}: read 23, landed 23, rejected 0 (new 23, updated 0, unchanged 0)" in r.stdout
    assert "alerts.txt line 2 field found_on: the export gives no alert date" in r.stderr
    assert json.loads(tg("--store", store, "stats", "--json").stdout)["nodes"] == {"Finding": 23}
    # recognised by content without --format too; again, nothing changes
    r = tg("--store", store, "load", str(DATA / "alerts-toys-cn-sample.xml"))
    assert r.returncode == 0 and "unchanged 23" in r.stdout

    no_number = tmp_path / "export.csv"
    no_number.write_text("product_name,brand,risk_type\nKite,None,Choking\n")
    r = tg("--store", store, "load", str(no_number))
    assert r.returncode == 2 and "not an exchange file" in r.stderr and "--format safety-gate" in r.stderr
    r = tg("--store", store, "validate", "--format", "safety-gate", str(no_number))
    assert r.returncode == 1 and "export.csv line 1 field alert_number: the header has no column alert_number (required)" in r.stderr

    bomb = tmp_path / "alerts.xml"
    bomb.write_text(BOMB)
    r = tg("--store", store, "validate", "--format", "safety-gate", str(bomb))
    assert r.returncode == 1 and "alerts.xml line 2: the XML declares a document type" in r.stderr
    r = tg("--store", store, "load", "--format", "nonesuch", str(bomb))
    assert r.returncode == 2 and "nonesuch" in r.stderr

"""Every read answers the same on both stores, over the same data: the lookups the API's DataLoaders
make (nodes by key, neighbour lists, pages of a label), search, the links to review and trace,
on generated data and on the edge cases where a networkx walk and a Cypher text are easy to get
different (names with doubled spaces, line breaks, ß and full-width letters; a finding with two
arrivals, an arrival linked to two shipments; windows over values that are not text)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from tracegraph.graph.model import (INFERRED, LABELS, STATED, EdgeRef, Link, Record, Source)
from tracegraph.graph.store import Store
from tracegraph.linkage import link
from tracegraph.loaders.load import load
from tracegraph.queries import nodes as q
from tracegraph.queries.links import review
from tracegraph.queries.trace import trace

pytestmark = pytest.mark.neo4j
AT = "2026-01-01T00:00:00+00:00"


@pytest.fixture
def pair(store_factory) -> tuple[Store, Store]:
    return store_factory("embedded"), store_factory("neo4j")


def same(pair: tuple[Store, Store], read: Callable[[Store], Any]) -> Any:
    """``read`` on both stores; the answers must be equal (and are returned)."""
    embedded, neo = (read(s) for s in pair)
    assert embedded == neo
    return embedded


@pytest.fixture
def loaded(pair, demo_dir):
    for s in pair:
        assert load(s, [str(demo_dir)]).rejected == 0
        link(s, AT)
    return pair


def _keys(store: Store, label: str) -> list[str]:
    return q.page(store, label, 0, 10_000)[1]


def test_lookups_neighbours_and_pages_answer_alike_on_generated_data(loaded):
    embedded = loaded[0]
    for label in LABELS:
        keys = _keys(embedded, label)
        assert same(loaded, lambda s: _keys(s, label)) == keys
        sample = keys[:: max(1, len(keys) // 25)] + ["NO-SUCH-KEY"]
        found = same(loaded, lambda s: q.nodes(s, label, sample))
        assert set(found) == set(sample) - {"NO-SUCH-KEY"}
        types = set(STATED[label]) | {t for t, (a, _) in INFERRED.items() if a == label}
        types |= {t for lab, rels in STATED.items() for t, target in rels.items() if target == label}
        types |= {t for t, (_, b) in INFERRED.items() if b == label}
        for rel_type in sorted(types):
            for direction in ("out", "in", "both"):
                same(loaded, lambda s: q.neighbours(s, label, rel_type, direction, sample))
        for offset, limit in ((0, 5), (3, 7), (max(0, len(keys) - 2), 10), (len(keys) + 5, 3)):
            same(loaded, lambda s: q.page(s, label, offset, limit))
    arrivals = q.nodes(embedded, "Arrival", _keys(embedded, "Arrival"))
    day = sorted(a["arrived_on"] for a in arrivals.values())[len(arrivals) // 2]
    for low, high in (("2015-01-01", "2015-03-31"), ("2016-06-30", None), ("", "2014-12-31"), (day, day)):
        for offset in (0, 10):
            same(loaded, lambda s: q.page(s, "Arrival", offset, 20, "arrived_on", low, high))
    assert same(loaded, lambda s: q.page(s, "Arrival", 0, 100, "arrived_on", day, day))[0] >= 1


def test_search_and_the_links_to_review_answer_alike_on_generated_data(loaded, demo_dir):
    import csv

    with open(demo_dir / "cn-manufacturers.csv", encoding="utf-8") as f:
        names = [r for r, _ in zip(csv.DictReader(f), range(12))]
    texts = [n["name_en"] for n in names] + [n["name_zh"][2:6] for n in names] + [n["uscc"].lower() for n in names]
    texts += ["toys", "Co., Ltd", "  SHANTOU  ", "no such company"]
    hits = 0
    for text in texts:
        hits += bool(same(loaded, lambda s: q.search(s, text)))
    assert hits >= len(names) * 2
    for below in (0.5, 0.9, 1.01):
        same(loaded, lambda s: review(s, below))
    assert same(loaded, lambda s: review(s, 1.01))


def _apply(pair: tuple[Store, Store], records: list[Record], file: str = "edge.csv") -> None:
    for s in pair:
        s.apply(records, Source("cn" if records[0].label in ("Manufacturer", "Exporter") else "eu", file, AT))
        s.commit()


USCC = ["91440515MA4UXD9A10", "91440515MA4UXD9A2X", "91440515MA4UXD9A3Y", "91440515MA4UXD9A4Z"]


def test_search_folds_names_alike_whatever_their_spacing_script_or_width(pair):
    names = [("汕头市  星达玩具厂", "SHANTOU  XINGDA TOYS FACTORY"), ("宏发\n进出口有限公司", "Hongfa Import\n& Export Co., Ltd."),
             ("德国", "Große Straße Toys GmbH"), ("全角", "ＸＩＮＧＨＯＮＧ ＴＯＹＳ")]
    _apply(pair, [Record("Manufacturer", u, {"uscc": u, "name_zh": zh, "name_en": en}) for u, (zh, en) in zip(USCC, names)])
    for text in ("shantou xingda", "SHANTOU  XINGDA", "星达", "hongfa import & export", "进出口", "STRASSE", "straße",
                 "große", "ｘｉｎｇｈｏｎｇ", "XINGHONG", USCC[2].lower(), "Toys"):
        same(pair, lambda s: q.search(s, text))
    assert [h["key"] for h in same(pair, lambda s: q.search(s, "shantou xingda"))] == [USCC[0]]
    assert [h["key"] for h in same(pair, lambda s: q.search(s, "hongfa import & export"))] == [USCC[1]]
    assert [h["key"] for h in same(pair, lambda s: q.search(s, "strasse"))] == [USCC[2]]


def test_a_finding_with_two_arrivals_and_an_arrival_with_two_shipments_trace_alike(pair):
    factory, other = USCC[0], USCC[1]
    records = [
        Record("Manufacturer", factory, {"uscc": factory, "name_zh": "星达玩具厂"}),
        Record("Manufacturer", other, {"uscc": other, "name_zh": "宏发玩具厂"}),
        Record("Product", f"{factory}|XD-1", {"manufacturer_uscc": factory, "model": "XD-1"},
               (EdgeRef("MADE_BY", "Manufacturer", factory),)),
        Record("Product", f"{other}|HF-9", {"manufacturer_uscc": other, "model": "HF-9"},
               (EdgeRef("MADE_BY", "Manufacturer", other),)),
        Record("Exporter", USCC[3], {"uscc": USCC[3], "name_zh": "宏发进出口有限公司"}),
    ]
    for n, (uscc, model) in enumerate(((factory, "XD-1"), (other, "HF-9"), (factory, "XD-1")), 1):
        records += [
            Record("Shipment", f"S{n}", {"declaration_no": f"S{n}", "departed_on": "2015-01-10"},
                   (EdgeRef("EXPORTED_BY", "Exporter", USCC[3]),)),
            Record("ShipmentLine", f"S{n}|{uscc}|{model}", {"declaration_no": f"S{n}", "manufacturer_uscc": uscc, "model": model},
                   (EdgeRef("LINE_OF", "Shipment", f"S{n}"), EdgeRef("OF_PRODUCT", "Product", f"{uscc}|{model}"))),
            Record("Certificate", f"C{n}", {"certificate_no": f"C{n}", "issuer": "Shantou CIQ", "issued_on": "2015-01-05",
                                            "result": "pass"}, (EdgeRef("COVERS", "Shipment", f"S{n}"),)),
        ]
    records += [Record("Arrival", a, {"mrn": a, "arrived_on": "2015-02-12", "entry_point": "NLRTM"}) for a in ("A1", "A2", "A3")]
    records.append(Record("Finding", "F1", {"finding_id": "F1", "found_on": "2015-03-01", "hazard": "Choking"},
                          (EdgeRef("CONCERNS", "Arrival", "A1"), EdgeRef("CONCERNS", "Arrival", "A2"))))
    records.append(Record("Finding", "F2", {"finding_id": "F2", "found_on": "2015-03-02", "hazard": "Chemical"},
                          (EdgeRef("CONCERNS", "Arrival", "A3"),)))
    for r in records:
        _apply(pair, [r])
    links = [Link("SAME_CONSIGNMENT", "A1", "S1", "containers", 0.7, ("containers the same (1)",)),
             Link("SAME_CONSIGNMENT", "A2", "S2", "bol+containers", 0.95, ("bill of lading the same",)),
             Link("SAME_CONSIGNMENT", "A3", "S3", "containers", 0.6, ("containers the same (1)",)),
             Link("SAME_CONSIGNMENT", "A3", "S2", "containers", 0.6, ("containers the same (1)",))]
    for s in pair:
        s.set_links("SAME_CONSIGNMENT", ["A1", "A2", "A3"], links, AT)
        s.commit()
    one = same(pair, lambda s: trace(s, "F1").to_dict())
    assert one["arrival"] == "A2" and one["shipment"] == "S2"  # the consignment linkage is surest of
    assert {c["uscc"] for c in one["candidates"]} == {factory, other}
    two = same(pair, lambda s: trace(s, "F2").to_dict())
    assert {e["shipment"] for c in two["candidates"] for e in c["evidence"]} == {"S2", "S3"}
    same(pair, lambda s: q.neighbours(s, "Arrival", "SAME_CONSIGNMENT", "out", ["A1", "A2", "A3"]))
    same(pair, lambda s: q.neighbours(s, "Finding", "CONCERNS", "out", ["F1", "F2"]))
    same(pair, lambda s: review(s, 1.0))


def test_windows_over_values_that_are_not_text_select_alike(pair):
    _apply(pair, [Record("ShipmentLine", f"L{i}", {"declaration_no": "S1", "quantity": q_, "batch": b})
                  for i, (q_, b) in enumerate([(480, "2015-01"), (12, "2015-02"), (7, "x"), (1000, "2016-01")])])
    _apply(pair, [Record("Finding", f"F{i}", {"finding_id": f"F{i}", "found_on": d})
                  for i, d in enumerate(["2015-01-10", "2015-01-10", "2015-12-31", "2016-01-01"])])
    for prop, low, high in (("quantity", "0", "9999"), ("quantity", "", None), ("batch", "2015", "2015-99"),
                            ("batch", "", None), ("batch", "a", None)):
        same(pair, lambda s: q.page(s, "ShipmentLine", 0, 10, prop, low, high))
    assert same(pair, lambda s: q.page(s, "ShipmentLine", 0, 10, "quantity", "", None)) == (0, [])
    for low, high in (("2015-01-10", "2015-01-10"), ("2015-01-01", "2015-12-31"), ("2015-06-01", None), ("", "2015-12-31")):
        same(pair, lambda s: q.page(s, "Finding", 0, 10, "found_on", low, high))
    assert same(pair, lambda s: q.page(s, "Finding", 1, 2, "found_on", "2015-01-01", "2015-12-31")) == (3, ["F1", "F2"])


def test_a_factorys_profile_answers_alike(loaded):
    from tracegraph.queries.offenders import offenders
    from tracegraph.queries.profile import factory_profile

    top = [f["uscc"] for f in offenders(loaded[0], None, None, 5)["factories"]]
    assert top
    for uscc in top:
        profile = same(loaded, lambda s: factory_profile(s, uscc))
        assert profile["findings"] and profile["shipments_by_month"] and uscc in [r["uscc"] for r in profile["registrations"]]
    assert same(loaded, lambda s: factory_profile(s, "NO-SUCH-FACTORY")) is None

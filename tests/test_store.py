"""What both stores do alike, on generated data: idempotence, order independence, the same graph
and the same answers to the lookups the API makes. The embedded store's insides are in
test_memory_store.py."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tracegraph.graph.memory import MemoryStore
from tracegraph.loaders.load import load


def _shuffled_copy(src: Path, dst: Path, seed: int) -> Path:
    """Copy the exchange files of ``src`` with their data rows in another order."""
    rng = random.Random(seed)
    dst.mkdir()
    for f in src.glob("*.csv"):
        lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
        head, body = lines[0], lines[1:]
        rng.shuffle(body)
        (dst / f.name).write_text(head + "".join(body), encoding="utf-8")
    return dst


def test_loading_twice_changes_nothing(store, demo_dir):
    first = load(store, [str(demo_dir)])
    assert first.rejected == 0
    before = store.dump()
    again = load(store, [str(demo_dir)])
    assert again.rejected == 0
    assert sum(f.result.created + f.result.updated for f in again.files) == 0
    assert store.dump() == before


@pytest.mark.parametrize("kind", ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def test_files_in_any_order_give_the_same_graph(store_factory, demo_dir, tmp_path, kind):
    a = store_factory(kind, "a")
    load(a, [str(demo_dir)])
    expected = a.dump()
    if kind == "neo4j":
        a.clear()
        b = a
    else:
        b = store_factory(kind, "b")
    shuffled = _shuffled_copy(demo_dir, tmp_path / "shuffled", seed=3)
    files = sorted(shuffled.glob("*.csv"), reverse=True)  # EU side first, findings before inspections …
    for f in files:
        load(b, [str(f)])
    assert b.dump() == expected


@pytest.mark.neo4j
def test_both_stores_hold_the_same_graph(store_factory, demo_dir):
    embedded = store_factory("embedded")
    neo = store_factory("neo4j")
    load(embedded, [str(demo_dir)])
    load(neo, [str(demo_dir)])
    assert neo.stats() == embedded.stats()
    e, n = embedded.dump(), neo.dump()
    assert n.nodes == e.nodes
    assert n.edges == e.edges


def test_a_merge_record_sets_its_fields_and_keeps_the_others(store, tmp_path):
    """A ``merge`` record (a source that gives some of a node's fields) sets what it gives and keeps
    what it does not; a whole record still states the node whole. The same on both stores, and in the
    embedded store's log (replayed on open)."""
    from tracegraph.graph.model import Record, Source

    def apply(props: dict, merge: bool, file: str) -> None:
        store.apply([Record("Finding", "A12/01390/23", props, merge=merge)], Source("eu", file, "2026-01-01T00:00:00+00:00"))
        store.commit()

    def fields() -> dict:
        node = store.dump().nodes[("Finding", "A12/01390/23")]
        return {k: v for k, v in node.items() if k != "_src"}

    apply({"product_name": "Soap bubble toy", "brand": "Grafix"}, True, "export.csv")
    apply({"product_name": "Soap bubble toy", "gtin": "4006592071514", "batch": "B1"}, True, "alerts.xml")
    assert fields() == {"product_name": "Soap bubble toy", "brand": "Grafix", "gtin": "4006592071514", "batch": "B1"}
    apply({"product_name": "Bubble toy"}, True, "later.json")
    assert fields() == {"product_name": "Bubble toy", "brand": "Grafix", "gtin": "4006592071514", "batch": "B1"}
    apply({"product_name": "Bubble toy", "brand": "Grafix"}, False, "eu-findings.csv")
    assert fields() == {"product_name": "Bubble toy", "brand": "Grafix"}
    if store.kind == "embedded":
        from tracegraph.graph.memory import MemoryStore

        expected = store.dump()
        store.close()
        with MemoryStore(store.location) as again:
            assert again.dump() == expected

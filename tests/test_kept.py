"""Answers kept for the pages (queries/kept.py): reused while the data stands, never older than it."""

from __future__ import annotations

from tracegraph.loaders.load import load
from tracegraph.queries import kept as kept_module
from tracegraph.queries.kept import kept
from exchange import FACTORY2, VALID, write_all, write_csv


def manufacturers(store, since: str) -> dict[str, int]:
    manufacturers.calls += 1  # type: ignore[attr-defined]
    return {"since": since, "n": store.stats().nodes.get("Manufacturer", 0)}  # type: ignore[dict-item]


def test_a_kept_answer_is_reused_until_the_data_changes_on_both_stores(store, tmp_path):
    manufacturers.calls = 0  # type: ignore[attr-defined]
    assert load(store, [str(write_all(tmp_path / "a"))]).rejected == 0
    first = kept(store, manufacturers, "2015-01-01")
    assert kept(store, manufacturers, "2015-01-01") is first and manufacturers.calls == 1
    other = kept(store, manufacturers, "2016-01-01")  # other arguments: another answer
    assert other["since"] == "2016-01-01" and manufacturers.calls == 2
    (tmp_path / "b").mkdir()
    write_csv(tmp_path / "b" / "cn-manufacturers.csv", [dict(VALID["cn-manufacturers"], uscc=FACTORY2, name_zh="东莞市宏发塑胶制品厂")])
    assert load(store, [str(tmp_path / "b")]).rejected == 0
    again = kept(store, manufacturers, "2015-01-01")
    assert manufacturers.calls == 3 and again["n"] == first["n"] + 1  # the new data, not the kept answer


def test_only_the_last_answers_are_kept(store, tmp_path, monkeypatch):
    monkeypatch.setattr(kept_module, "SIZE", 2)
    manufacturers.calls = 0  # type: ignore[attr-defined]
    for day in ("a", "b", "c"):
        kept(store, manufacturers, day)
    kept(store, manufacturers, "c")
    assert manufacturers.calls == 3
    kept(store, manufacturers, "a")  # pushed out by b and c
    assert manufacturers.calls == 4

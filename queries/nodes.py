"""Batched lookups that the API's DataLoaders call: nodes by key, neighbours by relationship, pages
of a label, and a name search. Each is one store call for a whole batch of keys, written once per
store (Cypher text and a networkx function side by side).

Labels, relationship types and property names are never taken from a request: callers pass
constants of :mod:`graph.model`, and :func:`_check` refuses anything else before it reaches Cypher.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from graph.memory import MemoryStore
from graph.model import INFERRED, LABELS, STATED
from graph.store import Store

REL_TYPES = {t for rels in STATED.values() for t in rels} | set(INFERRED)
_HIDDEN = ("_h", "_at")  # bookkeeping a reader never needs


def _check(label: str, rel_type: str | None = None, prop: str | None = None) -> None:
    if label not in LABELS or (rel_type is not None and rel_type not in REL_TYPES):
        raise ValueError(f"unknown label {label!r} or relationship type {rel_type!r}")
    if prop is not None and not prop.isidentifier():
        raise ValueError(f"bad property name {prop!r}")


def _clean(props: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in props.items() if k not in _HIDDEN}
    if "_src" in out:
        out["_src"] = sorted(out["_src"])
    for k, v in out.items():
        if isinstance(v, tuple):
            out[k] = list(v)
    return out


# -- nodes by key ------------------------------------------------------------------------------------
def nodes(store: Store, label: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The properties of the nodes of ``label`` keyed ``keys`` that exist (with ``key``)."""
    _check(label)
    if isinstance(store, MemoryStore):
        found = store.graph._node  # noqa: SLF001
        out = {}
        for k in keys:
            p = found.get(f"{label}:{k}")
            if p is not None:
                out[k] = dict(_clean(p), key=k)
        return out
    cypher = f"UNWIND $keys AS k MATCH (n:`{label}` {{key: k}}) RETURN k, properties(n) AS p"
    return {r["k"]: dict(_clean(r["p"]), key=r["k"]) for r in store.read(cypher, keys=keys)}  # type: ignore[attr-defined]


# -- neighbours ----------------------------------------------------------------------------------------
def neighbours(store: Store, label: str, rel_type: str, direction: str, keys: list[str]) -> dict[str, list[dict[str, Any]]]:
    """For each key, the nodes ``rel_type`` leads to (``out``), comes from (``in``) or either
    (``both``), as ``{"key", "label", "rel": relationship properties}`` sorted by key."""
    _check(label, rel_type)
    if direction not in ("out", "in", "both"):
        raise ValueError(f"bad direction {direction!r}")
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in keys}
    if isinstance(store, MemoryStore):
        succ, pred = store.graph._succ, store.graph._pred  # noqa: SLF001
        for k in keys:
            nid = f"{label}:{k}"
            sides = [succ] if direction == "out" else [pred] if direction == "in" else [succ, pred]
            seen = set()
            for adj in sides:
                for other, d in adj.get(nid, {}).items():
                    if d["type"] == rel_type and other not in seen:
                        seen.add(other)
                        other_label, _, other_key = other.partition(":")
                        out[k].append({"key": other_key, "label": other_label, "rel": _clean(d)})
    else:
        pattern = {"out": "-[r:`{t}`]->", "in": "<-[r:`{t}`]-", "both": "-[r:`{t}`]-"}[direction].format(t=rel_type)
        cypher = (f"UNWIND $keys AS k MATCH (n:`{label}` {{key: k}}){pattern}(m) "
                  "RETURN k, m.key AS other, labels(m)[0] AS label, properties(r) AS r")
        for r in store.read(cypher, keys=keys):  # type: ignore[attr-defined]
            if not any(x["key"] == r["other"] for x in out[r["k"]]):
                out[r["k"]].append({"key": r["other"], "label": r["label"], "rel": _clean(dict(r["r"], type=rel_type))})
    for k in out:
        for x in out[k]:
            x["rel"].pop("type", None)
        out[k].sort(key=lambda x: x["key"])
    return out


# -- pages of a label --------------------------------------------------------------------------------
def page(store: Store, label: str, offset: int, limit: int, prop: str | None = None,
         low: str | None = None, high: str | None = None) -> tuple[int, list[str]]:
    """``(total, keys)``: the keys of ``label`` in key order (only those whose ``prop`` lies in
    ``low``–``high`` when given), ``limit`` of them from ``offset``."""
    _check(label, prop=prop)
    lo, hi = low or "", high or "\uffff"
    if isinstance(store, MemoryStore):
        ids = store.ids(label)
        if prop:
            # the ids sorted by the property, kept: a page of a window is two bisections and a sort
            values, by_value = sorted_by(store, label, prop)
            ids = sorted(by_value[bisect_left(values, lo): bisect_right(values, hi)])
        n = len(label) + 1
        return len(ids), [i[n:] for i in ids[offset: offset + limit]]
    where = f"WHERE n.`{prop}` >= $lo AND n.`{prop}` <= $hi" if prop else ""
    (total,) = store.read(f"MATCH (n:`{label}`) {where} RETURN count(n) AS c", lo=lo, hi=hi)  # type: ignore[attr-defined]
    rows = store.read(f"MATCH (n:`{label}`) {where} RETURN n.key AS k ORDER BY k SKIP $o LIMIT $l",  # type: ignore[attr-defined]
                      lo=lo, hi=hi, o=offset, l=limit)
    return total["c"], [r["k"] for r in rows]


def sorted_by(store: MemoryStore, label: str, prop: str) -> tuple[list[str], list[str]]:
    """``(values, ids)``: the nodes of ``label`` that have ``prop``, sorted by it (kept until the
    data changes), so that a range of values is two bisections."""
    def build() -> tuple[list[str], list[str]]:
        nodes = store.graph._node  # noqa: SLF001
        pairs = sorted((str(nodes[i][prop]), i) for i in store.ids(label) if prop in nodes[i])
        return [v for v, _ in pairs], [i for _, i in pairs]

    return store.memo(f"by:{label}.{prop}", build)


# -- search over company names, in both scripts ------------------------------------------------------
SEARCH_CYPHER = """
MATCH (n) WHERE (n:Manufacturer OR n:Exporter)
  AND (toLower(coalesce(n.name_en, '')) CONTAINS $q OR toLower(coalesce(n.name_zh, '')) CONTAINS $q OR n.key = $key)
RETURN labels(n)[0] AS label, n.key AS key, n.name_zh AS name_zh, n.name_en AS name_en
"""


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def search(store: Store, text: str) -> list[dict[str, Any]]:
    """Manufacturers and exporters whose Chinese or English name contains ``text`` (case and
    spacing ignored), or whose USCC is ``text``; exact names first, then names that start with it."""
    q = _fold(text)
    if not q:
        return []
    if isinstance(store, MemoryStore):
        found = store.graph._node  # noqa: SLF001
        rows = []
        for label in ("Manufacturer", "Exporter"):
            for nid in store.ids(label):
                p = found[nid]
                key = nid[len(label) + 1:]
                if q in _fold(p.get("name_en") or "") or q in _fold(p.get("name_zh") or "") or key == text.strip().upper():
                    rows.append({"label": label, "key": key, "name_zh": p.get("name_zh"), "name_en": p.get("name_en")})
    else:
        rows = [r.data() for r in store.read(SEARCH_CYPHER, q=q, key=text.strip().upper())]  # type: ignore[attr-defined]
        rows = [r for r in rows if q in _fold(r["name_en"] or "") or q in _fold(r["name_zh"] or "") or r["key"] == text.strip().upper()]

    def rank(r: dict[str, Any]) -> tuple:
        names = [_fold(r["name_en"] or ""), _fold(r["name_zh"] or "")]
        return (0 if q in names else 1 if any(n.startswith(q) for n in names) else 2, r["label"], r["key"])

    return sorted(rows, key=rank)

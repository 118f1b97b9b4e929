"""Batched lookups that the API's DataLoaders call: nodes by key, neighbours by relationship, pages
of a label, and search (:mod:`tracegraph.queries.search`). Each is one store call for a whole batch of keys, written once per
store (the networkx function and the Cypher text side by side).

Labels, relationship types and property names are never taken from a request: callers pass
constants of :mod:`tracegraph.graph.model`, and :func:`_check` refuses anything else before it
reaches Cypher.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any, Mapping

from tracegraph.graph.model import LABELS, REL_TYPES, node_id, split_id
from tracegraph.graph.reading import EMPTY, CypherReader, GraphReader, Query
from tracegraph.graph.store import Store

_HIDDEN = ("_h", "_at")  # bookkeeping a reader never needs


def _check(label: str, rel_type: str | None = None, prop: str | None = None) -> None:
    if label not in LABELS or (rel_type is not None and rel_type not in REL_TYPES):
        raise ValueError(f"unknown label {label!r} or relationship type {rel_type!r}")
    if prop is not None and not prop.isidentifier():
        raise ValueError(f"bad property name {prop!r}")


def clean(props: Mapping[str, Any]) -> dict[str, Any]:
    """A node's or relationship's properties as a reader sees them: no bookkeeping, provenance
    sorted, lists as lists."""
    out = {k: v for k, v in props.items() if k not in _HIDDEN}
    if "_src" in out:
        out["_src"] = sorted(out["_src"])
    for k, v in out.items():
        if isinstance(v, tuple):
            out[k] = list(v)
    return out


# -- nodes by key ------------------------------------------------------------------------------------
def _nodes_nx(g: GraphReader, label: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for k in keys:
        p = g.nodes.get(node_id(label, k))
        if p is not None:
            out[k] = dict(clean(p), key=k)
    return out


def _nodes_cypher(db: CypherReader, label: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    cypher = f"UNWIND $keys AS k MATCH (n:`{label}` {{key: k}}) RETURN k, properties(n) AS p"
    return {r["k"]: dict(clean(r["p"]), key=r["k"]) for r in db.rows(cypher, keys=keys)}


NODES = Query("nodes by key", _nodes_nx, _nodes_cypher)


def nodes(store: Store, label: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The properties of the nodes of ``label`` keyed ``keys`` that exist (with ``key``)."""
    _check(label)
    return store.run(NODES, label, keys)


# -- neighbours ----------------------------------------------------------------------------------------
def _neighbours_nx(g: GraphReader, label: str, rel_type: str, direction: str, keys: list[str]) -> dict[str, list[dict[str, Any]]]:
    sides = [g.succ] if direction == "out" else [g.pred] if direction == "in" else [g.succ, g.pred]
    out: dict[str, list[dict[str, Any]]] = {}
    for k in keys:
        nid = node_id(label, k)
        found: dict[str, dict[str, Any]] = {}
        for adj in sides:  # (out before in: a pair linked both ways shows the relationship that leaves k)
            for other, d in adj.get(nid, EMPTY).items():
                if d["type"] == rel_type and other not in found:
                    other_label, other_key = split_id(other)
                    found[other] = {"key": other_key, "label": other_label, "rel": clean(d)}
        out[k] = list(found.values())
    return out


def _neighbours_cypher(db: CypherReader, label: str, rel_type: str, direction: str, keys: list[str]) -> dict[str, list[dict[str, Any]]]:
    pattern = {"out": "-[r:`{t}`]->", "in": "<-[r:`{t}`]-", "both": "-[r:`{t}`]-"}[direction].format(t=rel_type)
    cypher = (f"UNWIND $keys AS k MATCH (n:`{label}` {{key: k}}){pattern}(m) "
              "RETURN k, m.key AS other, labels(m)[0] AS label, properties(r) AS r, startNode(r) = n AS leaves")
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in keys}
    seen: dict[str, set[str]] = {k: set() for k in keys}
    for r in sorted(db.rows(cypher, keys=keys), key=lambda r: not r["leaves"]):
        if r["other"] not in seen[r["k"]]:
            seen[r["k"]].add(r["other"])
            out[r["k"]].append({"key": r["other"], "label": r["label"], "rel": clean(dict(r["r"], type=rel_type))})
    return out


NEIGHBOURS = Query("neighbours", _neighbours_nx, _neighbours_cypher)


def neighbours(store: Store, label: str, rel_type: str, direction: str, keys: list[str]) -> dict[str, list[dict[str, Any]]]:
    """For each key, the nodes ``rel_type`` leads to (``out``), comes from (``in``) or either
    (``both``), as ``{"key", "label", "rel": relationship properties}`` sorted by key."""
    _check(label, rel_type)
    if direction not in ("out", "in", "both"):
        raise ValueError(f"bad direction {direction!r}")
    out = store.run(NEIGHBOURS, label, rel_type, direction, keys)
    for found in out.values():
        for x in found:
            x["rel"].pop("type", None)
        found.sort(key=lambda x: x["key"])
    return out


# -- pages of a label --------------------------------------------------------------------------------
# A window of values compares like Cypher does: a value that is not text (a number, where dates are
# written as text) is outside every window, and with no upper bound every text from ``low`` is in.
def _page_nx(g: GraphReader, label: str, offset: int, limit: int, prop: str | None, low: str,
             high: str | None) -> tuple[int, list[str]]:
    ids = g.ids(label)
    if prop:
        # the ids sorted by the property, kept: a page of a window is two bisections and a sort
        values, by_value = sorted_by(g, label, prop)
        ids = sorted(by_value[bisect_left(values, low): len(values) if high is None else bisect_right(values, high)])
    return len(ids), [split_id(i)[1] for i in ids[offset: offset + limit]]


def _page_cypher(db: CypherReader, label: str, offset: int, limit: int, prop: str | None, low: str,
                 high: str | None) -> tuple[int, list[str]]:
    where = f"WHERE n.`{prop}` >= $lo" + ("" if high is None else f" AND n.`{prop}` <= $hi") if prop else ""
    (total,) = db.rows(f"MATCH (n:`{label}`) {where} RETURN count(n) AS c", lo=low, hi=high)
    rows = db.rows(f"MATCH (n:`{label}`) {where} RETURN n.key AS k ORDER BY k SKIP $o LIMIT $l",
                   lo=low, hi=high, o=offset, l=limit)
    return total["c"], [r["k"] for r in rows]


PAGE = Query("page of a label", _page_nx, _page_cypher)


def page(store: Store, label: str, offset: int, limit: int, prop: str | None = None,
         low: str | None = None, high: str | None = None) -> tuple[int, list[str]]:
    """``(total, keys)``: the keys of ``label`` in key order (only those whose ``prop`` lies in
    ``low``–``high`` when given), ``limit`` of them from ``offset``."""
    _check(label, prop=prop)
    if offset < 0 or limit < 0:
        raise ValueError(f"a page starts at an offset of 0 or more and holds 0 or more items, not {offset}, {limit}")
    return store.run(PAGE, label, offset, limit, prop, low or "", high)


def sorted_by(g: GraphReader, label: str, prop: str) -> tuple[list[str], list[str]]:
    """``(values, ids)``: the nodes of ``label`` whose ``prop`` is text, sorted by it (kept until
    the data changes), so that a range of values is two bisections."""
    def build() -> tuple[list[str], list[str]]:
        nodes = g.nodes
        pairs = sorted((v, i) for i in g.ids(label) if type(v := nodes[i].get(prop)) is str)
        return [v for v, _ in pairs], [i for _, i in pairs]

    return g.memo(f"by:{label}.{prop}", build)


# -- search ------------------------------------------------------------------------------------------
def search(store: Store, text: str) -> list[dict[str, Any]]:
    """What ``text`` names, best first: :func:`tracegraph.queries.search.search`."""
    from tracegraph.queries.search import search as find  # (it reads nodes through this module)

    return find(store, text)

"""The embedded store's snapshot (``graph.pickle``): the whole graph, written at a checkpoint.

:func:`write` writes the current format (:data:`FORMAT`); :func:`read` reads every format any
tracegraph wrote, by a table of one reader per format (:data:`READERS`). A snapshot is written
beside the old one and renamed into place, so a crash leaves one or the other, never half of one.

The formats:

1. a pickled ``networkx.DiGraph``, the pools rebuilt on open;
2. as 1, with the shared empty adjacency and placeholder attributes, and the pools pickled with it;
3. the graph as four lists (node ids, attributes, successors, predecessors) rather than networkx's
   three dicts keyed by node id: the big dicts are then built in tight loops (and two of them copied
   from the first) instead of key by key between millions of small dicts, a quarter faster;
4. as 3, in two pickles one after the other: (ids, successors, predecessors, relationship pool),
   then (attributes, provenance pool, placeholders). Each has its own memo, half the size: written
   a second or two faster at 1M shipments, and 37 MB smaller;
5. as 4, but the attributes in chunks of :data:`ATTR_CHUNK` nodes after the first pickle, which
   now holds the pools too: each chunk has its own small memo (a pickler's lookups in one memo of
   some 18 M objects were cache misses). The attributes of 1M shipments are written in 2.8 s rather
   than 6.4 s and read as fast;
6. as 5, but the successors in a pickle of their own after the first, written by the same pickler
   (and read by the same unpickler) in its "fast" mode: it still finds the node ids and relationship
   attributes in its memo (every relationship's attributes are in a predecessor dict of the first
   pickle) but memoizes none of the millions of successor dicts, each written once. Writing the
   snapshot of 1M shipments 13.5 -> 11.5 s; read as fast.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any, BinaryIO, Callable

import networkx as nx

from tracegraph.graph.adjacency import EMPTY, graph_from_lists, in_order, sparse_predecessors

FORMAT = 6
ATTR_CHUNK = 1 << 16  # nodes' attributes per pickle of a format-5 or -6 snapshot

# Pools: the objects many nodes and relationships share (see tracegraph.graph.adjacency):
# provenance sets, relationship attribute dicts, placeholder attribute dicts.
Pools = tuple[dict[Any, Any], dict[Any, Any], dict[Any, Any]]


@dataclass
class Snapshot:
    seq: int  # the last commit it holds
    graph: nx.DiGraph
    pools: Pools | None  # None: format 1, rebuild them from the graph


# Where the objects a snapshot or log names were defined before tracegraph was one package
# (``graph.memory._empty`` …), so that stores written by earlier versions still open.
_MOVED = {
    ("graph.memory", "_empty"): ("tracegraph.graph.adjacency", "_empty"),
    ("graph.memory", "_Empty"): ("tracegraph.graph.adjacency", "_Empty"),
    ("graph.memory", "_Placeholder"): ("tracegraph.graph.adjacency", "Placeholder"),
    ("graph.memory", "_Predecessors"): ("tracegraph.graph.adjacency", "Predecessors"),
}


class Unpickler(pickle.Unpickler):
    """pickle's unpickler, finding what earlier versions of tracegraph pickled where it lives now."""

    def find_class(self, module: str, name: str) -> Any:
        module, name = _MOVED.get((module, name), (module, name))
        if module == "graph" or module.startswith("graph."):
            module = "tracegraph." + module
        return super().find_class(module, name)


def loads(data: bytes) -> Any:
    """``pickle.loads`` with :class:`Unpickler` (for the log's records)."""
    import io

    return Unpickler(io.BytesIO(data)).load()


# -- reading, one reader per format ------------------------------------------------------------------
def _read_whole(f: BinaryIO, unpickler: Unpickler, head: list[Any]) -> Snapshot:
    """Formats 1 and 2: (format, seq, graph, *pools)."""
    fmt, seq, graph, *pools = head
    sparse_predecessors(graph)
    return Snapshot(seq, graph, tuple(pools) if fmt == 2 else None)  # type: ignore[arg-type]


def _read_lists(f: BinaryIO, unpickler: Unpickler, head: list[Any]) -> Snapshot:
    """Format 3: (format, seq, graph attributes, ids, node attributes, successors, predecessors, *pools)."""
    _, seq, graph_attrs, ids, node_attrs, succ, pred, *pools = head
    return Snapshot(seq, graph_from_lists(graph_attrs, ids, node_attrs, succ, pred), tuple(pools))  # type: ignore[arg-type]


def _read_two(f: BinaryIO, unpickler: Unpickler, head: list[Any]) -> Snapshot:
    """Format 4: (format, seq, graph attributes, ids, successors, predecessors, relationship pool),
    then (node attributes, provenance pool, placeholders)."""
    _, seq, graph_attrs, ids, succ, pred, edge_pool = head
    node_attrs, src_pool, placeholders = Unpickler(f).load()
    return Snapshot(seq, graph_from_lists(graph_attrs, ids, node_attrs, succ, pred), (src_pool, edge_pool, placeholders))


def _chunks(f: BinaryIO, count: int) -> list[Any]:
    node_attrs: list[Any] = []
    while len(node_attrs) < count:
        chunk = Unpickler(f).load()
        if type(chunk) is not list or not chunk:
            raise ValueError("a chunk of node attributes is not a list of them")
        node_attrs += chunk
    return node_attrs


def _read_chunked(f: BinaryIO, unpickler: Unpickler, head: list[Any]) -> Snapshot:
    """Format 5: (format, seq, graph attributes, ids, successors, predecessors, pools, count), then
    the node attributes in chunks."""
    _, seq, graph_attrs, ids, succ, pred, edge_pool, src_pool, placeholders, count = head
    return Snapshot(seq, graph_from_lists(graph_attrs, ids, _chunks(f, count), succ, pred), (src_pool, edge_pool, placeholders))


def _read_fast_successors(f: BinaryIO, unpickler: Unpickler, head: list[Any]) -> Snapshot:
    """Format 6: (format, seq, graph attributes, ids, predecessors, pools, count), then the
    successors by the same unpickler (they refer to its memo), then the node attributes in chunks."""
    _, seq, graph_attrs, ids, pred, edge_pool, src_pool, placeholders, count = head
    succ = unpickler.load()
    del unpickler
    return Snapshot(seq, graph_from_lists(graph_attrs, ids, _chunks(f, count), succ, pred), (src_pool, edge_pool, placeholders))


READERS: dict[int, Callable[[BinaryIO, Unpickler, list[Any]], Snapshot]] = {
    1: _read_whole, 2: _read_whole, 3: _read_lists, 4: _read_two, 5: _read_chunked, 6: _read_fast_successors,
}


class FormatUnknown(ValueError):
    def __init__(self, fmt: Any) -> None:
        super().__init__(f"format {fmt!r}; this tracegraph reads formats {tuple(READERS)}")
        self.fmt = fmt


def read(path: Path) -> Snapshot:
    """Read the snapshot at ``path``, whatever its format (:class:`FormatUnknown` for one it does not know)."""
    with open(path, "rb") as f:
        unpickler = Unpickler(f)  # format 6: the successors refer to its memo
        head = list(unpickler.load())
        reader = READERS.get(head[0])
        if reader is None:
            raise FormatUnknown(head[0])
        return reader(f, unpickler, head)


# -- writing -------------------------------------------------------------------------------------------
def write(path: Path, seq: int, g: nx.DiGraph, pools: Pools) -> None:
    """Write ``g`` in :data:`FORMAT` to ``path`` and fsync it (the caller renames it into place)."""
    src_pool, edge_pool, placeholders = pools
    with open(path, "wb") as f:
        ids = list(g._node)  # noqa: SLF001
        pickler = pickle.Pickler(f, protocol=pickle.HIGHEST_PROTOCOL)
        pred = list(map(g._pred.get, ids, repeat(EMPTY)))  # noqa: SLF001 - EMPTY where it has none
        pickler.dump((FORMAT, seq, g.graph, ids, pred, edge_pool, src_pool, placeholders, len(ids)))
        # Everything the successor dicts hold is in the memo now (node ids; each relationship's
        # attributes, which a predecessor dict holds too; EMPTY), and each of them is written
        # once: "fast" mode keeps the memo lookups and skips memoizing them. A Python without
        # the (long deprecated) attribute writes the same data with a bigger memo.
        try:
            pickler.fast = True
        except AttributeError:  # pragma: no cover - CPython 3.8-3.13 have it
            pass
        pickler.dump(in_order(g._succ, ids))  # noqa: SLF001
        del ids, pred, pickler
        attrs = list(g._node.values())  # noqa: SLF001
        for start in range(0, len(attrs), ATTR_CHUNK):
            pickle.dump(attrs[start : start + ATTR_CHUNK], f, protocol=pickle.HIGHEST_PROTOCOL)
        del attrs
        f.flush()
        os.fsync(f.fileno())

"""How the embedded store holds its graph in memory: networkx's dicts, made lean.

A store's graph is a ``networkx.DiGraph`` whose three dicts (nodes, successors, predecessors) are
keyed by node ids (``Label:key``). Millions of nodes make every byte and object count:

* a relationship's attributes (its type and provenance) are one dict shared by every relationship
  with the same attributes: two dict slots a relationship rather than a dict each. Those shared
  dicts are never changed in place;
* every node with no relationship in one direction holds the one :data:`EMPTY` adjacency;
* nodes known only as a relationship's target share their attribute dict (:class:`Placeholder`);
* the predecessor dict holds only nodes that have predecessors (:class:`Predecessors`);
* the dicts keep their keys' hashes in their tables (:func:`tracegraph.graph.model.hashed_dict`).

Fewer objects also make a snapshot faster to open. Writers (``MemoryStore``) give a node its own
dict before changing it.
"""

from __future__ import annotations

import functools
from itertools import compress
from typing import Any, Iterable

import networkx as nx

from tracegraph.graph.model import hashed_dict


class _Empty(dict):  # type: ignore[type-arg]
    """The one empty adjacency shared by every node with no relationship in one direction (over a
    third of the graph's dicts otherwise). It is never written: a node about to get its first
    relationship in that direction gets its own dict."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_empty, ())  # unpickles as the very object EMPTY, so ``is EMPTY`` holds after a reopen

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("the shared empty adjacency of the embedded store is never written")

    __setitem__ = __delitem__ = update = setdefault = pop = popitem = clear = _refuse  # type: ignore[assignment]


EMPTY = _Empty()


def _empty() -> _Empty:
    return EMPTY


class Predecessors(dict):  # type: ignore[type-arg]
    """networkx's predecessor dict (``G._pred``) holding only the nodes that have predecessors: for
    any other node of the graph ``[node]`` is ``EMPTY`` and ``node in`` is true, as in the dict of
    every node networkx builds, so its views (``in_degree``, ``predecessors``, subgraphs) answer
    alike. Only iterating it (``keys``, ``items``, ``len``) skips the nodes without predecessors:
    ``in_edges`` is unchanged by that. Over half of a store's nodes have no predecessor (3.2 M of
    5.6 M at 1M shipments): left out, the dict is a quarter of the size, and opening that store
    builds it in 0.7 s rather than 1.6 s. Like networkx's, in the general layout (see
    :func:`tracegraph.graph.model.hashed_dict`). The successor dict keeps every node: networkx
    counts degrees and relationships over its keys. Hot loops read it with ``.get(node, EMPTY)``:
    ``[node]`` of a node without predecessors is a call of ``__missing__``, ten times slower."""

    __slots__ = ("_nodes",)

    def __init__(self, nodes: dict[str, Any], items: Iterable[tuple[str, Any]] = ()) -> None:
        """The predecessor dict of the graph whose node dict is ``nodes``, holding ``items``."""
        super().__init__()
        self._nodes = nodes
        self[0] = None  # a key of another type switches the table to the general layout, for good
        del self[0]
        self.update(items)

    def __missing__(self, node: str) -> _Empty:
        if node in self._nodes:
            return EMPTY
        raise KeyError(node)

    def __contains__(self, node: object) -> bool:
        return node in self._nodes


class Placeholder(dict):  # type: ignore[type-arg]
    """The attributes of nodes known only as the target of a relationship, with no fields of their
    own (a container, a shipment whose record has not come yet): only provenance and load time, one
    dict shared by all with the same. ``MemoryStore`` gives a node its own copy before changing it."""

    __slots__ = ()


# The views networkx caches on a graph (``G.edges``, ``G.degree`` …), as its classes declare them.
GRAPH_VIEWS = tuple({n for c in nx.DiGraph.__mro__ for n, v in vars(c).items() if isinstance(v, functools.cached_property)})


def new_graph() -> nx.DiGraph:
    """An empty DiGraph whose node and adjacency dicts keep their keys' hashes."""
    g = nx.DiGraph()
    g._node = hashed_dict()  # noqa: SLF001
    g._adj = hashed_dict()  # noqa: SLF001 - also sets _succ
    g._pred = Predecessors(g._node)  # noqa: SLF001
    return g


def graph_from_lists(attrs: dict[str, Any], ids: list[str], node_attrs: list[Any], succ: list[Any], pred: list[Any]) -> nx.DiGraph:
    """A DiGraph from a snapshot's lists (formats 3 to 6), its dicts in the general layout. The
    successor dict starts as a copy of the node dict (a copy of its hash table, not a rehash of 5
    million keys) whose values are then replaced: faster than building it from scratch. The
    predecessor dict takes the nodes that have predecessors (see :class:`Predecessors`)."""
    nodes = hashed_dict()
    nodes.update(zip(ids, node_attrs))
    if len(nodes) != len(ids) or not len(ids) == len(succ) == len(pred):
        raise ValueError("the node lists of the snapshot differ in length")
    out = nodes.copy()
    out.update(zip(ids, succ))
    into = Predecessors(nodes, compress(zip(ids, pred), pred))  # (EMPTY, and any {} a relinking emptied, are false)
    g = nx.DiGraph()
    g.graph = attrs
    g._node = nodes  # noqa: SLF001
    g._adj = out  # noqa: SLF001 - also sets _succ
    g._pred = into  # noqa: SLF001
    return g


def sparse_predecessors(g: nx.DiGraph) -> None:
    """Give a graph read whole (formats 1 and 2: networkx's dict of every node) the sparse
    predecessor dict; a node made later and then named as a target would otherwise be a KeyError."""
    if type(g._pred) is not Predecessors:  # noqa: SLF001
        g._pred = Predecessors(g._node, ((n, p) for n, p in g._pred.items() if p))  # noqa: SLF001


def in_order(adjacency: dict[str, Any], ids: list[str]) -> list[Any]:
    """The values of ``adjacency`` in the order of ``ids`` (its own order, unless a node was ever
    added to the adjacency before the node dict: then by lookup)."""
    if len(adjacency) == len(ids) and list(adjacency) == ids:  # same objects: compared by identity
        return list(adjacency.values())
    return [adjacency[n] for n in ids]

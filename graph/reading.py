"""What a query reads, written once per store: :class:`Query`, and the two read surfaces it is given.

A query is two functions with the same parameters and the same answer: ``networkx(graph, …)``
walks the embedded store's graph through a :class:`GraphReader`, and ``cypher(db, …)`` asks Neo4j
through a :class:`CypherReader`. The store picks which one runs (``store.run(query, …)``), so the
code that uses a query never asks which store it has::

    def _findings_nx(g: GraphReader, since: str) -> list[str]:
        return [split_id(f)[1] for f in g.ids(FINDING) if g.nodes[f].get("found_on", "") >= since]

    def _findings_cypher(db: CypherReader, since: str) -> list[str]:
        return [r["k"] for r in db.rows("MATCH (f:Finding) WHERE f.found_on >= $since RETURN f.key AS k", since=since)]

    FINDINGS_SINCE = Query("findings since", _findings_nx, _findings_cypher)
    store.run(FINDINGS_SINCE, "2015-01-01")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Concatenate, Generic, Iterator, Mapping, ParamSpec, Protocol, Sequence, TypeVar

from tracegraph.graph.adjacency import EMPTY

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

Props = Mapping[str, Any]  # a node's or a relationship's properties
Adjacency = Mapping[str, Mapping[str, Props]]  # node id -> neighbour id -> the relationship's properties


class GraphReader:
    """The embedded store's graph, read-only: what a query's networkx side walks.

    Node ids are ``Label:key`` (:func:`tracegraph.graph.model.node_id`, :func:`~tracegraph.graph.model.split_id`).

    ``nodes[id]``
        the node's properties, with its provenance (``_src``, a frozenset of ``side:file`` tags)
        and load time (``_at``);
    ``succ[id]`` / ``pred.get(id, EMPTY)``
        the nodes its relationships lead to / come from, each mapped to the relationship's
        properties: ``type``, ``_src``, and for a link linkage inferred ``method``, ``score``,
        ``evidence``. Every node is in ``succ``; ``pred`` holds only nodes that have
        predecessors, so read it with ``.get(id, EMPTY)`` (``pred[id]`` works for any node, slower).

    They are the store's own dicts, so that hot loops cost what plain dict reads cost. Never write
    them: relationship property dicts are shared by many relationships.
    """

    __slots__ = ("nodes", "succ", "pred", "_index", "_memo")

    def __init__(self, nodes: Mapping[str, Props], succ: Adjacency, pred: Adjacency,
                 index: Callable[[str], Sequence[str]], memo: Callable[[str, Callable[[], Any]], Any]) -> None:
        self.nodes = nodes
        self.succ = succ
        self.pred = pred
        self._index = index
        self._memo = memo

    def ids(self, label: str) -> Sequence[str]:
        """The ids of every node of ``label``, sorted (an index kept until the data changes)."""
        return self._index(label)

    def out(self, nid: str, rel_type: str) -> list[str]:
        """The nodes that ``rel_type`` relationships lead to from ``nid``."""
        return [v for v, d in self.succ.get(nid, EMPTY).items() if d["type"] == rel_type]

    def into(self, nid: str, rel_type: str) -> list[str]:
        """The nodes whose ``rel_type`` relationships lead to ``nid``."""
        return [u for u, d in self.pred.get(nid, EMPTY).items() if d["type"] == rel_type]

    def edges(self) -> Iterator[tuple[str, str, Props]]:
        """Every relationship as ``(start id, end id, properties)``."""
        for u, out in self.succ.items():
            for v, d in out.items():
                yield u, v, d

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()``, kept until the data changes (see :meth:`Store.memo`)."""
        return self._memo(name, compute)  # type: ignore[no-any-return]


class CypherReader(Protocol):
    """The Neo4j store as a query's Cypher side sees it: read queries, routed to a reader of the cluster."""

    def rows(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        """The records of a read query, as dicts keyed by the names it returns."""

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()``, kept until the data changes (see :meth:`Store.memo`)."""


@dataclass(frozen=True)
class Query(Generic[P, R]):
    """A read written once per store; ``store.run(query, *args)`` runs the store's own version."""

    name: str
    networkx: Callable[Concatenate[GraphReader, P], R]
    cypher: Callable[Concatenate[CypherReader, P], R]

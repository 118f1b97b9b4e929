"""The one interface both stores keep, for writes and reads, and how a location picks a store.

``open_store("./tracegraph-data")`` opens the embedded store in that folder;
``open_store("bolt://127.0.0.1:7687", neo4j=Neo4jAuth(...))`` (or ``neo4j://…`` for a cluster)
opens the Neo4j store.

Loaders and linkage write through :meth:`Store.apply` and :meth:`Store.set_links`; every read goes
through :meth:`Store.run`, which runs a :class:`~tracegraph.graph.reading.Query`'s networkx or Cypher
version, whichever is the store's. Nothing outside :mod:`tracegraph.graph` needs to know which
store it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ContextManager, Protocol, Sequence, TypeVar, runtime_checkable

from tracegraph.graph.model import ApplyResult, GraphDump, Link, Record, Source, Stats
from tracegraph.graph.reading import P, Query, R

__all__ = ["Store", "Query", "Neo4jAuth", "open_store", "is_neo4j"]

T = TypeVar("T")

NEO4J_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


@runtime_checkable
class Store(Protocol):
    """What loaders, linkage, queries and the API need of a store."""

    kind: str  # "embedded" or "neo4j"
    location: str

    def apply(self, records: Sequence[Record], source: Source) -> ApplyResult:
        """Merge validated records (a later version of a record replaces the earlier one).

        The records are the store's from then on: it may keep their ``props`` dicts as its nodes'."""

    def set_links(self, rel_type: str, starts: Sequence[str], links: Sequence[Link], at: str) -> None:
        """Replace the inferred ``rel_type`` links leaving the nodes keyed ``starts`` by ``links``.

        The embedded store keeps a link that is there already as it is (with the time it was
        made) and writes nothing for it; Neo4j's rewrites it. Nothing reads a link's time."""

    def writing(self) -> ContextManager[None]:
        """``with store.writing():`` around a write (apply, set_links, commit): an embedded store
        shared with other writers takes the write lock for it; any other store is ready already."""

    def refresh(self) -> bool:
        """Take in what other processes committed (a served embedded store); return whether it did."""

    def commit(self) -> None:
        """Make what was applied durable."""

    def checkpoint(self, force: bool = False) -> bool:
        """Compact what was committed so that reopening is fast (after a load); return whether it did."""

    def run(self, query: Query[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Answer ``query`` by the store's own version of it (networkx or Cypher)."""

    def ping(self) -> None:
        """Return when the store can answer; raise :class:`~tracegraph.graph.errors.StoreUnavailable` otherwise."""

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()``, kept until the data changes: what a query derives and reuses (an index,
        the rows of every checked consignment). Never stale: any committed write invalidates it."""

    keeps_derived: bool  # whether keep_derived keeps anything

    def keep_derived(self) -> int:
        """Keep what the queries derived (:meth:`memo`) with the data as committed, so that the next
        process to open the store starts warm; return the bytes kept (0: this store keeps nothing)."""

    def take_up_next(self) -> bool:
        """Take up one more of the things a first query would otherwise wait for (an index, one
        derivation kept with the data); return whether there may be more. A server calls it
        between requests after it opens the store and whenever it takes in new data."""

    def stats(self) -> Stats:
        """Count nodes by label and relationships by type."""

    def dump(self) -> GraphDump:
        """Return the whole graph as plain data (for tests and parity checks; small graphs only)."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class Neo4jAuth:
    user: str = "neo4j"
    password: str = ""
    database: str | None = None


def is_neo4j(location: str) -> bool:
    return location.startswith(NEO4J_SCHEMES)


def open_store(location: str, *, neo4j: Neo4jAuth | None = None, readonly: bool = False, shared: bool = False,
               create: bool = False) -> Store:
    """Open the store at ``location``: a folder for the embedded store, a Bolt URI for Neo4j.

    A location that holds no store is an error (:class:`~tracegraph.graph.errors.StoreNotFound`)
    unless ``create``. ``readonly`` and ``shared`` choose how an embedded store holds its write
    lock (see :class:`~tracegraph.graph.memory.MemoryStore`)."""
    if is_neo4j(location):
        from tracegraph.graph.neo4j import Neo4jStore

        auth = neo4j or Neo4jAuth()
        return Neo4jStore(location, auth.user, auth.password, auth.database, create=create)
    from tracegraph.graph.memory import MemoryStore

    return MemoryStore(location, readonly=readonly, shared=shared, create=create)

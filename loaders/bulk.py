"""A first load into an empty Neo4j database through Neo4j's offline importer.

The files are read and checked by :func:`tracegraph.loaders.load.load` (the same rules, the same
report) into an embedded store in a folder of its own, linked there by
:func:`tracegraph.linkage.link` as a load into Neo4j would be, and that graph is written as the
importer's CSV files (:mod:`tracegraph.graph.neo4j_import`). ``tracegraph neo4j import`` runs it.
The graph the importer then writes is the one ``tracegraph load`` builds from the same files
through transactions (``tests/test_bulk.py`` compares the two on a real server).
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from pathlib import Path
from typing import ContextManager, Sequence

from tracegraph.graph.memory import MemoryStore
from tracegraph.graph.model import ApplyResult, Record, Source
from tracegraph.graph.neo4j import Neo4jStore
from tracegraph.graph.neo4j_import import STATE_LABEL, ImportFiles, write_import_files
from tracegraph.graph.errors import StoreError
from tracegraph.graph.reading import P, Query, R
from tracegraph.linkage import LinkReport, link


class FirstLoad(AbstractContextManager["FirstLoad"]):
    """The graph of a first load, built in an embedded store in ``work`` (a folder of its own).

    It takes :func:`~tracegraph.loaders.load.load`'s writes (it is an ``Applier``) and notes the
    keys each record stated; :meth:`link` infers the links, :meth:`write` the importer's files.
    """

    def __init__(self, work: Path) -> None:
        self.store = MemoryStore(work, create=True)
        self.stated: dict[str, set[str]] = defaultdict(set)

    def writing(self) -> ContextManager[None]:
        return self.store.writing()

    def apply(self, records: Sequence[Record], source: Source) -> ApplyResult:
        for r in records:
            self.stated[r.label].add(r.key)
        return self.store.apply(records, source)

    def run(self, query: Query[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """A read of the graph so far (a Safety Gate export's alerts settle against what it holds)."""
        return self.store.run(query, *args, **kwargs)

    def commit(self) -> None:
        self.store.commit()

    def checkpoint(self, force: bool = False) -> bool:
        return self.store.checkpoint(force)

    def link(self, since: str) -> LinkReport:
        """Link the two sides as ``tracegraph load`` does after a load that began at ``since``."""
        return link(self.store, datetime.now(timezone.utc).isoformat(timespec="microseconds"), since)

    def write(self, folder: Path, database: str) -> ImportFiles:
        return write_import_files(self.store.reader(), self.stated, folder, database)

    def __exit__(self, *exc: object) -> None:
        self.store.close()


def refuse_unless_empty(store: Neo4jStore) -> None:
    """Raise StoreError when the database of ``store`` holds any node but the store's version
    (the importer would replace them all)."""
    (rec,) = store.read(f"MATCH (n) WHERE NOT n:{STATE_LABEL} RETURN count(n) AS c")
    if rec["c"]:
        where = f"database {store.database or 'neo4j'!r} at {store.uri}"
        raise StoreError(
            f"{where} holds {rec['c']:,} nodes: a bulk load writes a new database and only into an empty one. "
            "Load these files into it with `tracegraph load` (it adds to what is there), or empty it first "
            "(drop and create the database, or delete its nodes) and run this again")

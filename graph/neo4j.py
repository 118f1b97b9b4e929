"""The Neo4j store: the official driver, batched ``UNWIND … MERGE`` writes, constraints on open.

Each batch of one label is written by a few statements generated from :data:`tracegraph.graph.model.STATED`:
merge the nodes by key and replace the fields of those whose content hash changed; delete the
relationships the old versions of those stated; merge the stated relationships, one statement per
type, with their target nodes. Small statements keep the planner free of Eager operators. Every batch runs in
a managed transaction, which the driver retries on transient errors; a load cut off midway can be
run again and ends with the same graph.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence, TypeVar

from neo4j import Driver, GraphDatabase, ManagedTransaction, RoutingControl, Session
from neo4j import exceptions as neo4j_errors

from tracegraph.graph.errors import StoreError, StoreNotFound, StoreUnavailable
from tracegraph.graph.model import INFERRED, LABELS, OTHER_ENDS, STATED, ApplyResult, GraphDump, Link, Record, Source, Stats
from tracegraph.graph.reading import P, Query, R

BATCH = 1_000  # measured: larger batches are slower on this statement shape (bench/load.py)
T = TypeVar("T")

# Indexes the queries rely on, beside the key constraint every label has.
INDEXES = (
    ("Shipment", "bill_of_lading"),
    ("Arrival", "bill_of_lading"),
    ("Arrival", "entry_point"),
    ("Arrival", "arrived_on"),
    ("Product", "gtin"),
    ("Product", "model"),
    ("Finding", "found_on"),
    ("Arrival", "_at"),  # incremental linkage looks for what changed since a load
    ("Shipment", "_at"),
    ("Arrival", "consignor_name"),
)


def _add_tag(var: str) -> str:
    """Add the load's provenance tag to ``var._src`` only when it is missing (no needless write).

    The test before the write may read a value another transaction is about to change; the write
    itself is evaluated under the node's lock and drops the tag before adding it, so two writers
    adding the same tag leave it there once."""
    return (
        f"FOREACH (_ IN CASE WHEN NOT $tag IN coalesce({var}._src, []) THEN [1] ELSE [] END |"
        f" SET {var}._src = [t IN coalesce({var}._src, []) WHERE t <> $tag] + $tag)"
    )


def node_statement(label: str) -> str:
    """Merge a batch of ``label`` records (``$rows``); return the keys of records that changed.
    (The path of records new to a file, and of batches another writer raced: see :func:`_merge_batch`.)"""
    return "\n".join([
        "UNWIND $rows AS row",
        f"MERGE (n:`{label}` {{key: row.key}})",
        "WITH n, row, n._h IS NULL AS created, coalesce(n._h, '') <> row.h AS changed",
        # tag first: the write takes the node's lock, so the provenance kept below is current
        "SET n._src = [t IN coalesce(n._src, []) WHERE t <> $tag] + $tag",
        "WITH n, row, created, changed, n._src AS src",
        "FOREACH (_ IN CASE WHEN changed THEN [1] ELSE [] END |",
        "  SET n = row.props SET n.key = row.key, n._h = row.h, n._at = $at, n._src = src)",
        "RETURN collect(CASE WHEN created THEN row.key END) AS created,",
        "       collect(CASE WHEN changed AND NOT created THEN row.key END) AS updated,",
        "       count(*) AS total",
    ])


def delete_statement(label: str) -> str:
    """Delete the relationships the earlier versions of changed records (``$keys``) stated."""
    types = "|".join(f"`{t}`" for t in STATED[label])
    return (
        f"UNWIND $keys AS k MATCH (n:`{label}` {{key: k}})-[r:{types}]->() "
        "WHERE r.method IS NULL DELETE r"
    )


def edge_statement(label: str, rel_type: str, with_props: bool, fresh: bool) -> str:
    """Write stated relationships (``$rows`` of ``{s, k, p}``) and merge their target nodes.

    ``fresh``: the source nodes were created or replaced by this batch, so none of these
    relationships exists yet and they are created outright; otherwise they are merged.
    """
    target = STATED[label][rel_type]
    rel = (
        [f"CREATE (n)-[:`{rel_type}` {{_src: [$tag]}}]->(m)"]
        if fresh
        else [f"MERGE (n)-[r:`{rel_type}`]->(m)", _add_tag("r")]
    )
    return "\n".join([
        "UNWIND $rows AS e",
        f"MATCH (n:`{label}` {{key: e.s}})",
        f"MERGE (m:`{target}` {{key: e.k}})",
        "ON CREATE SET m._src = [$tag], m._at = $at",
        _add_tag("m"),
        *(["SET m += e.p"] if with_props else []),
        *rel,
    ])


def state_statement(label: str) -> str:
    """What the store holds of a batch's keys: content hash (null for a node only referred to so
    far) and whether the load's tag is on it. Keys it does not return are absent."""
    return (
        f"UNWIND $keys AS k MATCH (n:`{label}` {{key: k}}) "
        "RETURN n.key AS k, n._h AS h, $tag IN coalesce(n._src, []) AS tagged"
    )


def _edges_clause(label: str) -> list[str]:
    """One subquery per stated relationship type of ``label``: merge each target of ``row.e<i>``
    (tagged, with the edge's fields when it has some) and create the relationship from ``n``."""
    out = []
    for i, (rel_type, target) in enumerate(STATED[label].items()):
        out += [
            f"CALL (n, row) {{ UNWIND row.e{i} AS e",
            f"  MERGE (m:`{target}` {{key: e.k}})",
            "  ON CREATE SET m._src = [$tag], m._at = $at",
            "  " + _add_tag("m"),
            "  FOREACH (_ IN CASE WHEN e.p IS NULL THEN [] ELSE [1] END | SET m += e.p)",
            f"  CREATE (n)-[:`{rel_type}` {{_src: [$tag]}}]->(m) }}",
        ]
    return out


def create_statement(label: str) -> str:
    """Create the records of a batch that are not in the store yet, with their relationships."""
    return "\n".join([
        "UNWIND $rows AS row",
        f"CREATE (n:`{label}`)",
        "SET n = row.props, n.key = row.key, n._h = row.h, n._at = $at, n._src = [$tag]",
        *(["WITH n, row"] + _edges_clause(label) if STATED[label] else []),
    ])


def rewrite_statement(label: str) -> str:
    """Replace the fields and stated relationships of records whose content changed (or that were
    only referred to so far), keeping their provenance and the relationships linkage inferred."""
    types = "|".join(f"`{t}`" for t in STATED[label])
    return "\n".join([
        "UNWIND $rows AS row",
        f"MATCH (n:`{label}` {{key: row.key}})",
        *([f"CALL (n) {{ MATCH (n)-[r:{types}]->() WHERE r.method IS NULL DELETE r }}"] if STATED[label] else []),
        # tag first: the write takes the node's lock, so the provenance read next is current
        "SET n._src = [t IN coalesce(n._src, []) WHERE t <> $tag] + $tag",
        "WITH n, row, n._src AS src",
        "SET n = row.props, n.key = row.key, n._h = row.h, n._at = $at, n._src = src",
        *(["WITH n, row"] + _edges_clause(label) if STATED[label] else []),
    ])


NODE_WRITE = {label: node_statement(label) for label in LABELS}
DELETE_STATED = {label: delete_statement(label) for label in LABELS if STATED[label]}
EDGE_WRITE = {
    (label, rel_type, with_props, fresh): edge_statement(label, rel_type, with_props, fresh)
    for label in LABELS for rel_type in STATED[label] for with_props in (False, True) for fresh in (False, True)
}
STATE_READ = {label: state_statement(label) for label in LABELS}
CREATE_WRITE = {label: create_statement(label) for label in LABELS}
REWRITE = {label: rewrite_statement(label) for label in LABELS}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def content_hash(props: dict[str, Any]) -> str:
    """A short stable hash of a record's fields: equal fields, equal hash."""
    text = json.dumps(props, sort_keys=True, ensure_ascii=False, default=list)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def _row(rec: Record) -> dict[str, Any]:
    props = {k: _plain(v) for k, v in rec.props.items()}
    return {"key": rec.key, "h": content_hash(props), "props": props}


def _with_edges(rec: Record, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with the record's stated relationships by type, as ``e0``, ``e1`` … (see :func:`_edges_clause`)."""
    types = list(STATED[rec.label])
    lists: list[list[dict[str, Any]]] = [[] for _ in types]
    for e in rec.edges:
        lists[types.index(e.type)].append({"k": e.key, "p": dict(e.props)} if e.props else {"k": e.key})
    for i, items in enumerate(lists):
        row[f"e{i}"] = items
    return row


_BOOKKEEPING = ("key", "_h", "_at", "_src")


def _resolve_merges(tx: ManagedTransaction, label: str, records: Sequence[Record]) -> Sequence[Record]:
    """The batch with each ``merge`` record made whole from the fields its node has now (read in
    this transaction, so a concurrent writer cannot slip between the read and the write)."""
    keys = [r.key for r in records if r.merge]
    if not keys:
        return records
    held = {r["k"]: r["p"] for r in tx.run(f"UNWIND $keys AS k MATCH (n:`{label}` {{key: k}}) RETURN k, properties(n) AS p", keys=keys)}
    out = []
    for r in records:
        if r.merge:
            own = {k: tuple(v) if isinstance(v, list) else v for k, v in held.get(r.key, {}).items() if k not in _BOOKKEEPING}
            r = r.merged_into(own)
        out.append(r)
    return out


def _write_batch(tx: ManagedTransaction, label: str, records: Sequence[Record], tag: str, at: str) -> ApplyResult:
    """Write one batch in one transaction.

    One read finds what the store holds of the batch's keys; then records not there are created
    outright, records whose content changed (or that were only referred to so far) are rewritten,
    records unchanged but new to this file get its tag, and records this file already loaded
    unchanged are left alone (a reload writes nothing). Should another writer create one of the
    keys in between, the unique constraint fails the transaction and :func:`_merge_batch` redoes it.
    """
    records = _resolve_merges(tx, label, records)
    rows = [_row(r) for r in records]
    held = {r["k"]: (r["h"], r["tagged"]) for r in tx.run(STATE_READ[label], keys=[r.key for r in records], tag=tag)}
    fresh, rewrite, retag = [], [], []
    result = ApplyResult()
    for rec, row in zip(records, rows):
        state = held.get(rec.key)
        if state is None:
            fresh.append(_with_edges(rec, row))
            result.created += 1
        elif state[0] != row["h"]:
            rewrite.append(_with_edges(rec, row))
            if state[0] is None:
                result.created += 1
            else:
                result.updated += 1
        else:
            result.unchanged += 1
            if not state[1]:
                retag.append(rec)
    if fresh:
        tx.run(CREATE_WRITE[label], rows=fresh, tag=tag, at=at).consume()
    if rewrite:
        tx.run(REWRITE[label], rows=rewrite, tag=tag, at=at).consume()
    if retag:
        _merge_batch(tx, label, retag, tag, at)
    return result


def _merge_batch(tx: ManagedTransaction, label: str, records: Sequence[Record], tag: str, at: str) -> ApplyResult:
    """Write one batch by merging every node and relationship: right whatever other writers do
    meanwhile; the path for records already loaded by another file, and the fallback of :func:`_write_batch`."""
    records = _resolve_merges(tx, label, records)
    rows = [_row(r) for r in records]
    rec = tx.run(NODE_WRITE[label], rows=rows, tag=tag, at=at).single(strict=True)
    if rec["updated"] and label in DELETE_STATED:
        tx.run(DELETE_STATED[label], keys=rec["updated"]).consume()
    fresh = set(rec["created"]) | set(rec["updated"])
    edges: dict[tuple[str, bool, bool], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        new = r.key in fresh
        for e in r.edges:
            if e.props:
                edges[(e.type, True, new)].append({"s": r.key, "k": e.key, "p": dict(e.props)})
            else:
                edges[(e.type, False, new)].append({"s": r.key, "k": e.key})
    for (rel_type, with_props, new), edge_rows in edges.items():
        tx.run(EDGE_WRITE[(label, rel_type, with_props, new)], rows=edge_rows, tag=tag, at=at).consume()
    created, updated = len(rec["created"]), len(rec["updated"])
    return ApplyResult(created=created, updated=updated, unchanged=rec["total"] - created - updated)


class Neo4jStore:
    """The Neo4j store. ``uri`` is ``bolt://host:port`` for one server or ``neo4j://…`` for a cluster."""

    kind = "neo4j"

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        database: str | None = None,
        *,
        connection_timeout: float = 10.0,
        retry_time: float = 60.0,
        create: bool | None = True,
    ) -> None:
        """Connect; with ``create``, make the database a tracegraph store (constraints, indexes)
        when it is not one yet, otherwise a database with no tracegraph data is StoreNotFound;
        with ``None``, only connect (a bulk load looks at a database before it is a store)."""
        self.uri = uri
        self.location = uri
        self.user = user
        self.database = database
        self._memo: dict[str, Any] = {}
        self._memo_version: str | None = None
        self._memo_lock = threading.Lock()
        self.writers = _writers(os.environ.get("TRACEGRAPH_NEO4J_WRITERS", "2"))
        self._writer_pool: ThreadPoolExecutor | None = None
        try:
            self.driver: Driver = GraphDatabase.driver(
                uri,
                auth=(user, password),
                connection_timeout=connection_timeout,
                # covers the Bolt handshake too: a port that accepts but never answers fails in time
                connection_acquisition_timeout=3 * connection_timeout,
                max_transaction_retry_time=retry_time,
                notifications_min_severity="OFF",
            )
        except (ValueError, neo4j_errors.ConfigurationError) as exc:
            raise StoreUnavailable(f"{uri} is not a usable Neo4j URI ({exc})") from None
        self._guard(self.driver.verify_connectivity)
        if create:
            self._guard(self._ensure_schema)
        elif create is False and self.version() is None:
            self.driver.close()
            where = f"database {database!r} at {uri}" if database else f"the default database at {uri}"
            raise StoreNotFound(f"{where} holds no tracegraph data: check --store and --neo4j-database, or create "
                                "it with `tracegraph load FILES…` or `tracegraph init`")

    # -- errors -------------------------------------------------------------------------------------
    def _guard(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` and turn the driver's errors into ones that name the URI and what to do."""
        try:
            return fn(*args)
        except neo4j_errors.AuthError:
            raise StoreUnavailable(
                f"Neo4j at {self.uri} refused the credentials of user {self.user!r}; "
                "check NEO4J_USER and NEO4J_PASSWORD (or --neo4j-user/--neo4j-password)"
            ) from None
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
            raise StoreUnavailable(
                f"Neo4j at {self.uri} cannot be reached ({_first_line(exc)}); is the server running? "
                "`make neo4j-start` starts one on this machine"
            ) from None
        except neo4j_errors.TransientError as exc:
            raise StoreUnavailable(
                f"Neo4j at {self.uri} kept failing with a transient error ({_first_line(exc)}); run the command again"
            ) from None
        except neo4j_errors.ClientError as exc:
            if "Timeout" in (exc.code or "") or "timed out" in str(exc).lower():
                raise StoreUnavailable(f"Neo4j at {self.uri} timed out ({_first_line(exc)})") from None
            raise StoreError(f"Neo4j at {self.uri} rejected a statement: {exc.code}: {_first_line(exc)}") from None
        except neo4j_errors.DriverError as exc:
            raise StoreUnavailable(f"Neo4j at {self.uri}: {type(exc).__name__}: {_first_line(exc)}") from None
        except OSError as exc:
            raise StoreUnavailable(f"Neo4j at {self.uri} cannot be reached ({exc})") from None

    def _ensure_schema(self) -> None:
        for label in LABELS:
            self._run(
                f"CREATE CONSTRAINT {label.lower()}_key IF NOT EXISTS FOR (n:`{label}`) REQUIRE n.key IS UNIQUE"
            )
        for label, prop in INDEXES:
            self._run(f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS FOR (n:`{label}`) ON (n.`{prop}`)")
        self._run("CALL db.awaitIndexes(300)")
        self._run("MERGE (v:TracegraphState {id: 1}) ON CREATE SET v.version = randomUUID()")

    def _run(self, query: str, **params: Any) -> list[Any]:
        records, _, _ = self.driver.execute_query(query, params, database_=self.database)
        return records

    def read(self, query: str, **params: Any) -> list[Any]:
        """Run a read query, routed to a reader of the cluster; return its records."""
        def go() -> list[Any]:
            records, _, _ = self.driver.execute_query(
                query, params, database_=self.database, routing_=RoutingControl.READ
            )
            return records

        return self._guard(go)

    def rows(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        """The records of a read query as dicts (what a query's Cypher side reads: :class:`CypherReader`)."""
        return [r.data() for r in self.read(cypher, **params)]

    def run(self, query: Query[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Answer ``query`` by its Cypher version."""
        return query.cypher(self, *args, **kwargs)

    def ping(self) -> None:
        """Ask the server for the data's version: it answers, or StoreUnavailable says why not."""
        self.version()

    def write(self, query: str, **params: Any) -> list[Any]:
        """Run a write query in a managed (retried) transaction; return its records."""
        def work(tx: ManagedTransaction) -> list[Any]:
            return list(tx.run(query, params))

        def go() -> list[Any]:
            with self.driver.session(database=self.database) as session:
                return session.execute_write(work)

        return self._guard(go)

    # -- the Store interface ------------------------------------------------------------------------
    def apply(self, records: Sequence[Record], source: Source) -> ApplyResult:
        result = ApplyResult()
        by_label: dict[str, list[Record]] = defaultdict(list)
        for rec in records:
            by_label[rec.label].append(rec)
        for label, recs in by_label.items():
            chunks = list(_chunks(recs, BATCH))
            if self.writers > 1 and len(chunks) > 1 and len({r.key for r in recs}) == len(recs):
                # no key repeats, so the chunks do not depend on each other: write them side by side
                for r in self._pool().map(lambda c: self._guard(self._write_chunk, label, c, source), chunks):
                    result.add(r)
            else:
                for chunk in chunks:
                    result.add(self._guard(self._write_chunk, label, chunk, source))
        return result

    def _pool(self) -> ThreadPoolExecutor:
        if self._writer_pool is None:
            self._writer_pool = ThreadPoolExecutor(self.writers, thread_name_prefix="neo4j-writer")
        return self._writer_pool

    def _write_chunk(self, label: str, chunk: Sequence[Record], source: Source) -> ApplyResult:
        args = (label, chunk, source.tag, source.loaded_at)
        with self.driver.session(database=self.database) as session:
            try:
                return _quick_retry(session, _write_batch, *args)
            except neo4j_errors.ConstraintError:
                # another writer created some of these keys after our read: merge instead
                return _quick_retry(session, _merge_batch, *args)

    def set_links(self, rel_type: str, starts: Sequence[str], links: Sequence[Link], at: str) -> None:
        """Replace the ``rel_type`` links that leave the nodes keyed ``starts`` by ``links``."""
        start_label, end_label = INFERRED[rel_type]
        drop = f"UNWIND $keys AS k MATCH (:`{start_label}` {{key: k}})-[r:`{rel_type}`]->() DELETE r"
        ends = (end_label, *OTHER_ENDS.get(rel_type, ()))
        find_end = " ".join(f"OPTIONAL MATCH (b{i}:`{label}` {{key: l.e}})" for i, label in enumerate(ends))
        add = (
            "UNWIND $rows AS l "
            f"MATCH (a:`{start_label}` {{key: l.s}}) {find_end} "
            f"WITH a, l, coalesce({', '.join(f'b{i}' for i in range(len(ends)))}) AS b WHERE b IS NOT NULL "
            f"CREATE (a)-[:`{rel_type}` {{method: l.m, score: l.score, evidence: l.ev, _src: ['linkage:' + l.m], _at: $at}}]->(b)"
        )
        for i in range(0, len(starts), BATCH * 10):
            self.write(drop, keys=list(starts[i : i + BATCH * 10]))
        rows = [{"s": l.start, "e": l.end, "m": l.method, "score": l.score, "ev": list(l.evidence)} for l in links]
        for i in range(0, len(rows), BATCH * 5):
            self.write(add, rows=rows[i : i + BATCH * 5], at=at)
        self._bump()

    def commit(self) -> None:
        """Every batch was committed in its own transaction; mark the data as changed, so that what
        readers derived from it (:meth:`memo`) is derived again."""
        self._bump()

    # -- what queries derive from the data, kept while it is unchanged ------------------------------------
    _VERSION = "MERGE (v:TracegraphState {id: 1}) SET v.version = randomUUID()"

    def _bump(self) -> None:
        self.write(self._VERSION)

    def version(self) -> str | None:
        """A token that changes whenever any process commits a load, a link or an API write."""
        rows = self.read("MATCH (v:TracegraphState {id: 1}) RETURN v.version AS v")
        return rows[0]["v"] if rows else None

    keeps_derived = False

    def keep_derived(self) -> int:
        """Nothing is kept yet: what a query derives lives in the process that derived it (see
        docs/stores.md); the server keeps it for as long as the data stands."""
        return 0

    def take_up_next(self) -> bool:
        """Nothing to take up: the server holds its own indexes."""
        return False

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()``, kept until the data's :meth:`version` changes (one small read per call)."""
        version = self.version()
        with self._memo_lock:
            if version != self._memo_version:
                self._memo, self._memo_version = {}, version
            if name in self._memo:
                return self._memo[name]  # type: ignore[no-any-return]
        value = compute()
        with self._memo_lock:
            if version == self._memo_version:
                self._memo[name] = value
        return value

    def checkpoint(self, force: bool = False) -> bool:
        """Nothing to do: the server keeps its own checkpoints."""
        return False

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Nothing to take: every batch is a transaction of the server's."""
        yield

    def refresh(self) -> bool:
        """Nothing to take in: every read asks the server."""
        return False

    def stats(self) -> Stats:
        nodes = {}
        for label in LABELS:
            (rec,) = self.read(f"MATCH (n:`{label}`) RETURN count(n) AS c")
            if rec["c"]:
                nodes[label] = rec["c"]
        rels = {}
        for rec in self.read("CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType AS t"):
            (c,) = self.read(f"MATCH ()-[r:`{rec['t']}`]->() RETURN count(r) AS c")
            if c["c"]:
                rels[rec["t"]] = c["c"]
        return Stats(nodes=dict(sorted(nodes.items())), relationships=dict(sorted(rels.items())))

    def dump(self) -> GraphDump:
        def clean(props: dict[str, Any]) -> dict[str, Any]:
            out = {k: v for k, v in props.items() if k not in ("key", "_h", "_at")}
            if "_src" in out:
                out["_src"] = sorted(out["_src"])
            return out

        nodes = {
            (r["l"], r["k"]): clean(r["p"])
            for r in self.read("MATCH (n) WHERE labels(n)[0] IN $labels RETURN labels(n)[0] AS l, n.key AS k, properties(n) AS p",
                               labels=list(LABELS))
        }
        edges = {
            (r["t"], (r["a"], r["ak"]), (r["b"], r["bk"])): clean(r["p"])
            for r in self.read(
                "MATCH (a)-[r]->(b) RETURN type(r) AS t, labels(a)[0] AS a, a.key AS ak, "
                "labels(b)[0] AS b, b.key AS bk, properties(r) AS p"
            )
        }
        return GraphDump(nodes=nodes, edges=edges)


    def clear(self) -> None:
        """Delete every node and relationship (tests and benchmarks only).

        Relationships go first, in batches: a DETACH DELETE of a node with thousands of them (an
        exporter, an office) in one batch can exceed the server's transaction memory.
        """
        self._memo, self._memo_version = {}, None
        with self.driver.session(database=self.database) as session:
            for statement in (
                "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS",
                "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS",
            ):
                self._guard(lambda q=statement: session.run(q).consume())
        self._run("MERGE (v:TracegraphState {id: 1}) SET v.version = randomUUID()")  # an empty store, still a store

    def close(self) -> None:
        if self._writer_pool is not None:
            self._writer_pool.shutdown()
            self._writer_pool = None
        self.driver.close()

    def __enter__(self) -> "Neo4jStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


DEADLOCK_RETRIES = 20


def _writers(value: str) -> int:
    """How many transactions a load keeps side by side (``TRACEGRAPH_NEO4J_WRITERS``)."""
    try:
        n = int(value)
    except ValueError:
        n = 0
    if not 1 <= n <= 32:
        raise StoreError(f"TRACEGRAPH_NEO4J_WRITERS must be a whole number from 1 to 32, not {value!r}")
    return n


def _quick_retry(session: Session, work: Callable[..., T], *args: Any) -> T:
    """Run ``work(tx, *args)`` in a transaction of ``session`` and commit it.

    The two writers of a load can deadlock on a node they both link to (an exporter, a container);
    the server then fails one transaction, which can run again at once: it is retried here after
    a pause of a few milliseconds, where the driver's managed retry would wait a second and more.
    Any other error the driver would retry goes to its managed retry and backoff; the rest are raised."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            with session.begin_transaction() as tx:
                result = work(tx, *args)
                tx.commit()
                return result
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as exc:
            if isinstance(exc, neo4j_errors.TransientError) and "DeadlockDetected" in (exc.code or ""):
                time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
                continue
            if exc.is_retryable():  # a server restarting, a cluster changing its leader …
                break
            raise
    return session.execute_write(work, *args)


def _chunks(records: Sequence[Record], size: int) -> Iterator[list[Record]]:
    """Cut records into batches of at most ``size`` in which no key repeats.

    Two rows of one key in one ``UNWIND`` would both compare against the node as it was before
    the statement; in separate batches the later one sees the earlier, as in the embedded store.
    """
    chunk: list[Record] = []
    keys: set[str] = set()
    for rec in records:
        if len(chunk) >= size or rec.key in keys:
            yield chunk
            chunk, keys = [], set()
        chunk.append(rec)
        keys.add(rec.key)
    if chunk:
        yield chunk


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

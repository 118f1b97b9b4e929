"""The Neo4j store: the official driver, batched ``UNWIND … MERGE`` writes, constraints on open.

Each label has one write statement, generated from :data:`graph.model.STATED`: merge the node by
its key, replace its fields when its content hash changed (deleting the relationships the old
version stated), then merge the stated relationships and their target nodes. Every batch runs in
a managed transaction, which the driver retries on transient errors; a load cut off midway can be
run again and ends with the same graph.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any, Callable, Iterator, Sequence, TypeVar

from neo4j import Driver, GraphDatabase, ManagedTransaction, RoutingControl
from neo4j import exceptions as neo4j_errors

from graph.errors import StoreError, StoreUnavailable
from graph.model import LABELS, STATED, ApplyResult, GraphDump, Record, Source, Stats

BATCH = 5_000
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
)


def _src_union(var: str) -> str:
    return f"CASE WHEN {var}._src IS NULL THEN [$tag] WHEN $tag IN {var}._src THEN {var}._src ELSE {var}._src + $tag END"


def write_statement(label: str) -> str:
    """Return the Cypher that merges a batch of ``label`` records (``$rows``)."""
    stated = STATED[label]
    lines = [
        "UNWIND $rows AS row",
        f"MERGE (n:`{label}` {{key: row.key}})",
        f"WITH n, row, n._h IS NULL AS created, coalesce(n._h, '') <> row.h AS changed, {_src_union('n')} AS src",
    ]
    if stated:
        types = "|".join(f"`{t}`" for t in stated)
        lines += [
            "CALL (n, changed) {",
            "  WITH n WHERE changed",
            f"  MATCH (n)-[r:{types}]->() WHERE r.method IS NULL",
            "  DELETE r",
            "}",
        ]
    lines += [
        "FOREACH (_ IN CASE WHEN changed THEN [1] ELSE [] END |",
        "  SET n = row.props SET n.key = row.key, n._h = row.h, n._at = $at)",
        "SET n._src = src",
    ]
    for rel_type, target in stated.items():
        lines += [
            "WITH n, row, created, changed",
            "CALL (n, row) {",
            f"  UNWIND row.edges.`{rel_type}` AS e",
            f"  MERGE (m:`{target}` {{key: e.k}})",
            "  ON CREATE SET m._src = [$tag], m._at = $at",
            f"  ON MATCH SET m._src = {_src_union('m')}",
            "  SET m += e.p",
            f"  MERGE (n)-[r:`{rel_type}`]->(m)",
            f"  SET r._src = {_src_union('r')}",
            "}",
        ]
    lines.append(
        "RETURN sum(CASE WHEN created THEN 1 ELSE 0 END) AS created, "
        "sum(CASE WHEN changed AND NOT created THEN 1 ELSE 0 END) AS updated, count(*) AS total"
    )
    return "\n".join(lines)


WRITE = {label: write_statement(label) for label in LABELS}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def content_hash(props: dict[str, Any]) -> str:
    """A short stable hash of a record's fields: equal fields, equal hash."""
    text = json.dumps(props, sort_keys=True, ensure_ascii=False, default=list)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def _row(rec: Record) -> dict[str, Any]:
    edges: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in rec.edges:
        edges[e.type].append({"k": e.key, "p": dict(e.props) if e.props else {}})
    props = {k: _plain(v) for k, v in rec.props.items()}
    return {"key": rec.key, "h": content_hash(props), "props": props, "edges": edges}


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
    ) -> None:
        self.uri = uri
        self.location = uri
        self.user = user
        self.database = database
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
        self._guard(self._ensure_schema)

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
            for chunk in _chunks(recs, BATCH):
                rows = [_row(r) for r in chunk]
                (rec,) = self.write(WRITE[label], rows=rows, tag=source.tag, at=source.loaded_at)
                result.created += rec["created"]
                result.updated += rec["updated"]
                result.unchanged += rec["total"] - rec["created"] - rec["updated"]
        return result

    def commit(self) -> None:
        """Nothing to do: every batch was committed in its own transaction."""

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
            for r in self.read("MATCH (n) RETURN labels(n)[0] AS l, n.key AS k, properties(n) AS p")
        }
        edges = {
            (r["t"], (r["a"], r["ak"]), (r["b"], r["bk"])): clean(r["p"])
            for r in self.read(
                "MATCH (a)-[r]->(b) RETURN type(r) AS t, labels(a)[0] AS a, a.key AS ak, "
                "labels(b)[0] AS b, b.key AS bk, properties(r) AS p"
            )
        }
        return GraphDump(nodes=nodes, edges=edges)

    def node(self, label: str, key: str) -> dict[str, Any] | None:
        recs = self.read(f"MATCH (n:`{label}` {{key: $key}}) RETURN properties(n) AS p", key=key)
        if not recs:
            return None
        return {k: v for k, v in recs[0]["p"].items() if k not in ("key", "_h")}

    def clear(self) -> None:
        """Delete every node and relationship (tests and benchmarks only)."""
        with self.driver.session(database=self.database) as session:
            self._guard(
                lambda: session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
            )

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> "Neo4jStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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

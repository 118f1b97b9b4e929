"""A whole graph as the CSV files of Neo4j's offline importer, and the line that runs it.

``neo4j-admin database import full`` writes a new database from CSV files in one pass, many times
faster than transactions, but only into a database that is stopped, and it replaces what is there.
The graph written here is the embedded store's (records loaded and linked in this process, see
:mod:`tracegraph.loaders.bulk`), with every property as the Neo4j store keeps it
(:mod:`tracegraph.graph.neo4j`): the node's fields, ``key``, the content hash ``_h`` of nodes a
record stated, ``_src`` (a list of tags) and ``_at``; stated relationships with ``_src``; links with
``method``, ``score``, ``evidence``, ``_src`` and ``_at``; and the store's version node. Constraints
and indexes are made after the import, by opening the store (:meth:`Neo4jStore._ensure_schema`),
and :func:`finish` then sets the few fields the importer cannot hold.

The importer types a column once per file, so the rows of one label (or relationship type) are
split into one file per set of fields and types (most labels need one).
"""

from __future__ import annotations

import csv
import json
import shlex
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from tracegraph.graph.errors import StoreError
from tracegraph.graph.model import LABELS, split_id
from tracegraph.graph.neo4j import Neo4jStore, content_hash
from tracegraph.graph.reading import GraphReader

ARRAY_DELIMITER = "\x1f"  # (the default ';' is in evidence texts and container lists)
PATCHES = "patches.json"
STATE_LABEL = "TracegraphState"  # the Neo4j store's version node (see Neo4jStore.version)


@dataclass
class ImportFiles:
    """The importer's files in ``folder`` and the arguments that import them into ``database``."""

    folder: Path
    database: str
    nodes: list[tuple[str, Path]] = field(default_factory=list)  # (label, file)
    relationships: list[tuple[str, Path]] = field(default_factory=list)  # (type, file)
    rows: int = 0
    # node fields the importer cannot hold (a list with an empty text in it reads back as no
    # field): written after the import by :func:`finish`, from ``patches.json``
    patches: list[dict[str, Any]] = field(default_factory=list)

    def arguments(self) -> list[str]:
        """neo4j-admin's arguments (after the program's name)."""
        return [
            "database", "import", "full", self.database,
            "--overwrite-destination=true",  # (the command refuses a database holding any data first)
            "--multiline-fields=true",
            "--array-delimiter=U+001F",
            f"--report-file={self.folder.resolve() / 'import.report'}",
            *(f"--nodes={label}={path.resolve()}" for label, path in self.nodes),
            *(f"--relationships={rel_type}={path.resolve()}" for rel_type, path in self.relationships),
        ]

    def command(self, program: str = "neo4j-admin") -> str:
        return shlex.join([*shlex.split(program), *self.arguments()])


def _type(value: Any, where: str) -> str:
    """The importer's type of a property value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (tuple, list, frozenset)):
        kinds = {_type(v, where) for v in value}
        if len(kinds) == 1 and not kinds & {"string[]"}:
            return kinds.pop() + "[]"
        if not kinds:
            return "string[]"
    raise StoreError(f"{where}: a value of type {type(value).__name__} ({value!r}) has no Neo4j import type")


def _cell(value: Any, kind: str, where: str) -> str:
    if kind.endswith("[]"):
        items = [str(v) for v in value]
        if any(ARRAY_DELIMITER in v for v in items):
            raise StoreError(f"{where}: a list value holds the character U+001F, which the import uses between items")
        return ARRAY_DELIMITER.join(items)
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "double":
        return repr(value)
    return str(value)


class _Files:
    """CSV files opened as rows of a new signature (label or type, fields and their types) come."""

    def __init__(self, folder: Path, prefix: str) -> None:
        self.folder, self.prefix = folder, prefix
        self.open: dict[Any, tuple[Any, Any, tuple[tuple[str, str], ...]]] = {}
        self.made: list[tuple[str, Path]] = []

    def writer(self, name: str, ends: tuple[str, ...], sig: tuple[tuple[str, str], ...]) -> Any:
        key = (name, ends, sig)
        got = self.open.get(key)
        if got is None:
            path = self.folder / f"{self.prefix}-{name}-{len(self.made) + 1}.csv"
            f = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
            w = csv.writer(f, quoting=csv.QUOTE_ALL)  # (a quoted "" is an empty text, not a missing one)
            w.writerow([*ends, *(f"{k}:{t}" for k, t in sig)])
            got = self.open[key] = (f, w, sig)
            self.made.append((name, path))
        return got[1]

    def close(self) -> None:
        for f, _, _ in self.open.values():
            f.close()


def _importable(value: Any) -> bool:
    """Whether the importer reads ``value`` back as it is (it reads an empty list item as none)."""
    return not isinstance(value, (list, tuple)) or (bool(value) and all(v != "" for v in value))


def _props(attrs: Mapping[str, Any], skip: Iterable[str], where: str) -> tuple[tuple[tuple[str, str], ...], list[Any]]:
    items = sorted((k, v) for k, v in attrs.items() if k not in skip)
    if not all(_importable(v) for _, v in items):
        raise StoreError(f"{where}: a list with an empty item, which Neo4j's importer cannot hold")
    sig = tuple((k, _type(v, where)) for k, v in items)
    return sig, [_cell(v, t, where) for (k, v), (_, t) in zip(items, sig)]


def write_import_files(g: GraphReader, stated: Mapping[str, set[str]], folder: Path, database: str) -> ImportFiles:
    """Write the graph ``g`` as the importer's CSV files into ``folder`` (made if missing), and
    ``import.args``: neo4j-admin's arguments, one a line.

    ``stated`` names, by label, the keys of the nodes a record stated: those carry the content
    hash ``_h`` the Neo4j store compares a reloaded record with (a node only referred to has none).
    """
    folder.mkdir(parents=True, exist_ok=True)
    out = ImportFiles(folder, database)
    nodes, rels = _Files(folder, "nodes"), _Files(folder, "relationships")
    try:
        for nid, attrs in g.nodes.items():
            label, key = split_id(nid)
            if label not in LABELS:
                raise StoreError(f"node {nid}: {label} is not a label of tracegraph's")
            own = {k: list(v) if isinstance(v, tuple) else v for k, v in attrs.items() if k[0] != "_"}
            row = dict(own)
            if key in stated.get(label, ()):
                row["_h"] = content_hash(own)
            row["_src"] = sorted(attrs["_src"])
            row["_at"] = attrs["_at"]
            later = {k: v for k, v in own.items() if not _importable(v)}
            if later:
                out.patches.append({"label": label, "key": key, "props": later})
                row = {k: v for k, v in row.items() if k not in later}
            sig, cells = _props(row, (), nid)
            nodes.writer(label, (f"key:ID({label})",), sig).writerow([key, *cells])
            out.rows += 1
        # Relationships share their attribute dicts (one per type and provenance, one per link's
        # method, score and evidence): each is turned into cells once.
        cells_of: dict[tuple[int, str, str], tuple[Mapping[str, Any], Any, list[Any]]] = {}
        for u, targets in g.succ.items():
            a, _, ak = u.partition(":")
            for v, data in targets.items():
                b, _, bk = v.partition(":")
                got = cells_of.get((id(data), a, b))
                if got is None:
                    attrs = {k: (sorted(w) if k == "_src" else w) for k, w in data.items() if k != "type"}
                    sig, cells = _props(attrs, (), f"{data['type']} {u} -> {v}")
                    writer = rels.writer(data["type"], (f":START_ID({a})", f":END_ID({b})"), sig)
                    got = cells_of[(id(data), a, b)] = (data, writer, cells)
                got[1].writerow([ak, bk, *got[2]])
                out.rows += 1
        state = nodes.writer(STATE_LABEL, (), (("id", "long"), ("version", "string")))
        state.writerow(["1", str(uuid.uuid4())])
    finally:
        nodes.close()
        rels.close()
    out.nodes, out.relationships = nodes.made, rels.made
    (folder / "import.args").write_text("".join(a + "\n" for a in out.arguments()), encoding="utf-8")  # (for scripts)
    (folder / PATCHES).write_text(json.dumps(out.patches, ensure_ascii=False), encoding="utf-8")
    return out


def finish(store: Neo4jStore, folder: Path) -> int:
    """After the import: set the node fields the importer could not hold (``folder/patches.json``);
    return how many nodes it set. (Opening ``store`` made the constraints and indexes.)"""
    path = folder / PATCHES
    try:
        patches = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read {path} ({exc}): give the --files folder the import was written into") from None
    by_label: dict[str, list[dict[str, Any]]] = {}
    for p in patches:
        by_label.setdefault(p["label"], []).append({"k": p["key"], "p": p["props"]})
    for label, rows in by_label.items():
        if label not in LABELS:
            raise StoreError(f"{path}: {label} is not a label of tracegraph's")
        store.write(f"UNWIND $rows AS r MATCH (n:`{label}` {{key: r.k}}) SET n += r.p", rows=rows)
    if patches:
        store.commit()
    return len(patches)

"""The embedded store: a networkx graph in this process, durable in one directory.

On disk the store is a snapshot (:mod:`tracegraph.graph.snapshot`, ``graph.pickle``) and a
write-ahead log (:mod:`tracegraph.graph.wal`, ``wal.log``). A small commit appends one record to
the log; a commit large next to the graph writes a new snapshot instead. A checkpoint (at the end
of each load, when the log has grown next to the snapshot) writes a whole new snapshot beside the
old one, renames it into place and empties the log, so that reopening stays fast. Opening reads
the snapshot and replays the log records written after it. So a crash at any moment leaves the
last committed state, never a store that cannot be opened.

In memory the graph is networkx's dicts, made lean (:mod:`tracegraph.graph.adjacency`). Queries
read it through a :class:`~tracegraph.graph.reading.GraphReader` (:meth:`MemoryStore.run`).
"""

from __future__ import annotations

import fcntl
import functools
import gc
import hashlib
import importlib.util
import json
import os
import pickle
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TypeVar

import networkx as nx

from tracegraph.graph import snapshot, wal
from tracegraph.graph.adjacency import EMPTY, GRAPH_VIEWS, Placeholder, new_graph
from tracegraph.graph.errors import StoreError, StoreLocked, StoreNotFound
from tracegraph.graph.model import (
    INFERRED,
    OTHER_ENDS,
    STATED,
    EdgeRef,
    Link,
    ApplyResult,
    GraphDump,
    Record,
    hashed_dict,
    Source,
    Stats,
    split_id,
)
from tracegraph.graph.reading import GraphReader, P, Query, R

T = TypeVar("T")

SNAPSHOT = "graph.pickle"
WAL = "wal.log"
LOCK = "lock"
WRITER = "writer"  # held by a process for as long as it holds the write lock: what readers look at (_writer_busy)
DERIVED = "derived.pickle"  # what queries derived from the data as of one commit (see MemoryStore.keep_derived)
MARKER = "tracegraph-store.json"  # written when a store is made: a folder without it (or a graph) holds none
REFRESH_EVERY = 0.1  # seconds: how often a shared store looks for what others committed
# A shared store leaves what another process commits for later while that process still writes (a
# load commits its rows, then linkage, then what the queries derive), for at most this long: a
# served store moves from the data before a load to the data after it in one step.
DEFER_AT_MOST = 600.0
# A checkpoint folds the log into a new snapshot once the log is this share of the snapshot. Every
# open replays the log record by record, ~10x slower a byte than reading the snapshot (a log of
# 190 MB beside a 1M-shipment snapshot of 896 MB: opens of 29-30 s instead of ~10 s); at a 32nd an
# open replays at most ~3 s of it, and a store fed small batches writes a snapshot every ~28 MB.
FOLD_AT = 1 / 32
_STATED_TYPES = {label: frozenset(out) for label, out in STATED.items()}


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of the code that derives what queries keep (the store, the queries, linkage): what
    is kept with the data is only taken up by the code that derived it, never by an upgrade that
    reads it otherwise. (Found by module, not by folder: an editable install maps the packages to
    folders at the top of a checkout, beside everything else it holds.)"""
    digest = hashlib.sha256()
    for name in ("tracegraph.graph", "tracegraph.queries", "tracegraph.linkage"):
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for path in sorted(Path(folder).glob("*.py")):
                digest.update(f"{name}.{path.stem}".encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _encode(r: Record) -> tuple:
    """A record as plain tuples: they pickle about three times faster than the dataclasses."""
    return (r.label, r.key, r.props, tuple((e.type, e.label, e.key, e.props) for e in r.edges))


def _decode(t: tuple) -> Record:
    return Record(t[0], t[1], t[2], tuple(EdgeRef(*e) for e in t[3]))


def exists(path: Path) -> bool:
    """Whether ``path`` holds an embedded store (made by any version of tracegraph)."""
    return any((path / name).exists() for name in (MARKER, SNAPSHOT, WAL))


def _identity(path: Path) -> tuple[int, int, int] | None:
    """Which file ``path`` is now (a new snapshot is renamed into place: a new inode)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class _Reload(threading.Thread):
    """A shared store's new snapshot, read beside the graph it replaces."""

    def __init__(self, path: Path) -> None:
        super().__init__(name=f"reload {path}", daemon=True)
        self.path = path
        self.store: MemoryStore | None = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.store = MemoryStore(self.path, readonly=True, create=False)
        except BaseException as exc:  # noqa: BLE001 - raised where it is taken
            self.error = exc

    def take(self) -> "MemoryStore":
        if self.error is not None:
            raise self.error
        assert self.store is not None
        return self.store


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class MemoryStore:
    """The embedded store. Open it with :func:`tracegraph.graph.store.open_store` or directly.

    One process writes at a time (a lock file); how long a store holds the lock is its mode:

    * exclusive (the default): for as long as it is open (a command, a test);
    * ``shared``: only while it writes (:meth:`writing`), so that other processes can write in
      between (a served store, while ``tracegraph load`` adds the day's files). It takes in what
      they committed (:meth:`refresh`) once they have finished (a load's rows, its links and what
      it derived, in one step): the log's new records at once, a new snapshot read in the
      background and swapped in when read, so queries answer from the data before it meanwhile;
    * ``readonly``: never (a command that only reads; it sees what was committed when it opened).

    Parameters
    ----------
    path:
        The store's directory.
    readonly, shared:
        The mode, as above.
    create:
        Make a new, empty store when ``path`` holds none; otherwise that is an error
        (:class:`~tracegraph.graph.errors.StoreNotFound`) and nothing is created.
    """

    kind = "embedded"
    keeps_derived = True

    def __init__(self, path: str | os.PathLike[str], readonly: bool = False, *, shared: bool = False,
                 create: bool = True) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.readonly = readonly
        self.shared = shared and not readonly
        self._lock_fd: int | None = None
        self._writer_fd: int | None = None  # WRITER, held beside the lock
        self._probe_fd: int | None = None  # WRITER, looked at by a shared store (_writer_at_work)
        self._deferred_since: float | None = None  # when a shared store first left another's commit for later
        self._held = False  # whether this process holds the write lock now
        if not exists(self.path):
            if not create:
                raise StoreNotFound(
                    f"no tracegraph store at {self.path}: check --store (or TRACEGRAPH_STORE), or create one "
                    "with `tracegraph load FILES…` or `tracegraph init`")
            try:
                self.path.mkdir(parents=True, exist_ok=True)
                (self.path / MARKER).write_text(json.dumps({"store": "tracegraph", "created": _now()}) + "\n")
            except OSError as exc:
                raise StoreError(f"cannot create the store {self.path}: {exc.strerror}") from None
        if not readonly and not self.shared:
            self._take_lock()
        self._snapshot_seen: tuple[int, int, int] | None = None  # the snapshot read: (inode, mtime, size)
        self._wal_read = 0  # bytes of the log taken in
        self._checked = 0.0  # when refresh last looked at the files
        self._reload: _Reload | None = None  # a new snapshot being read in the background (shared)
        self._src_pool: dict[frozenset[str], frozenset[str]] = {}
        self._edge_pool: dict[tuple[str, frozenset[str]], dict[str, Any]] = {}
        self._placeholders: dict[tuple[frozenset[str], str], Placeholder] = {}
        self._pending: list[tuple[Any, list[Any]]] = []  # (Source, records) or (link header, links)
        self._pending_rows = 0
        self._snapshot_due = False  # the uncommitted work is large: commit with a snapshot
        self.seq = 0
        self.graph: nx.DiGraph = new_graph()
        self._by_label: dict[str, list[str]] | None = None  # built on first use, dropped by writes
        self._reader: tuple[Any, GraphReader] | None = None  # (the graph it reads, the reader): see reader()
        self._memo: dict[str, Any] = {}  # what queries derived from the graph, dropped by writes
        self._derived_tried = False  # whether the kept derivations (DERIVED) were looked at for this data
        self._derived: dict[str, bytes] = {}  # those not yet asked for, pickled
        # Every node id as one string object, the node dict's own key: each relationship holds its
        # ends' ids as keys in both directions, and an equal string made anew for each of them (a
        # record naming a factory loaded a year ago, linkage naming an arrival) would be a copy kept
        # in memory and written to the snapshot. After a relinking of a reopened 1M store 3.9 M
        # adjacency keys were copies: 227 MB more RSS on the next open, 70 MB more on disk, ~0.4 s
        # more to open. Ids read from a snapshot join the table once the writes since the open reach
        # a 64th of the graph (1.9 s and ~150-320 MB at 5.6 M nodes: ~0.35 us a node, against ~15 us
        # to land a row); until then a write names an existing node by a copy of its id, at most
        # that 64th. (sys.intern did this job before, and could not: strings read back are not in it.)
        self._ids: dict[str, str] = hashed_dict()
        self._ids_complete = True  # whether every node's id is in _ids (false once a snapshot is read)
        self._ids_rows = 0  # rows written since the open, toward completing _ids
        self._opening = True  # (replaying the log does not build the table: no open pays for it)
        try:
            self._read()
            self._opening = False
        except BaseException:
            self.close()  # a store that cannot be opened is not left locked by this process
            raise
        self._committed_nodes = self.graph.number_of_nodes()

    # -- durability ---------------------------------------------------------------------------------
    def _take_lock(self, wait: float = 0.0) -> None:
        """Take the write lock, waiting up to ``wait`` seconds for another process to let it go."""
        if self._lock_fd is None:
            self._lock_fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._held = True
                if self._writer_fd is None:
                    self._writer_fd = os.open(self.path / WRITER, os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(self._writer_fd, fcntl.LOCK_EX)  # (a reader's look holds it for microseconds)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    if not self.shared:
                        os.close(self._lock_fd)
                        self._lock_fd = None
                    raise StoreLocked(
                        f"the store {self.path} is being written by another process (a load?); "
                        "try again when it has finished") from None
                time.sleep(0.02)

    def _release_lock(self) -> None:
        if self._held and self._lock_fd is not None:
            if self._writer_fd is not None:
                fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        self._held = False

    def _writer_at_work(self) -> bool:
        """Whether another process holds the store to write it now (a load, a link, a command)."""
        if self._held:
            return False
        if self._probe_fd is None:
            try:
                self._probe_fd = os.open(self.path / WRITER, os.O_RDONLY)
            except FileNotFoundError:
                return False  # no writer has held it yet (or one from before WRITER: never waited for)
        try:
            fcntl.flock(self._probe_fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._probe_fd, fcntl.LOCK_UN)
        return False

    def _writer_busy(self) -> bool:
        """Whether to leave what another process committed for later: while that process still
        holds the store to write (for at most DEFER_AT_MOST), so that readers go from the data
        before its work to the data after it in one step, with what it derived and kept, instead
        of taking up each of its commits (rows, then links) and deriving again after each."""
        if not self._writer_at_work():
            self._deferred_since = None
            return False
        now = time.monotonic()
        if self._deferred_since is None:
            self._deferred_since = now
        return now - self._deferred_since < DEFER_AT_MOST

    @contextmanager
    def writing(self, wait: float = 2.0) -> Iterator[None]:
        """A write: what is applied inside it is committed by its end. A shared store takes the
        write lock for it (waiting up to ``wait`` seconds, then StoreLocked) and first takes in what
        other processes committed; an exclusive store holds the lock already."""
        if self.readonly:
            raise StoreError(f"the store {self.path} was opened read-only")
        if not self.shared or self._held:
            yield
            return
        self._take_lock(wait)
        try:
            self.refresh(wait=True)
            yield
            self.commit()
        finally:
            self._release_lock()

    def refresh(self, wait: bool = False) -> bool:
        """Take in what other processes committed since this store looked; return whether it did.

        The log's new records are applied at once. A new snapshot (a checkpoint, or a large load)
        is read in a thread of its own and swapped in by a later call (``wait``: by this one), so
        that the graph answers from the data before it meanwhile. While the process that
        committed still holds the store to write, nothing is taken in, though a new snapshot is
        read meanwhile (:meth:`_writer_busy`), unless ``wait``. Only a shared store has anything to
        take in: an exclusive one is the only writer, a read-only one sees what it opened."""
        if not self.shared:
            return False
        if not wait and time.monotonic() - self._checked < REFRESH_EVERY:
            return False
        self._checked = time.monotonic()
        if self._reload is not None:
            if wait:
                self._reload.join()
            if self._reload.is_alive() or (not wait and self._writer_busy()):
                return False
            fresh, self._reload = self._reload.take(), None
            if fresh._snapshot_seen != _identity(self.path / SNAPSHOT):  # a newer one since: read that
                fresh.close()
                self._reload = _Reload(self.path)
                return self.refresh(wait) if wait else False
            self._adopt(fresh)
            return True
        if _identity(self.path / SNAPSHOT) != self._snapshot_seen:
            self._reload = _Reload(self.path)
            return self.refresh(wait) if wait else False
        size = _size(self.path / WAL)
        if size <= self._wal_read or (not wait and self._writer_busy()):
            return False
        with open(self.path / WAL, "rb") as f:
            f.seek(self._wal_read)
            data = f.read(size - self._wal_read)
        if _identity(self.path / SNAPSHOT) != self._snapshot_seen:
            return self.refresh(wait)  # a checkpoint between the two looks: the bytes read may be another log's
        before = self.seq
        self._wal_read += self._replay(data)
        if self.seq != before:
            self._forget()
            self._committed_nodes = self.graph.number_of_nodes()
            gc.freeze()
        return self.seq != before

    def _adopt(self, fresh: "MemoryStore") -> None:
        """Take the graph of ``fresh`` (the same store, just read) as this store's."""
        for view in GRAPH_VIEWS:  # (they refer back to the graph: a cycle the frozen collector never frees)
            self.graph.__dict__.pop(view, None)
        self.graph, self.seq = fresh.graph, fresh.seq
        self._src_pool, self._edge_pool, self._placeholders = fresh._src_pool, fresh._edge_pool, fresh._placeholders
        self._ids, self._ids_complete, self._ids_rows = fresh._ids, fresh._ids_complete, 0
        self._snapshot_seen, self._wal_read = fresh._snapshot_seen, fresh._wal_read
        self._committed_nodes = self.graph.number_of_nodes()
        self._forget()

    def _read(self) -> None:
        snap = self.path / SNAPSHOT
        gc.disable()  # unpickling millions of dicts is several times faster without the collector
        try:
            self._snapshot_seen = _identity(snap)
            if snap.exists():
                try:
                    read = snapshot.read(snap)
                except snapshot.FormatUnknown as exc:
                    raise StoreError(f"the store {self.path} has {exc}") from None
                except Exception as exc:  # noqa: BLE001 - any failure here means a damaged file
                    raise StoreError(
                        f"the snapshot {snap} cannot be read ({exc}); restore it from a backup or load the files again into a new store"
                    ) from None
                self.seq, self.graph = read.seq, read.graph
                self._ids_complete = not self.graph._node  # noqa: SLF001
                if read.pools is not None:  # the objects the graph shares (formats 5 and 6: equal copies in each chunk)
                    self._src_pool, self._edge_pool, self._placeholders = read.pools
                else:
                    self._rebuild_pools()
            self._replay_wal()
        finally:
            gc.enable()
            gc.freeze()

    def _rebuild_pools(self) -> None:
        for _, _, data in self.graph.edges(data=True):
            src = data.get("_src")
            if src is not None and "method" not in data:
                src = self._src_pool.setdefault(src, src)
                self._edge_pool.setdefault((data["type"], src), data)
        for _, data in self.graph.nodes(data=True):
            src = data.get("_src")
            if src is not None:
                data["_src"] = self._src_pool.setdefault(src, src)

    def _replay_wal(self) -> None:
        path = self.path / WAL
        if not path.exists():
            return
        data = path.read_bytes()
        self._wal_read = good = self._replay(data)
        if good != len(data) and self._held:
            wal.truncate(path, good)  # a record torn by a crash: its commit never completed

    def _replay(self, data: bytes) -> int:
        """Apply the whole log records in ``data`` that are newer than the graph; return how many
        bytes they take (a torn record at the end is left: a crash, or a commit being written)."""
        good = 0
        for seq, batches, good in wal.records(data):
            if seq > self.seq:
                for source, records in batches:
                    if isinstance(source, Source):
                        self._apply([_decode(r) for r in records], source, adopt=True)
                    else:  # ("links", type, starts, at): inferred relationships
                        self._set_links(source[1], source[2], [Link(*t) for t in records], source[3])
                self.seq = seq
        return good

    def commit(self) -> None:
        """Make every record applied since the last commit durable.

        Small commits append one record to the log. A commit that is large next to the graph
        writes a new snapshot instead: cheaper than logging its records, and the records need not
        be kept in memory until then.
        """
        self._writable()
        if not self._pending and not self._snapshot_due:
            return
        self.seq += 1
        if self._snapshot_due:
            self._write_snapshot()
        else:
            batches = [
                (source, [_encode(r) for r in records] if isinstance(source, Source) else records)
                for source, records in self._pending
            ]
            wal.append(self.path / WAL, self.seq, batches)
            self._wal_read = _size(self.path / WAL)  # (this process applied what it logged)
        self._pending = []
        self._pending_rows = 0
        self._snapshot_due = False
        self._committed_nodes = self.graph.number_of_nodes()

    def checkpoint(self, force: bool = False) -> bool:
        """Fold the log into a new snapshot when it has grown to :data:`FOLD_AT` of it; return whether it did."""
        self.commit()
        wal = self.path / WAL
        snap = self.path / SNAPSHOT
        wal_size = wal.stat().st_size if wal.exists() else 0
        snap_size = snap.stat().st_size if snap.exists() else 0
        if wal_size == 0 or (not force and wal_size < snap_size * FOLD_AT):
            return False
        self._write_snapshot()
        return True

    def _write_snapshot(self) -> None:
        self._writable()
        tmp = self.path / (SNAPSHOT + ".tmp")
        snapshot.write(tmp, self.seq, self.graph, (self._src_pool, self._edge_pool, self._placeholders))
        os.replace(tmp, self.path / SNAPSHOT)
        _fsync_dir(self.path)
        self._snapshot_seen = _identity(self.path / SNAPSHOT)
        # The snapshot now holds every logged commit; records in the log carry older sequence
        # numbers and would be skipped anyway, so emptying it is only a matter of space.
        if (self.path / WAL).exists():
            wal.truncate(self.path / WAL, 0)
        self._wal_read = 0

    def close(self) -> None:
        if self._reload is not None:
            self._reload.join()
            self._reload = None
        for fd in (self._probe_fd, self._writer_fd, self._lock_fd):  # (the writer's before the lock it sits beside)
            if fd is not None:
                os.close(fd)
        self._probe_fd = self._writer_fd = self._lock_fd = None
        self._held = False
        # networkx keeps views such as ``G.edges`` on the graph, and some refer back to it: a
        # cycle, which the collector never looks at once frozen (see ``apply``). Dropped here, the
        # graph goes with the store; a process that opens stores one after another (a test run, a
        # server) would otherwise keep every graph it read.
        for view in GRAPH_VIEWS:
            self.graph.__dict__.pop(view, None)
        self._ids = {}

    def __enter__(self) -> "MemoryStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------------
    def _writable(self) -> None:
        if self.readonly:
            raise StoreError(f"the store {self.path} was opened read-only")
        if not self._held:
            raise StoreError(f"the store {self.path} is shared: write inside `with store.writing():`")

    def apply(self, records: Sequence[Record], source: Source) -> ApplyResult:
        """Merge validated records into the graph (not yet durable: see :meth:`commit`)."""
        self._writable()
        records = list(records)
        self._forget()
        # Whether the commit will write a snapshot, should this batch change anything: then nothing
        # is logged until it, and records that go to no log are not read again, so their nodes take
        # their dicts as they are (a copy each of millions of dicts, ~2 % of a load of 1M shipments, spared).
        due = self._snapshot_due or self._large(self._pending_rows + len(records))
        result, changed = self._apply(records, source, adopt=due)
        # The graph holds no reference cycles: keep the collector from scanning it again and again.
        gc.freeze()
        # Only the records that changed something are logged (replaying the others would change
        # nothing): loading unchanged files again logs nothing and writes no snapshot, where every
        # batch was logged and, at 1M shipments, the log then folded into a new snapshot of 830 MB.
        if changed:
            self._pending_rows += len(changed)
            if due and not self._snapshot_due:
                self._snapshot_due = True  # (records adopted as they are must not be logged)
                self._pending = []
            if not self._snapshot_due:
                self._pending.append((source, changed))
        return result

    def _large(self, rows: int) -> bool:
        """Whether ``rows`` uncommitted rows are large next to the graph: their commit then writes a
        snapshot rather than log them."""
        return rows * 4 >= max(self._committed_nodes, 1000)

    def _node_ids(self, rows: int) -> dict[str, str]:
        """The table of node ids (see ``__init__``), for a write of ``rows`` rows."""
        if not self._ids_complete and not self._opening:
            self._ids_rows += rows
            nodes = self.graph._node  # noqa: SLF001
            if self._ids_rows * 64 >= len(nodes):
                # sized for every node at once, in the node dict's layout; the ids that writes named
                # by a copy so far now give the node's own string too
                ids: dict[str, str] = dict.fromkeys(nodes, "")
                ids.update(zip(nodes, nodes))
                self._ids, self._ids_complete = ids, True
        return self._ids

    def _intern_src(self, src: frozenset[str]) -> frozenset[str]:
        return self._src_pool.setdefault(src, src)

    def _with_tag(self, src: frozenset[str] | None, tag: str) -> frozenset[str]:
        if src is None:
            return self._intern_src(frozenset((tag,)))
        if tag in src:
            return src
        return self._intern_src(src | {tag})

    def _placeholder(self, src: frozenset[str], at: str) -> Placeholder:
        key = (src, at)
        attrs = self._placeholders.get(key)
        if attrs is None:
            attrs = self._placeholders[key] = Placeholder(_src=src, _at=at)
        return attrs

    def _edge_attrs(self, rel_type: str, src: frozenset[str]) -> dict[str, Any]:
        key = (rel_type, src)
        attrs = self._edge_pool.get(key)
        if attrs is None:
            attrs = self._edge_pool[key] = {"type": rel_type, "_src": src}
        return attrs

    def _apply(self, records: Sequence[Record], source: Source, adopt: bool = False) -> tuple[ApplyResult, list[Record]]:
        """Merge ``records``; with ``adopt``, a new node keeps its record's ``props`` dict as its own.

        Returns the counts, and the records that changed the graph: a record is left out only when
        every node, field, relationship and provenance tag it states is there already, and then it
        wrote nothing (``test_apply_reports_every_change`` holds each kind of change to this)."""
        succ = self.graph._succ  # noqa: SLF001 - direct access keeps shared edge dicts shared
        pred = self.graph._pred  # noqa: SLF001
        nodes = self.graph._node  # noqa: SLF001
        ids = self._node_ids(len(records))
        tag = source.tag
        at = source.loaded_at
        result = ApplyResult()
        only_tag = self._with_tag(None, tag)
        grown: dict[frozenset[str], frozenset[str]] = {}  # provenance sets with this tag added
        fresh: dict[str, dict[str, Any]] = {}  # the attributes of a relationship first stated by this source, by type
        created = 0
        changed: list[Record] = []

        def tagged(src: frozenset[str]) -> frozenset[str]:
            out = grown.get(src)
            if out is None:
                out = grown[src] = self._with_tag(src, tag)
            return out

        for rec in records:
            # One string object per node id, however often it is named: every edge in both
            # directions holds it as a key, and pickle then writes it once.
            nid = f"{rec.label}:{rec.key}"
            nid = ids.setdefault(nid, nid)
            attrs = nodes.get(nid)
            dirty = attrs is None
            if dirty:
                # The loaders hand texts that repeat across records as one shared copy each
                # (loaders.rules.POOL_SIZE): the record's dict, or a plain copy, keeps them shared.
                new_attrs: dict[str, Any] = rec.props if adopt else dict(rec.props)
                new_attrs["_src"] = only_tag
                new_attrs["_at"] = at
                nodes[nid] = attrs = new_attrs
                # its relationships all land below (none can be there already): one write each
                out: dict[str, Any] = {} if rec.edges else EMPTY
                succ[nid] = out  # (no predecessors yet: no entry in ``pred``)
                created += 1
            else:
                if type(attrs) is Placeholder:
                    attrs = nodes[nid] = dict(attrs)  # about to get fields of its own
                own = {k: v for k, v in attrs.items() if k[0] != "_"}
                if rec.merge:
                    rec = rec.merged_into(own)  # (and logged so: replayed, it writes the same)
                src = attrs["_src"]
                if tag not in src:
                    src = tagged(src)
                    dirty = True
                if own != rec.props:
                    dirty = True
                    attrs.clear()
                    attrs.update(rec.props)
                    attrs["_at"] = at
                    result.updated += 1
                    stated = _STATED_TYPES[rec.label]
                    out = succ[nid]
                    for gone in [t for t, d in out.items() if d["type"] in stated and "method" not in d]:
                        del out[gone]
                        del pred[gone][nid]
                else:
                    result.unchanged += 1
                attrs["_src"] = src
                out = succ[nid]
            for edge in rec.edges:
                tid = f"{edge.label}:{edge.key}"
                tid = ids.setdefault(tid, tid)
                target = nodes.get(tid)
                into: dict[str, Any] | None = None
                if target is None:  # a reference to a record not loaded yet (and a new relationship: dirty below)
                    if edge.props:
                        target = dict(edge.props)
                        target["_src"] = only_tag
                        target["_at"] = at
                    else:
                        target = self._placeholder(only_tag, at)
                    nodes[tid] = target
                    succ[tid] = EMPTY
                    pred[tid] = into = {}  # this relationship lands in it below
                else:
                    tsrc = target["_src"]
                    # (a target lacks this source's tag only when the relationship does too, so the
                    # relationship marks the record dirty below as well: said here all the same)
                    if type(target) is Placeholder:
                        if edge.props:
                            target = nodes[tid] = dict(target)
                        elif tag not in tsrc:
                            nodes[tid] = self._placeholder(tagged(tsrc), target["_at"])
                            dirty = True
                    if tag not in tsrc and type(target) is not Placeholder:
                        target["_src"] = tagged(tsrc)
                        dirty = True
                    if edge.props:
                        for k, v in edge.props.items():
                            if target.get(k) != v:
                                target[k] = v
                                target["_at"] = at
                                dirty = True
                old = out.get(tid)
                if old is None:
                    data = fresh.get(edge.type)
                    if data is None:
                        data = fresh[edge.type] = self._edge_attrs(edge.type, only_tag)
                else:
                    if old["type"] != edge.type:
                        raise StoreError(
                            f"{nid} already has a {old['type']} relationship to {tid}; cannot add {edge.type}"
                        )
                    if tag in old["_src"]:
                        continue
                    data = self._edge_attrs(edge.type, tagged(old["_src"]))
                dirty = True  # a new relationship, or one this source states too
                if out is EMPTY:
                    out = succ[nid] = {}
                out[tid] = data
                if into is None:
                    into = pred.get(tid, EMPTY)  # (not ``[tid]``: a Python call for a node without predecessors)
                    if into is EMPTY:
                        into = pred[tid] = {}
                into[nid] = data
            if dirty:
                changed.append(rec)
        result.created = created
        return result, changed

    def set_links(self, rel_type: str, starts: Sequence[str], links: Sequence[Link], at: str) -> None:
        """Replace the ``rel_type`` links that leave the nodes keyed ``starts`` by ``links`` (a link
        whose start is not among them is added to that node's). A link there already as it is stays
        as it was, with its time."""
        self._writable()
        self._forget()
        changed = self._set_links(rel_type, starts, links, at)
        if not changed:
            return  # a relinking that found what is there already writes nothing
        # Only the nodes whose links changed are logged, with all their links (replayed, they
        # change the same). Linkage of a big load is big too (at 100k shipments, a log of 35 MB
        # beside a snapshot of 92 MB, which made every open 2.5x slower): past the share of the
        # graph that a batch of records would not be logged at, the commit writes a snapshot instead.
        mine = [l for l in links if l.start in changed]
        self._pending_rows += len(mine) + len(changed)
        if not self._snapshot_due and self._large(self._pending_rows):
            self._snapshot_due = True
            self._pending = []
        if not self._snapshot_due:
            rows = [(l.type, l.start, l.end, l.method, l.score, l.evidence) for l in mine]
            self._pending.append((("links", rel_type, [k for k in starts if k in changed], at), rows))

    def _set_links(self, rel_type: str, starts: Sequence[str], links: Sequence[Link], at: str) -> set[str]:
        """:meth:`set_links` in memory; returns the keys of the nodes whose links changed."""
        succ, pred, nodes = self.graph._succ, self.graph._pred, self.graph._node  # noqa: SLF001
        start_label, end_label = INFERRED[rel_type]
        # the links of the starts now: each is dropped at the end unless ``links`` has it
        stale: dict[str, set[str]] = {}
        for key in starts:
            nid = f"{start_label}:{key}"
            out = succ.get(nid)
            if out:
                ends = [t for t, d in out.items() if d["type"] == rel_type]
                if ends:
                    stale[nid] = set(ends)
        changed: set[str] = set()
        # Links with the same method, score and evidence (the arrivals of one consignor, say) share
        # one attribute dict, and links share the evidence texts and scores that repeat ("declared
        # for NLRTM"): at 100k shipments 195k links held 649k evidence texts, 193k of them distinct,
        # in 106k distinct dicts. Like the other shared relationship dicts, never changed in place.
        shared: dict[Any, Any] = {}
        ids = self._node_ids(len(links))
        other_ends = OTHER_ENDS.get(rel_type, ())
        for link in links:
            a, b = ids.get(f"{start_label}:{link.start}"), ids.get(f"{end_label}:{link.end}")
            for label in other_ends:
                if b is None and (b := ids.get(f"{label}:{link.end}")) is None and not self._ids_complete:
                    b = f"{label}:{link.end}" if f"{label}:{link.end}" in nodes else None
                    b = b and ids.setdefault(b, b)
            if a is None or b is None:
                if self._ids_complete:
                    continue  # linkage only links nodes that exist
                a = f"{start_label}:{link.start}"
                b = b or f"{end_label}:{link.end}"
                if a not in nodes or b not in nodes:
                    continue
                a, b = ids.setdefault(a, a), ids.setdefault(b, b)
            gone = stale.get(a)
            if gone:
                gone.discard(b)  # in ``links``: kept as it is, or replaced below
            out = succ[a]
            evidence = tuple(link.evidence)
            old = out.get(b)
            if (old is not None and old["type"] == rel_type and old["method"] == link.method
                    and old["score"] == link.score and old["evidence"] == evidence):
                continue  # there as it is: kept, with its time
            data = shared.get((link.method, link.score, evidence))
            if data is None:
                score = shared.setdefault(link.score, link.score) if type(link.score) is float else link.score
                data = shared[(link.method, link.score, evidence)] = {
                    "type": rel_type, "method": link.method, "score": score,
                    "evidence": tuple(map(shared.setdefault, evidence, evidence)),
                    "_src": self._with_tag(None, f"linkage:{link.method}"), "_at": at,
                }
            into = pred.get(b, EMPTY)
            if out is EMPTY:
                out = succ[a] = {}
            if into is EMPTY:
                into = pred[b] = {}
            out[b] = data
            into[a] = data
            changed.add(link.start)
        for nid, unnamed in stale.items():
            if unnamed:
                out = succ[nid]
                for end in unnamed:
                    del out[end]
                    del pred[end][nid]
                changed.add(split_id(nid)[1])
        return changed

    # -- reading ------------------------------------------------------------------------------------
    def _forget(self) -> None:
        self._by_label = None
        self._memo = {}
        self._derived_tried = False
        self._derived = {}

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()``, kept until the next write: an index a query derives from the graph. What
        :meth:`keep_derived` kept for the data as it stands is taken up on the first miss."""
        if name not in self._memo:
            self._take_derived(name)
        if name not in self._memo:
            self._memo[name] = compute()
            gc.freeze()  # like the graph: millions of kept objects the collector need not scan again
        return self._memo[name]  # type: ignore[no-any-return]

    def _data_mark(self) -> list[int | str]:
        """What says which data, and which code, a derivation was made from: the commit, the
        graph's nodes (a count the graph keeps; counting relationships would walk them all) and
        the fingerprint of the installed code (another version may derive other shapes)."""
        return [self.seq, self.graph.number_of_nodes(), code_fingerprint()]

    def keep_derived(self) -> int:
        """Write what the queries derived so far (:meth:`memo`) beside the snapshot, for the data as
        committed, so that the next process to open the store does not derive it again on its first
        query; return the bytes written. Entries that cannot be kept (a lock, a cache of answers)
        are left out. Any later commit makes the file stale, and a stale file is never read."""
        self._writable()
        self.commit()
        kept = {}
        for name, value in self._memo.items():
            try:
                kept[name] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, TypeError, AttributeError):
                continue
        tmp = self.path / (DERIVED + ".tmp")
        with open(tmp, "wb") as f:
            pickle.dump({"mark": self._data_mark(), "memo": kept}, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path / DERIVED)
        _fsync_dir(self.path)
        return _size(self.path / DERIVED)

    def take_up_next(self) -> bool:
        """Take up one more of the things a first query would otherwise wait for: the label index,
        then each derivation kept with the data (:meth:`keep_derived`), one per call; return
        whether there may be more. A server calls it between requests (on the thread its store
        calls run on) so that its first visitors do not pay for them."""
        if self._by_label is None:
            self._label_index("")  # (builds the index of every label)
            return True
        if not self._derived_tried:
            self._take_derived("")  # (reads the file: whether it was kept for this data and code)
        for name in list(self._derived):
            if name in self._memo:  # derived meanwhile: its kept copy is not needed
                del self._derived[name]
                continue
            self._take_derived(name)
            return True
        return False

    def _take_derived(self, name: str) -> None:
        """Take up the kept derivation ``name`` if it was made from the data as it stands (the file
        is read once for the data; each entry is unpickled only when a query first asks for it)."""
        if not self._derived_tried:
            self._derived_tried = True
            self._derived = {}
            path = self.path / DERIVED
            if path.exists():
                try:
                    with open(path, "rb") as f:
                        kept = pickle.load(f)
                    if kept.get("mark") == self._data_mark():  # else made from other data: derived again
                        self._derived = kept["memo"]
                except Exception:  # noqa: BLE001 - a damaged or foreign file is only a lost shortcut
                    pass
        blob = self._derived.pop(name, None)
        if blob is None:
            return
        gc.disable()  # many small objects: several times faster without the collector
        try:
            self._memo[name] = pickle.loads(blob)
        except Exception:  # noqa: BLE001 - derived again
            pass
        finally:
            gc.enable()
            gc.freeze()

    def _label_index(self, label: str) -> list[str]:
        """The ids of every node of ``label``, sorted (an index built by one pass, kept until a write)."""
        if self._by_label is None:
            index: dict[str, list[str]] = {}
            for nid in self.graph._node:  # noqa: SLF001
                index.setdefault(split_id(nid)[0], []).append(nid)
            for v in index.values():
                v.sort()
            self._by_label = index
        return self._by_label.get(label, [])

    def reader(self) -> GraphReader:
        """The graph as a query's networkx side reads it (one per graph object: a trace is cheap
        enough that building a reader for every call would show)."""
        g = self.graph
        cached = self._reader
        if cached is not None and cached[0] is g:
            return cached[1]
        reader = GraphReader(g._node, g._succ, g._pred, self._label_index, self.memo)  # noqa: SLF001
        self._reader = (g, reader)
        return reader

    def run(self, query: Query[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Answer ``query`` by its networkx version."""
        return query.networkx(self.reader(), *args, **kwargs)

    def ping(self) -> None:
        """Nothing to ask: the graph is in this process."""

    def stats(self) -> Stats:
        nodes = Counter(nid.partition(":")[0] for nid in self.graph._node)  # noqa: SLF001
        rels = Counter(d["type"] for _, _, d in self.graph.edges(data=True))
        return Stats(nodes=dict(sorted(nodes.items())), relationships=dict(sorted(rels.items())))

    def dump(self) -> GraphDump:
        def clean(attrs: dict[str, Any]) -> dict[str, Any]:
            out = {}
            for k, v in attrs.items():
                if k == "_at":
                    continue
                if k == "_src":
                    v = sorted(v)
                elif isinstance(v, tuple):
                    v = list(v)
                out[k] = v
            return out

        nodes = {split_id(n): clean(d) for n, d in self.graph.nodes(data=True)}
        edges = {
            (d["type"], split_id(u), split_id(v)): {k: w for k, w in clean(d).items() if k != "type"}
            for u, v, d in self.graph.edges(data=True)
        }
        return GraphDump(nodes=nodes, edges=edges)


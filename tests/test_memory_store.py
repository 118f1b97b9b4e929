"""The embedded store's insides: durability (snapshot, log, lock), its snapshot formats old and
new, and the memory layout it keeps (shared adjacency and attributes, one string per node id).
What both stores must do alike is in test_store.py."""

from __future__ import annotations

import pickle
import random
import shutil
import struct

import pytest

from tracegraph.graph import memory
from tracegraph.graph.memory import MemoryStore
from tracegraph.loaders.load import load


def test_embedded_store_reopens_with_what_was_committed(tmp_path, demo_dir):
    path = tmp_path / "store"
    with MemoryStore(path) as s:
        load(s, [str(demo_dir / "cn-manufacturers.csv")])  # small next to nothing: a snapshot
        load(s, [str(demo_dir)])
        load(s, [str(demo_dir / "cn-products.csv")])
        expected = s.dump()
    with MemoryStore(path) as s:
        assert s.dump() == expected
    # a later small commit goes to the log, and is there after reopening too
    row = (demo_dir / "eu-findings.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "eu-findings.csv").write_text(row[0] + "\n" + row[1].replace("F-", "G-", 1) + "\n", encoding="utf-8")
    with MemoryStore(path) as s:
        load(s, [str(tmp_path / "one")])
        assert (path / "wal.log").stat().st_size > 0
        expected = s.dump()
    with MemoryStore(path) as s:
        assert s.dump() == expected
        assert len(expected.nodes) > 0


def test_a_second_writer_is_refused_while_the_first_holds_the_store(tmp_path):
    from tracegraph.graph.errors import StoreLocked

    with MemoryStore(tmp_path / "s"):
        with pytest.raises(StoreLocked, match="being written by another process"):
            MemoryStore(tmp_path / "s")
        MemoryStore(tmp_path / "s", readonly=True).close()  # readers are welcome


def test_a_damaged_snapshot_is_an_error_that_says_what_to_do(tmp_path, demo_dir):
    from tracegraph.graph.errors import StoreError

    with MemoryStore(tmp_path / "s") as s:
        load(s, [str(demo_dir / "cn-manufacturers.csv")])
    snap = tmp_path / "s" / "graph.pickle"
    snap.write_bytes(snap.read_bytes()[:100])
    with pytest.raises(StoreError, match="cannot be read .* load the files again"):
        MemoryStore(tmp_path / "s")
    shutil.rmtree(tmp_path / "s")


def test_shared_empty_adjacency_and_placeholders_survive_a_reopen_and_take_writes(tmp_path, demo_dir):
    """Nodes without relationships in a direction share one empty dict, and nodes known only as a
    target share their attributes; after a snapshot and a reopen both are still shared, and later
    loads and links give each node its own before writing (the graph equals a single fresh load)."""
    from tracegraph.graph.adjacency import EMPTY
    from tracegraph.linkage import link

    path = tmp_path / "store"
    with MemoryStore(path) as s:
        load(s, [str(demo_dir / "cn-shipments.csv")])
    with MemoryStore(path) as s:
        succ, pred, nodes = s.graph._succ, s.graph._pred, s.graph._node
        assert all(v is EMPTY for v in list(succ.values()) + list(pred.values()) if not v)
        containers = [a for n, a in nodes.items() if n.startswith("Container:")]
        assert len(containers) > 50 and len({id(a) for a in containers}) == 1
        load(s, [str(demo_dir)])
        link(s, at="2026-01-01T00:00:00+00:00")
        assert EMPTY == {} and len(EMPTY) == 0
        got = s.dump()
    with MemoryStore(tmp_path / "fresh") as fresh:
        load(fresh, [str(demo_dir)])
        link(fresh, at="2026-01-01T00:00:00+00:00")
        expected = fresh.dump()
    assert got.nodes == expected.nodes
    assert got.edges == expected.edges
    assert any(k[0] == "SAME_CONSIGNMENT" for k in got.edges)
    with MemoryStore(path) as s:
        assert s.dump() == got


def test_networkx_reads_the_predecessors_of_every_node_though_only_those_with_some_are_kept(tmp_path, demo_dir):
    """The predecessor dict keeps only nodes that have predecessors, in a fresh store and after a
    reopen; networkx's views (degrees, predecessors, in-edges, relationship counts, subgraphs) still
    answer exactly as on a plain DiGraph of the same nodes and relationships, and a node the graph
    lacks is still an error."""
    import networkx as nx

    from tracegraph.linkage import link

    def same_as_plain(g: nx.DiGraph) -> None:
        plain = nx.DiGraph()
        plain.add_nodes_from(g.nodes(data=True))
        plain.add_edges_from(g.edges(data=True))
        without = [n for n in plain if not plain.pred[n]]
        assert len(without) > len(plain) // 3 and not any(n in g._pred.keys() for n in without)
        assert len(g._pred) == len(plain) - len(without)
        assert dict(g.in_degree()) == dict(plain.in_degree()) and dict(g.degree()) == dict(plain.degree())
        assert all(sorted(g.predecessors(n)) == sorted(plain.predecessors(n)) for n in plain)
        assert all(n in g._pred and g.pred[n] == plain.pred[n] for n in without)
        assert sorted(g.in_edges()) == sorted(plain.in_edges()) and g.number_of_edges() == plain.number_of_edges()
        some = [n for i, n in enumerate(plain) if i % 3 == 0]
        assert dict(g.subgraph(some).in_degree()) == dict(plain.subgraph(some).in_degree())
        assert "Arrival:nope" not in g._pred and not g.has_predecessor("Arrival:nope", without[0])
        with pytest.raises(nx.NetworkXError, match="Arrival:nope"):
            g.predecessors("Arrival:nope")
        with pytest.raises(KeyError):
            g._pred["Arrival:nope"]

    path = tmp_path / "store"
    with MemoryStore(path) as s:
        load(s, [str(demo_dir)])
        link(s, at="2026-01-01T00:00:00+00:00")
        same_as_plain(s.graph)
        expected = s.dump()
    with MemoryStore(path) as s:
        same_as_plain(s.graph)
        assert s.dump() == expected


@pytest.mark.parametrize("old_format", [2, 3, 4, 5])
def test_a_snapshot_of_an_older_format_opens_to_the_same_graph(tmp_path, demo_dir, old_format):
    """A store written by an older tracegraph (format 2: the networkx graph pickled whole; format 3:
    the graph as lists in one pickle; format 4: in two pickles; format 5: the attributes in chunks
    after one pickle of the rest) still opens to the same graph, and takes writes; the next snapshot
    is written in the current format (the successors in a pickle of their own)."""
    import pickle

    import networkx as nx

    from tracegraph.graph.adjacency import in_order as _in_order
    from tracegraph.graph.snapshot import FORMAT
    from tracegraph.graph.model import EdgeRef, Record, Source

    path = tmp_path / "store"
    with MemoryStore(path) as s:
        load(s, [str(demo_dir)])
        expected = s.dump()
        g = s.graph
        ids = list(g._node)
        whole = nx.DiGraph(**g.graph)  # as a tracegraph of format 2 pickled it: networkx's own dicts, with
        whole._node, whole._adj, whole._pred = g._node, g._succ, {n: g._pred[n] for n in g._node}  # every node's predecessors
        old = {
            2: (2, s.seq, whole, s._src_pool, s._edge_pool, s._placeholders),
            3: (3, s.seq, g.graph, ids, list(g._node.values()), _in_order(g._succ, ids), _in_order(g._pred, ids),
                s._src_pool, s._edge_pool, s._placeholders),
            4: (4, s.seq, g.graph, ids, _in_order(g._succ, ids), _in_order(g._pred, ids), s._edge_pool),
            5: (5, s.seq, g.graph, ids, _in_order(g._succ, ids), _in_order(g._pred, ids), s._edge_pool, s._src_pool,
                s._placeholders, len(ids)),
        }[old_format]
        second = {
            4: pickle.dumps((list(g._node.values()), s._src_pool, s._placeholders)),
            5: pickle.dumps(list(g._node.values())[:len(ids) // 2]) + pickle.dumps(list(g._node.values())[len(ids) // 2:]),
        }.get(old_format, b"")
    snap = path / "graph.pickle"
    assert pickle.loads(snap.read_bytes())[0] == FORMAT == 6
    snap.write_bytes(pickle.dumps(old, protocol=pickle.HIGHEST_PROTOCOL) + second)
    with MemoryStore(path) as s:
        assert s.dump() == expected
        load(s, [str(demo_dir)])  # nothing new, but the store is writable as before
        # a node made now, then named as a target: its predecessors are kept as in any store
        s.apply([Record("Office", "Nowhere CIQ", {"name": "Nowhere CIQ", "side": "cn"}, ())], Source("cn", "x.csv", "t"))
        s.apply([Record("Certificate", "NW1", {"certificate_no": "NW1"}, (EdgeRef("ISSUED_BY", "Office", "Nowhere CIQ", {}),))],
                Source("cn", "y.csv", "t"))
        assert s.reader().into("Office:Nowhere CIQ", "ISSUED_BY") == ["Certificate:NW1"] and not list(s.graph.predecessors("Certificate:NW1"))
        s.commit()
        expected = s.dump()
        s._write_snapshot()
    assert pickle.loads(snap.read_bytes())[0] == FORMAT
    with MemoryStore(path) as s:
        assert s.dump() == expected
        g = s.graph
        assert sorted((u, v) for v, into in g._pred.items() for u in into) == sorted(g.edges())


def test_the_successors_written_without_memo_still_share_ids_and_relationship_attributes(tmp_path, demo_dir):
    """The successor dicts are pickled without memoizing them (each is written once), yet after a
    reopen each relationship's attributes are one dict for both directions, every adjacency key is the
    node dict's own id object, and nodes without successors share EMPTY: nothing came back as a copy."""
    import io
    import pickle
    import pickletools

    from tracegraph.graph.adjacency import EMPTY
    from tracegraph.linkage import link

    path = tmp_path / "s"
    with MemoryStore(path) as s:
        load(s, [str(demo_dir)])
        link(s, at="2026-01-01T00:00:00+00:00")  # relationships with attributes of their own, not pooled
        s.checkpoint(force=True)  # the links into the snapshot, not the log
        expected = s.dump()
    f = io.BytesIO((path / "graph.pickle").read_bytes())
    unpickler = pickle.Unpickler(f)
    unpickler.load()
    start = f.tell()
    unpickler.load()
    ops = {op.name for op, _, _ in pickletools.genops(f.getvalue()[start : f.tell()])}
    assert "MEMOIZE" not in ops and "BINGET" in ops  # refers to the memo, adds nothing to it
    with MemoryStore(path) as s:
        assert s.dump() == expected
        g = s.graph
        own = {id(n) for n in g._node}
        links = 0
        for u, out in g._succ.items():
            assert out is EMPTY or out
            for v, data in out.items():
                assert id(v) in own and data is g._pred[v][u]
                links += "method" in data
        assert links > 10
        assert all(id(u) in own for into in g._pred.values() for u in into)


def test_a_snapshot_whose_lists_disagree_is_an_error_not_a_wrong_graph(tmp_path, demo_dir):
    import io
    import pickle

    from tracegraph.graph.errors import StoreError

    with MemoryStore(tmp_path / "s") as s:
        load(s, [str(demo_dir / "cn-shipments.csv")])
    snap = tmp_path / "s" / "graph.pickle"
    f = io.BytesIO(snap.read_bytes())
    unpickler = pickle.Unpickler(f)
    (fmt, seq, attrs, ids, pred, *pools, count), succ = unpickler.load(), unpickler.load()
    chunk = pickle.load(f)
    assert f.read() == b"" and len(chunk) == count == len(ids)  # the demo graph is smaller than one chunk

    def snapshot(succ: list, *chunks: object) -> bytes:
        out = io.BytesIO()
        pickler = pickle.Pickler(out)
        pickler.dump((fmt, seq, attrs, ids, pred, *pools, count))
        pickler.dump(succ)
        return out.getvalue() + b"".join(pickle.dumps(c) for c in chunks)

    snap.write_bytes(snapshot(succ[:-1], chunk))
    with pytest.raises(StoreError, match="graph.pickle cannot be read .*differ in length"):
        MemoryStore(tmp_path / "s")
    snap.write_bytes(snapshot(succ))  # the attributes lost
    with pytest.raises(StoreError, match="graph.pickle cannot be read"):
        MemoryStore(tmp_path / "s")
    snap.write_bytes(snapshot(succ, {"not": "a list"}))
    with pytest.raises(StoreError, match="graph.pickle cannot be read .*not a list"):
        MemoryStore(tmp_path / "s")
    snap.write_bytes(snapshot(succ, chunk)[: len(snapshot(succ)) - 20])  # cut within the successors
    with pytest.raises(StoreError, match="graph.pickle cannot be read"):
        MemoryStore(tmp_path / "s")
    snap.write_bytes(snapshot(succ, chunk))
    with MemoryStore(tmp_path / "s") as s:  # the pieces put back together open
        assert len(s.graph) == count


def test_a_snapshot_in_many_chunks_opens_to_the_same_graph_and_a_cut_one_does_not_open(tmp_path, demo_dir, monkeypatch):
    """The attributes are written in chunks of ATTR_CHUNK nodes (65,536; seven here, so that the demo
    graph takes hundreds): the store reopens to the graph it held, nodes known only as targets still
    share their attributes within a chunk, and a file cut short between chunks is an error."""
    import io
    import pickle

    from tracegraph.graph import snapshot
    from tracegraph.graph.errors import StoreError

    monkeypatch.setattr(snapshot, "ATTR_CHUNK", 7)
    path = tmp_path / "s"
    with MemoryStore(path) as s:
        load(s, [str(demo_dir)])
        expected = s.dump()
        nodes = len(s.graph)
    snap = (path / "graph.pickle").read_bytes()
    f = io.BytesIO(snap)
    unpickler = pickle.Unpickler(f)
    unpickler.load(), unpickler.load()  # the lists, then the successors
    ends = []
    while f.tell() < len(snap):
        assert len(pickle.load(f)) <= 7
        ends.append(f.tell())
    assert len(ends) == -(-nodes // 7) > 100
    with MemoryStore(path) as s:
        assert s.dump() == expected
        ids = list(s.graph._node)
        boxes = [i for i, n in enumerate(ids) if n.startswith("Container:")]
        attrs = s.graph._node
        same = [(a, b) for a, b in zip(boxes, boxes[1:]) if a // 7 == b // 7 and attrs[ids[a]] == attrs[ids[b]]]
        assert len(same) > 10 and all(attrs[ids[a]] is attrs[ids[b]] for a, b in same)
    (path / "graph.pickle").write_bytes(snap[: ends[len(ends) // 2]])
    with pytest.raises(StoreError, match="graph.pickle cannot be read"):
        MemoryStore(path)


def test_a_node_keeps_its_records_dict_only_when_the_record_is_not_logged(tmp_path, demo_dir):
    """A batch large next to the graph is not logged (its commit writes a snapshot): its new nodes
    take their records' dicts as they are. A small batch is logged when committed: its nodes get
    copies, and the logged records hold their own fields only, so the log replays to the same graph."""
    from tracegraph.graph.model import Source
    from tracegraph.loaders.rules import RECORD_TYPES

    rtype = RECORD_TYPES["cn-manufacturers"]
    made = iter(range(10**6))

    def records(n: int) -> list:
        from stdnum.cn import uscc

        out = []
        for _ in range(n):
            body = f"91440500MA{next(made):07d}"
            rec, errors = rtype.parse({"uscc": body + uscc.calc_check_digit(body), "name_zh": "汕头市玩具厂"})
            assert not errors
            out.append(rec)
        return out

    source = Source("cn", "api:test", "2026-11-26T00:00:00+00:00")
    path = tmp_path / "s"
    with MemoryStore(path) as s:
        big = records(1500)
        s.apply(big, source)
        nodes = s.graph._node
        assert all(nodes[f"Manufacturer:{r.key}"] is r.props for r in big)
        s.commit()
        small = records(3)
        s.apply(small, source)
        assert all(nodes[f"Manufacturer:{r.key}"] is not r.props for r in small)
        assert all("_src" not in r.props and "_at" not in r.props for r in small)
        s.commit()
        assert (path / "wal.log").stat().st_size > 0  # the small batch went to the log
        expected = s.dump()
    with MemoryStore(path) as s:
        assert s.dump() == expected
        assert len(s.graph) == 1503


def test_a_closed_store_is_freed_though_its_graph_was_frozen(tmp_path, demo_dir):
    """The store freezes what it holds (the collector skips it); networkx's cached ``G.edges`` view
    refers back to the graph, a cycle only the collector could free. Closing the store breaks it,
    so a process that opens stores one after another does not keep every graph it read."""
    import gc
    import weakref

    with MemoryStore(tmp_path / "s") as s:
        load(s, [str(demo_dir / "cn-shipments.csv")])
        s.dump()  # uses G.edges
        s.stats()
        graph = weakref.ref(s.graph)
    del s
    gc.collect()
    assert graph() is None


def test_a_checkpoint_folds_the_log_once_it_is_a_32nd_of_the_snapshot(tmp_path, demo_dir):
    """Every open replays the log record by record: a load that leaves a log past FOLD_AT of the
    snapshot writes a new snapshot instead; a smaller log stays (and reopens to the same graph)."""
    from tracegraph.graph.memory import FOLD_AT

    path = tmp_path / "s"
    with MemoryStore(path) as s:
        load(s, [str(demo_dir)])
    snapshot = (path / "graph.pickle").stat().st_size
    wal = path / "wal.log"
    rows = (demo_dir / "eu-findings.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "one").mkdir()
    one = tmp_path / "one" / "eu-findings.csv"
    sizes = []
    for n in range(1, 60):  # each load a new finding, logged, until the log is folded
        one.write_text(rows[0] + "\n" + rows[1].replace("F-", f"G{n}-", 1) + "\n", encoding="utf-8")
        before = wal.stat().st_size if wal.exists() else 0
        with MemoryStore(path) as s:
            load(s, [str(one)])
            expected = s.dump()
        sizes.append(wal.stat().st_size)
        if sizes[-1] == 0:
            break
        assert sizes[-1] < snapshot * FOLD_AT  # a log this small stays
    else:
        raise AssertionError("the log was never folded")
    assert n > 3 and before + sizes[0] >= snapshot * FOLD_AT  # kept while small, folded once the next record reached the share
    assert (path / "graph.pickle").stat().st_size > snapshot
    with MemoryStore(path) as s:
        assert s.dump() == expected


def _state(s: MemoryStore) -> tuple[dict, dict]:
    """Everything a node or relationship holds, load times and provenance included."""
    g = s.graph
    return ({n: dict(d) for n, d in g._node.items()}, {(u, v): dict(d) for u, v, d in g.edges(data=True)})


def test_apply_reports_every_change(tmp_path, demo_dir):
    """Whether a batch changed the graph decides whether it is logged: a change reported as none
    would be lost in a crash. Random batches of the demo's records (as they are, with a field
    changed, with a relationship to a node not there yet, a target's fields changed, from another
    file) are applied one after another, and ``_apply`` must say "changed" exactly when the
    graph's nodes, fields, relationships, provenance or load times differ afterwards."""
    import copy
    import csv

    from tracegraph.graph.model import EdgeRef, Source
    from tracegraph.loaders.rules import record_type_for

    pool: dict[str, list] = {}  # file name: its records
    for f in sorted(demo_dir.glob("*.csv")):
        rtype = record_type_for(f.name)
        with open(f, encoding="utf-8", newline="") as fh:
            pool[f.name] = [rec for rec, _ in map(rtype.parse, csv.DictReader(fh)) if rec is not None]
    rng = random.Random(11)
    seen = {True: 0, False: 0}
    with MemoryStore(tmp_path / "s") as s:
        load(s, [str(demo_dir)])
        for n in range(60):
            kind = n % 6
            name = rng.choice(sorted(pool))
            batch = copy.deepcopy(rng.sample(pool[name], min(3, len(pool[name]))))
            target = batch[-1]
            fields = [k for k, v in target.props.items() if isinstance(v, str)]
            if kind == 1 and fields:
                target.props[rng.choice(fields)] = f"changed {n}"
            elif kind == 2:
                target.edges = (*target.edges, EdgeRef("IN_CONTAINER", "Container", f"NEW{n:07d}"))
            elif kind == 3 and any(e.props for e in target.edges):
                target.edges = tuple(
                    EdgeRef(e.type, e.label, e.key, {k: f"{v} {n}" for k, v in e.props.items()}) if e.props else e
                    for e in target.edges
                )
            elif kind == 4:
                name = f"other-{n % 2}.csv"  # the same facts from another file: provenance grows
            before = _state(s)
            source = Source(name.partition("-")[0], name, f"2026-11-26T00:00:{n:02d}+00:00")
            if n % 2:  # as one batch: it changed the graph if it says any record did
                _, changed = s._apply(batch, source)
                assert bool(changed) == (_state(s) != before), (n, kind, name)
                seen[bool(changed)] += 1
            else:  # record by record: each says whether it changed the graph
                for rec in batch:
                    _, changed = s._apply([rec], source)
                    after = _state(s)
                    assert changed == ([rec] if after != before else []), (n, kind, name, rec)
                    seen[bool(changed)] += 1
                    before = after
    assert seen[True] >= 10 and seen[False] >= 10  # both answers were put to the test


def test_loading_unchanged_files_again_writes_nothing(tmp_path, demo_dir):
    """Loading the same files again changes no node, field or tag: nothing is logged and no
    snapshot written. A file with one row changed is logged, and the store reopens with it."""
    path = tmp_path / "s"
    with MemoryStore(path) as s:
        load(s, [str(demo_dir)])
    snapshot = (path / "graph.pickle").read_bytes()
    with MemoryStore(path) as s:
        seq = s.seq
        load(s, [str(demo_dir)])
        load(s, [str(demo_dir / "eu-findings.csv")])
        assert s.seq == seq
    assert (path / "graph.pickle").read_bytes() == snapshot
    assert not (path / "wal.log").exists() or (path / "wal.log").stat().st_size == 0
    rows = (demo_dir / "eu-inspections.csv").read_text(encoding="utf-8").splitlines()
    head = rows[0].split(",")
    cells = next(csv_row for csv_row in (r.split(",") for r in rows[1:]) if len(csv_row) == len(head))
    cells[head.index("kind")] = "documentary" if cells[head.index("kind")] != "documentary" else "physical"
    changed = rows[0] + "\n" + ",".join(cells) + "\n"
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "eu-inspections.csv").write_text("\n".join(rows) + "\n" + changed.partition("\n")[2], encoding="utf-8")
    with MemoryStore(path) as s:
        report = load(s, [str(tmp_path / "one")])
        assert report.rejected == 0 and report.files[0].result.updated == 1
        assert s.seq == seq + 1
        expected = s.dump()
    # the log holds the one record that changed, not its whole batch
    wal = (path / "wal.log").read_bytes()
    length, _ = struct.unpack_from("<II", wal)
    assert len(wal) == 8 + length
    _, batches = pickle.loads(wal[8:])
    assert [len(records) for _, records in batches] == [1]
    with MemoryStore(path) as s:
        assert s.dump() == expected


def _copies(g) -> int:
    """Adjacency keys that are not the node dict's own id string (an equal copy of it)."""
    own = {id(n) for n in g._node}
    return sum(id(v) not in own for adj in (g._succ, g._pred) for nbrs in adj.values() for v in nbrs)


def test_writes_into_a_reopened_store_name_its_nodes_by_their_own_id_strings(tmp_path, demo_dir):
    """A reopened store's node ids are strings read from the snapshot. EU files loaded into a store
    of the CN files, and linkage after them, name CN nodes again: they must use the node dict's own
    strings, or every such relationship keeps (and the snapshot writes) a copy of both ends' ids."""
    from tracegraph.linkage import link

    path = tmp_path / "s"
    with MemoryStore(path) as s:
        assert load(s, [str(f) for f in sorted(demo_dir.glob("cn-*.csv"))]).rejected == 0
    with MemoryStore(path) as s:
        assert load(s, [str(f) for f in sorted(demo_dir.glob("eu-*.csv"))]).rejected == 0
        link(s, at="2026-01-01T00:00:00+00:00")
        s.checkpoint(force=True)
        assert s.graph.number_of_edges() > 2000 and _copies(s.graph) == 0
        expected = s.dump()
    with MemoryStore(path) as s:  # linked again in a reopened store: the links name arrivals and shipments
        link(s, at="2026-01-02T00:00:00+00:00")
        s.checkpoint(force=True)
        assert _copies(s.graph) == 0
    with MemoryStore(path) as s:
        assert _copies(s.graph) == 0
        assert s.dump() == expected  # (load times aside)
    with MemoryStore(tmp_path / "one") as s:  # the same files in one store, in one go
        load(s, [str(f) for f in sorted(demo_dir.glob("cn-*.csv")) + sorted(demo_dir.glob("eu-*.csv"))])
        link(s, at="2026-01-01T00:00:00+00:00")
        assert s.dump() == expected


def test_small_writes_into_a_big_reopened_store_land_as_any_other(tmp_path, demo_dir):
    """Until the writes since an open reach a 64th of the graph, a reopened store does not gather
    its ids into a table (a few records through the API should not cost that), nor does replaying
    its log on open; links and records land the same either way, and links to nodes that do not
    exist are left out."""
    from tracegraph.graph.model import Link

    path = tmp_path / "s"
    with MemoryStore(path) as s:
        load(s, [str(demo_dir)])
        arrivals = [n.split(":", 1)[1] for n in s.reader().ids("Arrival")[:80]]
        shipments = [n.split(":", 1)[1] for n in s.reader().ids("Shipment")[:80]]
    for count in (1, len(arrivals)):  # one link (no table), 80 links (past a 64th: the table)
        with MemoryStore(path) as s:
            nodes = s.graph.number_of_nodes()
            links = [Link("SAME_CONSIGNMENT", a, b, "manual", 1.0, ("test",)) for a, b in zip(arrivals[:count], shipments)]
            links.append(Link("SAME_CONSIGNMENT", arrivals[0], "NO-SUCH-SHIPMENT", "manual", 1.0, ()))
            s.set_links("SAME_CONSIGNMENT", arrivals[:count], links, "2026-01-03T00:00:00+00:00")
            assert s._ids_complete == (count * 64 >= nodes)
            for a, b in zip(arrivals[:count], shipments):
                assert s.reader().out(f"Arrival:{a}", "SAME_CONSIGNMENT") == [f"Shipment:{b}"]
            assert s.graph.number_of_nodes() == nodes  # no node made for the missing shipment
            s.commit()
        with MemoryStore(path) as s:  # the log replays as it was written, and opening builds no table
            assert all(s.reader().out(f"Arrival:{a}", "SAME_CONSIGNMENT") == [f"Shipment:{b}"] for a, b in zip(arrivals[:count], shipments))
            assert not s._ids_complete and (path / "wal.log").stat().st_size > 0


def test_set_links_reports_every_change_and_logs_it(tmp_path, demo_dir):
    """Relinking logs only the nodes whose links changed: a change it did not report would be lost
    in a crash. Random relinkings of the demo's links (as they are, a score, evidence or method
    changed, a link dropped, a new end, an end that does not exist, the same link twice, a link whose
    start is not among the starts) must leave the links asked for, and report exactly the nodes whose
    links differ afterwards, load times included; each is committed, and the store reopens to the
    same graph from its log."""
    from dataclasses import replace

    from tracegraph.graph.model import Link
    from tracegraph.linkage import link

    rel = "SAME_CONSIGNMENT"
    rng = random.Random(5)
    path = tmp_path / "s"
    with MemoryStore(path) as s:
        report = load(s, [str(demo_dir)])
        link(s, report.loaded_at)
        s.checkpoint(force=True)
        g = s.graph
        arrivals = sorted(n for n in g._node if n.startswith("Arrival:"))
        shipments = sorted(n.partition(":")[2] for n in g._node if n.startswith("Shipment:"))

        def links_of(nid: str) -> dict:
            return {v: dict(d) for v, d in g._succ[nid].items() if d["type"] == rel}

        seen = {True: 0, False: 0}
        for n in range(80):
            kind = n % 9
            picked = rng.sample(arrivals, 3)
            keys = [a.partition(":")[2] for a in picked]
            links = [Link(rel, k, v.partition(":")[2], d["method"], d["score"], d["evidence"])
                     for a, k in zip(picked, keys) for v, d in links_of(a).items()]
            if links and kind == 1:
                links[-1] = replace(links[-1], score=round(rng.random(), 4))
            elif links and kind == 2:
                links[-1] = replace(links[-1], evidence=(*links[-1].evidence, f"note {n}"))
            elif links and kind == 3:
                links[-1] = replace(links[-1], method="confirmed")
            elif links and kind == 4:
                links.pop()
            elif kind == 5:
                links.append(Link(rel, keys[0], rng.choice(shipments), "containers", 0.7, ("test",)))
            elif kind == 6:
                links.append(Link(rel, keys[1], "NO-SUCH-SHIPMENT", "containers", 0.7, ()))
            elif links and kind == 7:
                links.append(replace(links[0], score=0.123))  # the same link again: the last one stands
            elif kind == 8:
                other = rng.choice(arrivals).partition(":")[2]
                links.append(Link(rel, other, rng.choice(shipments), "containers", 0.66, ("not a start",)))
            starts = keys[:2] if kind == 8 else keys
            named = {f"Arrival:{k}" for k in starts} | {f"Arrival:{l.start}" for l in links}
            before = {a: links_of(a) for a in named}
            pending = len(s._pending)
            s.set_links(rel, starts, links, f"2026-11-27T00:00:{n:02d}+00:00")
            at = f"2026-11-27T00:00:{n:02d}+00:00"
            # a start's links become those asked for; a node not among the starts keeps its others
            want: dict[str, dict] = {
                a: {} if a.partition(":")[2] in starts else {v: (d["method"], d["score"], d["evidence"]) for v, d in before[a].items()}
                for a in named
            }  # and the last word on each pair stands
            for l in links:
                if f"Shipment:{l.end}" in g._node:
                    want[f"Arrival:{l.start}"][f"Shipment:{l.end}"] = (l.method, l.score, tuple(l.evidence))
            for a in named:  # the links asked for; those there already as they were keep their time
                after = links_of(a)
                assert {v: (d["method"], d["score"], d["evidence"]) for v, d in after.items()} == want[a], (n, kind)
                for v, d in after.items():
                    was = before[a].get(v)
                    kept = was is not None and all(was[k] == d[k] for k in ("method", "score", "evidence"))
                    assert d["_at"] == (was["_at"] if kept else at), (n, kind)
            differ = {a.partition(":")[2] for a in named if links_of(a) != before[a]}
            logged = s._pending[pending:]  # the starts that changed, and every link of the nodes that did
            assert [(h[2], sorted(r[1] for r in rows)) for h, rows in logged] == (
                [([k for k in starts if k in differ], sorted(l.start for l in links if l.start in differ))]
                if differ else []), (n, kind)
            seen[bool(differ)] += 1
            s.commit()
        assert seen[True] >= 20 and seen[False] >= 10
        expected = _state(s)
    with MemoryStore(path) as s:
        assert _state(s) == expected


# -- what the queries derive, kept with the data ----------------------------------------------------------
def _boom() -> int:
    raise AssertionError("derived again, although it was kept for this data")


def test_what_queries_derived_is_kept_with_the_data_and_never_read_for_other_data(tmp_path, demo_dir, monkeypatch):
    path = tmp_path / "store"
    with MemoryStore(path) as s:
        load(s, [str(demo_dir / "cn-manufacturers.csv")])
        assert s.memo("probe", lambda: {"manufacturers": 1}) == {"manufacturers": 1}
        s.memo("answers:lock", lambda: __import__("threading").Lock())  # cannot be kept: left out
        assert s.keep_derived() > 0
    with MemoryStore(path, readonly=True) as s:
        assert s.memo("probe", _boom) == {"manufacturers": 1}  # taken up, not derived again
        assert s.memo("answers:lock", lambda: "derived") == "derived"
    with MemoryStore(path) as s:
        load(s, [str(demo_dir / "cn-products.csv")])  # a commit after the file was written
    with MemoryStore(path, readonly=True) as s:
        assert s.memo("probe", lambda: "derived again") == "derived again"  # stale: never read
    with MemoryStore(path) as s:
        s.memo("probe", lambda: "of today")
        s.keep_derived()
    with MemoryStore(path, readonly=True) as s:
        assert s.memo("probe", _boom) == "of today"
    # another version of the code (an upgrade) may derive other shapes: it derives again
    monkeypatch.setattr(memory, "code_fingerprint", lambda: "another version")
    with MemoryStore(path, readonly=True) as s:
        assert s.memo("probe", lambda: "derived by the upgrade") == "derived by the upgrade"
    monkeypatch.undo()
    (path / "derived.pickle").write_bytes(b"\x80\x05garbage")  # damaged: only a lost shortcut
    with MemoryStore(path, readonly=True) as s:
        assert s.memo("probe", lambda: "derived") == "derived"


def test_a_server_takes_up_what_was_kept_between_requests_before_anyone_asks(tmp_path, demo_dir):
    """take_up_next takes up the label index, then one kept derivation a call, then says there is
    no more; a served store's backend runs it on the store's thread as soon as it opens, so the
    first queries find everything taken up (none is derived again)."""
    import time

    from tracegraph.api.context import Backend

    path = tmp_path / "store"
    with MemoryStore(path) as s:
        load(s, [str(demo_dir / "cn-manufacturers.csv")])
        for name in ("one", "two", "three"):
            s.memo(name, lambda name=name: {"kept": name})
        s.keep_derived()
    with MemoryStore(path, readonly=True) as s:
        steps = 0
        while s.take_up_next():
            steps += 1
            assert steps < 10
        assert steps == 1 + 3  # the label index, then each kept derivation
        for name in ("one", "two", "three"):
            assert s.memo(name, _boom) == {"kept": name}
        assert not s.take_up_next()
    with MemoryStore(path, readonly=True) as s:
        backend = Backend(s)
        try:
            backend.take_up()
            deadline = time.monotonic() + 30
            while backend.executor.submit(lambda: backend._taking_up).result():
                assert time.monotonic() < deadline, "the take-up never ended"
                time.sleep(0.01)
            assert [backend.executor.submit(s.memo, name, _boom).result() for name in ("one", "two", "three")] == \
                [{"kept": "one"}, {"kept": "two"}, {"kept": "three"}]
        finally:
            backend.close()


def test_the_code_fingerprint_follows_the_query_code(tmp_path, monkeypatch):
    """The fingerprint kept with derivations changes with any file of the queries, and reads only
    the three packages' own files (an editable install's checkout holds much else)."""
    import importlib.machinery

    folders = {name: tmp_path / name for name in ("tracegraph.graph", "tracegraph.queries", "tracegraph.linkage")}
    for name, folder in folders.items():
        (folder / "sub").mkdir(parents=True)
        (folder / "a.py").write_text(f"# {name}\n")
        (folder / "sub" / "huge.py").write_text("# not ours: never read\n")

    def spec(name: str) -> importlib.machinery.ModuleSpec:
        found = importlib.machinery.ModuleSpec(name, None, is_package=True)
        found.submodule_search_locations = [str(folders[name])]
        return found

    monkeypatch.setattr(memory.importlib.util, "find_spec", spec)
    memory.code_fingerprint.cache_clear()
    try:
        first = memory.code_fingerprint()
        (folders["tracegraph.graph"] / "sub" / "huge.py").write_text("# changed, and still not ours\n")
        memory.code_fingerprint.cache_clear()
        assert memory.code_fingerprint() == first
        (folders["tracegraph.queries"] / "a.py").write_text("# another version of a query\n")
        memory.code_fingerprint.cache_clear()
        assert memory.code_fingerprint() != first
    finally:
        monkeypatch.undo()
        memory.code_fingerprint.cache_clear()


def test_a_load_keeps_what_the_queries_derive_and_the_next_process_starts_warm(tmp_path, demo_dir):
    import subprocess
    import sys
    from pathlib import Path

    from tracegraph.queries.offenders import offenders
    from tracegraph.queries.priorities import priorities

    tracegraph = str(Path(sys.executable).with_name("tracegraph"))
    path = tmp_path / "store"
    subprocess.run([tracegraph, "--store", str(path), "load", "-q", str(demo_dir)], check=True)
    assert (path / "derived.pickle").exists()
    with MemoryStore(path, readonly=True) as cold_free:
        names = set(pickle.loads((path / "derived.pickle").read_bytes())["memo"])
        assert {"checked_consignments", "findings_by_factory", "search-index", "cn_history", "attributions"} <= names
        assert any(n.startswith("learned:fit:") for n in names)  # the last year's monthly models
        warm = (offenders(cold_free), priorities(cold_free, "NLRTM", "2016-01-01", "2016-03-31"))
    (path / "derived.pickle").unlink()
    with MemoryStore(path, readonly=True) as s:  # the same answers, derived from scratch
        assert warm == (offenders(s), priorities(s, "NLRTM", "2016-01-01", "2016-03-31"))

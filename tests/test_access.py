"""Who may see what, checked over the whole schema, for every role, over real HTTP.

The schema is walked from its root: every object type is reached by some path (through trace,
exposure, search and the connections too) and asked for all of its fields. For each role, the
fields the API refuses must be exactly those that api/permissions.HIDDEN denies that role — the
table and the schema cannot drift apart. And the values themselves: no answer to a partner holds
a value of a company-internal field (an address, a batch, a root cause …), nor to a CN role an EU
importer's identity, wherever in the schema it might surface again (a finding's batch equals the
batch of a CN shipment line)."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import pytest

from tracegraph.api.auth import ROLES
from tracegraph.api.permissions import HIDDEN, IMPORTERS, INTERNAL
from tracegraph.graph.memory import MemoryStore
from tracegraph.queries import nodes as q
from tracegraph.queries.trace import trace
from china_rapex_data import write_china_rapex
from exchange import FACTORY, FACTORY2
from serving import Served, serve_loaded

INTROSPECT = """{ __schema { queryType { name } types { name kind
  fields { name args { name type { kind name ofType { kind name ofType { kind name } } } defaultValue }
           type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } enumValues { name } } } }"""
# Types that are results of writes (reached from Mutation) or the connections' own plumbing.
NOT_READ = {"Mutation", "WriteResult", "ItemResult", "FieldProblem", "PageInfo", "LinkDecisionResult", "DecidedLink"}


def _named(t: dict[str, Any]) -> dict[str, Any]:
    while t.get("ofType"):
        t = t["ofType"]
    return t


def _required(arg: dict[str, Any]) -> bool:
    return arg["type"]["kind"] == "NON_NULL" and arg["defaultValue"] is None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


@pytest.fixture(scope="module")
def api(request, tmp_path_factory, demo_dir):
    # The demo and the China-RAPEX set (Safety Gate alerts on products from China, a factory recurring
    # across quarters): between them every type has data.
    rapex = write_china_rapex(tmp_path_factory.mktemp("access-rapex"))
    served = serve_loaded(request, "embedded", tmp_path_factory.mktemp("access"), [demo_dir, rapex])
    yield served
    served.stop()


@pytest.fixture(scope="module")
def schema(api: Served) -> dict[str, dict[str, Any]]:
    types = api.data("admin", INTROSPECT)["__schema"]["types"]
    return {t["name"]: t for t in types if not t["name"].startswith("__")}


@pytest.fixture(scope="module")
def root_args(api: Served) -> dict[str, dict[str, Any]]:
    """Arguments for the root fields that take them: keys chosen so that every path has data."""
    with MemoryStore(api.location, readonly=True) as s:
        findings = q.nodes(s, "Finding", q.page(s, "Finding", 0, 10_000)[1])

        def one(label: str, rel: str, direction: str, key: str) -> str | None:
            found = q.neighbours(s, label, rel, direction, [key])[key]
            return found[0]["key"] if found else None

        for f in sorted(findings.values(), key=lambda f: f["key"]):  # one whose every path has data
            arrival = f.get("mrn")
            t = trace(s, f["key"])
            shipment = arrival and one("Arrival", "SAME_CONSIGNMENT", "out", arrival)
            certificate = shipment and one("Shipment", "COVERS", "in", shipment)
            if t.candidates and certificate and one("Arrival", "IMPORTED_BY", "out", arrival):
                break
        else:
            raise AssertionError("the demo data has no finding with every path")
        finding, factory = f["key"], t.candidates[0].uscc
        investigations = q.nodes(s, "Investigation", q.page(s, "Investigation", 0, 10_000)[1])
        investigated = next(k for k, i in sorted(investigations.items()) if i["manufacturer_uscc"] not in (FACTORY, FACTORY2))
        profiled = investigations[investigated]["manufacturer_uscc"]  # a demo factory: shipments and certificates by month
        product = one("Manufacturer", "MADE_BY", "in", factory)
        exporter = one("Shipment", "EXPORTED_BY", "out", shipment)
        inspection = one("Arrival", "CHECKED", "in", arrival)
        office = one("Certificate", "ISSUED_BY", "out", certificate)
        model = q.nodes(s, "Product", [product])[product]["model"]
        day = q.nodes(s, "Arrival", [arrival])[arrival]["arrived_on"]
    return {"manufacturer": {"uscc": factory}, "exporter": {"uscc": exporter},
            "product": {"manufacturerUscc": factory, "model": model}, "shipment": {"declarationNo": shipment},
            "certificate": {"certificateNo": certificate}, "arrival": {"mrn": arrival},
            "inspection": {"inspectionId": inspection}, "finding": {"findingId": finding},
            "investigation": {"findingId": investigated}, "office": {"name": office}, "trace": {"findingId": finding},
            "exposure": {"uscc": factory}, "search": {"text": "toys"}, "factoryProfile": {"uscc": profiled},
            "priorities": {"entryPoint": "NLRTM", "since": day[:8] + "01", "until": day},
            "backtest": {"entryPoint": "NLRTM", "since": day[:5] + "01-01", "until": day, "capacity": 0.1},
            "chinaRapexReport": {"quarter": "2024Q3"}}


def _literal(value: Any, kind: str) -> str:
    return value if kind == "ENUM" else json.dumps(value)


def _paths(schema: dict[str, dict[str, Any]], root_args: dict[str, dict[str, Any]], per_type: int = 3) -> dict[str, list[list[str]]]:
    """Paths from the root to each object type, shortest first: lists of field selections (with
    their arguments), a connection's ``edges { node }`` taken as one step."""
    found: dict[str, list[list[str]]] = {"Query": [[]]}
    todo = deque([("Query", [])])
    while todo:
        name, at = todo.popleft()
        if len(at) > 9:
            continue
        for f in schema[name]["fields"] or []:
            args = dict(root_args.get(f["name"], {})) if name == "Query" else {}
            kinds = {}
            for a in f["args"]:
                t = _named(a["type"])
                kinds[a["name"]] = t["kind"]
                if _required(a) and a["name"] not in args:
                    if t["kind"] == "ENUM":
                        args[a["name"]] = schema[t["name"]]["enumValues"][0]["name"]
                    else:
                        break
            else:
                target = _named(f["type"])
                if target["kind"] != "OBJECT":
                    continue
                if target["name"].endswith("Connection") and "first" in kinds:
                    args.setdefault("first", 100)  # (the leak test looks at as many values as it can)
                given = "(" + ", ".join(f"{k}: {_literal(v, kinds[k])}" for k, v in args.items()) + ")" if args else ""
                step = [f"{f['name']}{given}"]
                if target["name"].endswith("Connection"):
                    edges = _named(next(x for x in schema[target["name"]]["fields"] if x["name"] == "edges")["type"])
                    target = next(_named(e["type"]) for e in schema[edges["name"]]["fields"] if e["name"] == "node")
                    step += ["edges", "node"]
                known = found.setdefault(target["name"], [])
                if len(known) < per_type:
                    known.append(at + step)
                    todo.append((target["name"], at + step))
    return found


def _reached(api: Served, schema: dict[str, dict[str, Any]], root_args: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """For each object type, the first path on which an admin gets some of it."""
    out = {}
    for name, paths in _paths(schema, root_args).items():
        for path in paths:
            if name == "Query" or f'"__typename": "{name}"' in json.dumps(api.data("admin", _document(path, ["__typename"]))):
                out[name] = path
                break
    return out


def _document(path: list[str], fields: list[str]) -> str:
    inner = " ".join(fields)
    for step in reversed(path):
        inner = f"{step} {{ {inner} }}"
    return "{ " + inner + " }"


def _leaves(schema: dict[str, dict[str, Any]], name: str) -> list[str]:
    """Every field of ``name`` that takes no required argument: a leaf as it is, an object by its
    ``__typename`` (so that a denied object field is asked too)."""
    out = ["__typename"]
    for f in schema[name]["fields"] or []:
        if any(_required(a) for a in f["args"]):
            continue
        kind = _named(f["type"])["kind"]
        out.append(f["name"] if kind in ("SCALAR", "ENUM") else f"{f['name']} {{ __typename }}")
    return out


def _walk(values: Any, out: set[str]) -> None:
    if isinstance(values, dict):
        for v in values.values():
            _walk(v, out)
    elif isinstance(values, list):
        for v in values:
            _walk(v, out)
    elif isinstance(values, str):
        out.add(values)


def test_every_role_is_refused_exactly_the_fields_the_table_hides_from_it(api, schema, root_args):
    paths = _reached(api, schema, root_args)
    objects = {n for n, t in schema.items() if t["kind"] == "OBJECT" and not n.endswith(("Connection", "Edge"))}
    assert objects - NOT_READ - set(paths) == set(), "types no path of the walk reaches with data: give it a way there"
    hidden = {(t, _camel(f)): roles for (t, f), (roles, _) in HIDDEN.items()}
    assert {t for t, _ in hidden} <= set(paths)
    for role in ROLES:
        refused: set[tuple[str, str]] = set()
        answered: set[str] = set()
        for name, path in sorted(paths.items()):
            if name == "Query":
                continue
            out = api.gql(role, _document(path, _leaves(schema, name)))
            for e in out.get("errors", []):
                assert e.get("extensions", {}).get("code") == "FORBIDDEN", (role, name, e)
                depth = sum(not isinstance(x, int) for x in e["path"])
                if depth == len(path) + 1:  # a field of this type (a step on the way is its parent's)
                    refused.add((name, e["path"][-1]))
            if json.dumps(out.get("data")).count(f'"__typename": "{name}"'):
                answered.add(name)
        expected = {(t, f) for (t, f), roles in hidden.items() if role in roles and t in answered}
        assert refused == expected, (role, sorted(refused ^ expected))
        if role == "admin":
            assert answered == set(paths) - {"Query"}, sorted(set(paths) - {"Query"} - answered)


def test_no_answer_holds_a_value_its_reader_may_not_see(api, schema, root_args):
    """Walk everything each role may read and look for the values of the fields hidden from it."""
    with MemoryStore(api.location, readonly=True) as s:
        dump = s.dump()
    secret: dict[str, set[str]] = {role: set() for role in ROLES}
    for (label, _), props in dump.nodes.items():
        for (t, f), (roles, why) in HIDDEN.items():
            value = props.get(f) if t == label else None
            if isinstance(value, str) and len(value) >= 4:
                for role in roles:
                    secret[role].add(value)
        if label == "Importer":  # importers' identities, by whatever field they surface in
            for role in ROLES:
                if role in HIDDEN[("Arrival", "importer_eori")][0]:
                    secret[role] |= {v for k, v in props.items() if k in ("key", "name") and isinstance(v, str)}
    assert secret["partner"] and secret["cn_authority"]
    every = _paths(schema, root_args)
    for role in ROLES:
        seen: set[str] = set()
        for name, paths in every.items():
            for path in paths if name != "Query" else []:
                _walk(api.gql(role, _document(path, _leaves(schema, name))).get("data"), seen)
        leaked = seen & secret[role]
        assert not leaked, (role, sorted(leaked)[:10])
    assert INTERNAL and IMPORTERS  # (the reasons the table gives, shown to the client)

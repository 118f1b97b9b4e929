"""Record linkage: find what the two sides' records say about the same consignment and product.

Neither side knows the other's identifiers. After a load, linkage infers:

* ``SAME_CONSIGNMENT`` — an EU arrival to the CN export shipment it is, from the bill of lading,
  the container numbers and the dates (it still links when the bill of lading is missing or one
  container is listed on one side only);
* ``MATCHES_PRODUCT`` — a finding's product to CN products, by GTIN, then brand and model
  (normalised, then fuzzy with rapidfuzz);
* ``CONSIGNED_BY`` — an arrival's declared consignor (free text) to a CN exporter: names reduced
  to their trade-name core (no legal suffix, goods word or place name), Chinese names through
  pypinyin, compared with rapidfuzz, ties broken by city and by the linked shipment's exporter;
* ``SAME_AS`` — one factory registered twice: the same trade-name core in the same city at a
  similar address.

Each link records its ``method``, ``score`` in [0, 1] and the ``evidence`` it used. The data each
step needs is read by one function per store (a networkx walk and the Cypher text side by side);
the scoring is shared, so both stores infer the same links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Iterator

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz, process

from graph.memory import MemoryStore
from graph.model import LINK_DECISION, Link, Record, composite_key
from graph.store import Store

MAX_TRANSIT_DAYS = 120  # China to an EU port by sea takes 20-60 days; by rail or with transhipment more
MIN_CONSIGNMENT_SCORE = 0.3


@dataclass
class LinkReport:
    arrivals: int = 0
    arrivals_linked: int = 0
    findings: int = 0
    findings_matched: int = 0
    consignors_linked: int = 0
    duplicate_factories: int = 0


# -- arrivals to shipments -----------------------------------------------------------------------
ARRIVAL_CANDIDATES_CYPHER = """
CALL () {
  MATCH (a:Arrival) WHERE $since IS NULL OR a._at >= $since RETURN a
  UNION
  MATCH (s:Shipment) WHERE $since IS NOT NULL AND s._at >= $since
  MATCH (s)-[:IN_CONTAINER]->(:Container)<-[:IN_CONTAINER]-(a:Arrival) RETURN a
  UNION
  MATCH (s:Shipment) WHERE $since IS NOT NULL AND s._at >= $since
  MATCH (a:Arrival {bill_of_lading: s.bill_of_lading}) RETURN a
}
WITH a WHERE a.arrived_on IS NOT NULL
CALL (a) {
  OPTIONAL MATCH (a)-[:IN_CONTAINER]->(:Container)<-[:IN_CONTAINER]-(s:Shipment)
  RETURN collect(DISTINCT s) AS by_box
}
CALL (a) {
  OPTIONAL MATCH (s:Shipment) WHERE a.bill_of_lading IS NOT NULL AND s.bill_of_lading = a.bill_of_lading
  RETURN collect(DISTINCT s) AS by_bol
}
WITH a, by_box + [s IN by_bol WHERE NOT s IN by_box] AS cands
RETURN a.key AS mrn, a.bill_of_lading AS bol, a.containers AS containers, a.entry_point AS entry,
       a.arrived_on AS arrived,
       [s IN cands WHERE s.departed_on IS NOT NULL |
        {key: s.key, bol: s.bill_of_lading, containers: s.containers, departed_on: s.departed_on,
         port: s.destination_port}] AS cands
"""


def arrival_candidates_nx(store: MemoryStore, since: str | None = None) -> Iterable[dict[str, Any]]:
    """For each arrival to (re)link, the shipments that share a container or the bill of lading.

    With ``since``, only arrivals that changed since then, or that share a container or the bill
    of lading with a shipment that did.
    """
    nodes, succ, pred = store.graph._node, store.graph._succ, store.graph._pred  # noqa: SLF001
    by_bol: dict[str, list[str]] = {}
    changed_bols: set[str] = set()
    dirty: set[str] = set()
    for nid, attrs in nodes.items():
        if nid.startswith("Shipment:"):
            if "bill_of_lading" in attrs:
                by_bol.setdefault(attrs["bill_of_lading"], []).append(nid)
            if since is not None and attrs["_at"] >= since:
                changed_bols.add(attrs.get("bill_of_lading", ""))
                dirty.update(a for box in succ[nid] if box.startswith("Container:")
                             for a in pred[box] if a.startswith("Arrival:"))
    for nid, a in nodes.items():
        if not nid.startswith("Arrival:") or "arrived_on" not in a:
            continue
        if since is not None and nid not in dirty and a["_at"] < since and a.get("bill_of_lading", "") not in changed_bols:
            continue
        cands: dict[str, None] = {}
        for box in succ[nid]:
            if box.startswith("Container:"):
                for s in pred[box]:
                    if s.startswith("Shipment:"):
                        cands[s] = None
        for s in by_bol.get(a.get("bill_of_lading", ""), ()):
            cands[s] = None
        rows = []
        for s in cands:
            sa = nodes[s]
            if "departed_on" in sa:
                rows.append({"key": s[9:], "bol": sa.get("bill_of_lading"), "containers": sa.get("containers"),
                             "departed_on": sa["departed_on"], "port": sa.get("destination_port")})
        yield {"mrn": nid[8:], "bol": a.get("bill_of_lading"), "containers": a.get("containers"),
               "entry": a.get("entry_point"), "arrived": a["arrived_on"], "cands": rows}


def score_consignment(arrival: dict[str, Any], shipment: dict[str, Any]) -> tuple[float, list[str]] | None:
    """How sure it is that ``arrival`` is ``shipment``: a score in [0, 1] and its evidence, or None."""
    transit = (date.fromisoformat(arrival["arrived"]) - date.fromisoformat(shipment["departed_on"])).days
    if transit < 0 or transit > MAX_TRANSIT_DAYS:
        return None
    evidence = []
    score = 0.0
    # The evidence says what agreed; the values that agreed are on both nodes. Named here only where
    # a person must see them to judge: the containers of a partial match. A million certain links
    # then share a few thousand evidence tuples, and so their attribute dicts: at 1M shipments
    # 982 k links had 982 k dicts and 2 M texts of their own (~560 MB, 5 M objects to unpickle).
    if arrival.get("bol") and arrival["bol"] == shipment.get("bol"):
        score += 0.6
        evidence.append("bill of lading the same")
    a_boxes, s_boxes = set(arrival.get("containers") or ()), set(shipment.get("containers") or ())
    shared = a_boxes & s_boxes
    if shared:
        listed = len(a_boxes | s_boxes)
        jaccard = len(shared) / listed
        score += 0.4 * jaccard if score else 0.25 + 0.45 * jaccard
        if len(shared) == listed:
            evidence.append(f"containers the same ({listed})")
        else:
            evidence.append(f"containers {';'.join(sorted(shared))} shared ({len(shared)} of {listed})")
    if not score:
        return None
    if 10 <= transit <= 60:
        score += 0.05
    evidence.append(f"{transit} days from departure to arrival")
    if arrival.get("entry") and arrival["entry"] == shipment.get("port"):
        score += 0.05
        evidence.append(f"declared for {arrival['entry']}")
    return min(score, 1.0), evidence


def link_consignments(rows: Iterable[dict[str, Any]]) -> tuple[list[str], list[Link]]:
    """The best shipment for each arrival; a close second halves the score (it is not certain)."""
    starts, links = [], []
    for a in rows:
        starts.append(a["mrn"])
        scored = []
        for s in a["cands"]:
            result = score_consignment(a, s)
            if result:
                scored.append((result[0], s["key"], result[1]))
        if not scored:
            continue
        scored.sort(key=lambda t: (-t[0], t[1]))
        best, key, evidence = scored[0]
        method = "bol+containers" if any(e.startswith("bill") for e in evidence) else "containers"
        if len(scored) > 1 and scored[1][0] >= best - 0.1:
            best /= 2
            evidence = evidence + [f"as likely: shipment {scored[1][1]}"]
            method += "+ambiguous"
        if best >= MIN_CONSIGNMENT_SCORE:
            links.append(Link("SAME_CONSIGNMENT", a["mrn"], key, method, round(best, 4), tuple(evidence)))
    return starts, links


# -- findings to products ------------------------------------------------------------------------
FINDINGS_CYPHER = """
MATCH (f:Finding) WHERE f.product_name IS NOT NULL
RETURN f.key AS id, f.gtin AS gtin, f.model AS model, f.brand AS brand, f.product_name AS name
"""
PRODUCTS_CYPHER = """
MATCH (p:Product) WHERE p.name_en IS NOT NULL
RETURN p.key AS key, p.gtin AS gtin, p.model AS model, p.brand AS brand, p.name_en AS name
"""


def findings_nx(store: MemoryStore) -> list[dict[str, Any]]:
    return [
        {"id": nid[8:], "gtin": a.get("gtin"), "model": a.get("model"), "brand": a.get("brand"), "name": a["product_name"]}
        for nid, a in store.graph._node.items()  # noqa: SLF001
        if nid.startswith("Finding:") and "product_name" in a
    ]


def products_nx(store: MemoryStore) -> list[dict[str, Any]]:
    return [
        {"key": nid[8:], "gtin": a.get("gtin"), "model": a.get("model"), "brand": a.get("brand"), "name": a["name_en"]}
        for nid, a in store.graph._node.items()  # noqa: SLF001
        if nid.startswith("Product:") and "name_en" in a
    ]


_MODEL_NOISE = re.compile(r"[\s\-_./#]+")


def norm_model(model: str | None) -> str:
    """A model number as printed, without spaces, dashes, dots or case: ``xd 2087`` → ``XD2087``."""
    return _MODEL_NOISE.sub("", model or "").upper()


def norm_brand(brand: str | None) -> str:
    return " ".join((brand or "").casefold().split())


def match_products(findings: list[dict[str, Any]], products: list[dict[str, Any]]) -> tuple[list[str], list[Link]]:
    """Products a finding may be: same GTIN (0.9); same model (0.8, 0.9 with the brand); a model
    within a few characters of the finding's under the same brand (0.6)."""
    by_gtin: dict[str, list[dict[str, Any]]] = {}
    by_model: dict[str, list[dict[str, Any]]] = {}
    by_brand: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for p in products:
        if p.get("gtin"):
            by_gtin.setdefault(p["gtin"], []).append(p)
        m = norm_model(p.get("model"))
        if m:
            by_model.setdefault(m, []).append(p)
            by_brand.setdefault(norm_brand(p.get("brand")), {}).setdefault(m, []).append(p)
    starts, links = [], []
    for f in findings:
        starts.append(f["id"])
        found: dict[str, tuple[float, str, list[str]]] = {}

        def offer(p: dict[str, Any], score: float, method: str, evidence: list[str]) -> None:
            if p["key"] not in found or found[p["key"]][0] < score:
                found[p["key"]] = (score, method, evidence)

        if f.get("gtin"):
            for p in by_gtin.get(f["gtin"], ()):
                offer(p, 0.9, "gtin", [f"GTIN {f['gtin']}"])
        model, brand = norm_model(f.get("model")), norm_brand(f.get("brand"))
        if model:
            for p in by_model.get(model, ()):
                same_brand = bool(brand) and brand == norm_brand(p.get("brand"))
                offer(p, 0.9 if same_brand else 0.8, "model+brand" if same_brand else "model",
                      [f"model {f['model']}"] + ([f"brand {f['brand']}"] if same_brand else []))
            if not found and brand and brand in by_brand:
                near = process.extractOne(model, list(by_brand[brand]), scorer=fuzz.ratio, score_cutoff=85)
                if near:
                    for p in by_brand[brand][near[0]]:
                        offer(p, 0.6, "model~fuzzy+brand", [f"model {f['model']} ~ {p.get('model')} ({near[1]:.0f}%)",
                                                          f"brand {f['brand']}"])
        for key, (score, method, evidence) in sorted(found.items()):
            links.append(Link("MATCHES_PRODUCT", f["id"], key, method, score, tuple(evidence)))
    return starts, links


# -- consignors to exporters ---------------------------------------------------------------------
CONSIGNORS_CYPHER = """
MATCH (a:Arrival) WHERE a.consignor_name IS NOT NULL AND ($only IS NULL OR a.key IN $only)
OPTIONAL MATCH (a)-[:SAME_CONSIGNMENT]->(:Shipment)-[:EXPORTED_BY]->(x:Exporter)
RETURN a.key AS mrn, a.consignor_name AS name, a.consignor_address AS address, x.key AS shipped_by
"""
EXPORTERS_CYPHER = """
MATCH (x:Exporter) WHERE x.name_zh IS NOT NULL
RETURN x.key AS uscc, x.name_zh AS name_zh, x.name_en AS name_en, x.city AS city, x.address AS address, x._at AS at
"""


def consignors_nx(store: MemoryStore, only: set[str] | None = None) -> Iterator[dict[str, Any]]:
    """Each arrival's consignor, as they come (a million at 1M shipments: scored one by one)."""
    nodes, succ = store.graph._node, store.graph._succ  # noqa: SLF001
    for nid, a in nodes.items():
        if nid.startswith("Arrival:") and "consignor_name" in a and (only is None or nid[8:] in only):
            shipped_by = None
            for sid, d in succ[nid].items():
                if d["type"] == "SAME_CONSIGNMENT":
                    shipped_by = next((x[9:] for x, e in succ[sid].items() if e["type"] == "EXPORTED_BY"), None)
            yield {"mrn": nid[8:], "name": a["consignor_name"], "address": a.get("consignor_address"),
                   "shipped_by": shipped_by}


def exporters_nx(store: MemoryStore) -> list[dict[str, Any]]:
    return [
        {"uscc": nid[9:], "name_zh": a["name_zh"], "name_en": a.get("name_en"), "city": a.get("city"),
         "address": a.get("address"), "at": a["_at"]}
        for nid, a in store.graph._node.items()  # noqa: SLF001
        if nid.startswith("Exporter:") and "name_zh" in a
    ]


_LEGAL = frozenset(
    "co company ltd limited corp corporation inc llc fty factory manufactory ind industrial industry industries "
    "trading trade import export imp exp ie i e international intl manufacturing mfg enterprise enterprises group "
    "holdings the and of products product development dev".split()
)
_GOODS = frozenset("toy toys plastic plastics electronic electronics crafts craft gift gifts".split())
_ZH_SUFFIXES = ("有限责任公司", "股份有限公司", "有限公司", "进出口", "国际贸易", "贸易", "国际", "实业", "制品", "塑胶",
                "电子", "工艺品", "玩具", "公司", "一厂", "厂", "集团", "（一厂）")
_ZH_PLACE = re.compile(r"^(?:[\u4e00-\u9fff]{1,3}?[省市区县])+")
_WORD = re.compile(r"[a-z0-9]+")


def core_en(name: str, places: frozenset[str] = frozenset()) -> str:
    """The trade-name core of an English company name: ``XINGDA TOY FTY (SHANTOU)`` → ``xingda``."""
    words = [w for w in _WORD.findall(name.casefold().replace("i/e", " ")) if w not in _LEGAL and w not in _GOODS]
    return "".join(w for w in words if w not in places) or "".join(words)


_ZH_UNIT = re.compile(r"([\u4e00-\u9fff]{1,3}?)[省市区县]")


def place_names_zh(name: str) -> list[str]:
    """The places a Chinese company name starts with, in pinyin: ``汕头市澄海区…`` → shantou, chenghai."""
    prefix = _ZH_PLACE.match(name.strip())
    return ["".join(lazy_pinyin(m)) for m in _ZH_UNIT.findall(prefix.group(0))] if prefix else []


def core_zh(name: str) -> str:
    """The trade-name core of a Chinese company name, in pinyin: ``汕头市澄海区星达玩具厂`` → ``xingda``."""
    core = _ZH_PLACE.sub("", name.strip())
    changed = True
    while changed:
        changed = False
        for suffix in _ZH_SUFFIXES:
            if core.endswith(suffix) and len(core) > len(suffix):
                core, changed = core[: -len(suffix)], True
    return "".join(lazy_pinyin(core)).replace("'", "")


def link_consignors(arrivals: Iterable[dict[str, Any]], exporters: list[dict[str, Any]]) -> tuple[list[str], list[Link]]:
    """The exporter each arrival's consignor is, by trade-name core; city and shipment break ties."""
    places = frozenset(w for x in exporters for w in _WORD.findall((x.get("city") or "").casefold())) | frozenset(
        p for x in exporters for p in place_names_zh(x["name_zh"]))
    by_core: dict[str, list[dict[str, Any]]] = {}
    for x in exporters:
        for core in {core_zh(x["name_zh"]), core_en(x.get("name_en") or "", places)} - {""}:
            by_core.setdefault(core, []).append(x)
    cores = list(by_core)
    starts, links = [], []
    for a in arrivals:
        starts.append(a["mrn"])
        core = core_en(a["name"], places)
        if not core:
            continue
        if core in by_core:
            found, base, how = by_core[core], 0.85, "name core"
        else:
            near = process.extractOne(core, cores, scorer=fuzz.ratio, score_cutoff=85)
            if not near:
                continue
            found, base, how = by_core[near[0]], 0.6 + 0.2 * (near[1] - 85) / 15, f"name core ~{near[0]} ({near[1]:.0f}%)"
        text = f"{a['name']} {a.get('address') or ''}".casefold()
        scored = []
        for x in {x["uscc"]: x for x in found}.values():
            s, evidence = base, [f"{how}: {a['name']!r} ~ {x.get('name_en') or x['name_zh']}"]
            if x.get("city") and x["city"].casefold() in text:
                s += 0.05
                evidence.append(f"city {x['city']}")
            if a.get("shipped_by") == x["uscc"]:
                s += 0.1
                evidence.append("exporter of the linked shipment")
            scored.append((min(s, 1.0), x["uscc"], evidence))
        scored.sort(key=lambda t: (-t[0], t[1]))
        best, uscc, evidence = scored[0]
        if len(scored) > 1 and scored[1][0] >= best - 0.02:
            best /= 2
            evidence.append(f"as likely: exporter {scored[1][1]}")
        links.append(Link("CONSIGNED_BY", a["mrn"], uscc, "name", round(best, 4), tuple(evidence)))
    return starts, links


# -- one factory registered twice ----------------------------------------------------------------
MANUFACTURERS_CYPHER = """
MATCH (m:Manufacturer) WHERE m.name_zh IS NOT NULL
RETURN m.key AS uscc, m.name_zh AS name_zh, m.name_en AS name_en, m.city AS city, m.address AS address
"""


def manufacturers_nx(store: MemoryStore) -> list[dict[str, Any]]:
    return [
        {"uscc": nid[13:], "name_zh": a["name_zh"], "name_en": a.get("name_en"), "city": a.get("city"), "address": a.get("address")}
        for nid, a in store.graph._node.items()  # noqa: SLF001
        if nid.startswith("Manufacturer:") and "name_zh" in a
    ]


def link_duplicates(manufacturers: list[dict[str, Any]]) -> tuple[list[str], list[Link]]:
    """Pairs of registrations that are one factory: the same trade-name core in the same city, and
    addresses alike. The link goes from the larger USCC to the smaller."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for m in manufacturers:
        groups.setdefault((core_zh(m["name_zh"]), (m.get("city") or "").casefold()), []).append(m)
    links = []
    for (core, city), ms in groups.items():
        if len(ms) < 2 or not core:
            continue
        ms = sorted(ms, key=lambda m: m["uscc"])
        for i, a in enumerate(ms):
            for b in ms[i + 1 :]:
                address = fuzz.token_sort_ratio(a.get("address") or "", b.get("address") or "")
                if address < 70:
                    continue
                evidence = (f"trade name {core} in {city or 'the same place'}", f"addresses {address:.0f}% alike")
                links.append(Link("SAME_AS", b["uscc"], a["uscc"], "name+address", round(0.6 + 0.35 * address / 100, 4), evidence))
    return [m["uscc"] for m in manufacturers], links


# -- what people decided ------------------------------------------------------------------------
DECISIONS_CYPHER = """
MATCH (d:LinkDecision)
RETURN d.type AS type, d.start AS start, d.end AS end, d.decision AS decision, d.by AS by
"""
SINGLE = frozenset({"SAME_CONSIGNMENT", "CONSIGNED_BY"})  # one end per start


def decisions_nx(store: MemoryStore) -> list[dict[str, Any]]:
    return [
        {k: a.get(k) for k in ("type", "start", "end", "decision", "by")}
        for nid, a in store.graph._node.items()  # noqa: SLF001
        if nid.startswith("LinkDecision:")
    ]


def decision_record(rel_type: str, start: str, end: str, decision: str, by: str) -> Record:
    """The record that keeps a person's decision on a link (it outlives every reload and relink)."""
    if decision not in ("confirmed", "rejected"):
        raise ValueError(f"decision must be confirmed or rejected, not {decision!r}")
    return Record(LINK_DECISION, composite_key(rel_type, start, end),
                  {"type": rel_type, "start": start, "end": end, "decision": decision, "by": by})


def apply_decisions(rel_type: str, links: list[Link], decisions: list[dict[str, Any]]) -> list[Link]:
    """Drop rejected links; add confirmed ones (for a one-end type, instead of any other)."""
    mine = [d for d in decisions if d["type"] == rel_type]
    rejected = {(d["start"], d["end"]) for d in mine if d["decision"] == "rejected"}
    confirmed = {(d["start"], d["end"]): d["by"] for d in mine if d["decision"] == "confirmed"}
    fixed = {s for s, _ in confirmed} if rel_type in SINGLE else set()
    out = [l for l in links if (l.start, l.end) not in rejected and (l.start, l.end) not in confirmed and l.start not in fixed]
    out += [Link(rel_type, s, e, "confirmed", 1.0, (f"confirmed by {by}",)) for (s, e), by in sorted(confirmed.items())]
    return out


# -- running it ----------------------------------------------------------------------------------
def link(store: Store, at: str, since: str | None = None) -> LinkReport:
    """Infer links and replace the earlier ones (written with time ``at``); links that a person
    confirmed or rejected stay as they decided.

    With ``since`` (the time of a load), arrivals are linked again only where they, or shipments
    that may be them, changed since then, and consignors only for those arrivals (all of them when
    an exporter changed); findings and factories, far fewer, are matched again in full.
    """
    report = LinkReport()
    if isinstance(store, MemoryStore):
        decisions = decisions_nx(store)
    else:
        decisions = [r.data() for r in store.read(DECISIONS_CYPHER)]  # type: ignore[attr-defined]

    def put(rel_type: str, starts: list[str], links: list[Link]) -> list[Link]:
        links = apply_decisions(rel_type, links, decisions)
        starts = sorted(set(starts) | {l.start for l in links})
        store.set_links(rel_type, starts, links, at)
        return links

    if isinstance(store, MemoryStore):
        # scored as they come (link_consignments only reads): at 1M, ~760 MB of candidates were
        # held until the snapshot at the end, which the peak of a relinking then stood on
        arrivals: Iterable[dict[str, Any]] = arrival_candidates_nx(store, since)
        findings, products = findings_nx(store), products_nx(store)
    else:
        arrivals = [r.data() for r in store.read(ARRIVAL_CANDIDATES_CYPHER, since=since)]  # type: ignore[attr-defined]
        findings = [r.data() for r in store.read(FINDINGS_CYPHER)]  # type: ignore[attr-defined]
        products = [r.data() for r in store.read(PRODUCTS_CYPHER)]  # type: ignore[attr-defined]
    starts, links = link_consignments(arrivals)
    links = put("SAME_CONSIGNMENT", starts, links)
    report.arrivals, report.arrivals_linked = len(starts), len(links)
    relinked = set(starts)
    starts, links = match_products(findings, products)
    links = put("MATCHES_PRODUCT", starts, links)
    report.findings, report.findings_matched = len(starts), len({l.start for l in links})
    if isinstance(store, MemoryStore):
        exporters = exporters_nx(store)
    else:
        exporters = [r.data() for r in store.read(EXPORTERS_CYPHER)]  # type: ignore[attr-defined]
    only = None if since is None or any(x["at"] >= since for x in exporters) else relinked
    consignors: Iterable[dict[str, Any]]
    if isinstance(store, MemoryStore):
        consignors = consignors_nx(store, only)
    else:
        consignors = [r.data() for r in store.read(CONSIGNORS_CYPHER, only=None if only is None else sorted(only))]  # type: ignore[attr-defined]
    starts, links = link_consignors(consignors, exporters)
    del consignors, only, relinked  # (the snapshot at the end should not stand on them too)
    links = put("CONSIGNED_BY", starts, links)
    report.consignors_linked = len(links)
    if isinstance(store, MemoryStore):
        manufacturers = manufacturers_nx(store)
    else:
        manufacturers = [r.data() for r in store.read(MANUFACTURERS_CYPHER)]  # type: ignore[attr-defined]
    starts, links = link_duplicates(manufacturers)
    links = put("SAME_AS", starts, links)
    report.duplicate_factories = len(links)
    store.checkpoint()  # commits; folds the log into a snapshot once it has grown (the next open replays it)
    return report

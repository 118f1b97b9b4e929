"""How well names are matched, against the generators' ground truth: consignor linkage and search,
the code before the shared matcher (kept below, as it was on main) and after, in one run.

    python bench/search_quality.py [--shipments 3000] [--seeds 1,2] [--settings baseline,noisy-names,...]

For othergen presets and seeds, and our own generator (``tracegraph.demo``, consignor = the
declaration's exporter), the files are loaded into an embedded store and linked, then:

* consignor linkage: of the arrivals whose consignor the CN data knows, the share linked to the right
  company, to a wrong one, to none; and the share of arrivals whose consignor it does not know that
  were linked anyway (wrong);
* search: of the distinct EU consignor spellings of known companies, the share whose own company is
  the first hit, old substring search against the new one;
* search latency p50 / p99 over those spellings (the index built before timing).

The spread (min / median / max over the settings) is printed last.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz, process

from tracegraph.demo import generate as own_generate
from tracegraph.graph.memory import MemoryStore
from tracegraph.graph.model import CONSIGNED_BY, Link
from tracegraph.linkage import link
from tracegraph.linkage.consignors import COMPANIES, CONSIGNORS, link_consignors
from tracegraph.loaders.load import load
from tracegraph.queries.search import search

sys.path.insert(0, str(Path(__file__).resolve().parent))
from othergen.generate import generate as other_generate  # noqa: E402

# -- before: linkage/names.py and the consignor linkage as they were on main ---------------------------
LEGAL = frozenset(
    "co company ltd limited corp corporation inc llc fty factory manufactory ind industrial industry industries "
    "trading trade import export imp exp ie i e international intl manufacturing mfg enterprise enterprises group "
    "holdings the and of products product development dev".split()
)
GOODS = frozenset("toy toys plastic plastics electronic electronics crafts craft gift gifts".split())
_ZH_SUFFIXES = ("有限责任公司", "股份有限公司", "有限公司", "进出口", "国际贸易", "贸易", "国际", "实业", "制品", "塑胶",
                "电子", "工艺品", "玩具", "公司", "一厂", "厂", "集团", "（一厂）")
_ZH_PLACE = re.compile(r"^(?:[\u4e00-\u9fff]{1,3}?[省市区县])+")
WORD = re.compile(r"[a-z0-9]+")


def core_en(name: str, places: frozenset[str] = frozenset()) -> str:
    """The trade-name core of an English company name: ``XINGDA TOY FTY (SHANTOU)`` → ``xingda``."""
    words = [w for w in WORD.findall(name.casefold().replace("i/e", " ")) if w not in LEGAL and w not in GOODS]
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


def old_link_consignors(arrivals: Iterable[dict[str, Any]], exporters: list[dict[str, Any]]) -> tuple[list[str], list[Link]]:
    """The exporter each arrival's consignor is, by trade-name core; city and shipment break ties."""
    places = frozenset(w for x in exporters for w in WORD.findall((x.get("city") or "").casefold())) | frozenset(
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
        links.append(Link(CONSIGNED_BY, a["mrn"], uscc, "name", round(best, 4), tuple(evidence)))
    return starts, links


def old_search(companies: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """queries/nodes.py search as it was on main: a substring of a name, or the USCC."""
    def fold(t: str) -> str:
        return " ".join(t.casefold().split())
    q = fold(text)
    key = text.strip().upper()
    rows = [c for c in companies if c["key"] == key or any(q in fold(n or "") for n in (c["name_en"], c["name_zh"]))]

    def rank(r: dict[str, Any]) -> tuple:
        names = (fold(r["name_en"] or ""), fold(r["name_zh"] or ""))
        return (0 if q in names else 1 if any(n.startswith(q) for n in names) else 2, r["label"], r["key"])
    return sorted(rows, key=rank)


# -- the run -------------------------------------------------------------------------------------------
def tally(arrivals: list[dict[str, Any]], truth: dict[str, str | None], links: list[Link]) -> dict[str, float]:
    got = {l.start: l.end for l in links}
    known = [a["mrn"] for a in arrivals if truth.get(a["mrn"])]
    unknown = [a["mrn"] for a in arrivals if not truth.get(a["mrn"])]
    return {"right": sum(got.get(m) == truth[m] for m in known) / max(len(known), 1),
            "wrong": sum(m in got and got[m] != truth[m] for m in known) / max(len(known), 1),
            "none": sum(m not in got for m in known) / max(len(known), 1),
            "unknown_linked": sum(m in got for m in unknown) / max(len(unknown), 1),
            "wrong_all": (sum(m in got and got[m] != truth[m] for m in known) + sum(m in got for m in unknown)) / max(len(arrivals), 1)}


def one(name: str, data: Path, truth: dict[str, str | None], work: Path) -> dict[str, float]:
    store = MemoryStore(work / f"store-{name}")
    load(store, [str(p) for p in sorted(data.glob("*.csv"))])
    link(store, "bench")
    arrivals = list(store.run(CONSIGNORS))
    companies = store.run(COMPANIES)
    exporters = [dict(c, uscc=c["key"]) for c in companies if c["label"] == "Exporter"]
    old = tally(arrivals, truth, old_link_consignors(arrivals, exporters)[1])
    new = tally(arrivals, truth, link_consignors(arrivals, companies)[1])
    spellings = sorted({(a["name"], truth[a["mrn"]]) for a in arrivals if truth.get(a["mrn"])})
    search(store, "warm up")  # builds the index
    first_old = first_new = 0
    times = []
    for text, uscc in spellings:
        hits = old_search(companies, text)
        first_old += bool(hits) and hits[0]["key"] == uscc
        t0 = time.perf_counter()
        hits = search(store, text)
        times.append(time.perf_counter() - t0)
        first_new += bool(hits) and hits[0]["key"] == uscc
    store.close()
    q = statistics.quantiles(times, n=100)
    out = {f"old_{k}": v for k, v in old.items()} | {f"new_{k}": v for k, v in new.items()}
    out |= {"search_first_old": first_old / len(spellings), "search_first_new": first_new / len(spellings),
            "search_p50_ms": q[49] * 1000, "search_p99_ms": q[98] * 1000, "spellings": len(spellings), "arrivals": len(arrivals)}
    print(f"{name:28} linkage right/wrong/none old {old['right']:.3f}/{old['wrong']:.3f}/{old['none']:.3f} "
          f"new {new['right']:.3f}/{new['wrong']:.3f}/{new['none']:.3f}  unknown linked old {old['unknown_linked']:.3f} "
          f"new {new['unknown_linked']:.3f}  wrong of all new {new['wrong_all']:.3f}  |  search first hit old "
          f"{out['search_first_old']:.3f} new {out['search_first_new']:.3f} ({len(spellings)} spellings, "
          f"p50 {out['search_p50_ms']:.2f} ms, p99 {out['search_p99_ms']:.2f} ms)", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shipments", type=int, default=3000)
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--settings", default="baseline,noisy-names,clean-names,self-exporting,hong-kong-traders")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp())
    results = {}
    for seed in [int(s) for s in args.seeds.split(",")]:
        for setting in args.settings.split(","):
            data = work / f"{setting}-{seed}"
            t = other_generate(data, args.shipments, seed, setting)
            truth = {m: a["consignor"] for m, a in t["arrivals"].items()}
            results[f"othergen {setting} {seed}"] = one(f"othergen {setting} {seed}", data, truth, work)
        data = work / f"own-{seed}"
        own_generate(data, shipments=args.shipments, seed=seed)
        import csv
        import json
        exporter_of = {r["declaration_no"]: r["exporter_uscc"] for r in csv.DictReader(open(data / "cn-shipments.csv", encoding="utf-8"))}
        own_truth = json.loads((data / "ground-truth.json").read_text())["arrivals"]
        truth = {m: exporter_of.get(a["declaration_no"]) for m, a in own_truth.items()}
        results[f"own {seed}"] = one(f"own generator {seed}", data, truth, work)
    print("\nspread over settings (min / median / max):")
    for k in next(iter(results.values())):
        vals = sorted(r[k] for r in results.values())
        print(f"  {k:24} {vals[0]:.3f} / {statistics.median(vals):.3f} / {vals[-1]:.3f}")


if __name__ == "__main__":
    main()

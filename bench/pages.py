"""How long each page takes in a real browser on a big store: first visit and warm.

    python bench/pages.py --store tracegraph-data [--rounds 3] [--entry-point NLRTM]

Serves ``--store`` (an embedded store; a token is added to it) with `tracegraph serve`, drives
Debian's headless chromium (tests/browser.py: Playwright, the network walled off) through the
pages people use — search by an EU consignor spelling, a finding with its trace drawn, a factory,
the repeat offenders, the inspection priorities of a quarter, alignment and reliability, AQSIQ's
work list — and times each from navigation to its content drawn. The first visit also pays for
what the server derives once and keeps until the data changes; the warm figure is the median of
``--rounds`` visits after it. The floor is the sign-in page: the same shell, scripts and style
sheets, no data asked for.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote_plus
from typing import Any


TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tests"))

from tracegraph.api.auth import TokenBook  # noqa: E402
from tracegraph.graph.memory import MemoryStore  # noqa: E402
from tracegraph.queries import nodes as q  # noqa: E402
from tracegraph.queries.trace import finding_ids, trace  # noqa: E402
from served import wait_until_up  # noqa: E402  (bench/served.py: this script's folder is on the path)

TRACEGRAPH = str(Path(sys.executable).with_name("tracegraph"))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pick(store: MemoryStore, entry_point: str) -> dict[str, Any]:
    """A traced border finding, its factory, a consignor spelling linkage linked, the last full quarter."""
    finding = factory = None
    for f in finding_ids(store):
        t = trace(store, f)
        if t.status == "traced" and t.shipment:
            finding, factory = f, t.candidates[0].uscc
            break
    arrivals = q.page(store, "Arrival", 0, 2_000)[1]
    props = q.nodes(store, "Arrival", arrivals)
    spelling = next(a["consignor_name"] for k, a in sorted(props.items())
                    if a.get("consignor_name") and q.neighbours(store, "Arrival", "CONSIGNED_BY", "out", [k])[k])
    days = sorted(a["arrived_on"] for a in props.values() if a.get("entry_point") == entry_point)
    last = max(days) if days else "2016-12-31"
    year, month = int(last[:4]), int(last[5:7])
    q_start = ((month - 1) // 3) * 3 + 1
    since = f"{year}-{q_start:02d}-01"
    before = date.fromisoformat(since) - timedelta(days=1)  # the quarter before: a window no one asked for yet
    earlier = f"{before.year}-{((before.month - 1) // 3) * 3 + 1:02d}-01"
    return {"finding": finding, "factory": factory, "spelling": spelling, "since": since, "until": last,
            "earlier": (earlier, before.isoformat())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--entry-point", default="NLRTM")
    args = ap.parse_args()

    with MemoryStore(args.store) as s:
        token = TokenBook(s).create("bench pages", "analyst")
    with MemoryStore(args.store, readonly=True) as s:
        facts = pick(s, args.entry_point)
        size = s.stats().nodes.get("Shipment", 0)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([TRACEGRAPH, "--store", args.store, "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(url, server, seconds=600)  # (a 1M store takes a while to open)
        ep = args.entry_point
        pages = [
            ("sign-in (floor)", "/sign-in", "#token"),
            ("search, EU spelling", "/search?q=" + quote_plus(facts["spelling"]),
             "#results table.hits tbody tr"),
            ("finding, trace drawn", f"/findings/{facts['finding']}", "#candidates tbody tr"),
            ("factory", f"/factories/{facts['factory']}", "#registrations tr"),
            ("repeat offenders", "/offenders", ".table tbody tr.clickable"),
            (f"priorities {ep} quarter", f"/priorities?entryPoint={ep}&since={facts['since']}&until={facts['until']}",
             ".table tbody tr td"),
            ("alignment, reliability", "/schemes", "#reliability tbody tr"),
            ("China-RAPEX work list", "/china-rapex", ".table tbody tr"),
        ]
        from browser import launch

        results: dict[str, list[float]] = {name: [] for name, _, _ in pages}
        gen = launch()
        browser = next(gen)
        try:
            page = browser.page(url, token)
            for r in range(args.rounds + 1):
                for name, path, selector in pages:
                    t = time.perf_counter()
                    page.goto(url + path)
                    page.wait_for_selector(selector, timeout=600_000)
                    results[name].append(time.perf_counter() - t)
            # A window no one asked for yet, once the server is warm: ranked afresh, not a kept answer.
            e_since, e_until = facts["earlier"]
            t = time.perf_counter()
            page.goto(f"{url}/priorities?entryPoint={ep}&since={e_since}&until={e_until}")
            page.wait_for_selector(".table tbody tr td", timeout=600_000)
            fresh = time.perf_counter() - t
            assert browser.outside == [], browser.outside
        finally:
            gen.close()
    finally:
        server.terminate()
        server.wait()

    floor = statistics.median(results["sign-in (floor)"][1:])
    print(f"{size:,} shipments; {args.rounds} warm visits after the first; headless chromium, network walled off")
    print(f"{'page':28}{'first s':>10}{'warm s':>10}{'warm / floor':>14}")
    for name, times in results.items():
        warm = statistics.median(times[1:])
        print(f"{name:28}{times[0]:>10.2f}{warm:>10.3f}{warm / floor:>14.1f}")
    print(f"{'priorities, a new quarter':28}{'':>10}{fresh:>10.3f}{fresh / floor:>14.1f}   (warm server, window not asked before)")
    print("warm: the answers of offenders and priorities are kept per window until the data changes (queries/kept.py)")


if __name__ == "__main__":
    main()

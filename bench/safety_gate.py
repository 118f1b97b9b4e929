"""Safety Gate loader benchmark: rows/s of website-CSV alerts beside the exchange loader's eu-findings.

    python bench/safety_gate.py [--alerts 5000] [--seed 1] [--out bench/out/safety-gate]

Generates ``--alerts`` synthetic alerts in the website CSV export's columns (multi-line measure
texts of one to three blocks, the literal ``None``, two spellings of China, several risk types) and
as many ``eu-findings`` rows of the same products, then loads each into a new embedded store
(``loaders.load``, which ends durable), in the same process, alternately, ``--repeat`` times, and
prints the best rows/s of each and their ratio. The two loads do different work per row (an
alert's measures are parsed, its countries looked up, derived fields settled against the store),
so the ratio says what the Safety Gate mapping costs over the plain exchange checks.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent

WEBSITE_COLUMNS = ["alert_number", "product_name", "product_category", "brand", "product_description", "type",
                   "country_of_origin", "risk_type", "risk_description", "measures_authorities", "notifying_country",
                   "company_recall_code", "production_dates"]
FINDING_COLUMNS = ["finding_id", "found_on", "notifying_country", "product_name", "category", "hazard", "risk_level",
                   "brand", "description", "measure", "alert_no"]
PRODUCTS = ["Soap bubble toy", "Plastic doll", "Toy scooter", "Magnetic toy", "Puzzle mat", "Baby book", "Finger paint"]
HAZARDS = ["Chemical", "Choking", "Injuries", "Strangulation", "Suffocation", "Damage to sight", "Environment"]
OPERATORS = ["Manufacturer", "Importer", "Distributor", "Retailer", "Other"]
MEASURES = ["Recall of the product from end users", "Withdrawal of the product from the market",
            "Warning consumers of the risks", "Removal of this product listing by the online marketplace"]
COUNTRIES = [("France", "FR"), ("Germany", "DE"), ("Hungary", "HU"), ("Poland", "PL"), ("Czechia", "CZ")]


def generate(out: Path, n: int, seed: int) -> tuple[Path, Path]:
    """Write ``n`` alerts as a website CSV export and as eu-findings rows; return both paths."""
    r = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    alerts, exchange = out / "alerts.csv", out / "eu-findings.csv"
    with open(alerts, "w", encoding="utf-8", newline="") as fa, open(exchange, "w", encoding="utf-8", newline="") as fe:
        wa, we = csv.writer(fa), csv.writer(fe)
        wa.writerow(WEBSITE_COLUMNS)
        we.writerow(FINDING_COLUMNS)
        for i in range(n):
            number = f"A12/{i + 1:05d}/{r.choice([22, 23, 24])}"
            product, brand = r.choice(PRODUCTS), r.choice(["None", "Grafix", "Happy day", "STEM"])
            hazards = r.sample(HAZARDS, r.choice([1, 1, 1, 2, 3]))
            country, code = r.choice(COUNTRIES)
            days = sorted(r.sample(range(1, 28), r.randint(1, 3)))
            blocks = [f"Type of economic operator to whom the measure(s) were ordered: {r.choice(OPERATORS)}\n"
                      f"Category of measure(s): {r.choice(MEASURES)}\nDate of entry into force: {d:02d}/09/2024" for d in days]
            measures = "\n\n".join(blocks)
            risk = f"The toy has small parts that can easily detach.\nA small child may swallow them (alert {i})."
            wa.writerow([number, product, "Toys", brand, f"{product} model {i}", "Consumer",
                         r.choice(["People's Republic of China", "Peoples Republic of China"]), ", ".join(hazards),
                         risk, "\n" + measures, country, "None", "None"])
            we.writerow([number, f"2024-09-{days[0]:02d}", code, product, "Toys", hazards[0], "serious",
                         "" if brand == "None" else brand, risk, measures, number])
    return alerts, exchange


def rows_per_second(path: Path, store_dir: Path) -> float:
    from tracegraph.graph.memory import MemoryStore
    from tracegraph.loaders.load import load

    shutil.rmtree(store_dir, ignore_errors=True)
    t = time.perf_counter()
    with MemoryStore(store_dir) as s:
        report = load(s, [str(path)])
    secs = time.perf_counter() - t
    assert report.rejected == 0, report.problems[:3]
    return report.landed / secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alerts", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="loads of each, alternating; the best is kept")
    ap.add_argument("--out", default=None, help="where the generated files go (default: a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tg-bench-sg-") as tmp:
        out = Path(args.out) if args.out else Path(tmp)
        alerts, exchange = generate(out / "data", args.alerts, args.seed)
        best = {"safety-gate": 0.0, "eu-findings": 0.0}
        for _ in range(args.repeat):
            best["safety-gate"] = max(best["safety-gate"], rows_per_second(alerts, Path(tmp) / "store-sg"))
            best["eu-findings"] = max(best["eu-findings"], rows_per_second(exchange, Path(tmp) / "store-ex"))
    print(f"{args.alerts} rows each, embedded store, best of {args.repeat}")
    print(f"  {'safety-gate (website CSV)':<28} {best['safety-gate']:>10,.0f} rows/s")
    print(f"  {'eu-findings (exchange CSV)':<28} {best['eu-findings']:>10,.0f} rows/s")
    print(f"  safety-gate / eu-findings    {best['safety-gate'] / best['eu-findings']:>10.2f}")


if __name__ == "__main__":
    main()

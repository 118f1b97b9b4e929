"""Write tracegraph exchange files from an independent model of the trade, with their ground truth.

    python bench/othergen/generate.py OUT_DIR --shipments 5000 --seed 1 --setting noisy-names --set typo_rate=0.2

See bench/othergen/README.md for the model, every knob and preset, and the truth format.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

# The sibling modules form the package ``othergen``; make it importable however this file was loaded
# (as a script, or by path from another tool).
_BENCH = str(Path(__file__).resolve().parent.parent)
if _BENCH not in sys.path:
    sys.path.append(_BENCH)

from othergen import output, settings  # noqa: E402
from othergen.simulate import Simulation  # noqa: E402

__all__ = ["generate", "main"]


def generate(out_dir: str | Path, shipments: int, seed: int, setting: str = "baseline",
             **knobs: Any) -> dict[str, Any]:
    """Return the truth of a run after writing its exchange files and truth.json to out_dir.

    Parameters: out_dir (created if missing); shipments, the number of CN export declarations; seed;
    setting, a preset name (``settings.PRESETS``); knobs, any settings to override (values or strings).

    >>> t = generate("/tmp/othergen-doctest", 300, 7, setting="noisy-names", name_typo=0.3)
    >>> {"arrivals", "findings", "factories", "exporters", "companies", "settings"} <= set(t)
    True
    """
    s = settings.resolve(setting, knobs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sim = Simulation(s, shipments, seed)
    sim.run()
    counts = output.write_exchange(sim, out)
    data = output.truth(sim, setting, seed, counts)
    output.write_truth(data, out)
    return data


def main(argv: list[str] | None = None) -> int:
    """Command line: parse the arguments, generate, print a one-line summary per file."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir", nargs="?")
    ap.add_argument("--knobs", action="store_true", help="print the knobs and presets as Markdown and exit")
    ap.add_argument("--shipments", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--setting", default="baseline", choices=sorted(settings.PRESETS))
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a knob; repeatable")
    args = ap.parse_args(argv)
    if args.knobs:
        print(settings.markdown())
        return 0
    if not args.out_dir:
        ap.error("OUT_DIR is required")
    knobs: dict[str, Any] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            ap.error(f"--set takes KEY=VALUE, not {item!r}")
        knobs[key.strip()] = value.strip()
    started = time.perf_counter()
    data = generate(args.out_dir, args.shipments, args.seed, args.setting, **knobs)
    took = time.perf_counter() - started
    rows = ", ".join(f"{k} {v}" for k, v in data["stats"]["rows"].items())
    print(f"{args.out_dir}: setting {args.setting}, seed {args.seed}, {took:.1f} s: {rows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

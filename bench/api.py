"""API benchmark: requests/s and latency over real HTTP on loopback, beside a bare Starlette floor.

    python bench/api.py [--shipments 20000] [--seconds 10] [--connections 16]

Loads generated data into an embedded store (cached in bench/out), serves it with
``tracegraph serve`` (uvicorn, one worker), and drives it with wrk (Debian package ``wrk``) in a
second process, for two requests:

* **trace** — ``trace(findingId)`` with its candidates and evidence, rotating over 50 findings;
* **page** — a 100-row connection page: ``arrivals(first: 100)`` with a few fields each.

The floor is a bare Starlette endpoint on the same uvicorn settings that parses the same request
body and returns the same JSON bytes (taken from the real server first), measured in the same run.
Prints requests/s, p50 and p99 for both, and the ratio to the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TOP = Path(__file__).resolve().parent.parent
TRACEGRAPH = str(Path(sys.executable).with_name("tracegraph"))  # the installed command

TRACE = ("query Trace($f: String!) { trace(findingId: $f) { findingId status reason shipment "
         "candidates(first: 5) { edges { node { uscc confidence nameEn evidence } } } } }")
PAGE = "query Page { arrivals(first: 100) { totalCount edges { cursor node { mrn entryPoint arrivedOn consignorName } } } }"

FLOOR_APP = '''
import json, sys
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

answers = json.load(open(sys.argv[1]))  # request body (normalised JSON) -> the real server's response

async def graphql(request):
    body = json.loads(await request.body())
    key = json.dumps(body, sort_keys=True)
    return Response(answers[key].encode(), media_type="application/json")

app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])
'''

LUA = '''
local bodies = {}
local i = 0
init = function(args)
  local f = io.open(args[1], "r")
  for line in f:lines() do bodies[#bodies + 1] = line end
  f:close()
end
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/graphql", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("TG_TOKEN")}, bodies[i])
end
'''


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.args}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} never answered")


def _wrk(url: str, bodies: Path, token: str, seconds: int, connections: int) -> dict[str, float]:
    lua = bodies.with_suffix(".lua")
    lua.write_text(LUA)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(lua), url, "--", str(bodies)],
                         capture_output=True, text=True, env={**os.environ, "TG_TOKEN": token}, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"{non2xx.group(1)} failed requests against {url}:\n{out}")

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)  # type: ignore[union-attr]
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {"rps": rps, "p50": pct("50"), "p99": pct("99")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shipments", type=int, default=20000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--out", default=str(TOP / "bench" / "out"))
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed as the load generator: apt-get install wrk")
    from tracegraph.api.auth import TokenBook
    from tracegraph.graph.memory import MemoryStore
    from tracegraph.loaders.load import load
    from tracegraph.demo import generate

    data = Path(args.out) / f"data-{args.shipments}"
    if not (data / "ground-truth.json").exists():
        generate(data, shipments=args.shipments, seed=7, alerts=False)
    work = Path(tempfile.mkdtemp())
    try:
        with MemoryStore(work / "store") as s:
            load(s, [str(data)])
            token = TokenBook(s).create("bench", "analyst")
        findings = sorted(json.loads((data / "ground-truth.json").read_text())["findings"])[:50]
        port, floor_port = _free_port(), _free_port()
        server = subprocess.Popen([TRACEGRAPH, "--store", str(work / "store"), "serve", "--port", str(port),
                                   "--audit-log", str(work / "audit.jsonl")], stdout=subprocess.DEVNULL)
        floor = None
        try:
            _wait(f"http://127.0.0.1:{port}/healthz", server)
            cases = {"trace": [{"query": TRACE, "variables": {"f": f}} for f in findings],
                     "page": [{"query": PAGE, "variables": {}}]}
            answers = {}
            for bodies in cases.values():
                for b in bodies:
                    r = httpx.post(f"http://127.0.0.1:{port}/graphql", json=b, headers={"authorization": f"Bearer {token}"})
                    assert r.status_code == 200 and "errors" not in r.json(), r.text
                    answers[json.dumps(b, sort_keys=True)] = r.text
            (work / "answers.json").write_text(json.dumps(answers))
            (work / "floor.py").write_text(FLOOR_APP.replace("sys.argv[1]", repr(str(work / "answers.json"))))
            floor = subprocess.Popen([sys.executable, "-m", "uvicorn", "floor:app", "--port", str(floor_port), "--log-level",
                                      "warning", "--no-access-log"], cwd=work, env={**os.environ, "PYTHONPATH": str(work)},
                                     stdout=subprocess.DEVNULL)
            _wait(f"http://127.0.0.1:{floor_port}/graphql", floor)
            print(f"{args.shipments:,} shipments, embedded store, one uvicorn worker; wrk -t1 -c{args.connections} "
                  f"-d{args.seconds}s on loopback (2 cores shared by server and load generator)")
            print(f"{'request':8}{'api req/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'floor req/s':>13}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}")
            for name, bodies in cases.items():
                path = work / f"{name}.bodies"
                path.write_text("\n".join(json.dumps(b) for b in bodies) + "\n")
                api = _wrk(f"http://127.0.0.1:{port}/graphql", path, token, args.seconds, args.connections)
                bare = _wrk(f"http://127.0.0.1:{floor_port}/graphql", path, token, args.seconds, args.connections)
                print(f"{name:8}{api['rps']:>11,.0f}{api['p50']:>9.2f}{api['p99']:>9.2f}{bare['rps']:>13,.0f}"
                      f"{bare['p50']:>9.2f}{bare['p99']:>9.2f}{api['rps'] / bare['rps']:>8.2f}")
        finally:
            server.terminate()
            if floor:
                floor.terminate()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

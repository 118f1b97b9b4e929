"""For the benchmarks that drive a real `tracegraph serve`: wait until it answers."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 120, log: Path | None = None) -> None:
    """Return once ``url``/healthz answers 200; exit naming the log if the server died or never answered."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit("tracegraph serve did not start" + (f": {log.read_text()}" if log else ""))
        time.sleep(0.2)

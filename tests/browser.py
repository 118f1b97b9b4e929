"""A real headless browser for page tests: Debian's ``chromium`` driven by Playwright, cut off from
every host but this machine.

Two walls stand between the browser and other hosts, and both record what hits them: Playwright's
route interception (every request a page makes: continued to 127.0.0.1/localhost, aborted
otherwise) and a refusing proxy (connections no page request went through: Chromium's preconnects
and its own services' calls, which its flags do not all silence). A test asserts
``browser.outside == []`` to show a page reached for nothing outside. The recipe, and why both
walls, is in deploy/vendor/README.md.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("TRACEGRAPH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Chromium's own services, called whatever the page: refused, and nothing to do with our pages.
CHROMIUM_SERVICES = {"accounts.google.com", "clients2.google.com", "content-autofill.googleapis.com",
                     "update.googleapis.com", "optimizationguide-pa.googleapis.com"}
HOW_TO_GET = ("page tests need Debian's chromium and the playwright package: `apt-get install -y chromium` "
              "(make test does it as root) and `pip install playwright` (the [test] extra)")


@dataclass
class Browser:
    """A Chromium of its own for one test module, with what it tried to reach outside."""

    context: Any
    blocked: list[str] = field(default_factory=list)  # pages' requests for other hosts (route)
    proxied: list[str] = field(default_factory=list)  # connections the proxy refused

    @property
    def outside(self) -> list[str]:
        """Every attempt to reach another host that a page made (Chromium's own services left out)."""
        return self.blocked + [h for h in self.proxied if h not in CHROMIUM_SERVICES]

    def page(self, origin: str | None = None, token: str | None = None) -> Any:
        """A new page; with ``token``, signed in on ``origin`` as the pages do (the session's token)."""
        page = self.context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors  # type: ignore[attr-defined]
        if token is not None:
            assert origin is not None
            page.goto(f"{origin}/healthz")
            page.evaluate("t => sessionStorage.setItem('tracegraph.token', t)", token)
        return page


def _refusing_proxy(seen: list[str]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _refuse(self) -> None:
            host = urlsplit(self.path if "://" in self.path else f"//{self.path}").hostname
            seen.append(host or self.path)
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_CONNECT = do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = _refuse

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def available() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return os.access(CHROMIUM, os.X_OK)


def launch() -> Iterator[Browser]:
    """A walled-off Chromium (skips without one, fails without one under CI=true)."""
    if not available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {HOW_TO_GET}")
        pytest.skip(HOW_TO_GET)
    from playwright.sync_api import sync_playwright

    proxied: list[str] = []
    proxy = _refusing_proxy(proxied)
    profile = tempfile.mkdtemp(prefix="tracegraph-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, locale="en-GB",
                args=[*CHROMIUM_FLAGS, f"--proxy-server=http://127.0.0.1:{proxy.server_address[1]}"])
            browser = Browser(context, proxied=proxied)

            def wall(route: Any) -> None:
                if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
                    route.continue_()
                else:
                    browser.blocked.append(route.request.url)
                    route.abort("blockedbyclient")

            context.route("**/*", wall)
            try:
                yield browser
            finally:
                context.close()
    finally:
        proxy.shutdown()
        shutil.rmtree(profile, ignore_errors=True)


def until(page: Any, expression: str, seconds: float = 15.0, arg: Any = None) -> Any:
    """Poll ``expression`` in the page until it is truthy (``wait_for_function`` uses eval, which
    the pages' CSP forbids); return its value, or fail saying what did not happen."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"the page never got to: {expression}")
        time.sleep(0.05)

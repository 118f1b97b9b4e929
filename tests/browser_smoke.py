"""Opens the GraphiQL page in Debian's headless Chromium, cut off from every host but this one, and
says whether it rendered, ran a query with the session's bearer token, and tried to reach outside.

    python tests/browser_smoke.py [--screenshot PATH] [--chromium /usr/bin/chromium]

Not a pytest module (its name does not start with ``test_``): a standalone proof that the browser
recipe in deploy/vendor/README.md works on this machine. Needs the ``playwright`` package (its
driver is in the wheel; no ``playwright install``), ``graphql-core`` (strawberry's), and the apt
package ``chromium``. Exit status 0 when every check holds, 1 otherwise; one line per check.

A local HTTP server serves ``api/static/`` under ``/static/``, the page at ``GET /graphql`` (under
the Content-Security-Policy the app should send), and answers ``POST /graphql``: the schema
introspection from a one-field schema, any other operation with a canned answer. Two walls stand
between the browser and other hosts, and each records what hits it: Playwright's route
interception (every request a page makes) and a refusing proxy (connections that no request of a
page's went through: Chromium's preconnects, and its own services' calls, which its flags and
Playwright's do not all silence).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from graphql import build_schema, graphql_sync
from playwright.sync_api import Error as PlaywrightError, Page, Route, sync_playwright

STATIC = Path(__file__).resolve().parent.parent / "api" / "static"
CHROMIUM = "/usr/bin/chromium"
# As root, without a GPU, quiet where flags can make it so; Playwright adds its own quieting flags.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Chromium's own services, which it calls whatever the page (seen from Debian's chromium 156 with
# Playwright's flags): the proxy refuses them like any other, and they say nothing about the page.
CHROMIUM_SERVICES = {"accounts.google.com", "clients2.google.com", "content-autofill.googleapis.com",
                     "update.googleapis.com"}
TOKEN = "tg_smoke.0123456789abcdef"
CANNED = {"data": {"__typename": "Query"}}
SMOKE_QUERY = "query Smoke { __typename }"
CANARY = "https://unpkg.com/graphiql@3.8.3/graphiql.min.js"  # what strawberry's own page loads
# What the app should send with its pages: the browser itself then refuses any other host.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
CSP_VIOLATION = "CSP violation: "
SCHEMA = build_schema("type Query { finding(id: ID!): String }")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".txt": "text/plain"}


@dataclass
class Seen:
    """What the server and the walls saw."""

    posts: list[dict[str, str | None]] = field(default_factory=list)  # query (or its name), authorization
    proxied: list[str] = field(default_factory=list)  # attempts no page request made: preconnects, Chromium's services
    blocked: list[str] = field(default_factory=list)  # pages' requests for other hosts (route or CSP)


def make_handler(seen: Seen) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def refuse_outside(self) -> bool:
            """A request meant for another host (a proxy request) is recorded and refused."""
            host = urlsplit(self.path if "://" in self.path else f"//{self.path}").hostname
            if self.command == "CONNECT" or (host is not None and host not in LOCAL_HOSTS):
                seen.proxied.append(host or self.path)
                self.send(403, b"no outside hosts", "text/plain")
                return True
            return False

        def do_CONNECT(self) -> None:
            self.refuse_outside()

        def do_GET(self) -> None:
            if self.refuse_outside():
                return
            path = urlsplit(self.path).path
            if path == "/graphql":
                self.send(200, (STATIC / "graphiql.html").read_bytes(), TYPES[".html"], Content_Security_Policy=CSP)
                return
            file = (STATIC / path.removeprefix("/static/")).resolve()
            if not path.startswith("/static/") or not file.is_relative_to(STATIC) or not file.is_file():
                self.send(404, b"not found", "text/plain")
                return
            self.send(200, file.read_bytes(), TYPES.get(file.suffix, "application/octet-stream"))

        def do_POST(self) -> None:
            if self.refuse_outside():
                return
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            seen.posts.append({"query": body.get("operationName") or " ".join(body.get("query", "").split()),
                               "authorization": self.headers.get("Authorization")})
            introspection = body.get("operationName") == "IntrospectionQuery"
            result = graphql_sync(SCHEMA, body["query"]).formatted if introspection else CANNED
            self.send(200, json.dumps(result).encode(), "application/json")

    return Handler


def editor_text(page: Page, selector: str) -> str:
    """The text of the CodeMirror editor inside ``selector``."""
    return str(page.locator(f"{selector} .CodeMirror").first.evaluate("el => el.CodeMirror.getValue()"))


def until(page: Page, predicate: str, seconds: float) -> bool:
    """Whether ``predicate`` (a JavaScript function) comes true within ``seconds``. Polled from
    here: Playwright's own wait_for_function compiles its predicate with eval, which the page's
    Content-Security-Policy forbids."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if page.evaluate(predicate):
            return True
        time.sleep(0.1)
    return False


def drive_graphiql(page: Page, origin: str, checks: dict[str, bool]) -> None:
    """Open GraphiQL, look at its schema documentation and headers, type a query and run it."""
    page.goto(f"{origin}/graphql", wait_until="load")
    page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=30_000)
    checks["GraphiQL rendered (its query editor is there)"] = True
    page.get_by_label("Show Documentation Explorer").click()
    page.locator(".graphiql-doc-explorer").get_by_text("Query", exact=True).click()
    checks["the introspected schema reached the docs (Query.finding)"] = until(
        page, "() => document.querySelector('.graphiql-doc-explorer')?.textContent.includes('finding')", 10)
    headers = editor_text(page, ".graphiql-editor-tool .graphiql-editor:not(.hidden)")
    checks["the session's token is in the Headers editor"] = f"Bearer {TOKEN}" in headers

    page.locator(".graphiql-query-editor .CodeMirror").first.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(SMOKE_QUERY)
    page.keyboard.press("Escape")  # closes the completion list that typing opened
    page.keyboard.press("Control+Enter")
    until(page, "() => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue().includes('data')", 15)
    checks["the result pane shows the canned answer"] = json.loads(editor_text(page, ".graphiql-response")) == CANNED


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshot", type=Path, default=Path(tempfile.gettempdir()) / "tracegraph-graphiql.png")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args()

    seen = Seen()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(seen))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_port}"

    def wall(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            seen.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    problems: list[str] = []
    checks: dict[str, bool] = {}

    def on_console(kind: str, text: str) -> None:
        if kind != "error":
            return
        problems.append(f"console: {text}")
        if text.startswith(CSP_VIOLATION) and urlsplit(text.split()[-1]).hostname not in (LOCAL_HOSTS | {None}):
            seen.blocked.append(text.split()[-1])  # an outside host the CSP stopped before the route saw it

    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        # Loopback bypasses a proxy, so only requests for other hosts reach this refusing one.
        browser = pw.chromium.launch_persistent_context(
            profile, executable_path=args.chromium, headless=True, viewport={"width": 1400, "height": 800},
            args=[*CHROMIUM_FLAGS, f"--proxy-server={origin}"])
        browser.route("**/*", wall)
        browser.add_init_script(f"sessionStorage.setItem('tracegraph.token', {json.dumps(TOKEN)})")
        page = browser.pages[0] if browser.pages else browser.new_page()
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("console", lambda msg: on_console(msg.type, msg.text))
        page.on("websocket", lambda ws: None if urlsplit(ws.url).hostname in LOCAL_HOSTS else seen.blocked.append(ws.url))
        page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                             f"console.error('{CSP_VIOLATION}' + e.violatedDirective + ' ' + e.blockedURI))")
        try:
            drive_graphiql(page, origin, checks)
        except PlaywrightError as exc:
            checks["the page could be driven to the end"] = False
            problems.append(str(exc).splitlines()[0])
        page.screenshot(path=str(args.screenshot))
        page_blocked, page_proxied = list(seen.blocked), list(seen.proxied)

        # The control: a page asks for an outside host; the route must catch and record it.
        control = browser.new_page()
        with contextlib.suppress(PlaywrightError):
            control.goto(CANARY)
        browser.close()
    server.shutdown()

    asked = [p["query"] for p in seen.posts]
    checks["the server was asked for the schema and for the typed query"] = (
        "IntrospectionQuery" in asked and SMOKE_QUERY in asked)
    checks["every POST carried Authorization: Bearer <session token>"] = bool(seen.posts) and all(
        p["authorization"] == f"Bearer {TOKEN}" for p in seen.posts)
    checks["the page tried no outside host (caught by the CSP or the route)"] = not page_blocked
    checks["no connection to another host was tried but Chromium's own services"] = not set(page_proxied) - CHROMIUM_SERVICES
    checks["no page error, console error or CSP violation"] = not problems
    checks["control: the route catches a page's request for an outside host"] = CANARY in seen.blocked[len(page_blocked):]

    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    for line in [*(f"blocked: {url}" for url in page_blocked), *problems]:
        print(f"     {line}")
    print(f"     POST /graphql: {asked}")
    print(f"     refused by the proxy while the page ran: {', '.join(sorted(set(page_proxied))) or 'nothing'}")
    print(f"     refused by the proxy during the control: {', '.join(sorted(set(seen.proxied[len(page_proxied):]))) or 'nothing'}")
    print(f"     screenshot: {args.screenshot}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())

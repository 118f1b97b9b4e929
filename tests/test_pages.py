"""The pages, driven in a real headless browser (Debian's chromium) cut off from every host but this
machine, against a served store of generated data: sign in, search a factory by the spelling an EU
declaration used, open a finding and check its drawn trace and top candidate, confirm a link, open
the factory, export the repeat offenders as CSV and check them against the API, in both languages;
and a partner sees no importer.

With TRACEGRAPH_SCREENSHOTS set to a folder (`make screenshots`: docs/screenshots), the main pages
are saved there as PNG files."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from browser import until
from serving import Served, serve_loaded
from tracegraph.graph.memory import MemoryStore
from tracegraph.queries import nodes as q
from tracegraph.queries.offenders import offenders
from tracegraph.queries.trace import trace

SHOTS = Path(os.environ["TRACEGRAPH_SCREENSHOTS"]) if os.environ.get("TRACEGRAPH_SCREENSHOTS") else None


@pytest.fixture(scope="module")
def api(request, tmp_path_factory, demo_dir):
    served = serve_loaded(request, "embedded", tmp_path_factory.mktemp("pages"), demo_dir)
    yield served
    served.stop()


@pytest.fixture(scope="module")
def facts(api: Served) -> dict[str, Any]:
    """What the pages must show, read from the store beside the server."""
    with MemoryStore(api.location, readonly=True) as s:
        top = offenders(s, None, None, 5)["factories"][0]
        findings = q.nodes(s, "Finding", q.page(s, "Finding", 0, 10_000)[1])
        border = next(f for f in sorted(findings.values(), key=lambda f: f["key"])
                      if f.get("mrn") and trace(s, f["key"]).shipment and trace(s, f["key"]).candidates)
        t = trace(s, border["key"])
        arrivals = q.nodes(s, "Arrival", q.page(s, "Arrival", 0, 100_000)[1])
        importers = {a["importer_name"] for a in arrivals.values() if a.get("importer_name")} | \
                    {a["importer_eori"] for a in arrivals.values() if a.get("importer_eori")}
        # an arrival whose declared consignor linkage matched to a company: the spelling the EU side wrote
        consignor = None
        for a in sorted(arrivals.values(), key=lambda a: a["key"]):
            linked = q.neighbours(s, "Arrival", "CONSIGNED_BY", "out", [a["key"]])[a["key"]]
            if linked and linked[0]["rel"]["score"] >= 0.8 and a["consignor_name"].upper() == a["consignor_name"]:
                consignor = (a["consignor_name"], linked[0]["key"])
                break
    assert consignor is not None
    return {"top": top, "finding": border["key"], "trace": t, "importers": importers, "consignor": consignor}


def _shot(page: Any, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(browser: Any, api: Served, role: str) -> Any:
    page = browser.page()
    page.goto(api.url + "/")
    page.wait_for_selector("#token")
    assert "/sign-in" in page.url  # no token in this session yet: the pages ask for one
    page.fill("#token", api.tokens[role])
    page.click("#sign-in")
    page.wait_for_selector("#sign-out")
    return page


def test_an_analyst_traces_a_finding_confirms_a_link_and_exports_the_offenders(api, facts, browser, tmp_path):
    page = _sign_in(browser, api, "analyst")
    assert "test analyst (analyst)" in page.inner_text("#who")
    _shot(page, "home")

    # a finding: its trace drawn as a graph, and the candidates with their evidence in words
    t = facts["trace"]
    page.goto(f"{api.url}/findings/{facts['finding']}")
    page.wait_for_selector("#candidates tbody tr")
    drawn = until(page, "() => { const g = document.querySelector('#trace-graph'); return g && g.cy && g.cy.nodes().length > 2 "
                        "&& g.getAttribute('data-nodes'); }")
    assert f"finding:{facts['finding']}" in drawn and f"factory:{t.candidates[0].uscc}" in drawn
    assert f"arrival:{t.arrival}" in drawn and f"shipment:{t.shipment}" in drawn
    top = page.locator("#candidates tbody tr").first
    assert top.get_attribute("data-uscc") == t.candidates[0].uscc
    assert f"{round(t.candidates[0].confidence * 100)} %" in top.inner_text()
    _shot(page, "finding")

    # confirm the consignment link; the API then holds it as confirmed
    page.click("#decisions .decision[data-type=SAME_CONSIGNMENT] button.confirm")
    page.wait_for_selector("#decisions .decided")
    assert "test analyst (analyst)" in page.inner_text("#decisions .decided")
    link = api.data("analyst", "query($m: String!) { arrival(mrn: $m) { consignment { link { method score } shipment { declarationNo } } } }",
                    {"m": t.arrival})["arrival"]["consignment"]
    assert link == {"link": {"method": "confirmed", "score": 1.0}, "shipment": {"declarationNo": t.shipment}}

    # the factory's page
    uscc = facts["top"]["uscc"]
    page.goto(f"{api.url}/factories/{uscc}")
    page.wait_for_selector("#registrations tr")
    assert uscc in page.inner_text("#registrations")
    assert page.locator("svg.chart").count() >= 4  # shipments, certificates, findings by quarter and by hazard
    page.wait_for_selector(".table tbody tr td a")
    assert page.locator("#importers").count() == 1  # an EU role sees where its goods went, importers too
    _shot(page, "factory")

    # the offenders, exported as CSV, are what the API says
    page.goto(f"{api.url}/offenders")
    page.wait_for_selector(".table tbody tr.clickable")
    _shot(page, "offenders")
    with page.expect_download() as download:
        page.click("button.csv")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    api_rows = api.data("analyst", "{ repeatOffenders { factories(first: 100) { totalCount edges { node { uscc findings shipments } } } } }")
    want = [(e["node"]["uscc"], str(e["node"]["findings"]), str(e["node"]["shipments"]))
            for e in api_rows["repeatOffenders"]["factories"]["edges"]]
    header = rows[0]
    got = [(r[header.index("USCC")], r[header.index("Findings")], r[header.index("Shipments")]) for r in rows[1:]]
    assert got == want and len(got) == api_rows["repeatOffenders"]["factories"]["totalCount"]

    # the other pages render
    page.goto(f"{api.url}/schemes")
    page.wait_for_selector("#reliability tbody tr")
    _shot(page, "schemes")
    page.goto(f"{api.url}/priorities?entryPoint=NLRTM&since=2015-01-01&until=2015-12-31")
    page.wait_for_selector(".table tbody tr.clickable, .table tbody tr td")
    _shot(page, "priorities")
    assert not page.errors, page.errors
    assert browser.outside == [], browser.outside


def test_every_page_reads_in_chinese_too(api, facts, browser):
    page = _sign_in(browser, api, "cn_authority")
    keys = page.evaluate("() => [Object.keys(TG_I18N.en).sort(), Object.keys(TG_I18N.zh).sort()]")
    assert keys[0] == keys[1], sorted(set(keys[0]) ^ set(keys[1]))
    page.click("[data-lang=zh]")
    until(page, "() => document.documentElement.lang === 'zh-CN'")
    for path, heading in ((f"/findings/{facts['finding']}", "不合格通报"), (f"/factories/{facts['top']['uscc']}", "工厂"),
                          ("/offenders", "屡犯企业"), ("/schemes", "检验制度")):
        page.goto(api.url + path)
        page.wait_for_selector("h1")
        until(page, "(h) => document.querySelector('h1').textContent.includes(h)", arg=heading)
    assert "搜索" in page.inner_text("#nav")
    _shot(page, "schemes-zh")
    assert not page.errors and browser.outside == []


def test_a_partner_sees_no_importer_and_no_company_internal_field(api, facts, browser):
    page = _sign_in(browser, api, "partner")
    for path in (f"/factories/{facts['top']['uscc']}", f"/findings/{facts['finding']}"):
        page.goto(api.url + path)
        page.wait_for_selector("h1")
        page.wait_for_selector("table")
        text = page.inner_text("main")
        assert page.locator("#importers").count() == 0
        leaked = [i for i in facts["importers"] if i in text]
        assert not leaked, leaked
        assert not page.locator("#decisions button.confirm").count()  # a partner may not decide links
    assert not page.errors and browser.outside == []


def test_aqsiq_records_a_follow_up_from_its_work_list(api, browser):
    page = _sign_in(browser, api, "cn_authority")
    page.goto(f"{api.url}/china-rapex")
    page.wait_for_selector(".table tbody tr.clickable, .table tbody tr")
    rows = api.data("cn_authority", "{ chinaRapexWorklist(first: 100) { totalCount edges { node { alertNo findingId state } } } }")
    alerts = [e["node"] for e in rows["chinaRapexWorklist"]["edges"]]
    assert alerts, "the demo data holds no Safety Gate alert on a product from China"
    until(page, "(n) => document.querySelectorAll('.table tbody tr').length >= n", arg=min(len(alerts), 100))
    target = next((a for a in alerts if a["state"] == "uninvestigated"), alerts[0])
    row = page.locator(".table tbody tr", has_text=target["alertNo"]).first
    row.locator("button.open-follow-up").click()
    form = page.locator("form.follow-up")
    form.locator("select[name=status]").select_option("measures_taken")
    form.locator("input[name=o_corrective_action]").check()
    form.locator("input[name=rootCause]").fill("paint supplier changed without testing")
    form.locator("button.record").click()
    page.wait_for_selector("form.follow-up .recorded")
    _shot(page, "china-rapex")
    got = api.data("cn_authority", "query($f: String!) { investigation(findingId: $f) { status outcomes rootCause } }",
                   {"f": target["findingId"]})["investigation"]
    assert got == {"status": "measures_taken", "outcomes": ["corrective_action"], "rootCause": "paint supplier changed without testing"}
    assert not page.errors and browser.outside == []


def test_the_search_page_shows_the_company_an_eu_spelling_denotes_first(api, facts, browser):
    spelling, key = facts["consignor"]  # as an EU declaration wrote it, and the company linkage linked it to
    page = _sign_in(browser, api, "analyst")
    page.goto(f"{api.url}/search?q={spelling.replace(' ', '+')}")
    page.wait_for_selector("#results table.hits tbody tr")
    first = page.locator("#results table.hits tbody tr").first
    assert first.get_attribute("data-key") == key
    assert "trade name" in first.inner_text()  # the page says why it matched
    assert not page.errors, page.errors

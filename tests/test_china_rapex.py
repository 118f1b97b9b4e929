"""The China-RAPEX loop on a small graph whose answers are known, on both stores: AQSIQ's work
list (alerts on products from China, traced, with their follow-up), follow-up records with their
outcomes, and the quarterly report; its files written by the real command, and its page in a real
browser with no network."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from tracegraph.linkage import link
from tracegraph.loaders.load import load
from tracegraph.loaders.rules import RECORD_TYPES
from tracegraph.queries.china_rapex import (STATUS_FILTERS, default_as_of, finding_keys, from_china, parse_quarter,
                                            quarter_bounds, report, worklist)
from china_rapex_data import AS_TEXT, BY_FILE, EARLIER, GERMAN, HONG_KONG, IN_HAN, MATCHED, REAL_Q3, write_china_rapex
from exchange import FACTORY, FACTORY2
from report_files import assert_page_is_the_csvs, assert_self_contained, read_csvs, read_page
from serving import TRACEGRAPH

AS_OF = "2024-12-31"
SCREENSHOTS = Path(os.environ.get("TRACEGRAPH_SCREENSHOTS", "")) if os.environ.get("TRACEGRAPH_SCREENSHOTS") else None


@pytest.fixture
def loaded(store, tmp_path):
    assert load(store, [str(write_china_rapex(tmp_path / "in"))]).rejected == 0
    link(store, "2026-01-01T00:00:00+00:00")
    return store


# -- which alerts are China's ---------------------------------------------------------------------------------
@pytest.mark.parametrize("origin, chinese", [
    ("CN", True), ("China (PRC)", True), ("Made in China", True), ("中华人民共和国", True), ("中国", True), ("Chine", True),
    ("Volksrepublik China", True), ("China, Vietnam", True), ("P.R. China", True), ("China Mainland", True),
    ("HK", False), ("TW", False), ("Hong Kong, China", False), ("China (Hong Kong)", False), ("Macao, China", False),
    ("Taiwan, Province of China", False), ("Chinese Taipei", False), ("中国香港", False), ("DE", False), ("Indochina", False),
    ("Unknown", False), ("", False), (None, False),
])
def test_an_origin_is_chinas_in_every_spelling_an_export_kept_but_not_hong_kong_macao_or_taiwan(origin, chinese):
    assert from_china(origin) is chinese


# -- the work list -----------------------------------------------------------------------------------------------
def test_the_work_list_holds_chinas_alerts_traced_with_their_follow_up(loaded):
    alerts = worklist(loaded, as_of=AS_OF)
    by = {a["alert_no"]: a for a in alerts}
    # the 23 real alerts (all on toys from China), ours from China, and the 2015 border finding, whose
    # origin is its arrival's; not the German alert nor the one from Hong Kong
    assert len(alerts) == 23 + 4 + 1
    assert GERMAN not in by and HONG_KONG not in by
    assert by[AS_TEXT]["country_of_origin"] == "China (PRC)" and by[IN_HAN]["country_of_origin"] == "中华人民共和国"
    border = by["A12/00001/15"]
    assert border["finding_id"] == "F-NL-1" and border["country_of_origin"] == "CN"
    assert [a["forwarded_on"] for a in alerts] == sorted(a["forwarded_on"] for a in alerts)  # oldest first
    # the alert whose GTIN is FACTORY's product: traced, its top candidate named
    m = by[MATCHED]
    assert m["forwarded_on"] == "2024-08-15" and m["quarter"] == "2024Q3" and m["hazards"] == ["Choking"]
    assert m["trace"]["status"] == "traced" and m["trace"]["candidates"] == 1
    assert m["trace"]["top"] == {"uscc": FACTORY, "name_zh": "汕头市澄海区星达玩具厂",
                                 "name_en": "Shantou Chenghai Xingda Toys Factory", "confidence": 0.9}
    assert m["follow_up"] is None and m["state"] == "uninvestigated" and m["factory"]["uscc"] == FACTORY
    assert (m["due_on"], m["overdue"], m["days_open"]) == ("2024-11-13", True, 138)
    # the follow-up of a cn-investigations file with outcomes: the factory it found makes it traced
    f = by[BY_FILE]
    assert f["follow_up"] == {
        "status": "closed", "outcomes": ["export_ban", "export_licence_suspended"], "root_cause": "unapproved plasticiser",
        "measures": "export of the batch stopped", "opened_on": "2024-09-20", "closed_on": "2024-11-30",
        "reported_on": "2024-12-05", "recorded_by": ["cn:cn-investigations.csv"],
        "factory": {"uscc": FACTORY2, "name_zh": "东莞市宏发塑胶制品厂", "name_en": "Dongguan Hongfa Plastic Products Factory"}}
    assert f["trace"]["status"] == "traced" and f["trace"]["top"]["uscc"] == FACTORY2
    assert (f["state"], f["overdue"], f["days_open"]) == ("concluded", False, 78)
    # as of the day before it was closed, it was pending (and not yet due: it was closed 78 days after forwarding)
    early = {a["alert_no"]: a for a in worklist(loaded, as_of="2024-11-29")}[BY_FILE]
    assert (early["state"], early["overdue"], early["days_open"], early["due_on"]) == ("pending", False, 77, "2024-12-12")
    # the border finding's investigation: measures taken in 2015, never closed
    assert border["follow_up"]["status"] == "measures_taken" and border["follow_up"]["outcomes"] == []
    assert border["state"] == "pending" and border["overdue"]


def test_the_work_list_selects_by_day_forwarded_and_by_status(loaded):
    q3 = worklist(loaded, "2024-07-01", "2024-09-30", as_of=AS_OF)
    assert sorted(a["alert_no"] for a in q3) == sorted(REAL_Q3 + (MATCHED, AS_TEXT, IN_HAN))
    assert [a["alert_no"] for a in worklist(loaded, "2024-05-10", "2024-05-10", as_of=AS_OF)] == [EARLIER]

    def only(status: str, **kw: str) -> list[str]:
        return sorted(a["alert_no"] for a in worklist(loaded, status=status, **{"as_of": AS_OF, **kw}))

    assert only("closed") == only("concluded") == [BY_FILE]
    assert only("measures_taken") == ["A12/00001/15"]
    assert only("open") == []
    assert len(only("uninvestigated")) == 28 - 2 and len(only("pending")) == 28 - 1
    # overdue: not concluded more than 90 days after forwarding, as of the day asked
    assert only("overdue", since="2024-10-01") == ["A12/03556/24"]  # forwarded 2024-10-01: due 2024-12-30
    assert only("overdue", since="2024-10-01", as_of="2025-03-01") == [
        "A12/03018/24", "A12/03128/24", "A12/03129/24", "A12/03154/24", "A12/03231/24", "A12/03243/24", "A12/03556/24",
        "A12/03587/24"]
    assert set(STATUS_FILTERS) >= {"uninvestigated", "open", "investigating", "measures_taken", "closed", "not_traceable",
                                   "pending", "overdue", "concluded"}
    with pytest.raises(ValueError, match="status is one of"):
        worklist(loaded, status="done")


def test_a_follow_up_names_its_alert_by_any_form_of_its_number_or_its_finding(loaded):
    assert finding_keys(loaded, ["A12/3400/24", "a12-03400-24", MATCHED, "F-NL-1", "A12/09999/24", "nothing", ""]) == [
        MATCHED, MATCHED, MATCHED, "F-NL-1", None, None, None]


# -- follow-up records ---------------------------------------------------------------------------------------
def _investigation(**fields: str):
    base = {"finding_id": MATCHED, "opened_on": "2024-09-01", "status": "measures_taken"}
    return RECORD_TYPES["cn-investigations"].parse({**base, **fields})


def test_outcomes_are_the_exchanges_and_keep_together():
    record, errors = _investigation(outcomes="corrective_action; Strengthened_Supervision", reported_on="2024-10-01")
    assert not errors and record.props["outcomes"] == ("corrective_action", "strengthened_supervision")
    assert record.props["reported_on"] == "2024-10-01"
    record, errors = _investigation(outcomes=["not_traceable"], status="not_traceable")
    assert not errors and record.props["outcomes"] == ("not_traceable",)
    _, errors = _investigation(outcomes="corrective_action;banned")
    assert [(e.field, e.reason) for e in errors] == [("outcomes", "'banned' is not one of not_traceable, no_measure, "
                                                     "corrective_action, export_ban, strengthened_supervision, export_licence_suspended")]
    _, errors = _investigation(outcomes="no_measure;export_ban")
    assert [(e.field, e.reason) for e in errors] == [
        ("outcomes", "no_measure contradicts export_ban: send the measures taken, or no_measure alone")]
    _, errors = _investigation(reported_on="2024-08-01")
    assert [e.field for e in errors] == ["reported_on"]
    record, errors = _investigation()  # a record without the extension, as the other sides send it
    assert not errors and "outcomes" not in record.props


# -- the quarterly report ---------------------------------------------------------------------------------------
def test_quarters():
    assert parse_quarter("2024Q3") == parse_quarter("2024-q3") == (2024, 3)
    assert quarter_bounds(2024, 1) == ("2024-01-01", "2024-03-31") and quarter_bounds(2024, 4) == ("2024-10-01", "2024-12-31")
    with pytest.raises(ValueError, match="not a quarter like 2024Q3"):
        parse_quarter("2024Q5")
    from datetime import date
    assert default_as_of("2024Q3", today=date(2025, 2, 1)) == "2024-09-30"  # the quarter has ended: its last day
    assert default_as_of("2024Q3", today=date(2024, 8, 15)) == "2024-08-15"  # it runs: today


def test_the_quarterly_report_counts_the_quarters_notifications(loaded):
    r = report(loaded, "2024Q3", AS_OF)
    assert (r["since"], r["until"], r["as_of"], r["trailing_since"]) == ("2024-07-01", "2024-09-30", AS_OF, "2023-10-01")
    assert (r["forwarded"], r["traced"], r["investigated"], r["concluded"]) == (14, 2, 1, 1)
    assert sorted(a["alert_no"] for a in r["alerts"]) == sorted(REAL_Q3 + (MATCHED, AS_TEXT, IN_HAN))
    assert {x["outcome"]: x["alerts"] for x in r["by_outcome"]} == {
        "not_traceable": 0, "no_measure": 0, "corrective_action": 0, "export_ban": 1, "strengthened_supervision": 0,
        "export_licence_suspended": 1}
    assert r["by_category"] == [{"category": "Toys", "forwarded": 14, "traced": 2, "investigated": 1, "concluded": 1}]
    hazards = {x["hazard"]: (x["forwarded"], x["traced"], x["investigated"]) for x in r["by_hazard"]}
    assert hazards["Choking"] == (7, 1, 0) and hazards["Chemical"] == (6, 1, 1) and hazards["Injuries"] == (2, 0, 0)
    # the backlog: every quarter's alerts not concluded 90 days after forwarding, as of the report's day
    assert r["open_past_due_of_quarter"] == 13 and r["open_past_due"] == len(r["overdue"]) == 20
    assert "A12/00001/15" in {a["alert_no"] for a in r["overdue"]} and BY_FILE not in {a["alert_no"] for a in r["overdue"]}
    # FACTORY had an alert in 2024Q2 and one in 2024Q3; FACTORY2 one, in 2024Q3
    (factory,) = r["recurring_factories"]
    assert factory == {"uscc": FACTORY, "name_zh": "汕头市澄海区星达玩具厂", "name_en": "Shantou Chenghai Xingda Toys Factory",
                       "alert_nos": [EARLIER, MATCHED], "quarters": ["2024Q2", "2024Q3"], "alerts": 2, "in_quarter": 1}
    # as of the quarter's end, BY_FILE's investigation (opened 2024-09-20) was under way, not yet concluded
    at_end = report(loaded, "2024Q3", "2024-09-30")
    assert (at_end["investigated"], at_end["concluded"]) == (1, 0)
    assert report(loaded, "2025Q1", "2025-03-31")["forwarded"] == 0
    before = report(loaded, "2024Q3", "2024-06-30")  # nothing of the quarter forwarded yet; the backlog as of that day
    assert (before["forwarded"], before["open_past_due"]) == (0, 5) and before["by_category"] == []


# -- the report's files, by the real command, and its page in a real browser -------------------------------
def tg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TRACEGRAPH, *args], capture_output=True, text=True)


def test_the_report_files_and_page_by_the_command_render_offline_in_a_browser(tmp_path, browser):
    folder = write_china_rapex(tmp_path / "in")
    store = str(tmp_path / "store")
    assert tg("--store", store, "load", "-q", str(folder)).returncode == 0
    out = tmp_path / "report"
    r = tg("--store", store, "report", "china-rapex", "--quarter", "2024Q3", "--as-of", AS_OF, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "2024Q3 as of 2024-12-31: 14 notifications forwarded, 2 traced to a factory, 1 investigated, 1 concluded; " \
           "20 open past 90 days" in r.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"china-rapex-2024Q3-{n}.csv" for n in ("summary", "by-outcome", "by-category", "by-hazard", "alerts",
                                                  "open-past-90-days", "recurring-factories")] + ["china-rapex-2024Q3.html"])
    tables = read_csvs(out, "2024Q3")
    assert {r["figure"]: r["value"] for r in tables["summary"]} == {
        "quarter": "2024Q3", "period_from": "2024-07-01", "period_to": "2024-09-30", "as_of": AS_OF, "forwarded": "14",
        "traced": "2", "investigated": "1", "concluded": "1", "open_past_due": "20", "open_past_due_of_quarter": "13"}
    assert tables["recurring-factories"][0]["uscc"] == FACTORY and tables["recurring-factories"][0]["quarters"] == "2024Q2; 2024Q3"
    html_path = out / "china-rapex-2024Q3.html"
    text = html_path.read_text(encoding="utf-8")
    page = read_page(html_path)
    assert_page_is_the_csvs(page, tables)
    assert_self_contained(page, text)
    assert "转发通报数" in text and "按处理结果" in text and "暂停出口许可" in text  # the headings in Chinese beside English

    # opened by a browser that can reach nothing but this machine (the wall refuses file: URLs too,
    # so the folder is served from 127.0.0.1): the page asks for nothing, the charts are drawn
    with files_served(out) as (origin, requests):
        view = browser.page()
        view.goto(f"{origin}/{html_path.name}", wait_until="load")
        check_rendered(view, tmp_path)
        assert requests == [f"/{html_path.name}"]  # nothing but the page itself
    assert not view.errors and browser.outside == []


@contextmanager
def files_served(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """``folder`` served on 127.0.0.1: its origin, and the paths asked for (filled as they are)."""
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: object) -> None:
            requests.append(self.path)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()


def check_rendered(view: Any, tmp_path: Path) -> None:
    """Every chart drawn, each bar to scale; every row of the quarter's alerts shown; a screenshot."""
    charts = view.evaluate("""() => [...document.querySelectorAll('svg.chart')].map(svg => ({
        id: svg.id, width: svg.getBoundingClientRect().width, height: svg.getBoundingClientRect().height,
        bars: [...svg.querySelectorAll('g.bar')].map(g => ({value: +g.dataset.value,
                                                             width: g.querySelector('rect').getBoundingClientRect().width}))}))""")
    assert [c["id"] for c in charts] == ["chart-funnel", "chart-by-outcome", "chart-by-category", "chart-by-hazard"]
    for chart in charts:
        assert chart["width"] > 300 and chart["height"] > 20
        top = max(b["value"] for b in chart["bars"])
        for b in chart["bars"]:  # drawn to scale: the longest bar for the largest figure, none for zero
            assert b["width"] == pytest.approx(320 * b["value"] / top, abs=1) if top else b["width"] == 0
    assert view.evaluate("() => document.querySelectorAll('table[data-table=\"alerts\"] tbody tr').length") == 14
    shot = tmp_path / "china-rapex-2024Q3.png"
    view.screenshot(path=str(shot), full_page=True)
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, SCREENSHOTS / shot.name)
    assert shot.stat().st_size > 10_000


def test_the_command_refuses_a_bad_quarter_or_day_and_lists_the_work_naming_each_alerts_state(tmp_path):
    folder = write_china_rapex(tmp_path / "in")
    store = str(tmp_path / "store")
    assert tg("--store", store, "load", "-q", str(folder)).returncode == 0
    r = tg("--store", store, "report", "china-rapex", "--quarter", "2024Q5")
    assert r.returncode == 2 and "quarter '2024Q5' is not a quarter like 2024Q3" in r.stderr
    r = tg("--store", store, "report", "china-rapex", "--quarter", "2024Q3", "--as-of", "31/12/2024")
    assert r.returncode == 2 and "--as-of" in r.stderr
    r = tg("--store", store, "china-rapex", "worklist", "--since", "2024-07-01", "--until", "2024-09-30", "--as-of", AS_OF)
    assert r.returncode == 0, r.stderr
    assert "14 alerts on products from China; 2 traced to a factory, 1 with a follow-up, 13 overdue" in r.stdout
    assert f"{MATCHED:<13} 2024-08-15" in r.stdout and FACTORY in r.stdout and GERMAN not in r.stdout


def test_the_commands_choices_are_the_queries_and_the_rules():
    from tracegraph.api.cli import china_rapex_record, china_rapex_worklist
    from tracegraph.loaders.rules import INVESTIGATION_STATUSES, OUTCOMES

    def choices(command, name: str) -> tuple[str, ...]:
        (option,) = [p for p in command.params if p.name == name]
        return tuple(option.type.choices)

    assert choices(china_rapex_worklist, "status") == STATUS_FILTERS
    assert choices(china_rapex_record, "status") == INVESTIGATION_STATUSES
    assert choices(china_rapex_record, "outcomes") == OUTCOMES


def test_the_demo_writes_alerts_that_land_in_the_work_list_traced_to_their_factories(tmp_path):
    """`make demo`'s Safety Gate export: every alert on the work list, traced to the factory that
    made it (the generator's truth), AQSIQ's answers to some of them taken up as their follow-up."""
    import csv
    import json

    from tracegraph.demo import generate
    from tracegraph.graph.memory import MemoryStore

    generate(tmp_path / "demo", shipments=1500, seed=3)
    truth = json.loads((tmp_path / "demo" / "ground-truth.json").read_text())["alerts"]
    with open(tmp_path / "demo" / "cn-investigations-alerts.csv", encoding="utf-8") as f:
        answered = {r["finding_id"]: r for r in csv.DictReader(f)}
    assert len(truth) >= 10 and answered and set(answered) <= set(truth)
    with MemoryStore(tmp_path / "store") as s:
        assert load(s, [str(tmp_path / "demo")]).rejected == 0
        link(s, "2026-01-01T00:00:00+00:00")
        by = {a["alert_no"]: a for a in worklist(s, as_of="2026-01-01")}
    assert set(truth) <= set(by)
    right = [n for n, uscc in truth.items() if (by[n]["trace"]["top"] or {}).get("uscc") == uscc]
    assert len(right) >= 0.9 * len(truth), sorted(set(truth) - set(right))
    for number, answer in answered.items():
        follow_up = by[number]["follow_up"]
        assert follow_up["status"] == answer["status"] and follow_up["outcomes"] == answer["outcomes"].split(";")

"""The China-RAPEX quarterly follow-up report as files: one CSV per table, and one self-contained
HTML page with its charts drawn inside it as inline SVG.

The page is mailed and opened on closed networks: it holds no script, no font, no image and no
link to anything outside it, and its Content-Security-Policy forbids fetching anything at all.
Headings are in English and Simplified Chinese side by side. The CSV files and the page's tables
are written from the same rows (:func:`tables`), so their figures are the same.
"""

from __future__ import annotations

import csv
from html import escape
from pathlib import Path
from typing import Any

# key -> (English, Simplified Chinese)
LABELS: dict[str, tuple[str, str]] = {
    "title": ("China-RAPEX follow-up report", "中国-欧盟非食品类消费品快速预警（China-RAPEX）反馈报告"),
    "quarter": ("Quarter", "季度"),
    "period_from": ("Forwarded from", "通报转发起始日"),
    "period_to": ("Forwarded to", "通报转发截止日"),
    "as_of": ("As of", "统计截止日"),
    "summary": ("Summary", "概况"),
    "figure": ("Figure", "指标"),
    "value": ("Value", "数值"),
    "forwarded": ("Notifications forwarded", "转发通报数"),
    "traced": ("Traced to a factory", "追溯到生产企业"),
    "investigated": ("Investigated", "已调查"),
    "concluded": ("Concluded", "已结案"),
    "open_past_due": ("Still open past 90 days (all quarters)", "超过90天仍未结案（所有季度）"),
    "open_past_due_of_quarter": ("Still open past 90 days (this quarter)", "超过90天仍未结案（本季度）"),
    "by_outcome": ("By outcome", "按处理结果"),
    "outcome": ("Outcome", "处理结果"),
    "alerts": ("Alerts", "通报数"),
    "by_category": ("By category", "按产品类别"),
    "category": ("Category", "产品类别"),
    "by_hazard": ("By hazard", "按风险类型"),
    "hazard": ("Hazard", "风险类型"),
    "notifications": ("Notifications forwarded in the quarter", "本季度转发的通报"),
    "alert_no": ("Alert number", "通报编号"),
    "forwarded_on": ("Forwarded on", "转发日期"),
    "product_name": ("Product", "产品"),
    "brand": ("Brand", "品牌"),
    "hazards": ("Hazards", "风险类型"),
    "risk_level": ("Risk level", "风险等级"),
    "trace_status": ("Trace", "追溯结果"),
    "factory_uscc": ("Factory (USCC)", "生产企业（统一社会信用代码）"),
    "factory_name": ("Factory", "生产企业"),
    "follow_up_status": ("Follow-up status", "调查状态"),
    "outcomes": ("Outcomes", "处理结果"),
    "opened_on": ("Opened on", "立案日期"),
    "closed_on": ("Closed on", "结案日期"),
    "state": ("State", "状态"),
    "overdue": ("Still open past 90 days", "超过90天仍未结案的通报"),
    "days_open": ("Days open", "未结天数"),
    "recurring": ("Factories that recur across quarters (trailing year)", "近一年内跨季度多次被通报的生产企业"),
    "uscc": ("USCC", "统一社会信用代码"),
    "name_zh": ("Name (Chinese)", "企业中文名称"),
    "name_en": ("Name (English)", "企业英文名称"),
    "quarters": ("Quarters", "涉及季度"),
    "in_quarter": ("In this quarter", "本季度"),
    "alert_nos": ("Alert numbers", "通报编号"),
    "funnel": ("From notification to conclusion", "从通报到结案"),
}
OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "not_traceable": ("Not traceable", "无法追溯"),
    "no_measure": ("No measure", "未采取措施"),
    "corrective_action": ("Corrective action", "责令整改"),
    "export_ban": ("Export ban", "禁止出口"),
    "strengthened_supervision": ("Strengthened supervision", "加强监管"),
    "export_licence_suspended": ("Export licence suspended", "暂停出口许可"),
}
OUTCOME_NOTES: dict[str, tuple[str, str]] = {
    "not_traceable": ("manufacturer or exporter not found, or no longer producing", "未找到生产企业或出口商，或企业已停产"),
}
# The files, in the order the page shows their tables: name -> (heading key, columns).
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "summary": ("summary", ("figure", "value")),
    "by-outcome": ("by_outcome", ("outcome", "alerts")),
    "by-category": ("by_category", ("category", "forwarded", "traced", "investigated", "concluded")),
    "by-hazard": ("by_hazard", ("hazard", "forwarded", "traced", "investigated", "concluded")),
    "alerts": ("notifications", ("alert_no", "forwarded_on", "product_name", "brand", "category", "hazards", "risk_level",
                                 "trace_status", "factory_uscc", "factory_name", "follow_up_status", "outcomes", "opened_on",
                                 "closed_on", "state")),
    "open-past-90-days": ("overdue", ("alert_no", "forwarded_on", "quarter", "days_open", "follow_up_status",
                                      "factory_uscc", "product_name", "category")),
    "recurring-factories": ("recurring", ("uscc", "name_zh", "name_en", "alerts", "quarters", "in_quarter", "alert_nos")),
}
SUMMARY = ("quarter", "period_from", "period_to", "as_of", "forwarded", "traced", "investigated", "concluded",
           "open_past_due", "open_past_due_of_quarter")


def _name(c: dict[str, Any] | None) -> str:
    return (c.get("name_zh") or c.get("name_en") or "") if c else ""


def tables(r: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """The report's tables, by file name (without ``.csv``): rows of values, in :data:`TABLES`' columns."""
    meta = {"quarter": r["quarter"], "period_from": r["since"], "period_to": r["until"], "as_of": r["as_of"]}
    out: dict[str, list[list[Any]]] = {"summary": [[k, meta[k] if k in meta else r[k]] for k in SUMMARY]}
    out["by-outcome"] = [[x["outcome"], x["alerts"]] for x in r["by_outcome"]]
    for name, key in (("by-category", "by_category"), ("by-hazard", "by_hazard")):
        out[name] = [[x[TABLES[name][1][0]], x["forwarded"], x["traced"], x["investigated"], x["concluded"]] for x in r[key]]
    rows = []
    for a in r["alerts"]:
        f, factory = a["follow_up"] or {}, a["factory"]
        rows.append([a["alert_no"], a["forwarded_on"], a["product_name"] or "", a["brand"] or "", a["category"] or "",
                     "; ".join(a["hazards"]), a["risk_level"] or "", a["trace"]["status"],
                     factory["uscc"] if factory else "", _name(factory), f.get("status") or "",
                     "; ".join(f.get("outcomes") or ()), f.get("opened_on") or "", f.get("closed_on") or "", a["state"]])
    out["alerts"] = rows
    out["open-past-90-days"] = [
        [a["alert_no"], a["forwarded_on"], a["quarter"], a["days_open"], (a["follow_up"] or {}).get("status") or "",
         (a["factory"] or {}).get("uscc", ""), a["product_name"] or "", a["category"] or ""] for a in r["overdue"]]
    out["recurring-factories"] = [[x["uscc"], x["name_zh"] or "", x["name_en"] or "", x["alerts"], "; ".join(x["quarters"]),
                                   x["in_quarter"], "; ".join(x["alert_nos"])] for x in r["recurring_factories"]]
    return out


def file_names(quarter: str) -> dict[str, str]:
    """The file each table is written to, and the page (``html``)."""
    names = {name: f"china-rapex-{quarter}-{name}.csv" for name in TABLES}
    names["html"] = f"china-rapex-{quarter}.html"
    return names


def write(r: dict[str, Any], out: str | Path) -> list[Path]:
    """Write the report's CSV files and its page into the folder ``out`` (made if missing); return their paths."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    names = file_names(r["quarter"])
    written = []
    for name, rows in tables(r).items():
        path = folder / names[name]
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(TABLES[name][1])
            w.writerows(rows)
        written.append(path)
    page = folder / names["html"]
    page.write_text(html(r), encoding="utf-8")
    written.append(page)
    return written


# -- the page ------------------------------------------------------------------------------------------------
STYLE = """
body { font-family: system-ui, "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #1a1a1a; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
.zh { color: #444; margin-left: .6em; font-weight: normal; }
th .zh { display: block; margin-left: 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg { display: block; margin: .5rem 0; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem 2rem; }
figure { margin: 0; } figcaption { font-weight: bold; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; } dd { margin: 0; }
dl div { display: contents; }
@media print { h2 { break-after: avoid; } table, svg { break-inside: avoid; } }
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'"
BAR = "#2f6f9f"


def _both(key: str, table: dict[str, tuple[str, str]] = LABELS) -> str:
    en, zh = table.get(key, (key, ""))
    return f'{escape(en)}<span class="zh" lang="zh-Hans">{escape(zh)}</span>' if zh else escape(en)


def _cell(value: Any) -> str:
    if isinstance(value, int):
        return f'<td class="n">{value}</td>'
    return f"<td>{escape(str(value))}</td>"


def _table(name: str, rows: list[list[Any]]) -> str:
    heading, columns = TABLES[name]
    head = "".join(f"<th>{_both(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    if not rows:
        body = f'<tr><td colspan="{len(columns)}">—</td></tr>'
    return (f'<section id="{name}"><h2>{_both(heading)}</h2>'
            f'<table data-table="{name}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>')


def bar_chart(chart_id: str, title: str, items: list[tuple[str, str, int]]) -> str:
    """A horizontal bar chart as inline SVG: ``items`` are (English label, Chinese label or "", value)."""
    row, label_w, bar_w, pad = 26, 300, 320, 6
    height = max(1, len(items)) * row + 2 * pad
    top = max((v for _, _, v in items), default=0) or 1
    parts = [f'<svg id="{chart_id}" class="chart" role="img" width="{label_w + bar_w + 60}" '
             f'height="{height}" viewBox="0 0 {label_w + bar_w + 60} {height}" font-size="12">',
             f"<title>{escape(title)}</title>"]
    for i, (en, zh, value) in enumerate(items):
        y = pad + i * row
        w = round(bar_w * value / top, 1)
        full = en + (f" {zh}" if zh else "")
        label = escape(full if len(full) <= 44 else full[:43] + "…")  # the whole of it in the bar's title
        parts.append(f'<g class="bar" data-label="{escape(en)}" data-value="{value}">'
                     f'<text x="{label_w - 8}" y="{y + row / 2 + 4}" text-anchor="end" fill="#1a1a1a">{label}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row - 8}" fill="{BAR}"><title>{escape(full)}: {value}</title></rect>'
                     f'<text x="{label_w + w + 6}" y="{y + row / 2 + 4}" fill="#1a1a1a">{value}</text></g>')
    if not items:
        parts.append(f'<text x="{label_w}" y="{pad + row / 2}" fill="#666">—</text>')
    parts.append("</svg>")
    return "".join(parts)


def _chart_section(heading: str, chart: str) -> str:
    return f'<figure><figcaption>{_both(heading)}</figcaption>{chart}</figure>'


def html(r: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (no script, no font, no image, nothing fetched)."""
    t = tables(r)
    funnel = [(LABELS[k][0], LABELS[k][1], r[k]) for k in ("forwarded", "traced", "investigated", "concluded")]
    outcomes = [(OUTCOME_LABELS[x["outcome"]][0], OUTCOME_LABELS[x["outcome"]][1], x["alerts"]) for x in r["by_outcome"]]
    categories = [(x["category"], "", x["forwarded"]) for x in r["by_category"]]
    hazards = [(x["hazard"], "", x["forwarded"]) for x in r["by_hazard"]]
    title_en, title_zh = LABELS["title"]
    charts = "".join([
        _chart_section("funnel", bar_chart("chart-funnel", LABELS["funnel"][0], funnel)),
        _chart_section("by_outcome", bar_chart("chart-by-outcome", LABELS["by_outcome"][0], outcomes)),
        _chart_section("by_category", bar_chart("chart-by-category", LABELS["by_category"][0], categories)),
        _chart_section("by_hazard", bar_chart("chart-by-hazard", LABELS["by_hazard"][0], hazards)),
    ])
    facts = "".join(f"<div><dt>{_both(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in (
        ("quarter", r["quarter"]), ("period_from", r["since"]), ("period_to", r["until"]), ("as_of", r["as_of"])))
    outcome_key = "".join(f"<li><code>{k}</code>: {_both(k, OUTCOME_LABELS)}"
                          + (f" — {_both(k, OUTCOME_NOTES)}" if k in OUTCOME_NOTES else "") + "</li>" for k in OUTCOME_LABELS)
    body = "".join(_table(name, rows) for name, rows in t.items())
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title_en)} {escape(r['quarter'])} · {escape(title_zh)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f'<header><h1>{escape(title_en)} {escape(r["quarter"])}'
        f'<span class="zh" lang="zh-Hans">{escape(title_zh)} {escape(r["quarter"])}</span></h1>'
        f"<dl>{facts}</dl>"
        f"<p>Open past 90 days: forwarded more than {r['due_days']} days before the as-of day and not closed "
        f"(or found not traceable) by then. "
        f'<span lang="zh-Hans">超过90天仍未结案：截至统计截止日，转发已超过{r["due_days"]}天且尚未结案（或认定无法追溯）的通报。</span></p>'
        f"</header><main>"
        f'<section id="charts" class="charts">{charts}</section>'
        f"{body}"
        f'<section id="outcome-key"><h2>{_both("outcomes")}</h2><ul>{outcome_key}</ul></section>'
        "</main></body></html>\n"
    )

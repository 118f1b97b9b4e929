"""The ``tracegraph`` command line."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from tracegraph.api.settings import Settings
from tracegraph.graph.errors import TracegraphError
from tracegraph.graph.store import Store, open_store
from tracegraph.loaders.load import FORMATS, Applier, FileSummary, LoadReport, load
from tracegraph.loaders.reader import FileProblem
from tracegraph.loaders.rules import INVESTIGATION_STATUSES, OUTCOMES


T = TypeVar("T")


class _Context:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def open(self, readonly: bool = False, create: bool = False, shared: bool = False) -> Store:
        """The store of ``--store``; only commands that write may ``create`` it (a wrong path is an
        error, not a new empty store)."""
        return open_store(self.settings.store, neo4j=self.settings.neo4j, readonly=readonly, create=create, shared=shared)

    def read(self, query: Callable[[Store], T]) -> T:
        """Run ``query`` on the store opened for reading; a store error ends the command with its message."""
        try:
            store = self.open(readonly=True)
            try:
                return query(store)
            finally:
                store.close()
        except TracegraphError as exc:
            _fail(str(exc))
            raise  # unreachable: _fail exits


pass_ctx = click.make_pass_decorator(_Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--store", metavar="PATH|URI", help="Store folder (embedded) or bolt:// / neo4j:// URI.  [env: TRACEGRAPH_STORE; default ./tracegraph-data]")
@click.option("--neo4j-user", metavar="USER", help="[env: NEO4J_USER; default neo4j]")
@click.option("--neo4j-password", metavar="PASSWORD", help="[env: NEO4J_PASSWORD]")
@click.option("--neo4j-database", metavar="NAME", help="[env: NEO4J_DATABASE; default: the server's default]")
@click.version_option(package_name="tracegraph")
@click.pass_context
def main(ctx: click.Context, store: str | None, neo4j_user: str | None, neo4j_password: str | None, neo4j_database: str | None) -> None:
    """tracegraph: trace unsafe products from EU findings back to the factories that made them."""
    # The Neo4j driver warns of every transaction it retries (two writers of a load can deadlock
    # on a shared node; the server detects it and the driver retries). Retries that end well are no
    # news to a user; ones that do not end in an error of their own.
    logging.getLogger("neo4j.session").setLevel(logging.ERROR)
    settings = Settings.from_env().with_(
        store=store, neo4j_user=neo4j_user, neo4j_password=neo4j_password, neo4j_database=neo4j_database
    )
    ctx.obj = _Context(settings)


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _run_load(store: Applier | None, paths: tuple[str, ...], quiet: bool, fmt: str | None = None) -> LoadReport:
    """Load into ``store`` (validate only when it is None), with a progress bar on a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    validate_only = store is None
    console = Console(stderr=True)
    show_bar = console.is_terminal and not quiet
    with Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
        console=console, disable=not show_bar, transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(path: str, done: int, total: int) -> None:
            if path not in tasks:
                tasks[path] = bar.add_task(path.rsplit("/", 1)[-1], total=total)
            bar.update(tasks[path], completed=done)

        def file_done(s: FileSummary) -> None:
            if quiet:
                return
            if show_bar:
                bar.console.print(_summary_line(s, validate_only), soft_wrap=True, highlight=False)
            else:
                click.echo(_summary_line(s, validate_only))

        return load(store, paths, fmt=fmt, on_progress=progress, on_file=file_done)


def _summary_line(s: FileSummary, validate_only: bool) -> str:
    verb = "valid" if validate_only else "landed"
    extra = "" if validate_only else f" (new {s.result.created}, updated {s.result.updated}, unchanged {s.result.unchanged})"
    return f"{s.path}: read {s.read}, {verb} {s.landed}, rejected {s.rejected}{extra}"


def _finish(report: LoadReport, report_path: str | None, allow_partial: bool, validate_only: bool) -> None:
    if report_path:
        report.write(report_path)
    for p in report.problems[:20]:
        click.echo(f"  {p.kind}: {p.file} line {p.line}{' field ' + p.field if p.field else ''}: {p.reason}", err=True)
    if len(report.problems) > 20:
        more = f"; all of them are in {report_path}" if report_path else "; --report FILE writes all of them"
        click.echo(f"  … {len(report.problems) - 20} more{more}", err=True)
    for s in report.skipped:
        click.echo(f"  skipped {s}: not an exchange file", err=True)
    total_read = sum(f.read for f in report.files)
    click.echo(
        f"{len(report.files)} files: read {total_read}, {'valid' if validate_only else 'landed'} {report.landed}, rejected {report.rejected}"
    )
    if report.rejected and not allow_partial:
        sys.exit(1)


@main.command("init")
@pass_ctx
def init_cmd(ctx: _Context) -> None:
    """Make an empty store at --store (load and token create make one too; nothing else does)."""
    try:
        store = ctx.open(create=True)
        stats = store.stats()
        store.close()
    except TracegraphError as exc:
        _fail(str(exc))
        return
    click.echo(f"{store.kind} store {store.location}: {stats.node_total} nodes")


@main.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--report", "report_path", type=click.Path(dir_okay=False, writable=True), help="Write every rejected row (file, line, field, reason) to this CSV file.")
@click.option("--allow-partial", is_flag=True, help="Exit 0 even when some rows were rejected.")
@click.option("--no-link", is_flag=True, help="Skip record linkage after the load (run `tracegraph link` later).")
@click.option("--no-warm", is_flag=True, help="Do not derive and keep, after the load, what the queries reuse (the first query after it then does).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no per-file lines.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Read every file as this format, whatever its name (Safety Gate exports are also recognised by their content).")
@pass_ctx
def load_cmd(ctx: _Context, paths: tuple[str, ...], report_path: str | None, allow_partial: bool, no_link: bool, no_warm: bool,
             quiet: bool, fmt: str | None) -> None:
    """Load exchange files (or folders of them) into the store, then link the two sides.

    Every row lands or is reported with file, line, field and reason. Loading the same files again
    changes nothing. The exit status is 1 when a row was rejected, unless --allow-partial.
    """
    try:
        store = ctx.open(create=True)
        try:
            report = _run_load(store, paths, quiet, fmt)
            if not no_link and report.landed:
                _link(store, quiet, since=report.loaded_at)
            if report.landed and not no_warm:
                _warm(store, quiet)
        finally:
            store.close()
    except FileProblem as exc:
        _fail(exc.reason)
    except TracegraphError as exc:
        _fail(str(exc))
    _finish(report, report_path, allow_partial, validate_only=False)


@main.group("neo4j")
def neo4j_group() -> None:
    """Neo4j's own tools: a first load through its offline importer."""


@neo4j_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--files", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the importer's CSV files (made if missing).")
@click.option("--admin", metavar="COMMAND", help="Run the importer with this command in place of neo4j-admin (it must stop the database, import, start it again: deploy/neo4j/server.sh admin does), then make the constraints and indexes. Without it the command line is printed, to run on the server.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, writable=True), help="Write every rejected row (file, line, field, reason) to this CSV file.")
@click.option("--allow-partial", is_flag=True, help="Exit 0 even when some rows were rejected.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no per-file lines.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Read every file as this format, whatever its name (Safety Gate exports are also recognised by their content).")
@pass_ctx
def neo4j_import_cmd(ctx: _Context, paths: tuple[str, ...], out_dir: str, admin: str | None, report_path: str | None,
                     allow_partial: bool, quiet: bool, fmt: str | None) -> None:
    """A first load into an EMPTY Neo4j database (--store bolt://…) by Neo4j's offline importer.

    The files are checked by the same rules as `tracegraph load` and linked the same way, in this
    process; the graph is written as neo4j-admin's CSV files, which `neo4j-admin database import
    full` turns into the database, with the database stopped. Then `tracegraph neo4j finish
    FOLDER` (or --admin, which does it all) makes the constraints and indexes. The graph is the one `tracegraph load`
    builds from the same files; later loads go on top with `tracegraph load`. A database that
    holds any data is refused.
    """
    import shlex
    import subprocess
    import tempfile

    from tracegraph.graph.neo4j import Neo4jStore
    from tracegraph.graph.store import is_neo4j
    from tracegraph.loaders.bulk import FirstLoad, refuse_unless_empty

    uri, auth = ctx.settings.store, ctx.settings.neo4j
    if not is_neo4j(uri):
        _fail(f"--store {uri} is not a Neo4j URI: `neo4j import` loads into a Neo4j database (--store bolt://HOST:7687)")
    database = auth.database or "neo4j"
    try:
        server = Neo4jStore(uri, auth.user, auth.password, auth.database, create=None)
        try:
            refuse_unless_empty(server)
        finally:
            server.close()
        with tempfile.TemporaryDirectory(prefix="tracegraph-bulk-") as work, FirstLoad(Path(work) / "graph") as first:
            report = _run_load(first, paths, quiet, fmt)
            if report.landed:
                r = first.link(report.loaded_at)
                if not quiet:
                    click.echo(f"linked {r.arrivals_linked} of {r.arrivals} arrivals to CN shipments; "
                               f"matched {r.findings_matched} of {r.findings} findings to CN products")
            files = first.write(Path(out_dir), database)
        if admin is None:
            click.echo(f"wrote {files.rows:,} nodes and relationships for Neo4j's importer into {out_dir}. With the database "
                       f"{database!r} stopped, run on its server (the paths as it sees them):")
            click.echo(f"  {files.command()}")
            click.echo(f"then start the database and finish: tracegraph --store {uri} neo4j finish {shlex.quote(out_dir)}")
        else:
            subprocess.run([*shlex.split(admin), *files.arguments()], check=True, stdout=sys.stderr if quiet else None)
            _finish_import(ctx, Path(out_dir))
    except subprocess.CalledProcessError as exc:
        _fail(f"the importer ({admin}) failed with exit status {exc.returncode}; its report is in {out_dir}/import.report")
    except OSError as exc:
        _fail(f"cannot run the importer ({admin}): {exc.strerror}")
    except FileProblem as exc:
        _fail(exc.reason)
    except TracegraphError as exc:
        _fail(str(exc))
    _finish(report, report_path, allow_partial, validate_only=False)


def _finish_import(ctx: _Context, folder: Path) -> None:
    from tracegraph.graph.neo4j import Neo4jStore
    from tracegraph.graph.neo4j_import import finish

    uri, auth = ctx.settings.store, ctx.settings.neo4j
    with Neo4jStore(uri, auth.user, auth.password, auth.database, create=True) as store:
        finish(store, folder)
        stats = store.stats()
    click.echo(f"imported into database {auth.database or 'neo4j'!r} at {uri}: {stats.node_total:,} nodes, "
               f"{stats.relationship_total:,} relationships; constraints and indexes made")


@neo4j_group.command("finish")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@pass_ctx
def neo4j_finish_cmd(ctx: _Context, folder: str) -> None:
    """After neo4j-admin imported the files of `neo4j import --files FOLDER` and the database was
    started: make its constraints and indexes, and set the few fields the importer cannot hold."""
    try:
        _finish_import(ctx, Path(folder))
    except TracegraphError as exc:
        _fail(str(exc))


def _link(store: Store, quiet: bool, since: str | None = None) -> None:
    """Link the two sides in ``store`` (only what changed since ``since``, when given)."""
    from datetime import datetime, timezone

    from tracegraph.linkage import link

    r = link(store, datetime.now(timezone.utc).isoformat(timespec="microseconds"), since)
    if not quiet:
        click.echo(f"linked {r.arrivals_linked} of {r.arrivals} {'new or changed ' if since else ''}arrivals to CN shipments; "
                   f"matched {r.findings_matched} of {r.findings} findings to CN products")


def _warm(store: Store, quiet: bool) -> None:
    """Derive what the queries keep and keep it with the data (where the store can): the next
    process to open the store answers its first query without deriving it again."""
    import time

    from tracegraph.queries.warm import warm

    if not store.keeps_derived:  # (nothing kept by this store: no point deriving it here)
        return
    started = time.perf_counter()
    warm(store)
    size = store.keep_derived()
    if not quiet:
        click.echo(f"derived and kept what the queries reuse ({size / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s)")


@main.command("link")
@pass_ctx
def link_cmd(ctx: _Context) -> None:
    """Infer the links between the two sides' records again (load does this after every load)."""
    try:
        store = ctx.open()
        try:
            _link(store, quiet=False)
            _warm(store, quiet=False)
        finally:
            store.close()
    except TracegraphError as exc:
        _fail(str(exc))


@main.group("links")
def links_group() -> None:
    """Review inferred links, and confirm or reject them (decisions outlive every reload)."""


@links_group.command("review")
@click.option("--below", default=0.9, show_default=True, type=click.FloatRange(0, 1), help="List links scored under this.")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per link.")
@pass_ctx
def links_review(ctx: _Context, below: float, as_json: bool) -> None:
    """List the inferred links linkage is least sure of."""
    from tracegraph.queries.links import review

    rows = ctx.read(lambda store: review(store, below))
    for r in rows:
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False))
        else:
            click.echo(f"{r['score']:.2f} {r['type']} {r['start']} -> {r['end']} ({r['method']}): {'; '.join(r['evidence'])}")
    if not as_json:
        click.echo(f"{len(rows)} links scored under {below}")


def _decide(ctx: _Context, rel_type: str, start: str, end: str, decision: str, by: str) -> None:
    from datetime import datetime, timezone

    from tracegraph.linkage import decide

    try:
        store = ctx.open()
        try:
            decide(store, rel_type, start, end, decision, by, datetime.now(timezone.utc).isoformat(timespec="microseconds"))
        finally:
            store.close()
    except (TracegraphError, ValueError) as exc:
        _fail(str(exc))
    click.echo(f"{rel_type} {start} -> {end}: {decision} by {by}")


def _decision_command(name: str, decision: str, doc: str) -> None:
    @links_group.command(name, help=doc)
    @click.argument("rel_type", metavar="TYPE")
    @click.argument("start")
    @click.argument("end")
    @click.option("--by", required=True, help="Who decided (kept with the decision).")
    @pass_ctx
    def command(ctx: _Context, rel_type: str, start: str, end: str, by: str) -> None:
        _decide(ctx, rel_type, start, end, decision, by)


_decision_command("confirm", "confirmed", "Confirm a link; TYPE START END name it by keys: SAME_CONSIGNMENT MRN DECLARATION_NO, say.")
_decision_command("reject", "rejected", "Reject a link: linkage will not infer it again.")


@main.command("alignment")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def alignment_cmd(ctx: _Context, as_json: bool) -> None:
    """CIQ's and the EU's verdicts on the consignments both checked: table, agreement, Cohen's kappa."""
    from tracegraph.queries.schemes import alignment

    a = ctx.read(alignment)
    if as_json:
        click.echo(json.dumps(a, ensure_ascii=False))
        return
    for name, groups in [("overall", {"all": a["overall"]})] + [(d, g) for d, g in a["by"].items()]:
        click.echo(name)
        for value, t in groups.items():
            click.echo(f"  {value:<40} n {t['n']:>5}  CN pass/EU ok {t['pass_compliant']:>4}  pass/not {t['pass_non_compliant']:>4}  "
                       f"fail/ok {t['fail_compliant']:>4}  fail/not {t['fail_non_compliant']:>4}  "
                       f"agreement {t['agreement']}  kappa {t['kappa']}")


@main.command("reliability")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def reliability_cmd(ctx: _Context, as_json: bool) -> None:
    """Non-compliance of EU-checked consignments with a passing CIQ certificate against none (Wilson 95 %)."""
    from tracegraph.queries.schemes import reliability

    r = ctx.read(reliability)
    if as_json:
        click.echo(json.dumps(r, ensure_ascii=False))
        return

    def line(label: str, x: dict[str, Any]) -> None:
        c, u = x["certified"], x["uncertified"]
        click.echo(f"  {label:<40} certified {c['non_compliant']}/{c['checked']} [{c['low']}, {c['high']}]  "
                   f"uncertified {u['non_compliant']}/{u['checked']} [{u['low']}, {u['high']}]  {x['verdict']}")

    line("overall", r["overall"])
    for d, groups in r["by"].items():
        click.echo(d)
        for value, x in groups.items():
            line(value, x)


@main.command("priorities")
@click.option("--entry-point", required=True, help="UN/LOCODE, e.g. NLRTM.")
@click.option("--since", required=True, help="First arrival date, ISO 8601.")
@click.option("--until", required=True, help="Last arrival date, ISO 8601.")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per arrival (mrn, score, reasons).")
@pass_ctx
def priorities_cmd(ctx: _Context, entry_point: str, since: str, until: str, as_json: bool) -> None:
    """Arrivals in a window scored by their risk of non-compliance, highest first, with the reasons."""
    from tracegraph.graph.errors import InvalidIdentifier
    from tracegraph.graph.ids import clean_date, clean_locode
    from tracegraph.queries.priorities import priorities

    try:
        entry_point, since, until = clean_locode(entry_point), clean_date(since), clean_date(until)
    except InvalidIdentifier as exc:
        _fail(str(exc))
    ranked = ctx.read(lambda store: priorities(store, entry_point, since, until))
    for r in ranked:
        if as_json:
            click.echo(json.dumps({k: r[k] for k in ("mrn", "score", "reasons", "model", "model_note")}, ensure_ascii=False))
        else:
            click.echo(f"{r['score']:.3f} {r['mrn']} {r['arrived_on']} [{r['model']}]: {'; '.join(r['reasons'][:3])}")
    notes = sorted({r["model_note"] for r in ranked if r["model"] == "fallback"})
    for note in notes[:3]:
        click.echo(note, err=True)


def _share(value: str) -> float:
    """A capacity: ``10%`` or ``0.1``."""
    try:
        share = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a share: write 10% or 0.1") from None
    if not 0 < share <= 1:
        raise click.BadParameter(f"{value!r} is not a share above 0 and at most 100%")
    return share


@main.command("backtest")
@click.option("--entry-point", required=True, help="UN/LOCODE, e.g. NLRTM.")
@click.option("--since", required=True, help="First arrival date, ISO 8601.")
@click.option("--until", required=True, help="Last arrival date, ISO 8601.")
@click.option("--capacity", default="10%", show_default=True, help="Share of arrivals inspected: 10% or 0.1.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def backtest_cmd(ctx: _Context, entry_point: str, since: str, until: str, capacity: str, as_json: bool) -> None:
    """Inspection policies replayed day by day over a past period: non-compliant consignments caught, unsafe let through."""
    from tracegraph.graph.errors import InvalidIdentifier
    from tracegraph.graph.ids import clean_date, clean_locode
    from tracegraph.queries.backtest import backtest

    try:
        entry_point, since, until = clean_locode(entry_point), clean_date(since), clean_date(until)
    except InvalidIdentifier as exc:
        _fail(str(exc))
    share = _share(capacity)
    b = ctx.read(lambda store: backtest(store, entry_point, since, until, share))
    if as_json:
        click.echo(json.dumps(b, ensure_ascii=False, indent=1))
        return
    click.echo(f"{b['arrivals']} arrivals at {entry_point} {since}..{until}, {b['checked']} EU-checked, "
               f"{b['non_compliant']} non-compliant; capacity {share:.0%}; refit {b['refit']}")
    click.echo(f"{'policy':20}{'inspected':>10}{'caught':>8}  {'recall [95 %]':<22}{'unsafe reached [95 %]'}")
    for p in b["policies"]:
        recall = f"{p['recall']:.2f} [{p['low']:.2f}, {p['high']:.2f}]" if p["recall"] is not None else "-"
        reached = (f"{p['unsafe_reached']:.0f} [{p['unsafe_reached_low']:.0f}, {p['unsafe_reached_high']:.0f}]"
                   if p["unsafe_reached"] is not None else "-")
        click.echo(f"{p['policy']:20}{p['inspected']:>10}{p['caught']:>8}  {recall:<22}{reached}")
    click.echo(f"counted as {b['counting']}")


@main.command("search")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per hit (kind, key, names, score, why).")
@pass_ctx
def search_cmd(ctx: _Context, text: str, as_json: bool) -> None:
    """Factories and exporters by name in either script or USCC; products by GTIN, arrivals by MRN,
    findings by id or Safety Gate alert number; best first, with what matched."""
    from tracegraph.queries.search import search

    for h in ctx.read(lambda s: search(s, text)):
        if as_json:
            click.echo(json.dumps({k: h[k] for k in ("kind", "key", "name_zh", "name_en", "score", "why")}, ensure_ascii=False))
        else:
            click.echo(f"{h['kind']:<12} {h['key']:<20} {h['score']:>5.1f}  {h['name_zh'] or ''} {h['name_en'] or ''}  ({h['why']})")


@main.command("offenders")
@click.option("--since", help="First finding date, ISO 8601 (default: the first finding).")
@click.option("--until", help="Last finding date, ISO 8601 (default: the last finding).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="How many factories and exporters.")
@click.option("--rank-by", type=click.Choice(["findings", "rate"]), default="findings", show_default=True,
              help="findings: the most findings first; rate: the most findings per shipment (shrunk) first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def offenders_cmd(ctx: _Context, since: str | None, until: str | None, limit: int, rank_by: str, as_json: bool) -> None:
    """Factories and exporters ranked by the EU findings traced to them, across duplicate registrations."""
    from tracegraph.graph.errors import InvalidIdentifier
    from tracegraph.graph.ids import clean_date
    from tracegraph.queries.offenders import offenders

    try:
        since, until = (clean_date(since) if since else None), (clean_date(until) if until else None)
    except InvalidIdentifier as exc:
        _fail(str(exc))
    o = ctx.read(lambda store: offenders(store, since, until, limit, rank_by))
    if as_json:
        click.echo(json.dumps(o, ensure_ascii=False))
        return
    click.echo(f"{o['findings']} findings from {since or 'the first'} to {until or 'the last'}; "
               f"{o['attributed']} traced to a factory; not traced: {o['not_attributed'] or 'none'}")
    click.echo("factories")
    for i, f in enumerate(o["factories"], 1):
        regs = f" (also {', '.join(r for r in f['registrations'] if r != f['uscc'])})" if len(f["registrations"]) > 1 else ""
        risk = ", ".join(f"{n} {r}" for r, n in f["by_risk_level"].items())
        click.echo(f"{i:>3}. {f['uscc']}{regs} {f['name_zh'] or ''} {f['name_en'] or ''}")
        click.echo(f"     {f['findings']} findings ({risk or 'none'}) on {f['shipments']} shipments "
                   f"({f['rate_per_1000']:.1f} per 1,000, shrunk), {f['possible']} possible; trend {f['trend']['direction']} "
                   f"({f['trend']['first_half']} → {f['trend']['second_half']}); hazards {', '.join(f['hazards']) or '-'}")
        inv = f["investigations"]
        after = f"; {len(f['after_measures'])} findings after measures of {f['measures_on']}" if f["measures_on"] else ""
        click.echo(f"     investigations {inv['by_status'] or 'none'}, {len(inv['uninvestigated'])} findings uninvestigated{after}")
    click.echo("exporters")
    for i, x in enumerate(o["exporters"], 1):
        click.echo(f"{i:>3}. {x['uscc']} {x['name_zh'] or ''} {x['name_en'] or ''}: {x['findings']} findings, "
                   f"trend {x['trend']['direction']}; hazards {', '.join(x['hazards']) or '-'}")


def _print_trace(t: Any) -> None:
    click.echo(f"finding {t.finding_id}: {t.status}{' — ' + t.reason if t.reason else ''}")
    if t.arrival:
        click.echo(f"  arrival {t.arrival}" + (f" = CN shipment {t.shipment}" if t.shipment else " (no CN shipment found)"))
    if t.exporter:
        click.echo(f"  exporter {t.exporter['uscc']} {t.exporter.get('name_zh') or ''} {t.exporter.get('name_en') or ''}")
    for c in t.certificates:
        click.echo(f"  certificate {c['certificate_no']} by {c['issuer']} on {c['issued_on']}: {c['result']}")
    for i, c in enumerate(t.candidates, 1):
        click.echo(f"  {i}. {c.uscc} {c.name_zh or ''} {c.name_en or ''}  confidence {c.confidence:.2f}")
        for e in c.evidence:
            click.echo(f"       {e['path']}" + (f" ({e.get('method')}, {e.get('score')})" if e.get("method") else ""))
        if c.other_findings:
            click.echo(f"       other findings: {', '.join(c.other_findings)}")


@main.command("trace")
@click.argument("finding_id", required=False)
@click.option("--all", "all_findings", is_flag=True, help="Trace every finding (one JSON line each with --json).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def trace_cmd(ctx: _Context, finding_id: str | None, all_findings: bool, as_json: bool) -> None:
    """Rank the factories that may have made the product of a finding, with the evidence."""
    from tracegraph.queries.trace import finding_ids, trace

    if bool(finding_id) == all_findings:
        _fail("give one FINDING_ID, or --all")

    def run(store: Store) -> str:
        status = ""
        for fid in [finding_id] if finding_id else finding_ids(store):
            t = trace(store, fid)
            status = t.status
            if as_json and all_findings:
                click.echo(json.dumps({"finding_id": t.finding_id, "status": t.status, "reason": t.reason,
                                       "candidates": [{"uscc": c.uscc, "confidence": c.confidence, "evidence": c.evidence}
                                                      for c in t.candidates]}, ensure_ascii=False))
            elif as_json:
                click.echo(json.dumps(t.to_dict(), ensure_ascii=False))
            else:
                _print_trace(t)
        return status

    if ctx.read(run) == "unknown_finding" and finding_id:
        sys.exit(1)


@main.command("exposure")
@click.argument("uscc")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def exposure_cmd(ctx: _Context, uscc: str, as_json: bool) -> None:
    """Everything of a factory's that reached the EU: products, shipments, arrivals, entry points, importers."""
    from tracegraph.queries.trace import exposure

    e = ctx.read(lambda store: exposure(store, uscc.strip().upper()))
    if as_json:
        click.echo(json.dumps(e, ensure_ascii=False))
        return
    click.echo(f"factory {e['uscc']}: {len(e['products'])} products, {len(e['shipments'])} shipments, "
               f"{len(e['arrivals'])} arrivals at {', '.join(e['entry_points']) or 'no entry point'}, "
               f"{len(e['importers'])} importers")
    for r in e["rows"]:
        if r["arrival"]:
            click.echo(f"  {r['model']} {r['name']}: shipment {r['shipment']} → {r['arrival']} at {r['entry_point']} "
                       f"on {r['arrived_on']}, importer {r['importer']} {r['importer_name'] or ''}")


@main.group("export")
def export_group() -> None:
    """Write what the store holds in a format partners read."""


@export_group.command("epcis")
@click.option("--finding", "finding_id", help="A finding's trace: the finding, its inspection, arrival, CN shipment and certificates.")
@click.option("--factory", "uscc", help="A factory's exposure: the shipments that carried its products and their arrivals.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the document to this file (default: stdout).")
@pass_ctx
def export_epcis_cmd(ctx: _Context, finding_id: str | None, uscc: str | None, output: str | None) -> None:
    """Write a finding's trace or a factory's exposure as a GS1 EPCIS 2.0 document (JSON-LD)."""
    from datetime import datetime, timezone

    from tracegraph.loaders.epcis import document
    from tracegraph.queries.epcis import exposure_events, trace_events

    if bool(finding_id) == bool(uscc):
        _fail("give --finding ID or --factory USCC")
    if finding_id:
        found = ctx.read(lambda store: trace_events(store, finding_id.strip()))
        if found is None:
            _fail(f"no finding {finding_id} in the store")
    else:
        found = ctx.read(lambda store: exposure_events(store, (uscc or "").strip().upper()))
    created = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    text = json.dumps(document(found or [], created=created), ensure_ascii=False, indent=1)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        click.echo(text)


@main.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--report", "report_path", type=click.Path(dir_okay=False, writable=True), help="Write every rejected row to this CSV file.")
@click.option("-q", "--quiet", is_flag=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Read every file as this format, whatever its name.")
@pass_ctx
def validate_cmd(ctx: _Context, paths: tuple[str, ...], report_path: str | None, quiet: bool, fmt: str | None) -> None:
    """Check exchange files by the loaders' rules without loading them (exit 1 on any rejection)."""
    try:
        report = _run_load(None, paths, quiet, fmt)
    except FileProblem as exc:
        _fail(exc.reason)
    _finish(report, report_path, allow_partial=False, validate_only=True)


@main.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def stats_cmd(ctx: _Context, as_json: bool) -> None:
    """Count nodes by label and relationships by type."""
    stats = ctx.read(lambda store: store.stats())
    if as_json:
        click.echo(json.dumps({"store": ctx.settings.store, "nodes": stats.nodes, "relationships": stats.relationships}))
        return
    click.echo(f"store {ctx.settings.store}")
    click.echo(f"nodes: {stats.node_total}")
    for label, n in stats.nodes.items():
        click.echo(f"  {label:<16} {n:>10}")
    click.echo(f"relationships: {stats.relationship_total}")
    for t, n in stats.relationships.items():
        click.echo(f"  {t:<16} {n:>10}")


@main.command("generate")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--shipments", default=2000, show_default=True, type=click.IntRange(1), help="Number of CN export shipments.")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
def generate_cmd(out_dir: str, shipments: int, seed: int, fmt: str) -> None:
    """Write realistic demo data of both sides, and its ground truth, to OUT_DIR."""
    from tracegraph.demo import generate

    counts = generate(out_dir, shipments=shipments, seed=seed, fmt=fmt)
    for name, n in counts.items():
        click.echo(f"  {name}.{fmt}: {n} rows")
    click.echo(f"wrote {sum(counts.values())} rows and ground-truth.json to {out_dir}")


# -- the service -----------------------------------------------------------------------------------------
@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--audit-log", metavar="FILE", help="Audit log (JSON lines).  [default: audit.jsonl in the embedded store's folder, ./tracegraph-audit.jsonl for Neo4j]")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1), help="Seconds an operation may run.")
@click.option("--max-body", default=1_000_000, show_default=True, type=click.IntRange(1000), help="Largest request body, in bytes.")
@click.option("--workers", default=8, show_default=True, type=click.IntRange(1, 64), help="Threads for Neo4j calls (the embedded store uses one).")
@pass_ctx
def serve_cmd(ctx: _Context, host: str, port: int, audit_log: str | None, timeout: float, max_body: int, workers: int) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql, /healthz, /metrics) with uvicorn."""
    import os

    import uvicorn

    from tracegraph.api.app import Limits, create_app

    try:
        store = ctx.open(shared=True)
    except TracegraphError as exc:
        _fail(str(exc))
        return
    if audit_log is None:
        audit_log = os.path.join(store.location, "audit.jsonl") if store.kind == "embedded" else "tracegraph-audit.jsonl"
    app = create_app(store, audit_log, Limits(max_body=max_body, timeout=timeout), workers)
    click.echo(f"serving {store.kind} store {store.location} on http://{host}:{port}/graphql (audit log {audit_log})")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        store.close()


def _tokens(ctx: _Context, create: bool = False) -> Any:
    """The token book of the store (an embedded store's without opening its graph: a token command
    stays fast on a large store, and works while it is served). Only ``create`` makes the store."""
    from tracegraph.api.auth import TokenBook
    from tracegraph.graph.memory import exists
    from tracegraph.graph.store import is_neo4j

    if is_neo4j(ctx.settings.store):
        return TokenBook(store=ctx.open(create=create))
    if create or not exists(Path(ctx.settings.store)):
        ctx.open(readonly=True, create=create).close()  # StoreNotFound, unless it may create it
    return TokenBook(folder=ctx.settings.store)


@main.group("token")
def token_group() -> None:
    """Create, list and revoke the API's bearer tokens (kept hashed beside the store's data)."""


@token_group.command("create")
@click.option("--org", required=True, help="The organisation the token is for, e.g. 'Douane Rotterdam'.")
@click.option("--role", required=True, type=click.Choice(["cn_authority", "eu_authority", "analyst", "partner", "admin"]))
@pass_ctx
def token_create(ctx: _Context, org: str, role: str) -> None:
    """Issue a token; it is printed once, on the last line, and only its hash is kept."""
    try:
        token = _tokens(ctx, create=True).create(org, role)
    except (ValueError, TracegraphError) as exc:
        _fail(str(exc))
        return
    click.echo(f"token for {org} ({role}); keep it secret, it is not shown again:")
    click.echo(token)


@token_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per token.")
@pass_ctx
def token_list(ctx: _Context, as_json: bool) -> None:
    """List tokens (id, organisation, role, created, revoked); never the secrets."""
    from dataclasses import asdict

    try:
        tokens = _tokens(ctx).list()
    except TracegraphError as exc:
        _fail(str(exc))
        return
    for t in tokens:
        if as_json:
            click.echo(json.dumps({k: v for k, v in asdict(t).items() if k != "digest"}, ensure_ascii=False))
        else:
            click.echo(f"{t.id}  {t.role:<13} {t.org:<30} created {t.created_at}"
                       + (f"  REVOKED {t.revoked_at}" if t.revoked_at else ""))


@token_group.command("revoke")
@click.argument("token_id")
@pass_ctx
def token_revoke(ctx: _Context, token_id: str) -> None:
    """Revoke a token by its id (the part after tg_); a served API refuses it within a second."""
    if token_id.startswith("tg_"):
        token_id = token_id.split("_")[1]
    try:
        revoked = _tokens(ctx).revoke(token_id)
    except TracegraphError as exc:
        _fail(str(exc))
        return
    if not revoked:
        _fail(f"no token {token_id}")
    click.echo(f"revoked {token_id}")


# -- China-RAPEX: AQSIQ's work list of EU alerts on products from China, its follow-up, the report ---------
def _dates(**given: str | None) -> dict[str, str | None]:
    """The ISO dates of options given (a bad one ends the command naming it)."""
    from tracegraph.graph.errors import InvalidIdentifier
    from tracegraph.graph.ids import clean_date

    out: dict[str, str | None] = {}
    for name, value in given.items():
        try:
            out[name] = clean_date(value) if value else None
        except InvalidIdentifier as exc:
            _fail(f"--{name.replace('_', '-')}: {exc}")
    return out


@main.group("china-rapex")
def china_rapex_group() -> None:
    """The China-RAPEX loop: EU alerts on products from China, traced, and AQSIQ's follow-up of each."""


def _alert_line(a: dict[str, Any]) -> str:
    t, f = a["trace"], a["follow_up"]
    top = t["top"]
    factory = f"{top['uscc']} {top['name_zh'] or top['name_en'] or ''} ({top['confidence']:.2f})" if top else "-"
    follow = "no follow-up"
    if f:
        outcomes = f" [{', '.join(f['outcomes'])}]" if f["outcomes"] else ""
        found = f" factory {f['factory']['uscc']}" if f["factory"] else ""
        follow = f"{f['status']}{outcomes}{found} opened {f['opened_on']}" + (f" closed {f['closed_on']}" if f["closed_on"] else "")
    late = f"  OVERDUE ({a['days_open']} days)" if a["overdue"] else ""
    return (f"{a['alert_no']:<13} {a['forwarded_on']}  {(a['product_name'] or '')[:24]:<24} {t['status']:<13} {factory}\n"
            f"{'':<14}{a['state']}: {follow}{late}")


@china_rapex_group.command("worklist")
@click.option("--since", help="First day forwarded (the alert's date), ISO 8601.")
@click.option("--until", help="Last day forwarded, ISO 8601.")
@click.option("--status", type=click.Choice(["uninvestigated", *INVESTIGATION_STATUSES, "pending", "overdue", "concluded"]),
              help="Only alerts with this follow-up status, or in this state (pending: not concluded; overdue: "
                   "pending more than 90 days after forwarding).")
@click.option("--as-of", help="The day states and overdue are judged on, ISO 8601.  [default: today]")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per alert.")
@pass_ctx
def china_rapex_worklist(ctx: _Context, since: str | None, until: str | None, status: str | None, as_of: str | None,
                         as_json: bool) -> None:
    """AQSIQ's work list: alerts on products from China, traced to a factory, with their follow-up."""
    from tracegraph.queries.china_rapex import worklist

    d = _dates(since=since, until=until, as_of=as_of)
    alerts = ctx.read(lambda store: worklist(store, d["since"], d["until"], status, d["as_of"]))
    for a in alerts:
        click.echo(json.dumps(a, ensure_ascii=False) if as_json else _alert_line(a))
    if not as_json:
        late = sum(a["overdue"] for a in alerts)
        click.echo(f"{len(alerts)} alerts on products from China; {sum(a['trace']['status'] == 'traced' for a in alerts)} "
                   f"traced to a factory, {sum(a['follow_up'] is not None for a in alerts)} with a follow-up, {late} overdue")


@china_rapex_group.command("record")
@click.argument("alert")
@click.option("--status", required=True, type=click.Choice(INVESTIGATION_STATUSES))
@click.option("--outcome", "outcomes", multiple=True,
              type=click.Choice(OUTCOMES),
              help="What was found or done; repeat for several.")
@click.option("--factory", metavar="USCC", help="The factory the investigation found.")
@click.option("--root-cause", help="What caused the non-compliance at the factory.")
@click.option("--measures", help="The measures taken, as text.")
@click.option("--opened-on", required=True, help="ISO 8601.")
@click.option("--closed-on", help="ISO 8601.")
@click.option("--reported-on", help="The day it was reported back to the EU, ISO 8601.")
@click.option("--by", "org", required=True, metavar="ORG", help="Who records it (kept as its provenance, cn:cli:ORG).")
@pass_ctx
def china_rapex_record(ctx: _Context, alert: str, status: str, outcomes: tuple[str, ...], factory: str | None,
                       root_cause: str | None, measures: str | None, opened_on: str, closed_on: str | None,
                       reported_on: str | None, org: str) -> None:
    """Record AQSIQ's follow-up of ALERT (an alert number, or the finding id the work list shows).

    It lands as a cn-investigations record, checked by the same rules as a file or the API; a
    later record of the same alert replaces it whole.
    """
    from tracegraph.loaders.submit import submit
    from tracegraph.queries.china_rapex import finding_keys

    item = {"status": status, "outcomes": list(outcomes) or None, "manufacturer_uscc": factory, "root_cause": root_cause,
            "measures": measures, "opened_on": opened_on, "closed_on": closed_on, "reported_on": reported_on}
    try:
        store = ctx.open()
        try:
            (key,) = finding_keys(store, [alert])
            if key is None:
                _fail(f"no alert or finding {alert} in the store: a follow-up answers an alert the EU forwarded")
            item["finding_id"] = key
            (outcome,) = submit(store, "cn-investigations", [{k: v for k, v in item.items() if v}], org, via="cli")
        finally:
            store.close()
    except TracegraphError as exc:
        _fail(str(exc))
        return
    if outcome.status != "landed":
        for field_name, reason in outcome.problems:
            click.echo(f"  {field_name}: {reason}", err=True)
        _fail(f"follow-up of {alert} not recorded", 1)
    click.echo(f"recorded the follow-up of {key}: {status}" + (f" [{', '.join(outcomes)}]" if outcomes else "") + f", by {org}")


@main.group("report")
def report_group() -> None:
    """Reports written as files."""


@report_group.command("china-rapex")
@click.option("--quarter", required=True, help="The quarter, like 2024Q3.")
@click.option("--as-of", help="The day the figures are counted on, ISO 8601.  [default: the quarter's last day; "
                              "today while the quarter runs]")
@click.option("--out", "out_dir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="The folder to write to (made if missing).")
@pass_ctx
def report_china_rapex(ctx: _Context, quarter: str, as_of: str | None, out_dir: str) -> None:
    """AQSIQ's quarterly China-RAPEX follow-up report: a CSV file per table and one HTML page with charts.

    Notifications forwarded in the quarter; how many were traced to a factory, investigated and
    concluded; by outcome, category and hazard; the alerts of every quarter still open more than
    90 days after forwarding; the factories that recur across the quarters of the trailing year.
    The page needs nothing but itself (no script, font, image or link): it can be mailed.
    """
    from tracegraph.api.china_rapex_report import write
    from tracegraph.queries.china_rapex import parse_quarter, report

    try:
        parse_quarter(quarter)
    except ValueError as exc:
        _fail(str(exc))
    d = _dates(as_of=as_of)
    try:
        r = ctx.read(lambda store: report(store, quarter, d["as_of"]))
    except ValueError as exc:
        _fail(str(exc))
        return
    for path in write(r, out_dir):
        click.echo(str(path))
    click.echo(f"{r['quarter']} as of {r['as_of']}: {r['forwarded']} notifications forwarded, {r['traced']} traced to a "
               f"factory, {r['investigated']} investigated, {r['concluded']} concluded; {r['open_past_due']} open past "
               f"{r['due_days']} days")

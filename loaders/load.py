"""Load exchange files, EPCIS documents and Safety Gate exports into a store: find them, read them, check every row, and report.

Every row either lands or is reported with file, line, field and reason. Exchange files are
recognised by their names (``cn-shipments.csv``), EPCIS 2.0 documents (:mod:`tracegraph.loaders.epcis`) and Safety Gate exports by their content
(:func:`tracegraph.loaders.safety_gate.sniff`), or every file is read as one format (``fmt``). A load commits once, at
its end (the Neo4j store also commits every batch on its own); a load cut off midway leaves what
earlier loads committed and can simply be run again (loads are idempotent).
"""

from __future__ import annotations

import csv
import json
import gc
import os
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterable, Protocol, Sequence, TypeAlias

from tracegraph.graph.model import ApplyResult, Record, Source, hashed_dict
from tracegraph.loaders import csv_format, epcis, jsonl_format, safety_gate
from tracegraph.loaders.reader import FileProblem
from tracegraph.loaders.rules import RECORD_TYPES, RecordType, record_type_for

BATCH = 10_000
READERS = {".csv": csv_format.read, ".jsonl": jsonl_format.read, ".ndjson": jsonl_format.read}
# Files are taken in this order so that a store reads naturally while a load runs; the graph does
# not depend on it (a reference to a record not loaded yet is not an error).
_ORDER = {name: i for i, name in enumerate(RECORD_TYPES)}
_ORDER[safety_gate.FORMAT] = len(_ORDER)
_ORDER[epcis.FORMAT] = len(_ORDER)
FORMATS = (safety_gate.FORMAT,)  # what ``fmt`` can force
SAFETY_GATE_SUFFIXES = (".csv", ".json", ".xml")



@dataclass(frozen=True)
class EpcisFile:
    """A file to read as an EPCIS document (:mod:`tracegraph.loaders.epcis`)."""

    name: str = epcis.FORMAT


Kind: TypeAlias = RecordType | safety_gate.Export | EpcisFile  # how a file found is read


class Applier(Protocol):
    def writing(self) -> ContextManager[None]: ...
    def apply(self, records: Sequence[Record], source: Source) -> ApplyResult: ...
    def commit(self) -> None: ...
    def checkpoint(self, force: bool = False) -> bool: ...
    def run(self, query: Any, *args: Any) -> Any: ...


@dataclass(slots=True)
class Problem:
    """A rejected row (``kind='rejected'``) or a notice about a row that landed (``kind='warning'``).

    ``file`` is the path as given (a folder given names its files below it: two folders' files of
    one name stay apart); ``value`` is the field's value exactly as the row gave it."""

    file: str
    line: int
    field: str
    reason: str
    kind: str = "rejected"
    value: Any = None


@dataclass
class FileSummary:
    path: str
    type: str
    read: int = 0
    landed: int = 0
    rejected: int = 0
    result: ApplyResult = field(default_factory=ApplyResult)


@dataclass
class LoadReport:
    files: list[FileSummary] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    loaded_at: str = ""  # the time every record of this load carries in its provenance

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def landed(self) -> int:
        return sum(f.landed for f in self.files)

    def write(self, path: str) -> None:
        """Write every problem as CSV: file, line, field, kind, reason, and the value as the row gave
        it. A cell that a spreadsheet would run as a formula gets a leading apostrophe (which the
        spreadsheet shows as nothing): nothing else of it is changed."""
        with open(path, "w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(["file", "line", "field", "kind", "reason", "value"])
            for p in self.problems:
                out.writerow([_inert(p.file), p.line, _inert(p.field), p.kind, _inert(p.reason), _inert(_shown(p.value))])


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _inert(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def discover(paths: Iterable[str], fmt: str | None = None) -> tuple[list[tuple[str, Kind]], list[str]]:
    """Return the files under ``paths`` (files or folders) to load, each with how it is read, and the files skipped.

    An exchange file is known by its name, a Safety Gate export by its content; with ``fmt``
    (``safety-gate``) every file named, and every ``.csv``, ``.json`` or ``.xml`` file of a folder
    (and any other it recognises), is read as that format. A file named on the command line that is neither is an error; one
    found in a folder is skipped and listed.
    """
    if fmt is not None and fmt not in FORMATS:
        raise FileProblem(0, "", f"--format {fmt}: no such format (one of {', '.join(FORMATS)})")
    found: list[tuple[str, Kind]] = []
    skipped: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file():
                    kind = _kind(child, fmt, named=False)
                    if kind is None:
                        skipped.append(str(child))
                    else:
                        found.append((str(child), kind))
        elif path.is_file():
            kind = _kind(path, fmt, named=True)
            if kind is None:
                raise FileProblem(0, "", f"{p}: not an exchange file (names like cn-shipments.csv or eu-findings.jsonl are) "
                                         "nor an EPCIS document nor a Safety Gate export (use --format safety-gate to read it as one)")
            found.append((str(path), kind))
        else:
            raise FileProblem(0, "", f"{p}: no such file or folder")
    found.sort(key=lambda f: (_ORDER[f[1].name], f[0]))
    return found, skipped


def _kind(path: Path, fmt: str | None, named: bool) -> Kind | None:
    """How ``path`` is read: by ``fmt``, by its name, or by its content; ``None`` when it is no file to load."""
    if fmt == safety_gate.FORMAT:
        if named or path.suffix.lower() in SAFETY_GATE_SUFFIXES or safety_gate.sniff(path):
            return safety_gate.Export(safety_gate.detect(path))
        return None
    rtype = record_type_for(path.name)
    if rtype is not None and path.suffix.lower() in READERS:
        return rtype
    if epcis.sniff(path):
        return EpcisFile()
    reader = safety_gate.sniff(path)
    return safety_gate.Export(reader) if reader else None


def load(
    store: Applier | None,
    paths: Iterable[str],
    *,
    fmt: str | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    on_file: Callable[[FileSummary], None] | None = None,
) -> LoadReport:
    """Check every row of the files under ``paths`` and, with a ``store``, land the valid ones.

    ``store=None`` validates without loading. ``fmt`` reads every file as that format (see
    :func:`discover`). ``on_progress(path, bytes_done, bytes_total)`` is called now and then while
    a file is read.
    """
    report = LoadReport()
    files, report.skipped = discover(paths, fmt)
    loaded_at = report.loaded_at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    # Rows and records make no reference cycles, and every record of a batch would otherwise be
    # scanned by the collector two or three times before it lands (the stores freeze what landed):
    # ~6 % of a load of 100k shipments. Switched back on after, whatever happens.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with store.writing() if store is not None else nullcontext():
            for path, kind in files:
                if isinstance(kind, RecordType):
                    summary = _load_file(store, path, kind, loaded_at, report.problems, on_progress)
                elif isinstance(kind, EpcisFile):
                    summary = _load_epcis(store, path, loaded_at, report.problems, on_progress)
                else:
                    summary = _load_alerts(store, path, kind, loaded_at, report.problems, on_progress)
                report.files.append(summary)
                if on_file:
                    on_file(summary)
            if store is not None:
                store.commit()
                store.checkpoint()
    finally:
        if collecting:
            gc.enable()
    return report


def _load_file(
    store: Applier | None,
    path: str,
    rtype: RecordType,
    loaded_at: str,
    problems: list[Problem],
    on_progress: Callable[[str, int, int], None] | None,
) -> FileSummary:
    name = os.path.basename(path)
    summary = FileSummary(path, rtype.name)
    source = Source(rtype.side, name, loaded_at)
    total = os.path.getsize(path)
    first_line: dict[str, int] = hashed_dict()  # every key of the file: millions at 1M shipments
    batch: list[Record] = []

    def flush() -> None:
        if store is not None and batch:
            summary.result.add(store.apply(batch, source))
        batch.clear()
        rtype.trim_pools()

    reader = READERS[Path(path).suffix.lower()]
    parse = rtype.parse_values
    raw = open(path, "rb")  # noqa: SIM115 - closed below, after the reader is done with it
    try:
        for row in reader(raw, rtype.names, rtype.required):
            if row.error:
                summary.rejected += 1
                problems.append(Problem(path, row.line, row.error_field, f"the row {row.error}"))
                continue
            record, errors = parse(row.values)
            if record is None:
                summary.rejected += 1
                for e in errors:
                    problems.append(Problem(path, row.line, e.field, e.reason, value=e.value))
                continue
            key = record.key
            earlier = first_line.get(key)
            if earlier is None:
                first_line[key] = row.line
            else:
                problems.append(Problem(
                    path, row.line, "", f"repeats the key {key} of line {earlier}; this later row updates it", "warning",
                ))
            batch.append(record)
            if len(batch) >= BATCH:
                summary.landed += len(batch)
                flush()
                if on_progress:
                    on_progress(path, raw.tell(), total)
    except FileProblem as exc:
        problems.append(Problem(path, exc.line, exc.field, exc.reason))
        rows_so_far = summary.landed + len(batch) + summary.rejected
        summary.rejected = summary.read = max(_count_lines(path) - 1, 0) if path.endswith(".csv") else rows_so_far
        summary.landed = 0
        batch.clear()
        return summary
    finally:
        raw.close()
    summary.landed += len(batch)
    summary.read = summary.landed + summary.rejected
    flush()
    if on_progress:
        on_progress(path, total, total)
    return summary


def _load_alerts(
    store: Applier | None,
    path: str,
    export: safety_gate.Export,
    loaded_at: str,
    problems: list[Problem],
    on_progress: Callable[[str, int, int], None] | None,
) -> FileSummary:
    """Load one Safety Gate export: every alert becomes a finding (a merge record).

    The whole file is read before anything lands, so a file that turns out unreadable midway (a
    truncated XML) changes nothing; an alert the file holds twice lands once, both merged. Every
    alert lands but one without a usable alert number; a value that breaks a rule is kept as text
    (or left out) with a warning.
    """
    name = os.path.basename(path)
    summary = FileSummary(path, export.name)
    notes: list[Problem] = []
    records: dict[str, Record] = {}
    first_line: dict[str, int] = {}
    seen = 0
    try:
        with open(path, "rb") as raw:
            for alert in safety_gate.READERS[export.reader](raw):
                seen += 1
                if alert.error:
                    summary.rejected += 1
                    notes.append(Problem(path, alert.line, "", f"the alert {alert.error}"))
                    continue
                record, warnings, error = safety_gate.to_record(alert)
                notes += [Problem(path, alert.line, w.field, w.reason, "warning", w.value) for w in warnings]
                if record is None:
                    assert error is not None
                    summary.rejected += 1
                    notes.append(Problem(path, alert.line, error.field, error.reason, value=error.value))
                    continue
                summary.landed += 1
                earlier = records.get(record.key)
                if earlier is None:
                    records[record.key] = record
                    first_line[record.key] = alert.line
                else:
                    records[record.key] = safety_gate.combine(earlier, record)
                    notes.append(Problem(path, alert.line, "", f"repeats alert {record.key} of line "
                                         f"{first_line[record.key]}; both are merged, this later one's fields first", "warning"))
    except FileProblem as exc:
        problems.append(Problem(path, exc.line, exc.field, exc.reason))
        summary.read = summary.rejected = max(seen, 1)  # the file is refused whole: nothing of it lands
        summary.landed = 0
        return summary
    problems += notes
    summary.read = summary.landed + summary.rejected
    if store is not None and records:
        source = Source("eu", name, loaded_at)
        batch = safety_gate.settle(store, list(records.values()))
        for i in range(0, len(batch), BATCH):
            summary.result.add(store.apply(batch[i : i + BATCH], source))
    if on_progress:
        total = os.path.getsize(path)
        on_progress(path, total, total)
    return summary


def _load_epcis(
    store: Applier | None,
    path: str,
    loaded_at: str,
    problems: list[Problem],
    on_progress: Callable[[str, int, int], None] | None,
) -> FileSummary:
    """Load one EPCIS document: every event lands (as the records it states, or kept as written
    with a warning saying why) or is rejected with its line, field and reason."""
    summary = FileSummary(path, epcis.FORMAT)
    try:
        with open(path, "rb") as f:
            doc = epcis.read_document(f.read())
    except FileProblem as exc:
        problems.append(Problem(path, exc.line, exc.field, exc.reason))
        summary.read = summary.rejected = 1
        return summary
    placed = epcis.place_all(doc)
    if store is not None:
        name = os.path.basename(path)
        summary.result.add(epcis.land(store, placed, lambda side: Source(side, name, loaded_at), BATCH))
    for p in placed:
        problems += [Problem(path, p.line, n.field, n.reason, n.kind, n.value) for n in p.notes]
    summary.read = len(placed)
    summary.rejected = sum(p.rejected for p in placed)
    summary.landed = summary.read - summary.rejected
    if on_progress:
        total = os.path.getsize(path)
        on_progress(path, total, total)
    return summary


def _count_lines(path: str) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)

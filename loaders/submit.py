"""Records sent one by one (through the API) rather than in files: the same rules as the loaders,
an outcome per item, and one bad item never stops the others.

``submit(store, "eu-findings", items, sender)`` checks each item (a mapping of the exchange
file's field names to values) with :data:`tracegraph.loaders.rules.RECORD_TYPES`, lands the valid ones in one
batch under the provenance ``<side>:api:<sender>``, commits, and links what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from tracegraph.graph.model import Source
from tracegraph.graph.store import Store
from tracegraph.linkage import link
from tracegraph.loaders.rules import RECORD_TYPES


@dataclass
class ItemOutcome:
    index: int
    key: str | None
    status: str  # landed | rejected
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, reason)


def check(record_type: str, items: Sequence[Mapping[str, Any]]) -> tuple[list[ItemOutcome], list[Any]]:
    """Check ``items``; return an outcome for each and the records of the valid ones."""
    rtype = RECORD_TYPES[record_type]
    outcomes: list[ItemOutcome] = []
    records = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        record, errors = rtype.parse(item)
        if record is None:
            outcomes.append(ItemOutcome(i, None, "rejected", [(e.field, e.reason) for e in errors]))
            continue
        if record.key in seen:
            outcomes.append(ItemOutcome(i, record.key, "rejected",
                                        [("", f"repeats the key {record.key} of item {seen[record.key]}: send it once")]))
            continue
        seen[record.key] = i
        outcomes.append(ItemOutcome(i, record.key, "landed"))
        records.append(record)
    rtype.trim_pools()
    return outcomes, records


def submit(store: Store, record_type: str, items: Sequence[Mapping[str, Any]], sender: str,
           refuse: Mapping[int, tuple[str, str]] | None = None, via: str = "api") -> list[ItemOutcome]:
    """Land the valid ``items``; ``refuse`` maps item indexes to a (field, reason) the caller found
    (a reference to a node that does not exist, say). They land under ``<side>:<via>:<sender>``:
    ``via`` is ``api``, or ``cli`` for a record typed at the command line."""
    outcomes, records = check(record_type, items)
    if refuse:
        keep = []
        by_key = {o.key: o for o in outcomes if o.status == "landed"}
        for r in records:
            o = by_key[r.key]
            if o.index in refuse:
                o.status, o.problems = "rejected", [refuse[o.index]]
            else:
                keep.append(r)
        records = keep
    if records:
        with store.writing():
            at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
            store.apply(records, Source(RECORD_TYPES[record_type].side, f"{via}:{sender}", at))
            store.commit()
            link(store, at, since=at)
            store.checkpoint()  # compacts only when the log has grown large
    return outcomes

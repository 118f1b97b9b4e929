"""What the queries derive and keep, derived when the data is committed rather than on the first
question: `tracegraph load` and `link` call :func:`warm`, then the store keeps it with the data
(:meth:`~tracegraph.graph.store.Store.keep_derived`), so a fresh process answers without first
reading every checked consignment, shipment and certificate again.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

from tracegraph.graph.store import Store
from tracegraph.queries import nodes as q
from tracegraph.queries.offenders import offenders
from tracegraph.queries.priorities import priorities
from tracegraph.queries.profile import factory_profile
from tracegraph.queries.schemes import alignment, reliability
from tracegraph.queries.search import search
from tracegraph.queries.trace import finding_ids, trace

PRIORITY_MONTHS = 12  # the learned ranking's monthly models kept for the data's last year


def _last_arrival(store: Store) -> tuple[str, str] | None:
    """(day, entry point) of the latest arrival: a bisection over days by counting (no scan)."""
    total, _ = q.page(store, "Arrival", 0, 0, "arrived_on", "0000")
    if not total:
        return None
    lo, hi = date(1990, 1, 1), date.today() + timedelta(days=366)
    while hi - lo > timedelta(days=1):  # invariant: an arrival on or after lo, none on or after hi
        mid = lo + (hi - lo) / 2
        if q.page(store, "Arrival", 0, 0, "arrived_on", mid.isoformat())[0]:
            lo = mid
        else:
            hi = mid
    _, keys = q.page(store, "Arrival", 0, 1, "arrived_on", lo.isoformat())
    arrival = q.nodes(store, "Arrival", keys)[keys[0]]
    return arrival["arrived_on"], arrival.get("entry_point") or ""


def warm(store: Store, say: Callable[[str], None] = lambda _: None) -> None:
    """Ask each query once so that what it derives and keeps is built now."""
    offenders(store)  # shipments per company and day
    first = finding_ids(store)[:1]
    if first:
        trace(store, first[0])  # every factory's findings
    factory = q.page(store, "Manufacturer", 0, 1)[1]
    if factory:
        factory_profile(store, factory[0])  # CIQ certificates per factory and month (a factory's page)
    alignment(store)  # checked consignments
    reliability(store)
    search(store, "warm")  # the name index
    last = _last_arrival(store)
    if last is not None and last[1]:
        day, entry_point = last
        until = date.fromisoformat(day)
        since = (until.replace(day=1) - timedelta(days=31 * (PRIORITY_MONTHS - 1))).replace(day=1)
        priorities(store, entry_point, since.isoformat(), day, reasons=False)  # the models of the last year's months
    say("derived what the queries keep")

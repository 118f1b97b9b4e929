"""Record linkage: find what the two sides' records say about the same consignment and product.

Neither side knows the other's identifiers. After a load, linkage infers:

* ``SAME_CONSIGNMENT`` — an EU arrival to the CN export shipment it is, from the bill of lading,
  the container numbers and the dates (it still links when the bill of lading is missing or one
  container is listed on one side only);
* ``MATCHES_PRODUCT`` — a finding's product to CN products, by GTIN, then brand and model
  (normalised, then fuzzy with rapidfuzz);
* ``CONSIGNED_BY`` — an arrival's declared consignor (free text) to the CN company it is (an
  exporter, or a factory exporting itself) by :mod:`tracegraph.linkage.matcher`: trade-name cores
  in both scripts (pinyin and Cantonese readings), typing errors tolerated, abstaining when unsure;
  the companies the linked shipment names may link on a weaker match;
* ``SAME_AS`` — one factory registered twice: the same trade-name core in the same city at a
  similar address.

Each link records its ``method``, ``score`` in [0, 1] and the ``evidence`` it used. One module per
kind of link: the data each needs is read by a :class:`~tracegraph.graph.reading.Query` (a networkx
walk and the Cypher text side by side); the scoring is shared, so both stores infer the same links.
What people decided (:mod:`tracegraph.linkage.decisions`) overrides what linkage infers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from tracegraph.graph.model import CONSIGNED_BY, MATCHES_PRODUCT, SAME_AS, SAME_CONSIGNMENT, Link
from tracegraph.graph.store import Store
from tracegraph.linkage.consignments import CANDIDATES, link_consignments
from tracegraph.linkage.consignors import COMPANIES, CONSIGNORS, link_consignors
from tracegraph.linkage.decisions import DECISIONS, apply_decisions, decide, decision_record
from tracegraph.linkage.duplicates import MANUFACTURERS, link_duplicates
from tracegraph.linkage.products import FINDINGS, PRODUCTS, match_products

__all__ = ["link", "LinkReport", "decide", "decision_record"]


@dataclass
class LinkReport:
    arrivals: int = 0
    arrivals_linked: int = 0
    findings: int = 0
    findings_matched: int = 0
    consignors_linked: int = 0
    duplicate_factories: int = 0


def link(store: Store, at: str, since: str | None = None) -> LinkReport:
    """Infer links and replace the earlier ones (written with time ``at``); links that a person
    confirmed or rejected stay as they decided.

    With ``since`` (the time of a load), arrivals are linked again only where they, or shipments
    that may be them, changed since then, and consignors only for those arrivals (all of them when
    an exporter changed); findings and factories, far fewer, are matched again in full.
    """
    with store.writing():
        return _link(store, at, since)


def _link(store: Store, at: str, since: str | None) -> LinkReport:
    report = LinkReport()
    decisions = store.run(DECISIONS)

    def put(rel_type: str, starts: list[str], links: list[Link]) -> list[Link]:
        links = apply_decisions(rel_type, links, decisions)
        starts = sorted(set(starts) | {l.start for l in links})
        store.set_links(rel_type, starts, links, at)
        return links

    starts, links = link_consignments(store.run(CANDIDATES, since))
    links = put(SAME_CONSIGNMENT, starts, links)
    report.arrivals, report.arrivals_linked = len(starts), len(links)
    relinked = set(starts)
    starts, links = match_products(store.run(FINDINGS), store.run(PRODUCTS))
    links = put(MATCHES_PRODUCT, starts, links)
    report.findings, report.findings_matched = len(starts), len({l.start for l in links})
    companies = store.run(COMPANIES)
    only = None if since is None or any(x["at"] >= since for x in companies) else sorted(relinked)
    consignors: Iterable[dict[str, Any]] = store.run(CONSIGNORS, only)
    starts, links = link_consignors(consignors, companies)
    del consignors, only, relinked  # (the snapshot at the end should not stand on them too)
    links = put(CONSIGNED_BY, starts, links)
    report.consignors_linked = len(links)
    starts, links = link_duplicates(store.run(MANUFACTURERS))
    links = put(SAME_AS, starts, links)
    report.duplicate_factories = len(links)
    store.checkpoint()  # commits; folds the log into a snapshot once it has grown (the next open replays it)
    return report

"""The domain: node labels, relationship types, and the records that loaders hand to a store.

Every node is keyed by its natural identifier (a USCC, a declaration number, an MRN …). A record
states a node's own fields and the relationships that go *out* of it; when a later version of the
record differs, the relationships it stated before are replaced by the new ones. Relationships that
linkage infers are of other types and are never touched by a record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, NamedTuple, Union

Value = Union[str, int, float, tuple]

# Node labels -------------------------------------------------------------------------------------
MANUFACTURER = "Manufacturer"
EXPORTER = "Exporter"
PRODUCT = "Product"
SHIPMENT = "Shipment"  # a CN export declaration
SHIPMENT_LINE = "ShipmentLine"
CONTAINER = "Container"
CERTIFICATE = "Certificate"  # a CIQ export-inspection certificate
OFFICE = "Office"  # a CIQ office or an EU authority
INVESTIGATION = "Investigation"
ARRIVAL = "Arrival"  # an EU import declaration, by MRN
IMPORTER = "Importer"
INSPECTION = "Inspection"
FINDING = "Finding"
LINK_DECISION = "LinkDecision"  # a person confirmed or rejected an inferred link
EPCIS_EVENT = "EpcisEvent"  # an EPCIS event kept as written: one tracegraph cannot place, or a withdrawal

LABELS = (
    MANUFACTURER, EXPORTER, PRODUCT, SHIPMENT, SHIPMENT_LINE, CONTAINER, CERTIFICATE, OFFICE,
    INVESTIGATION, ARRIVAL, IMPORTER, INSPECTION, FINDING, LINK_DECISION, EPCIS_EVENT,
)

# Relationship types: stated by records ------------------------------------------------------------
MADE_BY = "MADE_BY"  # product -> manufacturer
EXPORTED_BY = "EXPORTED_BY"  # shipment -> exporter
IN_CONTAINER = "IN_CONTAINER"  # shipment or arrival -> container
LINE_OF = "LINE_OF"  # shipment line -> shipment
OF_PRODUCT = "OF_PRODUCT"  # shipment line -> product
COVERS = "COVERS"  # certificate -> shipment
ISSUED_BY = "ISSUED_BY"  # certificate -> office
INVESTIGATES = "INVESTIGATES"  # investigation -> finding
CONCERNS_FACTORY = "CONCERNS_FACTORY"  # investigation -> manufacturer
IMPORTED_BY = "IMPORTED_BY"  # arrival -> importer
CHECKED = "CHECKED"  # inspection -> arrival
PERFORMED_BY = "PERFORMED_BY"  # inspection -> office
FOUND_IN = "FOUND_IN"  # finding -> inspection
CONCERNS = "CONCERNS"  # finding -> arrival

# ... and inferred by linkage
SAME_CONSIGNMENT = "SAME_CONSIGNMENT"  # arrival -> the CN shipment it is
MATCHES_PRODUCT = "MATCHES_PRODUCT"  # finding -> a CN product it may be
CONSIGNED_BY = "CONSIGNED_BY"  # arrival -> the CN company its declared consignor is
SAME_AS = "SAME_AS"  # manufacturer -> another registration of the same factory

# Relationship types a record states, by the label of the node they leave, with their target label.
STATED: dict[str, dict[str, str]] = {
    MANUFACTURER: {},
    EXPORTER: {},
    PRODUCT: {MADE_BY: MANUFACTURER},
    SHIPMENT: {EXPORTED_BY: EXPORTER, IN_CONTAINER: CONTAINER},
    SHIPMENT_LINE: {LINE_OF: SHIPMENT, OF_PRODUCT: PRODUCT},
    CERTIFICATE: {COVERS: SHIPMENT, ISSUED_BY: OFFICE},
    INVESTIGATION: {INVESTIGATES: FINDING, CONCERNS_FACTORY: MANUFACTURER},
    ARRIVAL: {IN_CONTAINER: CONTAINER, IMPORTED_BY: IMPORTER},
    INSPECTION: {CHECKED: ARRIVAL, PERFORMED_BY: OFFICE},
    FINDING: {FOUND_IN: INSPECTION, CONCERNS: ARRIVAL},
    CONTAINER: {},
    OFFICE: {},
    IMPORTER: {},
    LINK_DECISION: {},
    EPCIS_EVENT: {},
}


# Relationships that linkage infers, by type: (start label, end label). They carry ``method``,
# ``score`` and ``evidence``; no record ever states or removes them.
INFERRED: dict[str, tuple[str, str]] = {
    SAME_CONSIGNMENT: (ARRIVAL, SHIPMENT),
    MATCHES_PRODUCT: (FINDING, PRODUCT),
    CONSIGNED_BY: (ARRIVAL, EXPORTER),
    SAME_AS: (MANUFACTURER, MANUFACTURER),
}
# Labels the end of an inferred link may have instead, when no node of its end label has the key
# (both are keyed by USCC): a declared consignor that is a factory exporting itself, not registered
# as an exporter, is that Manufacturer.
OTHER_ENDS: dict[str, tuple[str, ...]] = {CONSIGNED_BY: (MANUFACTURER,)}
REL_TYPES = frozenset({t for rels in STATED.values() for t in rels} | set(INFERRED))


def node_id(label: str, key: str) -> str:
    """Return the embedded store's id of the node ``(label, key)``: ``Label:key``."""
    return f"{label}:{key}"


def split_id(nid: str) -> tuple[str, str]:
    """Return ``(label, key)`` of an embedded-store node id (the inverse of :func:`node_id`)."""
    label, _, key = nid.partition(":")
    return label, key


def composite_key(*parts: str) -> str:
    """Return the key of a node identified by several fields (a product, a shipment line)."""
    return "|".join(parts)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a record came from: the side that sent it, the file (or API call), and when it loaded."""

    side: str
    file: str
    loaded_at: str

    @property
    def tag(self) -> str:
        """The provenance tag kept on nodes and relationships: ``side:file``."""
        return f"{self.side}:{self.file}"


def hashed_dict() -> dict[Any, Any]:
    """An empty dict that keeps each key's hash in its own table entry.

    CPython lays out a dict whose keys are all ``str`` without the hashes, and reads a key's hash
    from the key itself whenever a lookup probes past it: in a table of millions of node ids that is
    a cache miss per collision, on every insert of a new key. One key of another type switches the
    table to the general layout, which keeps it even once that key is gone (and in its copies):
    inserting 5.6 M node ids 1.7-2.2 s -> 1.2 s, looking up absent ones a fifth faster, for 8 more
    bytes per entry. Only a matter of speed: any other Python still gets a correct dict.
    """
    d: dict[Any, Any] = {0: None}
    del d[0]
    return d


class EdgeRef(NamedTuple):
    """A relationship a record states, to the node ``(label, key)``.

    ``props`` are merged into the target node (the name of an importer written on an arrival); a
    target that has no record of its own yet is created with its key and these props. (A named
    tuple: a load makes millions, and it is built twice as fast as a frozen dataclass.)
    """

    type: str
    label: str
    key: str
    props: Mapping[str, Value] | None = None


@dataclass(slots=True)
class Record:
    """One row of an exchange file, validated: a node's own fields and its stated relationships.

    A record states the node's fields whole: one it does not give is removed. A ``merge`` record
    (from a source that gives some fields of a node and not others, such as one of the several
    export formats of a Safety Gate alert) gives only fields to set: the node's other fields keep
    their values. Either way, a record that changes the node replaces its stated relationships.
    """

    label: str
    key: str
    props: dict[str, Value]
    edges: tuple[EdgeRef, ...] = field(default=())
    merge: bool = False

    def merged_into(self, own: Mapping[str, Value]) -> "Record":
        """This record as a whole one, given the fields the node has now (``own``)."""
        if not self.merge:
            return self
        return Record(self.label, self.key, {**own, **self.props}, self.edges)


@dataclass(frozen=True, slots=True)
class Link:
    """An inferred relationship from ``(INFERRED[type][0], start)`` to ``(INFERRED[type][1], end)``."""

    type: str
    start: str
    end: str
    method: str
    score: float
    evidence: tuple[str, ...] = ()


@dataclass(slots=True)
class ApplyResult:
    """What applying a batch of records changed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: "ApplyResult") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


@dataclass
class GraphDump:
    """A whole graph as plain data, for comparing two stores or two loads.

    ``nodes`` maps ``(label, key)`` to properties (with ``_src`` as a sorted list);
    ``edges`` maps ``(type, (label, key), (label, key))`` to properties.
    Load times (``_at``) are left out: two loads of the same files at different times are equal.
    """

    nodes: dict[tuple[str, str], dict[str, Any]]
    edges: dict[tuple[str, tuple[str, str], tuple[str, str]], dict[str, Any]]


@dataclass
class Stats:
    """Counts of nodes by label and relationships by type."""

    nodes: dict[str, int]
    relationships: dict[str, int]

    @property
    def node_total(self) -> int:
        return sum(self.nodes.values())

    @property
    def relationship_total(self) -> int:
        return sum(self.relationships.values())

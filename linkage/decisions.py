"""What people decided about inferred links: a confirmed link stays (score 1), a rejected one is
never inferred again, whatever later linkage finds."""

from __future__ import annotations

from typing import Any

from tracegraph.graph.model import CONSIGNED_BY, LINK_DECISION, SAME_CONSIGNMENT, Link, Record, composite_key
from tracegraph.graph.reading import CypherReader, GraphReader, Query

_DECISIONS_CYPHER = """
MATCH (d:LinkDecision)
RETURN d.type AS type, d.start AS start, d.end AS end, d.decision AS decision, d.by AS by
"""
SINGLE = frozenset({SAME_CONSIGNMENT, CONSIGNED_BY})  # one end per start


def _decisions_nx(g: GraphReader) -> list[dict[str, Any]]:
    return [{k: g.nodes[nid].get(k) for k in ("type", "start", "end", "decision", "by")} for nid in g.ids(LINK_DECISION)]


def decision_record(rel_type: str, start: str, end: str, decision: str, by: str) -> Record:
    """The record that keeps a person's decision on a link (it outlives every reload and relink)."""
    if decision not in ("confirmed", "rejected"):
        raise ValueError(f"decision must be confirmed or rejected, not {decision!r}")
    return Record(LINK_DECISION, composite_key(rel_type, start, end),
                  {"type": rel_type, "start": start, "end": end, "decision": decision, "by": by})


def apply_decisions(rel_type: str, links: list[Link], decisions: list[dict[str, Any]]) -> list[Link]:
    """Drop rejected links; add confirmed ones (for a one-end type, instead of any other)."""
    mine = [d for d in decisions if d["type"] == rel_type]
    rejected = {(d["start"], d["end"]) for d in mine if d["decision"] == "rejected"}
    confirmed = {(d["start"], d["end"]): d["by"] for d in mine if d["decision"] == "confirmed"}
    fixed = {s for s, _ in confirmed} if rel_type in SINGLE else set()
    out = [l for l in links if (l.start, l.end) not in rejected and (l.start, l.end) not in confirmed and l.start not in fixed]
    out += [Link(rel_type, s, e, "confirmed", 1.0, (f"confirmed by {by}",)) for (s, e), by in sorted(confirmed.items())]
    return out


def _decisions_cypher(db: CypherReader) -> list[dict[str, Any]]:
    return db.rows(_DECISIONS_CYPHER)


DECISIONS = Query("link decisions", _decisions_nx, _decisions_cypher)

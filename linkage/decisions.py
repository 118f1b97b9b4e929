"""What people decided about inferred links: a confirmed link stays (score 1), a rejected one is
never inferred again, whatever later linkage finds."""

from __future__ import annotations

from typing import Any

from tracegraph.graph.model import (CONSIGNED_BY, INFERRED, LINK_DECISION, OTHER_ENDS, SAME_CONSIGNMENT, Link, Record, Source,
                                    composite_key, node_id, split_id)
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.graph.store import Store

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


# -- one decision, at once -------------------------------------------------------------------------
def _links_of_nx(g: GraphReader, rel_type: str, start: str, end: str) -> dict[str, Any]:
    start_label, end_label = INFERRED[rel_type]
    a = node_id(start_label, start)
    links = [Link(rel_type, start, split_id(b)[1], d["method"], d["score"], tuple(d["evidence"]))
             for b, d in g.succ.get(a, {}).items() if d["type"] == rel_type]
    ends = (end_label, *OTHER_ENDS.get(rel_type, ()))
    return {"start": a in g.nodes, "end": any(node_id(label, end) in g.nodes for label in ends), "links": links}


def _links_of_cypher(db: CypherReader, rel_type: str, start: str, end: str) -> dict[str, Any]:
    start_label, end_label = INFERRED[rel_type]
    ends = list(enumerate((end_label, *OTHER_ENDS.get(rel_type, ()))))
    find_end = "\n".join(f"OPTIONAL MATCH (b{i}:`{label}` {{key: $end}})" for i, label in ends)
    rows = db.rows(f"""
        OPTIONAL MATCH (a:`{start_label}` {{key: $start}})
        {find_end}
        OPTIONAL MATCH (a)-[r:`{rel_type}`]->(x)
        RETURN a IS NOT NULL AS start, {" OR ".join(f"b{i} IS NOT NULL" for i, _ in ends)} AS end,
               collect(CASE WHEN r IS NULL THEN NULL ELSE {{end: x.key, method: r.method, score: r.score, evidence: r.evidence}} END) AS links
        """, start=start, end=end)
    row = rows[0]
    links = [Link(rel_type, start, x["end"], x["method"], x["score"], tuple(x["evidence"] or ())) for x in row["links"]]
    return {"start": row["start"], "end": row["end"], "links": links}


LINKS_OF = Query("a node's links of one type, and whether both ends exist", _links_of_nx, _links_of_cypher)


def decide(store: Store, rel_type: str, start: str, end: str, decision: str, by: str, at: str) -> list[Link]:
    """Record a person's decision on the ``rel_type`` link from ``start`` to ``end`` and apply it to
    ``start``'s links at once (what the next linkage would make of them); return them.

    A decision on nodes that do not exist is refused (ValueError naming the missing one): it would
    keep waiting for them."""
    if rel_type not in INFERRED:
        raise ValueError(f"{rel_type} is no inferred link type; one of {', '.join(INFERRED)}")
    record = decision_record(rel_type, start, end, decision, by)
    with store.writing():
        held = store.run(LINKS_OF, rel_type, start, end)
        for side, key, label in (("start", start, INFERRED[rel_type][0]), ("end", end, INFERRED[rel_type][1])):
            if not held[side]:
                raise ValueError(f"no {label} {key} in the store")
        store.apply([record], Source("api", f"links {decision[:-2]} by {by}", at))
        links = apply_decisions(rel_type, held["links"], [dict(record.props)])
        store.set_links(rel_type, [start], links, at)
        store.commit()
    return links

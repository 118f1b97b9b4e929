"""Inferred links a person should look at: those linkage is least sure of."""

from __future__ import annotations

from typing import Any

from tracegraph.graph.model import INFERRED, split_id
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.graph.store import Store


def _review_nx(g: GraphReader, below: float) -> list[dict[str, Any]]:
    return [
        {"type": d["type"], "start": split_id(u)[1], "end": split_id(v)[1], "method": d["method"],
         "score": d["score"], "evidence": list(d["evidence"])}
        for u, v, d in g.edges()
        if d["type"] in INFERRED and d["score"] < below and d["method"] != "confirmed"
    ]


def _review_cypher(db: CypherReader, below: float) -> list[dict[str, Any]]:
    return db.rows("""
        MATCH (a)-[r]->(b) WHERE type(r) IN $types AND r.score < $below AND r.method <> 'confirmed'
        RETURN type(r) AS type, a.key AS start, b.key AS end, r.method AS method, r.score AS score, r.evidence AS evidence
        """, types=list(INFERRED), below=below)


REVIEW = Query("links to review", _review_nx, _review_cypher)


def review(store: Store, below: float = 0.9) -> list[dict[str, Any]]:
    """Inferred links scored under ``below``, least sure first."""
    rows = store.run(REVIEW, below)
    for r in rows:
        r["evidence"] = list(r["evidence"] or [])
    return sorted(rows, key=lambda r: (r["score"], r["type"], r["start"], r["end"], r["method"]))

"""Inferred links a person should look at: those linkage is least sure of."""

from __future__ import annotations

from typing import Any

from graph.memory import MemoryStore
from graph.model import INFERRED
from graph.store import Store

REVIEW_CYPHER = """
MATCH (a)-[r]->(b) WHERE type(r) IN $types AND r.score < $below AND r.method <> 'confirmed'
RETURN type(r) AS type, a.key AS start, b.key AS end, r.method AS method, r.score AS score, r.evidence AS evidence
"""


def review_nx(store: MemoryStore, below: float) -> list[dict[str, Any]]:
    return [
        {"type": d["type"], "start": u.partition(":")[2], "end": v.partition(":")[2], "method": d["method"],
         "score": d["score"], "evidence": list(d["evidence"])}
        for u, v, d in store.graph.edges(data=True)
        if d["type"] in INFERRED and d["score"] < below and d["method"] != "confirmed"
    ]


def review(store: Store, below: float = 0.9) -> list[dict[str, Any]]:
    """Inferred links scored under ``below``, least sure first."""
    if isinstance(store, MemoryStore):
        rows = review_nx(store, below)
    else:
        rows = [r.data() for r in store.read(REVIEW_CYPHER, types=list(INFERRED), below=below)]  # type: ignore[attr-defined]
    return sorted(rows, key=lambda r: (r["score"], r["type"], r["start"], r["end"]))

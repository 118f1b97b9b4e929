"""``MATCHES_PRODUCT``: a finding's product to CN products, by GTIN, then brand and model
(normalised, then fuzzy with rapidfuzz)."""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz, process

from tracegraph.graph.model import FINDING, MATCHES_PRODUCT, PRODUCT, Link, split_id
from tracegraph.graph.reading import CypherReader, GraphReader, Query

_FINDINGS_CYPHER = """
MATCH (f:Finding) WHERE f.product_name IS NOT NULL
RETURN f.key AS id, f.gtin AS gtin, f.model AS model, f.brand AS brand, f.product_name AS name
"""
_PRODUCTS_CYPHER = """
MATCH (p:Product) WHERE p.name_en IS NOT NULL
RETURN p.key AS key, p.gtin AS gtin, p.model AS model, p.brand AS brand, p.name_en AS name
"""


def _findings_nx(g: GraphReader) -> list[dict[str, Any]]:
    return [
        {"id": split_id(nid)[1], "gtin": a.get("gtin"), "model": a.get("model"), "brand": a.get("brand"), "name": a["product_name"]}
        for nid in g.ids(FINDING) if "product_name" in (a := g.nodes[nid])
    ]


def _products_nx(g: GraphReader) -> list[dict[str, Any]]:
    return [
        {"key": split_id(nid)[1], "gtin": a.get("gtin"), "model": a.get("model"), "brand": a.get("brand"), "name": a["name_en"]}
        for nid in g.ids(PRODUCT) if "name_en" in (a := g.nodes[nid])
    ]


_MODEL_NOISE = re.compile(r"[\s\-_./#]+")


def norm_model(model: str | None) -> str:
    """A model number as printed, without spaces, dashes, dots or case: ``xd 2087`` → ``XD2087``."""
    return _MODEL_NOISE.sub("", model or "").upper()


def norm_brand(brand: str | None) -> str:
    return " ".join((brand or "").casefold().split())


def match_products(findings: list[dict[str, Any]], products: list[dict[str, Any]]) -> tuple[list[str], list[Link]]:
    """Products a finding may be: same GTIN (0.9); same model (0.8, 0.9 with the brand); a model
    within a few characters of the finding's under the same brand (0.6)."""
    by_gtin: dict[str, list[dict[str, Any]]] = {}
    by_model: dict[str, list[dict[str, Any]]] = {}
    by_brand: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for p in products:
        if p.get("gtin"):
            by_gtin.setdefault(p["gtin"], []).append(p)
        m = norm_model(p.get("model"))
        if m:
            by_model.setdefault(m, []).append(p)
            by_brand.setdefault(norm_brand(p.get("brand")), {}).setdefault(m, []).append(p)
    starts, links = [], []
    for f in findings:
        starts.append(f["id"])
        found: dict[str, tuple[float, str, list[str]]] = {}

        def offer(p: dict[str, Any], score: float, method: str, evidence: list[str]) -> None:
            if p["key"] not in found or found[p["key"]][0] < score:
                found[p["key"]] = (score, method, evidence)

        if f.get("gtin"):
            for p in by_gtin.get(f["gtin"], ()):
                offer(p, 0.9, "gtin", [f"GTIN {f['gtin']}"])
        model, brand = norm_model(f.get("model")), norm_brand(f.get("brand"))
        if model:
            for p in by_model.get(model, ()):
                same_brand = bool(brand) and brand == norm_brand(p.get("brand"))
                offer(p, 0.9 if same_brand else 0.8, "model+brand" if same_brand else "model",
                      [f"model {f['model']}"] + ([f"brand {f['brand']}"] if same_brand else []))
            if not found and brand and brand in by_brand:
                near = process.extractOne(model, list(by_brand[brand]), scorer=fuzz.ratio, score_cutoff=85)
                if near:
                    for p in by_brand[brand][near[0]]:
                        offer(p, 0.6, "model~fuzzy+brand", [f"model {f['model']} ~ {p.get('model')} ({near[1]:.0f}%)",
                                                          f"brand {f['brand']}"])
        for key, (score, method, evidence) in sorted(found.items()):
            links.append(Link(MATCHES_PRODUCT, f["id"], key, method, score, tuple(evidence)))
    return starts, links


def _findings_cypher(db: CypherReader) -> list[dict[str, Any]]:
    return db.rows(_FINDINGS_CYPHER)


def _products_cypher(db: CypherReader) -> list[dict[str, Any]]:
    return db.rows(_PRODUCTS_CYPHER)


FINDINGS = Query("findings to match", _findings_nx, _findings_cypher)
PRODUCTS = Query("products to match findings to", _products_nx, _products_cypher)

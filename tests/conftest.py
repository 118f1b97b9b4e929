"""Fixtures: real stores of both kinds, and small generated data sets.

``store`` is parametrized over the embedded store and the Neo4j store. The Neo4j store needs a
server: ``make test`` starts one (Java 17 and Maven); ``NEO4J_URI`` points at another. With
``CI=true`` a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from tracegraph.graph.memory import MemoryStore
from tracegraph.graph.store import Store

HOW_TO_RUN = "Neo4j tests need a server: run `make test` (starts one with Java 17 + Maven) or set NEO4J_URI"


def neo4j_settings() -> tuple[str, str, str] | None:
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but NEO4J_URI is not set: the Neo4j tests must run in CI (use `make test`)")
        pytest.skip(HOW_TO_RUN)
    return uri, os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "")


@pytest.fixture(scope="session")
def neo4j_server() -> tuple[str, str, str]:
    settings = neo4j_settings()
    assert settings is not None
    return settings


def _open_neo4j(settings: tuple[str, str, str]) -> Store:
    from tracegraph.graph.neo4j import Neo4jStore

    store = Neo4jStore(*settings)
    store.clear()
    return store


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind."""
    if request.param == "embedded":
        s: Store = MemoryStore(tmp_path / "store")
    else:
        s = _open_neo4j(request.getfixturevalue("neo4j_server"))
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def store_factory(request: pytest.FixtureRequest, tmp_path: Path):
    """Open fresh stores of the kind named by the test's ``kind`` parameter."""
    opened: list[Store] = []

    def make(kind: str, name: str = "store") -> Store:
        if kind == "embedded":
            s: Store = MemoryStore(tmp_path / name)
        else:
            s = _open_neo4j(request.getfixturevalue("neo4j_server"))
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated data set of both sides (the exchange CSV files only), with its ground truth."""
    from tracegraph.demo import generate

    out = tmp_path_factory.mktemp("demo")
    generate(out, shipments=400, seed=11, alerts=False)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    """Debian's headless chromium, walled off from every other host (tests/browser.py)."""
    from browser import Browser, launch  # noqa: F401

    yield from launch()

"""tracegraph: trace unsafe products from EU findings back to the factories that made them.

The public surface, named once here (each name is imported on first use, so that the command
line starts without loading scipy or the Neo4j driver it may not need)::

    import tracegraph

    with tracegraph.open_store("./tracegraph-data") as store:
        tracegraph.load(store, ["demo-data/"])
        print(tracegraph.trace(store, "F-NL-007-0000001").status)

The parts: :mod:`tracegraph.graph` (the domain and the two stores), :mod:`tracegraph.loaders`
(one module per input format), :mod:`tracegraph.linkage` (what the two sides' records say about
the same consignment, product and company), :mod:`tracegraph.queries` (every analysis, written once
per store), :mod:`tracegraph.api` (the GraphQL service and the command line) and
:mod:`tracegraph.demo` (generated data with its ground truth).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("tracegraph")
except PackageNotFoundError:  # pragma: no cover - run from a source tree that was never installed
    __version__ = "0+unknown"

# name -> the module that defines it
_WHERE = {
    "open_store": "tracegraph.graph.store",
    "Store": "tracegraph.graph.store",
    "Query": "tracegraph.graph.store",
    "Neo4jAuth": "tracegraph.graph.store",
    "TracegraphError": "tracegraph.graph.errors",
    "StoreError": "tracegraph.graph.errors",
    "InvalidIdentifier": "tracegraph.graph.errors",
    "load": "tracegraph.loaders.load",
    "LoadReport": "tracegraph.loaders.load",
    "link": "tracegraph.linkage",
    "LinkReport": "tracegraph.linkage",
    "trace": "tracegraph.queries.trace",
    "exposure": "tracegraph.queries.trace",
    "alignment": "tracegraph.queries.schemes",
    "reliability": "tracegraph.queries.schemes",
    "priorities": "tracegraph.queries.priorities",
    "offenders": "tracegraph.queries.offenders",
    "search": "tracegraph.queries.nodes",
    "generate": "tracegraph.demo",
}

__all__ = ["__version__", *_WHERE]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tracegraph' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from tracegraph.demo import generate
    from tracegraph.graph.errors import InvalidIdentifier, StoreError, TracegraphError
    from tracegraph.graph.store import Neo4jAuth, Query, Store, open_store
    from tracegraph.linkage import LinkReport, link
    from tracegraph.loaders.load import LoadReport, load
    from tracegraph.queries.nodes import search
    from tracegraph.queries.offenders import offenders
    from tracegraph.queries.priorities import priorities
    from tracegraph.queries.schemes import alignment, reliability
    from tracegraph.queries.trace import exposure, trace

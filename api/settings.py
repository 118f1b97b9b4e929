"""Configuration, read once from the environment (flags override it in the CLI)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from tracegraph.graph.store import Neo4jAuth

DEFAULT_STORE = "./tracegraph-data"


@dataclass(frozen=True)
class Settings:
    store: str = DEFAULT_STORE
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str | None = None

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        return cls(
            store=env.get("TRACEGRAPH_STORE") or DEFAULT_STORE,
            neo4j_user=env.get("NEO4J_USER") or "neo4j",
            neo4j_password=env.get("NEO4J_PASSWORD") or "",
            neo4j_database=env.get("NEO4J_DATABASE") or None,
        )

    def with_(self, **changes: str | None) -> "Settings":
        """Return these settings with every change that is not ``None`` (a flag given) applied."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]

    @property
    def neo4j(self) -> Neo4jAuth:
        return Neo4jAuth(self.neo4j_user, self.neo4j_password, self.neo4j_database)

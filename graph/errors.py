"""The exception hierarchy of tracegraph: every message says what went wrong and what to do next."""

from __future__ import annotations


class TracegraphError(Exception):
    """Base class of every error tracegraph raises on purpose."""


class InvalidIdentifier(TracegraphError, ValueError):
    """An identifier (USCC, container number, GTIN, UN/LOCODE …) fails its format or check digit."""


class StoreError(TracegraphError):
    """A store cannot be opened, read or written."""


class StoreLocked(StoreError):
    """Another process holds the write lock of an embedded store."""


class StoreUnavailable(StoreError):
    """A Neo4j server cannot be reached, refuses the credentials, or timed out."""


class StoreNotFound(StoreError):
    """A location that holds no tracegraph store (a wrong folder or URI, a database never loaded)."""

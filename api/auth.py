"""Access: bearer tokens mapped to an organisation and a role, kept hashed beside the store's data;
and the audit log.

A token reads ``tg_<id>_<secret>``. Only the SHA-256 of the secret is kept (a random 256-bit secret
needs no slow hash: nothing can be guessed from its digest), with the organisation, the role, when
it was created and when it was revoked. The embedded store keeps its tokens in ``tokens.json`` in
its folder; the Neo4j store as ``:ApiToken`` nodes in its database (outside the domain's labels).

Roles, and what each may do beyond reading the graph:

==============  ===========================================================================
cn_authority    AQSIQ/CIQ: records investigations and shares certificates; no EU importers
eu_authority    an EU customs or market-surveillance authority: reports findings
analyst         an EU analyst: reads everything, confirms or rejects inferred links
partner         a partner tool: no EU importers, no company-internal fields
admin           everything, and the service's metrics
==============  ===========================================================================
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from tracegraph.graph.errors import StoreError
from tracegraph.graph.store import Store

ROLES = ("cn_authority", "eu_authority", "analyst", "partner", "admin")
EU_ROLES = frozenset({"eu_authority", "analyst", "admin"})  # may see EU importers' identities
INTERNAL_DENIED = frozenset({"partner"})  # may not see company-internal fields
MAY_RECORD_INVESTIGATIONS = frozenset({"cn_authority", "admin"})
MAY_SHARE_CERTIFICATES = frozenset({"cn_authority", "admin"})
MAY_REPORT_FINDINGS = frozenset({"eu_authority", "admin"})
MAY_READ_METRICS = frozenset({"admin"})
MAY_DECIDE_LINKS = frozenset({"analyst", "eu_authority", "cn_authority", "admin"})  # confirm or reject inferred links


class AuthError(Exception):
    """A missing, malformed, unknown or revoked token (the reason is for the log, not the client)."""


@dataclass(frozen=True)
class Principal:
    token_id: str
    org: str
    role: str


@dataclass
class TokenRecord:
    id: str
    digest: str
    org: str
    role: str
    created_at: str
    revoked_at: str | None = None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(token: str) -> tuple[str, str]:
    parts = token.split("_")
    if len(parts) != 3 or parts[0] != "tg" or not parts[1] or not parts[2]:
        raise AuthError("malformed token")
    return parts[1], parts[2]


class TokenBook:
    """The tokens of one store. Reads are cached and refreshed when the file (or, for Neo4j, a
    short interval) says they changed, so a revoked token stops working within a second."""

    def __init__(self, store: Store | None = None, folder: str | os.PathLike[str] | None = None) -> None:
        """The tokens of an open ``store``, or of the embedded store in ``folder`` (which need not
        be opened: a token command stays fast on a large store, and works while it is served)."""
        self.store = store
        self._cache: dict[str, TokenRecord] = {}
        self._stamp: Any = None
        self._lock = threading.Lock()
        if folder is not None:
            self.path: Path | None = Path(folder) / "tokens.json"
        elif store is not None and store.kind == "embedded":
            self.path = Path(store.location) / "tokens.json"
        else:
            self.path = None

    # -- storage ------------------------------------------------------------------------------------
    def _load(self) -> dict[str, TokenRecord]:
        if self.path is not None:
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                return {}
            except (OSError, ValueError) as exc:
                raise StoreError(f"cannot read the token file {self.path}: {exc}") from None
            return {r["id"]: TokenRecord(**r) for r in raw}
        rows = self.store.read("MATCH (t:ApiToken) RETURN properties(t) AS p")  # type: ignore[union-attr]
        return {r["p"]["id"]: TokenRecord(**{k: r["p"].get(k) for k in TokenRecord.__dataclass_fields__}) for r in rows}

    def _save_one(self, rec: TokenRecord) -> None:
        if self.path is None:
            self.store.write("CREATE CONSTRAINT api_token_id IF NOT EXISTS FOR (t:ApiToken) REQUIRE t.id IS UNIQUE")  # type: ignore[union-attr]
            self.store.write("MERGE (t:ApiToken {id: $id}) SET t += $p", id=rec.id, p=asdict(rec))  # type: ignore[union-attr]
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two `token` commands at once must not lose one
            records = self._load()
            records[rec.id] = rec
            tmp = self.path.with_suffix(".tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump([asdict(r) for r in records.values()], f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)

    def _fresh(self) -> dict[str, TokenRecord]:
        if self.path is not None:
            try:
                st = self.path.stat()
                stamp: Any = (st.st_mtime_ns, st.st_size, st.st_ino)
            except FileNotFoundError:
                stamp = None
        else:
            stamp = int(time.monotonic())  # Neo4j: re-read at most once a second
        with self._lock:
            if stamp != self._stamp or stamp is None:
                self._cache, self._stamp = self._load(), stamp
            return self._cache

    # -- use ------------------------------------------------------------------------------------------
    def create(self, org: str, role: str) -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
        if not org.strip():
            raise ValueError("the organisation must not be empty")
        token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32).replace("_", "-")
        self._save_one(TokenRecord(token_id, _digest(secret), org.strip(), role, _now()))
        return f"tg_{token_id}_{secret}"

    def revoke(self, token_id: str) -> bool:
        rec = self._load().get(token_id)
        if rec is None:
            return False
        if not rec.revoked_at:
            rec.revoked_at = _now()
            self._save_one(rec)
        return True

    def list(self) -> list[TokenRecord]:
        return sorted(self._load().values(), key=lambda r: r.created_at)

    def check(self, token: str) -> Principal:
        token_id, secret = _split(token)
        rec = self._fresh().get(token_id)
        if rec is None and self.path is None:  # Neo4j: a token issued since the last read
            rows = self.store.read("MATCH (t:ApiToken {id: $id}) RETURN properties(t) AS p", id=token_id)  # type: ignore[union-attr]
            if rows:
                rec = TokenRecord(**{k: rows[0]["p"].get(k) for k in TokenRecord.__dataclass_fields__})
        if rec is None or not hmac.compare_digest(rec.digest, _digest(secret)):
            raise AuthError("unknown token")
        if rec.revoked_at:
            raise AuthError("revoked token")
        return Principal(rec.id, rec.org, rec.role)


def bearer(header: str | None) -> str:
    """The token of an ``Authorization: Bearer …`` header."""
    if not header:
        raise AuthError("no Authorization header")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthError("not a bearer token")
    return value.strip()


class AuditLog:
    """One JSON line per request: when, who, which operation, the outcome. Appended and flushed."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(self.path, "a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()

    def write(self, **entry: Any) -> None:
        line = json.dumps({"at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), **entry},
                          ensure_ascii=False, default=str)
        with self._lock:
            self._f.write(line + "\n")

    def close(self) -> None:
        self._f.close()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)

"""What every resolver is given: the store behind the schema (:class:`Backend`), who is asking,
and the DataLoaders that batch its reads (:class:`Context`).

Store calls run on the backend's threads, so the event loop keeps serving while a long analysis
runs. Relationships are read through DataLoaders: a page of 100 findings asking for their arrivals
costs one store call, not 100.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from tracegraph.api.auth import Principal
from tracegraph.graph.store import Store
from tracegraph.queries import nodes as q

log = logging.getLogger("tracegraph.api")
TAKE_UP_PAUSE = 0.5  # seconds without a request before the store takes up the next kept piece


class Backend:
    """The store and the threads its calls run on: one for the embedded store (which keeps reads
    and writes in order), several for Neo4j (whose driver is thread-safe)."""

    def __init__(self, store: Store, workers: int = 8, on_call: Callable[[], None] | None = None) -> None:
        self.store = store
        self.executor = ThreadPoolExecutor(1 if store.kind == "embedded" else workers, thread_name_prefix="store")
        self.on_call = on_call
        self._taking_up = False
        self._last_call = time.monotonic()  # when the store last answered a request (take_up waits for a pause)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(store, *args)`` on a store thread, on the data as last committed by any process."""
        if self.on_call:
            self.on_call()
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._call, fn, args)

    def _call(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        try:
            if self.store.refresh():  # (a served embedded store: what a `tracegraph load` beside it committed)
                self.take_up()
            return fn(self.store, *args)
        finally:
            self._last_call = time.monotonic()

    def take_up(self) -> None:
        """Have the store take up, in the pauses between requests, what its first queries would
        otherwise wait for (:meth:`~tracegraph.graph.store.Store.take_up_next`: an index, each
        derivation kept with the data): one piece per turn on the store's thread, and only once
        the store has had no request for TAKE_UP_PAUSE seconds, so that people at work go first
        (a request waits for one piece at most). Called when the server opens the store and
        whenever it takes in new data."""
        if not self._taking_up:
            self._taking_up = True
            self._submit(self._take_up_step)

    def _take_up_step(self) -> None:
        idle = time.monotonic() - self._last_call
        if idle < TAKE_UP_PAUSE:  # busy: look again once a pause may have come
            timer = threading.Timer(TAKE_UP_PAUSE - idle, self._submit, (self._take_up_step,))
            timer.daemon = True
            timer.start()
            return
        try:
            more = self.store.take_up_next()
        except Exception:  # noqa: BLE001 - a shortcut lost: the queries derive it when asked
            log.warning("taking up what the store kept failed; the queries will derive it", exc_info=True)
            more = False
        if more:
            self._submit(self._take_up_step)
        else:
            self._taking_up = False

    def _submit(self, step: Callable[[], None]) -> None:
        try:
            self.executor.submit(step)
        except RuntimeError:  # shut down: the server is stopping
            self._taking_up = False

    def close(self) -> None:
        self.executor.shutdown(wait=True)


@dataclass
class Context:
    principal: Principal
    backend: Backend
    operation: dict[str, Any] = field(default_factory=dict)  # filled for the audit log
    _loaders: dict[tuple, DataLoader] = field(default_factory=dict)

    def node_loader(self, label: str) -> DataLoader:
        """Nodes of ``label`` by key (their properties, or None)."""
        key = ("node", label)
        if key not in self._loaders:
            async def load(keys: list[str]) -> list[dict[str, Any] | None]:
                found = await self.backend.run(q.nodes, label, list(keys))
                return [found.get(k) for k in keys]
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    def rel_loader(self, label: str, rel_type: str, direction: str) -> DataLoader:
        """The neighbours of nodes of ``label`` by key, along ``rel_type`` in ``direction``."""
        key = ("rel", label, rel_type, direction)
        if key not in self._loaders:
            async def load(keys: list[str]) -> list[list[dict[str, Any]]]:
                found = await self.backend.run(q.neighbours, label, rel_type, direction, list(keys))
                return [found[k] for k in keys]
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self.backend.run(fn, *args)


def ctx(info: Info) -> Context:
    return info.context  # type: ignore[no-any-return]

"""The last answers of a costly query, kept until the data changes.

A page asks for a ranking a page at a time, and people come back to the same window: computing
``offenders`` or ``priorities`` again for each page and visit would cost the whole ranking every
time. :func:`kept` keeps the last :data:`SIZE` answers per query in the store's memo, which either
store drops when the data changes, so a kept answer is never older than the data.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable, TypeVar

from tracegraph.graph.store import Store

T = TypeVar("T")
SIZE = 16  # windows per query: answers are a few MB at most at 1M shipments


class _Recent:
    def __init__(self) -> None:
        self.answers: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()


def kept(store: Store, query: Callable[..., T], *args: Hashable) -> T:
    """``query(store, *args)``, or its answer kept from an earlier call with the same arguments
    since the data last changed. Answers are shared: callers must not change them."""
    recent = store.memo(f"answers:{query.__module__}.{query.__qualname__}", _Recent)
    with recent.lock:
        if args in recent.answers:
            recent.answers.move_to_end(args)
            return recent.answers[args]  # type: ignore[no-any-return]
    answer = query(store, *args)
    with recent.lock:
        recent.answers[args] = answer
        while len(recent.answers) > SIZE:
            recent.answers.popitem(last=False)
    return answer

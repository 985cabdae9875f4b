"""A memo bounded by bytes as well as by entries, for caches whose keys come from requests.

``functools.lru_cache(maxsize=N)`` bounds only the number of entries: N keys of a megabyte each
are N megabytes. Every in-process cache filled from request data uses this instead, or refuses
keys over a fixed size before caching them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

_MISSING = object()


class BoundedMemo(Generic[K, V]):
    """Least recently used entries go first once either bound is passed; an entry whose own size
    is over ``max_item_bytes`` is not kept at all."""

    def __init__(self, *, max_entries: int, max_bytes: int, max_item_bytes: int,
                 size: Callable[[K, V], int]) -> None:
        self.max_entries, self.max_bytes, self.max_item_bytes = max_entries, max_bytes, max_item_bytes
        self._size = size
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | object:
        """The value, or ``MISSING``."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return _MISSING
            self._items.move_to_end(key)
            return hit[0]

    def put(self, key: K, value: V) -> None:
        size = self._size(key, value)
        if size > self.max_item_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.nbytes -= old[1]
            self._items[key] = (value, size)
            self.nbytes += size
            while len(self._items) > self.max_entries or self.nbytes > self.max_bytes:
                _key, (_value, dropped) = self._items.popitem(last=False)
                self.nbytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.nbytes = 0


MISSING = _MISSING

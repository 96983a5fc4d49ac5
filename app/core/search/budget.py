"""One least-recently-used cache for everything the engine derives from the index, held to a
byte budget.

Every per-segment structure (doc sets, allowed sets, phrase checks, scored lists, field
lengths, newest-first order, key order, facet values, term expansions) and the spelling
candidates live here, each entry with an estimate of its bytes, so a worker's memory is
bounded by ``SearchIndex(path, memory_mb=...)`` however many distinct queries and users it
serves. Estimates use sys.getsizeof of the values (ints used as bitsets, arrays, strings)
plus a fixed overhead per entry for the key and the dict node; they slightly undercount
shared small objects and are otherwise close.
"""

from __future__ import annotations

import sys
from array import array
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

#: Dict node, key tuple and bookkeeping of one entry (measured: 150-250 bytes).
ENTRY_OVERHEAD = 240


def size_of(value: Any) -> int:
    """Approximate bytes held by a cached value (not counting objects shared elsewhere)."""
    if isinstance(value, int | array | str | bytes):
        return sys.getsizeof(value)
    if isinstance(value, tuple | list):
        return sys.getsizeof(value) + sum(size_of(v) for v in value)
    slots = getattr(type(value), "__slots__", None)
    if slots:  # a Scored: its arrays
        return sys.getsizeof(value) + sum(size_of(getattr(value, s)) for s in slots)
    return sys.getsizeof(value)


class Budget:
    """An LRU mapping with a byte limit; not thread-safe (SearchIndex holds its lock)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> Any:
        """The cached value (now most recently used), or None."""
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: Hashable, value: Any, nbytes: int | None = None) -> Any:
        """Cache ``value`` (replacing any old one) and evict the least recently used entries
        until the total is within the budget; a value bigger than the whole budget is
        returned but not kept. Returns ``value``."""
        size = (size_of(value) if nbytes is None else nbytes) + ENTRY_OVERHEAD
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        if size > self.max_bytes:
            return value
        self._items[key] = (value, size)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, (_, freed) = self._items.popitem(last=False)
            self.bytes -= freed
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        found = self.get(key)
        return self.put(key, make()) if found is None else found

    def drop(self, keep: Callable[[Hashable], bool]) -> None:
        """Remove every entry whose key ``keep`` rejects (e.g. of a merged-away segment)."""
        for key in [k for k in self._items if not keep(k)]:
            self.bytes -= self._items.pop(key)[1]

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0

"""Collections of sandbox objects with Okta's read-after-write behaviour.

Okta serves reads from replicas: an object just created may be missing from GET-by-id and from
lists for a moment. With ``eventual_consistency_ms`` set on the org, each new object becomes
visible to *reads* only that much org-clock time after its creation. Writes and uniqueness checks
always see everything (they go to the primary), so a duplicate label is refused even while the
first object is still invisible."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar


class Record(Protocol):
    id: str
    seq: int  # creation order; list order and pagination cursors follow it


T = TypeVar("T", bound=Record)

_sequence = itertools.count(1)


def next_seq() -> int:
    return next(_sequence)


class Table(Generic[T]):
    def __init__(self, now: Callable[[], float], delay_ms: Callable[[], int]) -> None:
        self._now = now
        self._delay_ms = delay_ms
        self._items: dict[str, T] = {}
        self._visible_from: dict[str, float] = {}
        # Items usually arrive in creation order, so iteration needs no sort (a 100,000-user org
        # is listed page by page, and each page walks the table).
        self._in_order = True
        self._last_seq = 0

    # Strongly consistent access (writes, uniqueness checks, tests).
    def add(self, item: T) -> T:
        if item.id in self._items or item.seq < self._last_seq:
            self._in_order = False
        self._last_seq = max(self._last_seq, item.seq)
        self._items[item.id] = item
        self._visible_from[item.id] = self._now() + self._delay_ms() / 1000
        return item

    def get(self, item_id: str) -> T | None:
        return self._items.get(item_id)

    def remove(self, item_id: str) -> T | None:
        self._visible_from.pop(item_id, None)
        return self._items.pop(item_id, None)

    def __getitem__(self, item_id: str) -> T:
        return self._items[item_id]

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def __iter__(self) -> Iterator[T]:
        if self._in_order:
            return iter(list(self._items.values()))
        return iter(sorted(self._items.values(), key=lambda item: item.seq))

    def __len__(self) -> int:
        return len(self._items)

    def values(self) -> list[T]:
        return list(self)

    def clear(self) -> None:
        self._items.clear()
        self._visible_from.clear()
        self._in_order = True
        self._last_seq = 0

    # Eventually consistent access (GET by id and lists).
    def hide(self, item_id: str, until: float) -> None:
        """Keep an item out of reads until ``until`` (org-clock seconds): an ``invisible`` fault."""
        if item_id in self._items:
            self._visible_from[item_id] = max(until, self._visible_from.get(item_id, until))

    def is_visible(self, item: T) -> bool:
        return self._visible_from.get(item.id, 0.0) <= self._now()

    def read(self, item_id: str) -> T | None:
        item = self._items.get(item_id)
        return item if item is not None and self.is_visible(item) else None

    def listing(self) -> list[T]:
        return [item for item in self if self.is_visible(item)]

"""Collections of sandbox objects with Okta's read-after-write behaviour.

Okta serves reads from replicas: an object just created may be missing from GET-by-id and from
lists for a moment. With ``eventual_consistency_ms`` set on the org, each new object becomes
visible to *reads* only that much org-clock time after its creation. Writes and uniqueness checks
always see everything (they go to the primary), so a duplicate label is refused even while the
first object is still invisible.

A table holds its items under their id, unless it is given another key: Okta's id of a standard
role assignment is the same for every holder of the role, so that table keys an assignment by its
holder and id."""

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


def _by_id(item: Record) -> str:
    return item.id


class Table(Generic[T]):
    def __init__(self, now: Callable[[], float], delay_ms: Callable[[], int],
                 key: Callable[[T], str] = _by_id) -> None:
        self._now = now
        self._delay_ms = delay_ms
        self.key_of = key
        self._items: dict[str, T] = {}
        self._visible_from: dict[str, float] = {}
        # Items usually arrive in creation order, so iteration needs no sort (a 100,000-user org
        # is listed page by page, and each page walks the table).
        self._in_order = True
        self._last_seq = 0

    # Strongly consistent access (writes, uniqueness checks, tests).
    def add(self, item: T) -> T:
        key = self.key_of(item)
        if key in self._items or item.seq < self._last_seq:
            self._in_order = False
        self._last_seq = max(self._last_seq, item.seq)
        self._items[key] = item
        self._visible_from[key] = self._now() + self._delay_ms() / 1000
        return item

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    def remove(self, key: str) -> T | None:
        self._visible_from.pop(key, None)
        return self._items.pop(key, None)

    def __getitem__(self, key: str) -> T:
        return self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

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
    def hide(self, key: str, until: float) -> None:
        """Keep an item out of reads until ``until`` (org-clock seconds): an ``invisible`` fault."""
        if key in self._items:
            self._visible_from[key] = max(until, self._visible_from.get(key, until))

    def is_visible(self, item: T) -> bool:
        return self._visible_from.get(self.key_of(item), 0.0) <= self._now()

    def read(self, key: str) -> T | None:
        item = self._items.get(key)
        return item if item is not None and self.is_visible(item) else None

    def listing(self) -> list[T]:
        return [item for item in self if self.is_visible(item)]

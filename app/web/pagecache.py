"""A short-lived cache of rendered onboarding pages, keyed by the onboarding's revision.

The onboarding page is read far more often than it changes (operators reload it, colleagues and
auditors open it, a run's progress brings people back), and drawing it takes a dozen queries and
a large template. Every change to an onboarding bumps its ``revision``, so a page drawn for the
same revision, by the same operator in the same session, is the same page; the entry also
expires after a few seconds so that relative times ("2 minutes ago") and values kept outside the
onboarding (an operator's name, a connection's label) never lag behind for long. A page that
carries a one-shot message or a revealed secret is never cached."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable


class PageCache:
    def __init__(self, *, max_entries: int = 256, ttl_seconds: float = 10.0) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            self._entries.pop(key, None)
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: Hashable, body: bytes) -> None:
        self._entries[key] = (time.monotonic() + self.ttl_seconds, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

"""A short-lived cache of rendered onboarding pages, keyed by the onboarding's revision.

The onboarding page is read far more often than it changes (operators reload it, colleagues and
auditors open it, a run's progress brings people back), and drawing it takes a dozen queries and
a large template. Every change to an onboarding bumps its ``revision``, so a page drawn for the
same revision, by the same operator in the same session, is the same page; the entry also
expires after a few seconds so that relative times ("2 minutes ago") and values kept outside the
onboarding (an operator's name, a connection's label) never lag behind for long. A page that
carries a one-shot message or a revealed secret is never cached.

Requests for a page that is being drawn wait for that drawing instead of drawing it again: when
an entry expires under load, one request draws the page and the others arriving meanwhile share
it (without that, twenty people on one page would each draw it at once, every few seconds)."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

from starlette.responses import HTMLResponse, Response


class PageCache:
    def __init__(self, *, max_entries: int = 256, ttl_seconds: float = 10.0) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self._drawing: dict[Hashable, asyncio.Future[bytes | None]] = {}

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

    async def page(self, key: Hashable, draw: Callable[[], Awaitable[Response]]) -> Response:
        """The page for ``key``: from the cache, from a drawing of it already under way, or drawn
        now by ``draw`` (and kept if it is a plain 200)."""
        body = self.get(key)
        if body is None and (under_way := self._drawing.get(key)) is not None:
            body = await asyncio.shield(under_way)
            if body is not None:
                self.hits += 1
        if body is not None:
            return HTMLResponse(body)
        drawn: bytes | None = None
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._drawing[key] = future
        try:
            response = await draw()
            if response.status_code == 200 and isinstance(response.body, bytes | memoryview):
                drawn = bytes(response.body)
                self.put(key, drawn)
            return response
        finally:
            # Those who waited draw their own if this drawing failed or is not to be shared.
            if self._drawing.get(key) is future:
                del self._drawing[key]
            future.set_result(drawn)

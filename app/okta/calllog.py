"""What the client reports: one record per attempt of every call (for the audit trail), and
events a page can show while it waits (a rate-limit pause). Never a body, never a credential."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class OktaCall:
    org: str  # the org's host, with its port where it has one (a sandbox's): ``127.0.0.1:8010``
    method: str
    path: str  # the template, e.g. /api/v1/users/{userId}/roles: ids stay out of the log
    status: int | None
    duration_ms: float
    attempt: int
    request_id: str | None
    # ok, not_found (a 404 the caller said may be the answer: see ``OktaHttp.call``'s absent_ok),
    # http_error, rate_limited, timeout, dropped, connect, malformed, redirect
    outcome: str
    error_code: str | None = None
    # A 429's: how long Okta asked to wait before the call is sent again (its reset), in seconds.
    wait_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def absent_as_expected(self) -> bool:
        """A 404 the caller expected: the object it looked up is not there (yet)."""
        return self.outcome == "not_found"


@dataclass(frozen=True)
class RateLimitWait:
    """The client is pausing before a call so the org's rate limit is not exhausted."""

    seconds: float
    until: float  # epoch seconds
    path: str
    reason: str  # "reserve" (staying under the limit) or "429" (Okta said stop)

    @property
    def message(self) -> str:
        total = max(0, round(self.seconds))
        return f"waiting {total // 60:02d}:{total % 60:02d} for Okta's rate limit"


CallHook = Callable[[OktaCall], Awaitable[None]]
EventHook = Callable[[RateLimitWait], Awaitable[None]]
BatchWriter = Callable[[Sequence[OktaCall]], Awaitable[None]]


class CallBatcher:
    """A call hook that writes the records of calls answered together in one transaction (group
    commit). Each call still returns only once its record is written, so the trail keeps every
    call, in order, before anything the caller does next; but a dozen reads answered at the same
    moment cost two writes to the trail instead of a dozen one after the other."""

    def __init__(self, write: BatchWriter) -> None:
        self.write = write
        self._queue: list[tuple[OktaCall, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def __call__(self, call: OktaCall) -> None:
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Retrieved even if the caller stops waiting, so a failed write is never left unobserved.
        written.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._queue.append((call, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._drain())
        await asyncio.shield(written)

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self.write([call for call, _written in batch])
            except Exception as exc:
                for _call, written in batch:
                    if not written.done():
                        written.set_exception(exc)
                continue
            for _call, written in batch:
                if not written.done():
                    written.set_result(None)

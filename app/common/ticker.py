"""A background task that runs one step every so many seconds until it is stopped.

Stopping never cancels a step under way: a step cancelled inside a database query makes SQLite's
driver close its connection without waiting, and report later to an event loop that has closed
(an error in a thread after shutdown). The step finishes; then the task ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("onboard.ticker")


class Ticker:
    def __init__(self, step: Callable[[], Awaitable[object]], seconds: float, *, name: str,
                 run_first: bool = True) -> None:
        self.step, self.seconds, self.name, self.run_first = step, seconds, name, run_first
        self._task: asyncio.Task[None] | None = None
        self._stopping: asyncio.Event | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    @property
    def stopping(self) -> bool:
        """Asked to stop: a long step may end early (the next start does the rest)."""
        return self._stopping is not None and self._stopping.is_set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(self._stopping))

    async def _run(self, stopping: asyncio.Event) -> None:
        if not self.run_first:
            await self._pause(stopping)
        while not stopping.is_set():
            try:
                await self.step()
            except Exception:  # the database may be away for a while; try again next round
                log.warning("%s: this round failed; trying again at the next", self.name, exc_info=True)
            await self._pause(stopping)

    async def _pause(self, stopping: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), self.seconds)

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        self._task = self._stopping = None

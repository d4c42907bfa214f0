"""Time as a dependency. The Okta client waits for rate-limit windows and the sandbox Okta
resets its buckets by the clock; tests hand both a fake clock so an hour of waiting takes no time."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to, or when someone sleeps on it (which returns at once
    after moving time forward). ``slept`` records every sleep, so tests can assert on waits."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if seconds > 0:
            self._now += seconds
        await asyncio.sleep(0)


SYSTEM_CLOCK = SystemClock()

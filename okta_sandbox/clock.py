"""The org clock. The sandbox resets its rate-limit buckets, stamps ``Date`` headers and times its
faults by it; tests hand it a fake clock (anything with ``now()`` and ``sleep()``, such as
``app.common.clock.FakeClock``) so an hour of waiting takes no time. The sandbox keeps its own
copy of this small protocol so that it depends on nothing in the product package."""

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


SYSTEM_CLOCK = SystemClock()

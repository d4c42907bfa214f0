"""Staying inside Okta's rate limits, which the customer's other apps share.

Every response's ``X-Rate-Limit-*`` headers update the known state of its bucket. Before a call,
if the bucket's remaining requests (minus those already in flight) have fallen to the reserve
(default 10% of the bucket), the call waits for the window to reset instead of spending the
reserve. A 429 waits until Okta's reset time (bounded, plus a little jitter), never a blind
exponential backoff. At most ``max_in_flight`` calls per org run at once.

Okta does not say which endpoints share a bucket. Calls are grouped by method and path
template; when two groups report the same limit and the same reset moment they are treated as
one bucket, and the lower remaining count wins.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.common.clock import Clock


@dataclass
class Bucket:
    limit: int
    remaining: int
    reset: float  # epoch seconds
    pending: int = 0  # sent, not yet answered


@dataclass
class RateLimitPolicy:
    reserve_fraction: float = 0.10
    max_in_flight: int = 2
    max_wait_seconds: float = 300.0
    jitter_seconds: float = 1.0
    max_429_retries: int = 3


def parse_headers(headers: Mapping[str, str]) -> tuple[int, int, float] | None:
    try:
        limit = int(headers["x-rate-limit-limit"])
        remaining = int(headers["x-rate-limit-remaining"])
        reset = float(headers["x-rate-limit-reset"])
    except (KeyError, ValueError):
        return None
    return limit, remaining, reset


@dataclass
class OrgRateLimiter:
    clock: Clock
    policy: RateLimitPolicy = field(default_factory=RateLimitPolicy)
    buckets: dict[str, Bucket] = field(default_factory=dict)
    _semaphores: dict[int, asyncio.Semaphore] = field(default_factory=dict)

    def slot(self) -> asyncio.Semaphore:
        """The per-org concurrency cap, one semaphore per event loop (a semaphore is loop-bound)."""
        loop = id(asyncio.get_running_loop())
        if loop not in self._semaphores:
            self._semaphores[loop] = asyncio.Semaphore(self.policy.max_in_flight)
        return self._semaphores[loop]

    def reserve_of(self, bucket: Bucket) -> int:
        return max(1, int(bucket.limit * self.policy.reserve_fraction + 0.999))

    def wait_needed(self, key: str) -> float:
        """Seconds to wait before sending on ``key`` to keep the reserve untouched (0: go)."""
        bucket = self.buckets.get(key)
        if bucket is None:
            return 0.0
        now = self.clock.now()
        if bucket.reset <= now:
            # The window has reset: the old counts no longer apply.
            self.buckets.pop(key, None)
            return 0.0
        if bucket.remaining - bucket.pending > self.reserve_of(bucket):
            return 0.0
        return min(bucket.reset - now + self._jitter(), self.policy.max_wait_seconds)

    def _jitter(self) -> float:
        return random.uniform(0, self.policy.jitter_seconds)  # noqa: S311 - spreading retries, not security

    def sent(self, key: str) -> None:
        bucket = self.buckets.get(key)
        if bucket is not None:
            bucket.pending += 1

    def answered(self, key: str, headers: Mapping[str, str] | None) -> None:
        bucket = self.buckets.get(key)
        if bucket is not None and bucket.pending > 0:
            bucket.pending -= 1
        parsed = parse_headers(headers) if headers is not None else None
        if parsed is None:
            return
        limit, remaining, reset = parsed
        pending = bucket.pending if bucket is not None else 0
        if bucket is not None and bucket.reset == reset and bucket.limit == limit:
            # Answers can arrive out of order; within one window the count only goes down.
            remaining = min(remaining, bucket.remaining)
        self.buckets[key] = Bucket(limit=limit, remaining=remaining, reset=reset, pending=pending)
        for other_key, other in self.buckets.items():
            if other_key != key and other.limit == limit and other.reset == reset:
                other.remaining = min(other.remaining, remaining)

    def wait_after_429(self, headers: Mapping[str, str]) -> float | None:
        """How long Okta asked us to wait; None if it did not say (then the 429 is an error)."""
        parsed = parse_headers(headers)
        if parsed is None:
            return None
        _limit, _remaining, reset = parsed
        delay = max(0.0, reset - self.clock.now()) + self._jitter()
        return min(delay, self.policy.max_wait_seconds)


class RateLimiterRegistry:
    """One limiter per org for the whole process, shared by every client of that org."""

    def __init__(self, clock: Clock, policy: RateLimitPolicy | None = None) -> None:
        self.clock = clock
        self.policy = policy or RateLimitPolicy()
        self._limiters: dict[str, OrgRateLimiter] = {}

    def for_org(self, origin: str) -> OrgRateLimiter:
        if origin not in self._limiters:
            self._limiters[origin] = OrgRateLimiter(self.clock, self.policy)
        return self._limiters[origin]

"""Staying inside Okta's rate limits, which the customer's other apps share.

Every response's ``X-Rate-Limit-*`` headers update the known state of its bucket. Before a call,
if the bucket's remaining requests (minus those already in flight) have fallen to the reserve
(default 10% of the bucket), the call waits for the window to reset instead of spending the
reserve. The check and the claim of a request from the bucket happen together, so calls sent at
the same time cannot overspend it between them. A 429 waits until Okta's reset time (bounded,
plus a little jitter), never a blind exponential backoff.

Okta's clock, not ours: ``X-Rate-Limit-Reset`` is a moment on Okta's clock, so a wait is
``reset - Date`` of the same answer, as Okta's SDKs compute it (okta-sdk-golang
``Get429BackoffTime``, okta-sdk-python ``calculate_backoff``). Resets are stored converted to the
local clock using the offset that answer's ``Date`` shows, so a local clock minutes off neither
waits minutes too long nor calls again before the window has reset. Without a ``Date`` header the
reset is taken as a moment on the local clock.

Okta does not say which endpoints share a bucket. Calls are grouped by method and path
template; groups that report the same limit and the same reset moment are taken to be one
bucket. A group not heard from yet (or whose window has ended) is presumed to share the most
depleted bucket still in its window: it waits when that bucket is down to its reserve, and its
call counts against that bucket until Okta's answer says which bucket it really is. Waiting for
a window is cheaper than a 429, which Okta also counts against the org.

Concurrency: at most ``max_in_flight`` calls per org at once, of which at most
``max_writes_in_flight`` change something. Okta allows 75 simultaneous requests per org (35 on
the Integrator Free plan), shared with the org's other integrations; the wizard's default of 16
lets a verification's independent reads go out together while leaving most of that to others.
Writes stay two at a time: the engine makes them one after another anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime

from app.common.clock import Clock

WINDOW_SECONDS = 60.0


@dataclass(eq=False)
class Bucket:
    limit: int
    remaining: int
    reset: float  # epoch seconds on the local clock
    pending: int = 0  # claimed by calls sent (or about to be), not yet answered
    okta_reset: float = 0.0  # the same moment as Okta names it (X-Rate-Limit-Reset): identifies the window


@dataclass
class RateLimitPolicy:
    reserve_fraction: float = 0.10
    max_in_flight: int = 16
    max_writes_in_flight: int = 2
    max_wait_seconds: float = 300.0
    jitter_seconds: float = 1.0
    max_429_retries: int = 3


@dataclass(frozen=True)
class Patience:
    """How long whoever waits for a client's calls can wait. A background job (Apply, Verify, the
    watch) waits out Okta's rate-limit window and asks again after a passing failure: nobody holds
    a page open, and its progress panel says what it waits for. A form post (checking a connection
    or a pasted token, making a plan) has a person watching a busy button, and often a proxy in
    front that gives up after 60 s: it waits a few seconds at most, then fails with the time Okta
    named, before anything is saved. The org's limiter and its reserve are the same for both."""

    rate_limit_wait: float | None  # seconds of rate-limit waits in all; None: as long as the policy allows
    timeout_seconds: float | None  # for one attempt; None: the configured timeout
    read_retries: int  # times a read that timed out, dropped or got a 5xx is asked again
    deadline_seconds: float | None = None  # for all the calls of one request together; None: no limit


BACKGROUND = Patience(rate_limit_wait=None, timeout_seconds=None, read_retries=2)
# Worst case for one call: two attempts of 10 s and a short pause; a 429 whose window resets
# within 10 s is still waited out (one quick retry beats asking the person to come back). A form
# post that makes several reads (Make the plan reads each object it would create) stops at 30 s
# in all, well before a proxy's 60 s.
INTERACTIVE = Patience(rate_limit_wait=10.0, timeout_seconds=10.0, read_retries=1, deadline_seconds=30.0)


def parse_headers(headers: Mapping[str, str]) -> tuple[int, int, float] | None:
    """Okta's ``X-Rate-Limit-*`` values. An answer may repeat them (httpx joins repeats with
    commas): the smallest of each counts, as Okta's Go SDK takes the smallest reset."""
    try:
        limit = min(int(v) for v in headers["x-rate-limit-limit"].split(","))
        remaining = min(int(v) for v in headers["x-rate-limit-remaining"].split(","))
        reset = min(float(v) for v in headers["x-rate-limit-reset"].split(","))
    except (KeyError, ValueError):
        return None
    return limit, remaining, reset


def okta_date(headers: Mapping[str, str]) -> float | None:
    """The ``Date`` of Okta's answer (epoch seconds on Okta's clock), or None if absent or unreadable."""
    raw = headers.get("date")
    if not raw:
        return None
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # "-0000": HTTP dates are GMT
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def local_reset(headers: Mapping[str, str], reset: float, now: float) -> float:
    """Okta's reset moment on the local clock: ``now + (reset - Date)``; ``reset`` itself when the
    answer has no ``Date``."""
    date = okta_date(headers)
    return reset if date is None else now + (reset - date)


@dataclass
class OrgRateLimiter:
    clock: Clock
    policy: RateLimitPolicy = field(default_factory=RateLimitPolicy)
    # Method and path template -> its bucket; groups sharing a bucket share the object.
    buckets: dict[str, Bucket] = field(default_factory=dict)
    _semaphores: dict[int, tuple[asyncio.Semaphore, asyncio.Semaphore]] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def slot(self, *, write: bool = False) -> AsyncIterator[None]:
        """The per-org concurrency cap (semaphores per event loop: a semaphore is loop-bound)."""
        loop = id(asyncio.get_running_loop())
        if loop not in self._semaphores:
            self._semaphores[loop] = (asyncio.Semaphore(self.policy.max_in_flight),
                                      asyncio.Semaphore(self.policy.max_writes_in_flight))
        calls, writes = self._semaphores[loop]
        async with contextlib.AsyncExitStack() as stack:
            if write:
                await stack.enter_async_context(writes)
            await stack.enter_async_context(calls)
            yield

    def reserve_of(self, bucket: Bucket) -> int:
        return max(1, int(bucket.limit * self.policy.reserve_fraction + 0.999))

    def _live(self) -> list[Bucket]:
        """The known buckets, each in its current window. A bucket whose window has ended starts
        the next one full (Okta's limits are per minute); calls still in flight keep counting
        against it, since they may land in the new window. The next answer corrects the guess."""
        now = self.clock.now()
        unique: dict[int, Bucket] = {id(bucket): bucket for bucket in self.buckets.values()}
        for bucket in unique.values():
            if bucket.reset <= now:
                windows = int((now - bucket.reset) // WINDOW_SECONDS) + 1
                bucket.reset += windows * WINDOW_SECONDS
                bucket.okta_reset += windows * WINDOW_SECONDS
                bucket.remaining = bucket.limit
        return list(unique.values())

    def bucket_of(self, key: str) -> Bucket | None:
        """The bucket ``key`` is known to use, or (not heard from in this window) the most
        depleted bucket still in its window; None if no bucket is known."""
        live = self._live()
        if key in self.buckets:
            return self.buckets[key]
        if not live:
            return None
        return min(live, key=lambda b: (b.remaining - b.pending) / max(b.limit, 1))

    def claim(self, key: str) -> tuple[float, Bucket | None]:
        """Take one request from ``key``'s bucket if it is above its reserve: (0, the bucket,
        which the answer must release). Otherwise (seconds to wait, None): claim again then."""
        bucket = self.bucket_of(key)
        if bucket is None:
            return 0.0, None
        if bucket.remaining - bucket.pending > self.reserve_of(bucket):
            bucket.pending += 1
            return 0.0, bucket
        wait = bucket.reset - self.clock.now() + self._jitter()
        return min(max(wait, 0.0), self.policy.max_wait_seconds), None

    def _jitter(self) -> float:
        return random.uniform(0, self.policy.jitter_seconds)  # noqa: S311 - spreading retries, not security

    def answered(self, key: str, headers: Mapping[str, str] | None, claimed: Bucket | None = None) -> None:
        """Release the claim and learn the bucket from Okta's headers."""
        if claimed is not None and claimed.pending > 0:
            claimed.pending -= 1
        if headers is None:
            return
        parsed = parse_headers(headers)
        if parsed is None:
            return
        limit, remaining, okta_reset = parsed
        if limit <= 0:
            # A concurrency 429 (too many requests in flight) says Limit 0 and Remaining 0: it
            # describes no bucket. Learnt as one, it refilled to 0 each window and stopped every
            # call to the org until a restart (the Okta review, H1). Its reset is this retry's wait.
            return
        reset = local_reset(headers, okta_reset, self.clock.now())
        if reset <= self.clock.now():
            return  # an answer from a window that has ended says nothing about the current one
        # One window is recognised by Okta's own reset value; the local one differs by a fraction of
        # a second from answer to answer (Date has whole seconds).
        same = next((b for b in self._live() if b.limit == limit and b.okta_reset == okta_reset), None)
        if same is None:
            same = Bucket(limit=limit, remaining=remaining, reset=reset, okta_reset=okta_reset)
        else:
            # Answers can arrive out of order; within one window the count only goes down.
            same.remaining = min(same.remaining, remaining)
        self.buckets[key] = same

    def wait_after_429(self, headers: Mapping[str, str]) -> float | None:
        """How long Okta asked us to wait: its reset minus its ``Date`` (the local clock's now when
        there is no Date); None if it did not name a reset (then the 429 is an error)."""
        parsed = parse_headers(headers)
        if parsed is None:
            return None
        _limit, _remaining, reset = parsed
        now = self.clock.now()
        delay = max(0.0, local_reset(headers, reset, now) - now) + self._jitter()
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

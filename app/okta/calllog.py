"""What the client reports: one record per attempt of every call (for the audit trail), and
events a page can show while it waits (a rate-limit pause). Never a body, never a credential."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OktaCall:
    org: str
    method: str
    path: str  # the template, e.g. /api/v1/users/{userId}/roles: ids stay out of the log
    status: int | None
    duration_ms: float
    attempt: int
    request_id: str | None
    outcome: str  # ok, http_error, rate_limited, timeout, dropped, connect, malformed, redirect
    error_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


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

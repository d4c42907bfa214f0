"""Okta-style rate limits: buckets that refill every window, and the headers Okta sends.

Okta reports, on every response, ``X-Rate-Limit-Limit`` (the bucket's ceiling),
``X-Rate-Limit-Remaining`` and ``X-Rate-Limit-Reset`` (UTC epoch seconds when the window ends);
an empty bucket answers 429 ``E0000047``. The sandbox keeps one default bucket and one bucket per
configured path prefix (optionally per method). Windows are aligned to the org clock (every 60 s
by default) so a fake clock makes resets predictable."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from okta_sandbox.clock import Clock


@dataclass(frozen=True, slots=True)
class RateLimitRule:
    """A bucket of its own for requests whose path starts with ``path_prefix`` (and, if given,
    use ``method``). The longest matching prefix wins."""

    path_prefix: str
    limit: int
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        prefix = self.path_prefix.rstrip("/")
        return path == prefix or path.startswith(prefix + "/") or (prefix == "" and path.startswith("/"))


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    # Generous by default: rate limits should only bite in tests that configure them.
    default_limit: int = 10_000
    rules: tuple[RateLimitRule, ...] = ()
    window_seconds: int = 60

    @classmethod
    def of(cls, default_limit: int = 10_000, overrides: dict[str, int] | None = None,
           window_seconds: int = 60) -> RateLimitConfig:
        """Shorthand: ``overrides`` maps ``"/api/v1/users"`` or ``"GET /api/v1/users"`` to a limit."""
        rules: list[RateLimitRule] = []
        for key, limit in (overrides or {}).items():
            method, _, path = key.partition(" ") if " " in key else ("", "", key)
            rules.append(RateLimitRule(path_prefix=path, limit=limit, method=method or None))
        return cls(default_limit=default_limit, rules=tuple(rules), window_seconds=window_seconds)


@dataclass(slots=True)
class _Bucket:
    limit: int
    window_start: float = -math.inf
    used: int = 0


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    limit: int
    remaining: int
    reset: int  # epoch seconds
    allowed: bool

    def headers(self) -> dict[str, str]:
        return {
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Reset": str(self.reset),
        }


@dataclass
class RateLimiter:
    config: RateLimitConfig
    clock: Clock
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def _bucket_for(self, method: str, path: str) -> tuple[str, int]:
        # The longest matching prefix wins; at equal length a method-specific rule wins.
        matching = [rule for rule in self.config.rules if rule.matches(method, path)]
        if not matching:
            return "default", self.config.default_limit
        best = max(matching, key=lambda rule: (len(rule.path_prefix.rstrip("/")), rule.method is not None))
        return f"{best.method or '*'} {best.path_prefix}", best.limit

    def _window(self, bucket: _Bucket) -> float:
        now = self.clock.now()
        width = self.config.window_seconds
        start = math.floor(now / width) * width
        if start != bucket.window_start:
            bucket.window_start = start
            bucket.used = 0
        return start + width

    def take(self, method: str, path: str) -> RateLimitStatus:
        """Count one request against its bucket; ``allowed`` is False when the bucket was empty."""
        key, limit = self._bucket_for(method, path)
        bucket = self._buckets.setdefault(key, _Bucket(limit=limit))
        bucket.limit = limit
        reset = self._window(bucket)
        if bucket.used >= limit:
            return RateLimitStatus(limit, 0, math.ceil(reset), allowed=False)
        bucket.used += 1
        return RateLimitStatus(limit, limit - bucket.used, math.ceil(reset), allowed=True)

    def peek(self, method: str, path: str) -> RateLimitStatus:
        """The bucket's state without counting a request (for responses that bypass counting)."""
        key, limit = self._bucket_for(method, path)
        bucket = self._buckets.setdefault(key, _Bucket(limit=limit))
        reset = self._window(bucket)
        return RateLimitStatus(limit, max(limit - bucket.used, 0), math.ceil(reset), allowed=bucket.used < limit)

    def reset(self) -> None:
        self._buckets.clear()

"""Injected failures: the things a real Okta, or the network in front of it, does on a bad day.

A test (or the standalone server's control API) adds rules to the org's :class:`FaultPlan`. Each
rule names a kind, optionally a method and a path, and how many matching calls it affects
(``times``; None means every call). The app consults the plan for every Okta request before it
does anything else, so a fault can hit any endpoint, authenticated or not.

``processed=True`` applies a fault *after* the request has been carried out: the write happened
but the client never hears about it, the case an idempotent client has to survive. ``skip=N`` lets
the first N matching calls through untouched (to fail, say, the second role assignment of a run).

``invisible`` stands for Okta's replicas: the objects the call creates stay out of reads (GET by id,
lists, searches) for ``delay_ms`` of org-clock time, while writes and uniqueness checks already see
them. Like ``latency`` it changes a call without failing it, so it combines with a failure rule on
the same call: ``invisible`` plus a processed ``drop`` is a create whose answer was lost and whose
object a retry cannot find at first. The plan keeps what it hid in :attr:`FaultPlan.hidden`."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    LATENCY = "latency"  # delay the response by delay_ms of org-clock time
    SERVER_ERROR = "server_error"  # 5xx with an Okta error body (500 E0000009 by default, 503 E0000010)
    TIMEOUT = "timeout"  # no response: httpx.ReadTimeout in process, a stalled socket standalone
    DROP = "drop"  # connection lost: httpx.RemoteProtocolError in process, a reset socket standalone
    RATE_LIMIT_BURST = "rate_limit_burst"  # 429 E0000047 with rate-limit headers and a reset in the future
    # 429 E0000047 for too many requests in flight: Okta sends Limit 0 and Remaining 0, and a reset
    # that is only a suggestion (docs rl2-concurrency); no bucket is spent.
    CONCURRENCY_LIMIT = "concurrency_limit"
    MALFORMED_JSON = "malformed_json"  # 200 whose body is not JSON
    INVISIBLE = "invisible"  # what the call creates is missing from reads for delay_ms of org-clock time


# Kinds that change a call without failing it: every matching one applies, besides one failure.
MODIFIERS = frozenset({FaultKind.LATENCY, FaultKind.INVISIBLE})


class SimulatedTimeout(Exception):
    """Raised by the app for a ``timeout`` fault; the transport turns it into a client-side timeout."""


class SimulatedDrop(Exception):
    """Raised by the app for a ``drop`` fault; the transport turns it into a lost connection."""


_DEFAULT_STATUS = {FaultKind.SERVER_ERROR: 500, FaultKind.RATE_LIMIT_BURST: 429, FaultKind.CONCURRENCY_LIMIT: 429,
                   FaultKind.MALFORMED_JSON: 200}
_ids = itertools.count(1)

# An object's key: ("users", id) for an item of one of the org's tables (the attribute's name), or,
# for objects inside others, ("grant", app id, grant id), ("app_user", app id, user id),
# ("app_group", app id, group id), ("member", resource set id, role id, member id) and
# ("property", schema id, attribute name).
ObjectKey = tuple[str, ...]


class Hidden:
    """Objects kept out of reads until a moment of the org clock (see ``invisible``)."""

    def __init__(self) -> None:
        self._until: dict[ObjectKey, float] = {}

    def hide(self, key: ObjectKey, until: float) -> None:
        self._until[key] = max(until, self._until.get(key, until))

    def visible(self, key: ObjectKey, now: float) -> bool:
        until = self._until.get(key)
        if until is None:
            return True
        if until <= now:
            del self._until[key]
            return True
        return False

    def count(self, now: float) -> int:
        """How many objects are hidden at ``now``."""
        return sum(1 for until in self._until.values() if until > now)


def _path_matcher(path: str | None) -> re.Pattern[str] | None:
    """A path with ``{placeholders}`` matches that template exactly (one segment per placeholder);
    any other path matches itself and everything below it."""
    if path is None:
        return None
    if "{" in path:
        pattern = "".join("[^/]+" if part.startswith("{") else re.escape(part)
                          for part in re.split(r"(\{[^/{}]+\})", path))
        return re.compile(pattern + r"/?")
    prefix = re.escape(path.rstrip("/"))
    return re.compile(prefix + r"(/.*)?")


@dataclass(eq=False)
class FaultRule:
    kind: FaultKind
    method: str | None = None
    path: str | None = None
    times: int | None = 1
    delay_ms: int = 0
    status: int | None = None
    processed: bool = False
    skip: int = 0
    id: int = field(default_factory=lambda: next(_ids))
    _matcher: re.Pattern[str] | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self._matcher = _path_matcher(self.path)
        if self.method is not None:
            self.method = self.method.upper()

    @property
    def effective_status(self) -> int:
        return self.status or _DEFAULT_STATUS.get(self.kind, 500)

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method != method.upper():
            return False
        return self._matcher is None or self._matcher.fullmatch(path) is not None

    def to_json(self) -> dict[str, Any]:
        uses_status = self.kind in _DEFAULT_STATUS
        return {"id": self.id, "kind": str(self.kind), "method": self.method, "path": self.path,
                "times": self.times, "delay_ms": self.delay_ms,
                "status": self.effective_status if uses_status else None, "processed": self.processed,
                "skip": self.skip}


class FaultPlan:
    """The org's fault rules, in the order they were added, and what ``invisible`` rules hid."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self.hidden = Hidden()

    def add(self, kind: FaultKind | str, *, method: str | None = None, path: str | None = None,
            times: int | None = 1, delay_ms: int = 0, status: int | None = None,
            processed: bool = False, skip: int = 0) -> FaultRule:
        fault = FaultKind(kind)
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every matching call)")
        if delay_ms < 0:
            raise ValueError("delay_ms cannot be negative")
        if skip < 0:
            raise ValueError("skip cannot be negative")
        if fault is FaultKind.SERVER_ERROR and status is not None and not 500 <= status <= 599:
            raise ValueError("a server_error status must be 5xx")
        if fault in MODIFIERS and delay_ms == 0:
            raise ValueError(f"a {fault} fault needs delay_ms")
        rule = FaultRule(kind=fault, method=method, path=path, times=times, delay_ms=delay_ms,
                         status=status, processed=processed, skip=skip)
        self._rules.append(rule)
        return rule

    def clear(self) -> None:
        self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        return [rule for rule in self._rules if rule.times is None or rule.times > 0]

    def take(self, method: str, path: str) -> list[FaultRule]:
        """The rules that apply to this call, each counted down once. All matching latency and
        invisible rules apply; of the others only the first matching one does (a call can fail only
        one way)."""
        taken: list[FaultRule] = []
        failure_taken = False
        for rule in self._rules:
            if not rule.matches(method, path):
                continue
            if rule.skip > 0:
                rule.skip -= 1
                continue
            if rule.kind not in MODIFIERS:
                if failure_taken:
                    continue
                failure_taken = True
            if rule.times is not None:
                rule.times -= 1
            taken.append(rule)
        self._rules = [rule for rule in self._rules if rule.times is None or rule.times > 0]
        return taken

    def __iter__(self) -> Iterator[FaultRule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

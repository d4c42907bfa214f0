"""Matching a request path to an Okta operation, with Okta's answers when nothing matches: 404
E0000008 for an unknown path and 405 E0000022 for a known path with the wrong method.

A literal segment beats a placeholder, so ``DELETE /api/v1/api-tokens/current`` is
revokeCurrentApiToken while ``GET /api/v1/api-tokens/current`` is getApiToken with the id
"current" (which then does not exist), exactly as on Okta."""

from __future__ import annotations

import re
from dataclasses import dataclass

from okta_sandbox.errors import method_not_allowed, path_not_found
from okta_sandbox.operations import OPERATIONS, Operation


@dataclass(frozen=True, slots=True)
class Route:
    operation: Operation
    pattern: re.Pattern[str]
    placeholders: int


def _compile(operation: Operation) -> Route:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(operation.path))
    return Route(operation, re.compile(pattern + "/?"), operation.path.count("{"))


ROUTES: tuple[Route, ...] = tuple(sorted((_compile(operation) for operation in OPERATIONS),
                                         key=lambda route: route.placeholders))


def match(method: str, path: str) -> tuple[Operation, dict[str, str]]:
    allowed: list[str] = []
    for route in ROUTES:
        found = route.pattern.fullmatch(path)
        if found is None:
            continue
        if route.operation.method == method.upper():
            return route.operation, found.groupdict()
        allowed.append(route.operation.method)
    if allowed:
        error = method_not_allowed()
        error.headers["Allow"] = ", ".join(sorted(set(allowed)))
        raise error
    raise path_not_found()


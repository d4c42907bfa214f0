"""The access matrix: every route of the application, and who may use it.

``tests/test_access.py`` checks each entry signed out, with each wrong role and with a right one,
and fails when a route exists that is not listed here, so no page escapes these checks.
"""

from __future__ import annotations

from dataclasses import dataclass

PUBLIC = frozenset({"public"})
EVERYONE = frozenset({"admin", "operator", "auditor"})
ADMIN = frozenset({"admin"})
ACTING = frozenset({"admin", "operator"})

ZERO_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Entry:
    method: str
    path: str  # the route's template, as FastAPI knows it
    allowed: frozenset[str]
    example: str | None = None  # a concrete URL to call; defaults to ``path``

    @property
    def url(self) -> str:
        return self.example or self.path


MATRIX: list[Entry] = [
    Entry("GET", "/healthz", PUBLIC),
    Entry("GET", "/readyz", PUBLIC),
    Entry("GET", "/sign-in", PUBLIC),
    Entry("POST", "/sign-in", PUBLIC),
    Entry("GET", "/setup", PUBLIC),
    Entry("POST", "/setup", PUBLIC),
    Entry("POST", "/sign-out", EVERYONE),
    Entry("GET", "/", EVERYONE),
    Entry("GET", "/operators", ADMIN),
    Entry("POST", "/operators", ADMIN),
    Entry("POST", "/operators/{operator_id}/role", ADMIN, f"/operators/{ZERO_ID}/role"),
    Entry("POST", "/operators/{operator_id}/disable", ADMIN, f"/operators/{ZERO_ID}/disable"),
    Entry("POST", "/operators/{operator_id}/enable", ADMIN, f"/operators/{ZERO_ID}/enable"),
    Entry("POST", "/operators/{operator_id}/password", ADMIN, f"/operators/{ZERO_ID}/password"),
]

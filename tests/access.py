"""The access matrix: every route of the application, and who may use it.

``tests/web/test_access.py`` checks each entry signed out, with each wrong role and with a right one,
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
    Entry("GET", "/favicon.ico", PUBLIC),
    Entry("GET", "/sign-in", PUBLIC),
    Entry("POST", "/sign-in", PUBLIC),
    Entry("GET", "/sign-in/oidc", PUBLIC),
    Entry("GET", "/sign-in/oidc/callback", PUBLIC),
    Entry("GET", "/setup", PUBLIC),
    Entry("POST", "/setup", PUBLIC),
    Entry("POST", "/sign-out", EVERYONE),
    Entry("GET", "/account/password", EVERYONE),
    Entry("POST", "/account/password", EVERYONE),
    Entry("GET", "/", EVERYONE),
    Entry("GET", "/operators", ADMIN),
    Entry("POST", "/operators", ADMIN),
    Entry("POST", "/operators/{operator_id}/role", ADMIN, f"/operators/{ZERO_ID}/role"),
    Entry("POST", "/operators/{operator_id}/disable", ADMIN, f"/operators/{ZERO_ID}/disable"),
    Entry("POST", "/operators/{operator_id}/enable", ADMIN, f"/operators/{ZERO_ID}/enable"),
    Entry("POST", "/operators/{operator_id}/password", ADMIN, f"/operators/{ZERO_ID}/password"),
    Entry("POST", "/operators/{operator_id}/unlock", ADMIN, f"/operators/{ZERO_ID}/unlock"),
    Entry("POST", "/operators/{operator_id}/email", ADMIN, f"/operators/{ZERO_ID}/email"),
    Entry("GET", "/connections", EVERYONE),
    Entry("GET", "/health", EVERYONE),
    Entry("POST", "/onboardings/{onboarding_id}/watch", ACTING, f"/onboardings/{ZERO_ID}/watch"),
    Entry("POST", "/settings/notifications/webhook", ADMIN),
    Entry("POST", "/settings/notifications/email", ADMIN),
    Entry("POST", "/settings/notifications/{channel_id}/remove", ADMIN,
          f"/settings/notifications/{ZERO_ID}/remove"),
    Entry("POST", "/settings/notifications/{channel_id}/assignee", ADMIN,
          f"/settings/notifications/{ZERO_ID}/assignee"),
    Entry("POST", "/settings/notifications/{channel_id}/test", ADMIN, f"/settings/notifications/{ZERO_ID}/test"),
    Entry("POST", "/connections", ACTING),
    Entry("POST", "/connections/sandbox", ACTING),
    Entry("POST", "/connections/{connection_id}/check", ACTING, f"/connections/{ZERO_ID}/check"),
    Entry("POST", "/connections/{connection_id}/retire", ACTING, f"/connections/{ZERO_ID}/retire"),
    Entry("POST", "/connections/{connection_id}/sharing", ACTING, f"/connections/{ZERO_ID}/sharing"),
    Entry("GET", "/settings", EVERYONE),
    Entry("POST", "/settings/domains", ADMIN),
    Entry("POST", "/settings/sign-in", ADMIN),
    Entry("POST", "/settings/playbooks/{playbook_key}", ADMIN, "/settings/playbooks/defender-for-identity"),
    Entry("GET", "/onboardings/new", ACTING),
    Entry("GET", "/onboardings", EVERYONE),
    Entry("POST", "/onboardings", ACTING),
    Entry("GET", "/onboardings/{onboarding_id}", EVERYONE, f"/onboardings/{ZERO_ID}"),
    Entry("GET", "/onboardings/{onboarding_id}/progress", EVERYONE, f"/onboardings/{ZERO_ID}/progress"),
    Entry("POST", "/onboardings/{onboarding_id}/inputs", ACTING, f"/onboardings/{ZERO_ID}/inputs"),
    Entry("POST", "/onboardings/{onboarding_id}/plan", ACTING, f"/onboardings/{ZERO_ID}/plan"),
    Entry("POST", "/onboardings/{onboarding_id}/plans/{plan_id}/confirm", ACTING,
          f"/onboardings/{ZERO_ID}/plans/{ZERO_ID}/confirm"),
    Entry("POST", "/onboardings/{onboarding_id}/apply", ACTING, f"/onboardings/{ZERO_ID}/apply"),
    Entry("POST", "/onboardings/{onboarding_id}/verify", ACTING, f"/onboardings/{ZERO_ID}/verify"),
    Entry("POST", "/onboardings/{onboarding_id}/reverify", ACTING, f"/onboardings/{ZERO_ID}/reverify"),
    Entry("GET", "/onboardings/{onboarding_id}/undo", ACTING, f"/onboardings/{ZERO_ID}/undo"),
    Entry("POST", "/onboardings/{onboarding_id}/undo", ACTING, f"/onboardings/{ZERO_ID}/undo"),
    Entry("POST", "/onboardings/{onboarding_id}/token", ACTING, f"/onboardings/{ZERO_ID}/token"),
    Entry("POST", "/onboardings/{onboarding_id}/token/any-ip", ACTING, f"/onboardings/{ZERO_ID}/token/any-ip"),
    Entry("POST", "/onboardings/{onboarding_id}/service-account/activation-link", ACTING,
          f"/onboardings/{ZERO_ID}/service-account/activation-link"),
    Entry("GET", "/onboardings/{onboarding_id}/service-account/activation-link", EVERYONE,
          f"/onboardings/{ZERO_ID}/service-account/activation-link"),
    Entry("POST", "/onboardings/{onboarding_id}/test-event/{check_key}", ACTING,
          f"/onboardings/{ZERO_ID}/test-event/recent_events"),
    Entry("POST", "/onboardings/{onboarding_id}/attest/{check_key}", ACTING,
          f"/onboardings/{ZERO_ID}/attest/licence_confirmed"),
    Entry("POST", "/onboardings/{onboarding_id}/attest/{check_key}/withdraw", ACTING,
          f"/onboardings/{ZERO_ID}/attest/licence_confirmed/withdraw"),
    Entry("POST", "/onboardings/{onboarding_id}/timers/{step_key}", ACTING, f"/onboardings/{ZERO_ID}/timers/x"),
    Entry("GET", "/onboardings/{onboarding_id}/summary", EVERYONE, f"/onboardings/{ZERO_ID}/summary"),
    Entry("POST", "/onboardings/{onboarding_id}/summary/read", ACTING, f"/onboardings/{ZERO_ID}/summary/read"),
    Entry("POST", "/onboardings/{onboarding_id}/handoff", ACTING, f"/onboardings/{ZERO_ID}/handoff"),
    Entry("POST", "/onboardings/{onboarding_id}/take", ACTING, f"/onboardings/{ZERO_ID}/take"),
    Entry("POST", "/onboardings/{onboarding_id}/close", ACTING, f"/onboardings/{ZERO_ID}/close"),
    Entry("POST", "/onboardings/{onboarding_id}/connection", ACTING, f"/onboardings/{ZERO_ID}/connection"),
    Entry("GET", "/onboardings/{onboarding_id}/report", EVERYONE, f"/onboardings/{ZERO_ID}/report"),
    Entry("GET", "/onboardings/{onboarding_id}/report.pdf", EVERYONE, f"/onboardings/{ZERO_ID}/report.pdf"),
    Entry("GET", "/onboardings/{onboarding_id}/events.{fmt}", EVERYONE, f"/onboardings/{ZERO_ID}/events.json"),
    Entry("GET", "/onboardings/{onboarding_id}/checklist.csv", EVERYONE, f"/onboardings/{ZERO_ID}/checklist.csv"),
    Entry("GET", "/audit", frozenset({"admin", "auditor"})),
    Entry("GET", "/audit/verify", frozenset({"admin", "auditor"})),
    Entry("GET", "/audit/events.{fmt}", frozenset({"admin", "auditor"}), "/audit/events.csv"),
    Entry("GET", "/onboardings/{onboarding_id}/secrets/{purpose}", EVERYONE,
          f"/onboardings/{ZERO_ID}/secrets/activation_link"),
    Entry("POST", "/onboardings/{onboarding_id}/secrets/{purpose}", ACTING,
          f"/onboardings/{ZERO_ID}/secrets/activation_link"),
]

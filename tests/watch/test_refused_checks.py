"""Review (twenty-eighth session), M3: a check Okta refuses for good (a 403: the connection's
administrator lost the role that reads it) was treated like one Okta left unanswered for a moment:
it raised nothing and cleared nothing, run after run, so the watch was blind to it and nobody was
told; Health read "alert open" with no alert under it while the list read "no alert open". Each
refused check is now an alert of its own, which clears once Okta answers it again."""

from __future__ import annotations

import re
import uuid

from app.store.models import Alert
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.watch.test_notifications import _words
from tests.watch.test_watch import DAY, _completed, _open_alerts, _take_super_admin, _tick


def _watched_as(j: Journey, sandbox_org: SandboxOrg, role: str) -> tuple[uuid.UUID, str, dict[str, Alert]]:
    """A completed Defender onboarding, watched; then its connection's administrator holds ``role``
    instead of Super Administrator, and the watch looks a day on: the onboarding, the administrator
    and the open alerts by key."""
    assert sandbox_org.demo is not None
    oid, _token = _completed(j, sandbox_org)
    _tick(j)
    assert _open_alerts(j, oid) == []
    admin = sandbox_org.demo.admin_user_id
    sandbox_org.assign_role(admin, role)
    _take_super_admin(sandbox_org, admin)
    j.clock.advance(DAY + 1)
    _tick(j)
    return oid, admin, {a.key: a for a in _open_alerts(j, oid)}


def test_a_check_okta_refuses_is_alerted_and_clears_once_answered(j: Journey, sandbox_org: SandboxOrg) -> None:
    # The connection's administrator is made a User Administrator: Okta refuses it the roles' reads.
    oid, admin, alerts = _watched_as(j, sandbox_org, "USER_ADMIN")
    assert set(alerts) == {"refused:final_roles", "refused:role_permissions", "refused:resource_set_contents",
                           "refused:attributes_present", "refused:token_any_ip"}, alerts
    assert all(a.kind == "credential" for a in alerts.values())
    roles = alerts["refused:final_roles"]
    assert roles.summary.startswith("The watch cannot check “The account has exactly Read-Only Administrator") and \
        "not allowed" in roles.summary, roles.summary
    assert "give the connection's administrator a role that may read it" in roles.details["remedy"]
    # The service token, which Okta no longer shows this administrator, is not said to be revoked.
    token = alerts["refused:token_any_ip"]
    assert token.summary.startswith("The watch cannot check “The token belongs") and "revoked" not in token.summary
    # The pages agree: an alert open, listed under it, and in the list.
    health = _words(j.get("/health").text)
    assert "The watch cannot check “" in health
    # Counted as the alerts say them, not as found wrong (the row read "5 failed": QA walk 24, L6).
    assert re.search(r"\d+ passed, 0 failed, 5 could not be checked \(Okta refused\)", health), health
    assert re.search(rf"#{str(oid)[:8]}", j.get("/?view=all&health=alerting").text)
    # Okta answers again: each clears, told as such.
    sandbox_org.assign_role(admin, "SUPER_ADMIN")
    j.clock.advance(DAY + 1)
    _tick(j)
    assert _open_alerts(j, oid) == []


def test_a_token_okta_no_longer_shows_the_connection_is_not_said_to_be_revoked(
        j: Journey, sandbox_org: SandboxOrg) -> None:
    """Okta shows an API token only to a Super Administrator and to its owner: once the connection's
    administrator was a Read-Only Administrator, the vendor's working token read "revoked or has
    expired", an alarm telling people to make a new one."""
    oid, _admin, alerts = _watched_as(j, sandbox_org, "READ_ONLY_ADMIN")
    assert "check:token_any_ip" not in alerts and "token_unused" not in alerts, alerts
    alert = alerts["refused:token_any_ip"]
    assert "revoked" not in alert.summary, alert.summary
    assert alert.summary.endswith("Okta shows an API token only to a Super Administrator and to its owner, and the "
                                  "connection's administrator is not a Super Administrator now"), alert.summary
    assert sandbox_org.api_tokens.get(j.onboarding(oid).facts["service_token_id"]) is not None  # it is live

"""Review of the session's change (M2): a new service token cleared "first call seen", but for Drata,
whose watch also looks for its app's token grants since the watch started, the next run found the
grants from before the new token and set it again: the watch looked daily, not hourly, for the vendor's
first call with the new token. Evidence is looked for from the new token on."""

from __future__ import annotations

from okta_sandbox import SandboxOrg
from okta_sandbox.domain import syslog
from okta_sandbox.domain import tokens as tokens_domain
from okta_sandbox.domain.actors import Actor
from tests.harness import Wizard
from tests.vendors import test_drata

DAY = 86_400


def _drata_signs_in(org: SandboxOrg) -> None:
    """Drata's app gets a token from Okta (what the watch takes as Drata connected)."""
    app = test_drata.drata_app(org)
    actor = Actor(app.client_id, "PublicClientApp", app.client_id, app.label)
    syslog.record(org, actor, "app.oauth2.token.grant.access_token", "OAuth2 access token is granted",
                  [syslog.target(app.id, "AppInstance", app.label, app.label)])


def _tick(w: Wizard) -> list[object]:
    assert w.state.watch is not None
    queued = w.run(w.state.watch.tick)
    w.run(lambda: w.state.jobs.wait_idle(60))
    return queued


def test_grants_from_before_a_new_token_do_not_count_as_its_first_call(w: Wizard, sandbox_org: SandboxOrg) -> None:
    oid = test_drata.start(w)
    svc = test_drata.finish(w, oid, sandbox_org)
    clock = w.state.clock
    _tick(w)  # first seen
    clock.advance(60)  # type: ignore[attr-defined]
    _drata_signs_in(sandbox_org)
    clock.advance(DAY + 1)  # type: ignore[attr-defined]
    assert _tick(w) == [oid]
    assert w.onboarding(oid).facts.get("vendor_first_call_seen_at")
    # The token is lost; a new one is pasted.
    tokens_domain.revoke_user_tokens(sandbox_org, svc, actor=None)
    clock.advance(60)  # type: ignore[attr-defined]
    w.paste_token(oid, sandbox_org.issue_api_token(svc, "Drata 2"))
    assert not w.onboarding(oid).facts.get("vendor_first_call_seen_at")
    assert _tick(w) == [oid]  # due at once
    facts = w.onboarding(oid).facts
    assert not facts.get("vendor_first_call_seen_at"), facts.get("vendor_evidence")
    assert facts["vendor_evidence"]["state"] == "not_yet"

"""The onboarding's Okta connection no longer accepted (its API token revoked, or expired after 30
days without use, or its administrator deactivated: a person who left). Every check of the watch's
run read "Could not check: Okta did not accept the credential" as failed: the page said "6 checks
failed at the last verification", listed them as drift, and its card asked to "Mend what changed in
Okta" and to "Verify again later", which reads the same refusal. Nothing changed in Okta: the run
stops, the last run found stays the checklist, and the card asks for a connection Okta accepts."""

from __future__ import annotations

from sqlalchemy import select

from app.store.models import VerificationRun
from okta_sandbox import SandboxOrg
from okta_sandbox.domain import tokens as tokens_domain
from tests.page_journeys import Journey
from tests.watch.test_notifications import _words
from tests.watch.test_watch import DAY, _completed, _open_alerts, _rows, _tick

CARD = "Renew the Okta connection's token"


def test_a_refused_connection_stops_the_run_and_asks_for_another(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid, _token = _completed(j, sandbox_org)
    _tick(j)
    runs = len(_rows(j, select(VerificationRun.id).where(VerificationRun.onboarding_id == oid)))
    tokens_domain.revoke_user_tokens(sandbox_org, sandbox_org.demo.admin_user_id, actor=None)
    j.clock.advance(DAY + 1)
    _tick(j)

    # No run of refusals recorded: the checklist is still the last one Okta answered.
    assert len(_rows(j, select(VerificationRun.id).where(VerificationRun.onboarding_id == oid))) == runs
    [alert] = _open_alerts(j, oid)
    assert alert.key == "credential" and "Okta did not accept the credential" in alert.summary
    page = _words(j.get(f"/onboardings/{oid}").text)
    assert "failed at the last verification" not in page and "Mend what changed in Okta" not in page
    assert "Drift" not in page and "Verify again later" not in page
    card = page.split("Next step", 1)[1].split("Prerequisites", 1)[0]
    assert (f"{CARD} Okta did not accept the credential of the connection 'Sandbox' at the last run: its API token "
            "was revoked, expired (30 days without use), or its owner was deactivated.") in card, card
    assert card.rstrip().endswith("then re-verify. Add the new token in Okta connections, then come back."), card
    assert "create a new token and add it in Okta connections (one of the same account replaces the connection's " \
        "token)" in page
    assert "13 passed" in _words(j.get("/health").text)  # what the last answered run found

    # A new token of the same administrator, added in Okta connections, renews the connection's.
    renewed = j.submit(j.form(j.get("/connections").text, "/connections"), org_url=sandbox_org.base_url,
                       api_token=sandbox_org.issue_api_token(sandbox_org.demo.admin_user_id, "Wizard, renewed"),
                       label="Renewed")
    assert "You already had the connection 'Sandbox'" in _words(renewed.text)
    assert "it now uses the token just pasted" in _words(renewed.text)
    assert CARD not in _words(j.get(f"/onboardings/{oid}").text)
    j.clock.advance(DAY + 1)
    _tick(j)
    assert _open_alerts(j, oid) == []
    assert len(_rows(j, select(VerificationRun.id).where(VerificationRun.onboarding_id == oid))) == runs + 1


def test_another_connection_to_the_org_may_be_chosen_instead(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid, _token = _completed(j, sandbox_org)
    _tick(j)
    # Another administrator's connection to the same org, then the first one's token revoked.
    other = sandbox_org.add_user("kim.admin@acme.example", first_name="Kim", last_name="Admin")
    sandbox_org.assign_role(other["id"], "SUPER_ADMIN")
    fresh = j.connect(sandbox_org.issue_api_token(other["id"], "Wizard"), "Kim's")
    tokens_domain.revoke_user_tokens(sandbox_org, sandbox_org.demo.admin_user_id, actor=None)
    j.clock.advance(DAY + 1)
    _tick(j)
    page = j.get(f"/onboardings/{oid}").text
    said = _words(page)
    assert CARD in said and "Add the new token in Okta connections, then come back; or choose another connection " \
        "above." in said, said
    chosen = j.submit(j.form(page, "/connection"), connection=str(fresh))
    assert "The onboarding now uses the connection" in _words(chosen.text) and CARD not in _words(chosen.text)
    j.clock.advance(DAY + 1)
    _tick(j)
    assert _open_alerts(j, oid) == []

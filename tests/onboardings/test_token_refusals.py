"""Issue 14, point 4: a refused token paste (here a Super Administrator's own token instead of the
service account's) is in the audit trail with its reason, and never with the token; no kept value
(the activation link) outlives a completed onboarding. A refused paste or attestation keeps what the
person typed beside it (the token's name, the note), never the token."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from app.common.clock import FakeClock
from app.common.validation import ValidationFailed
from app.settings import Settings
from app.store.models import AuditEvent, OnboardingSecret
from okta_sandbox import SandboxOrg, SandboxTransport
from okta_sandbox.domain import api_services as services_domain
from tests.harness import Wizard
from tests.page_journeys import Journey, journey
from tests.vendors.test_authomize import use_catalog_key


def test_a_refused_token_paste_is_audited_without_the_token(w: Wizard, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid = w.start("defender-for-identity", w.connect())
    w.plan(oid)
    assert w.apply(oid).state == "succeeded"
    admins_own = sandbox_org.demo.admin_token
    with pytest.raises(ValidationFailed) as refused:
        w.paste_token(oid, admins_own)
    assert "not to the service account" in refused.value.errors["service_token"]
    # What became of it, for a person who pasted their own by mistake (QA walk 18, L6).
    assert refused.value.errors["service_token"].endswith(
        "The wizard used the token pasted only to ask Okta whose it is, and did not keep it; if it should not have "
        "been shared, revoke it in Okta (Security > API > Tokens).")

    async def events() -> list[AuditEvent]:
        async with w.state.db.sessions() as session:
            return list((await session.execute(select(AuditEvent).where(
                AuditEvent.onboarding_id == oid, AuditEvent.action == "service_token_verify"))).scalars())

    [event] = w.run(events)
    assert event.outcome == "failed" and event.actor_name == "ana.admin"
    assert event.summary.startswith("Service account token refused: This token belongs to ")
    assert admins_own not in f"{event.summary} {event.details}"


def test_nothing_kept_outlives_a_completed_onboarding(settings: Settings, sandbox_org: SandboxOrg,
                                                       okta_transport: SandboxTransport, fake_clock: FakeClock) -> None:
    """The page says a kept value is destroyed when its step is done: once every step is, the
    activation link cannot be revealed any more."""
    with journey(settings, sandbox_org, okta_transport, fake_clock) as j:
        j.first_admin(settings, "ana.admin", "a long enough password")
        assert sandbox_org.demo is not None
        oid = j.start("defender-for-identity", j.connect(sandbox_org.demo.admin_token))
        done = j.complete(oid, service_token=lambda account: sandbox_org.issue_api_token(account, "Defender"))
        assert done.status == "completed", done.status_note

        async def kept() -> list[OnboardingSecret]:
            async with j.state.db.sessions() as session:
                return list((await session.execute(select(OnboardingSecret).where(
                    OnboardingSecret.onboarding_id == oid))).scalars())

        rows = j.run(kept)
        assert rows and all(row.destroyed_at is not None for row in rows), [(r.purpose, r.destroyed_at) for r in rows]
        page = j.get(f"/onboardings/{oid}").text
        assert not j.forms(page, "/secrets/activation_link")
        csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        refused = j.get(j.client.post(f"/onboardings/{oid}/secrets/activation_link",
                                      data={"csrf_token": csrf}).headers["location"])
        assert "That value is no longer kept" in refused.text


def test_the_trail_names_steps_and_fields_not_internal_keys(w: Wizard) -> None:
    """Issue 14, point 8: 'waiting to run drop_super_admin' and 'Values saved: first_name' were the
    playbook's keys, shown to people in the timeline and the PDF."""
    oid = w.start("defender-for-identity", w.connect())
    w.plan(oid)
    assert w.apply(oid).state == "succeeded"

    async def summaries() -> dict[str, str]:
        async with w.state.db.sessions() as session:
            return {e.action: e.summary for e in (await session.execute(select(AuditEvent).where(
                AuditEvent.onboarding_id == oid))).scalars()}

    done = w.run(summaries)["apply_done"]
    assert "still to do: " in done and "Remove the Super Admin role" in done, done
    assert "drop_super_admin" not in done


def _value_of(page: str, element_id: str) -> str:
    found = re.search(rf'<input id="{re.escape(element_id)}"[^>]*>', page)
    assert found, element_id
    value = re.search(r'value="([^"]*)"', found.group(0))
    return html.unescape(value.group(1)) if value else ""


def test_a_refused_paste_keeps_the_token_name_typed_never_the_token(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid = j.start("defender-for-identity", j.connect(sandbox_org.demo.admin_token))
    j.plan_and_apply(oid)
    url = f"/onboardings/{oid}"
    admins_own = sandbox_org.demo.admin_token
    refused = j.submit(j.form(j.get(url).text, "/token"), service_token=admins_own,
                       service_token_name="defender token of 5 December")
    assert refused.status_code == 400 and "not to the service account" in refused.text
    assert _value_of(refused.text, "service_token_name") == "defender token of 5 December"
    assert admins_own not in refused.text
    # Drawn afresh, the field proposes the wizard's name again.
    assert _value_of(j.get(url).text, "service_token_name") != "defender token of 5 December"


def test_a_refused_attestation_keeps_its_note(j: Journey, sandbox_org: SandboxOrg) -> None:
    """Authomize's step cannot be attested while the client-credentials test that needs its secret
    has not passed ("Verify first"): the page says so and keeps the note the person wrote."""
    use_catalog_key(j, services_domain.AUTHOMIZE_TYPE)  # the sandbox's (the default is a guess)
    assert sandbox_org.demo is not None
    oid = j.start("authomize", j.connect(sandbox_org.demo.admin_token))
    j.plan_and_apply(oid)
    url = f"/onboardings/{oid}"
    j.submit(j.form(j.get(url).text, "/verify"))
    j.wait_for_jobs()
    form = j.form(j.get(url).text, "/attest/authomize_connected")  # offered: the test passed
    # Then a scope is taken away and a colleague re-verifies: the page the person has is older.
    [integration] = list(sandbox_org.api_services)
    integration.granted_scopes.remove("okta.logs.read")
    j.submit(j.form(j.get(url).text, "/reverify"))
    j.wait_for_jobs()
    note = "Tile connected; first sync started at 14:05 <as seen>"
    refused = j.submit(form, note=note)
    assert refused.status_code == 409 and "Verify first" in refused.text
    assert _value_of(refused.text, "note-authomize_connected") == note
    assert "&lt;as seen&gt;" in refused.text  # text, never markup


def test_a_paste_okta_failed_says_so_above_the_form(j: Journey, sandbox_org: SandboxOrg) -> None:
    """Okta answered the paste with its 500: the heading read "Some values need attention", as if
    the token were mistyped (QA walk 5, L3). It says Okta failed and nothing was kept."""
    from app.onboardings.tokens import OKTA_FAILED

    assert sandbox_org.demo is not None
    oid = j.start("defender-for-identity", j.connect(sandbox_org.demo.admin_token))
    j.plan_and_apply(oid)
    account = str(j.onboarding(oid).facts["service_account_id"])
    sandbox_org.complete_activation(account)
    value = sandbox_org.issue_api_token(account, "Defender")
    sandbox_org.faults.add("server_error", method="GET", path="/api/v1/users/me", times=None)
    page = j.get(f"/onboardings/{oid}").text
    refused = j.submit(j.form(page, "/token"), service_token=value)
    text = html.unescape(refused.text)
    assert refused.status_code == 400 and OKTA_FAILED in text and "Some values need attention" not in text
    assert "The token could not be checked. Okta had an internal error" in text and value not in text
    assert not j.onboarding(oid).facts.get("service_token_verified")

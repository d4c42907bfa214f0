"""QA walk 12, H1, M1 and L5: after "Reactivate the service account" the page did not lead to the new
token (the card still said to reactivate; the token step read "done", "passed" with the revoked token,
its field folded away); once a new token was pasted, the onboarding read Completed on the attestation
that Defender connected, given while it held the revoked token; and the words around the alert.

Now a lost token opens its step again and the card leads to its field; a new token replacing the
verified one asks again what was attested of the vendor holding the old one, on record."""

from __future__ import annotations

import uuid

from okta_sandbox import SandboxOrg
from okta_sandbox.domain import tokens as tokens_domain
from tests.page_journeys import Journey
from tests.watch.test_reactivation import LINK_FORM, _deactivated, _words
from tests.watch.test_watch import DAY, _audit, _completed, _open_alerts, _tick

ENABLED = "The Okta instance appears in the Defender table as enabled"


def _card(page: str) -> str:
    start = page.index('id="next-step"')
    return page[start:page.index("</section>", start)]


def _token_step(page: str) -> str:
    """Step 6's words, from its heading to the next step's."""
    text = _words(page)
    start = text.index("6 Copy the token value", text.index("Hand off"))
    return text[start:text.index("Add Custom user attributes", start)]


def test_after_reactivation_the_card_leads_to_a_new_token_and_the_vendor_is_asked_again(
        j: Journey, sandbox_org: SandboxOrg) -> None:
    oid, user = _deactivated(j, sandbox_org)
    url = f"/onboardings/{oid}"
    old = j.onboarding(oid).facts["service_token_id"]

    page = j.get(url).text
    words = _words(page)
    # The account comes first: the card says to reactivate it; the token step is not shown "passed".
    assert "“The account is active” failed at the last verification." in _words(_card(page))
    step = _token_step(page)
    assert "Verified: token" not in step and "passed The token was verified" not in step, step
    assert f"The token verified earlier ({old}) was revoked or has expired in Okta: the vendor cannot connect " \
           "with it." in step
    assert "Token value" in step  # its field, unfolded
    # L5: one card, one "first"; the alert's time is a sentence of its own; the badge says no, not "cannot tell".
    assert "2 checks failed at the last verification: mend each (the onboarding's page takes them one " \
        "at a time), then re-verify." in words
    assert "Checklist item: The account is active. Open since" in words
    assert "Vendor connected, as Okta shows it: no Token revoked or expired in Okta: the vendor cannot connect" \
           in words and "cannot tell" not in words

    # Pressed: the link; from then on the card leads to the token step, its field in the card.
    j.post_form(j.form(page, LINK_FORM), {}, revealed=True)
    page = j.get(url).text
    card = _card(page)
    assert "Step 6: Copy the token value" in _words(card)
    assert "Open the new activation link as the service account (choose its password and enrol its MFA), then " \
           "sign in to Okta as it, create a new API token, and paste it below on step 6; then give it to the " \
           "vendor: in the Microsoft Defender Portal" in _words(card)
    assert 'name="service_token"' in card and "Press “Reactivate" not in _words(card)
    assert j.forms(page, LINK_FORM, button="Get a new activation link")
    assert not j.forms(page, LINK_FORM, button="Reactivate the service account")

    # The person activates the account, makes a token as it and pastes it in the card.
    sandbox_org.complete_activation(user.id)
    value = sandbox_org.issue_api_token(user.id, "Defender for Identity 2")
    pasted = j.submit(j.form(j.get(url).text, "/token"), service_token=value, service_token_name="")
    assert "Token verified" in pasted.text, _words(pasted.text)
    assert f"The vendor has the old one: give it this one, then attest “{ENABLED}” again." in _words(pasted.text)
    assert not j.forms(pasted.text, LINK_FORM)  # Okta accepted the account's token: it is active again
    j.wait_for_jobs()
    # M1: withdrawn on record, with why; not Completed on it.
    [event] = _audit(j, "attestation_withdrawn")
    new = j.onboarding(oid).facts["service_token_id"]
    assert event.subject_id == "defender_enabled" and event.summary == (
        f"Attestation withdrawn: {ENABLED} (given by ana.admin; the token changed ({old} replaced by {new}): the "
        "vendor must be given the new one)"), event.summary
    j.submit(j.form(j.get(url).text, "/reverify"))
    j.wait_for_jobs()
    page = j.get(url).text
    assert j.onboarding(oid).status != "completed"
    assert "Step 7: Verify the instance appears as enabled" in _words(_card(page))
    assert "Verified: token Defender for Identity 2" in _token_step(page)
    assert _open_alerts(j, oid) == []
    # Attested again (the vendor has the new token): completed.
    j.attest(j.form(page, "/attest/defender_enabled"))
    j.wait_for_jobs()
    assert j.onboarding(oid).status == "completed"


def test_a_token_revoked_alone_reopens_its_step_in_the_card(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid, made = _completed(j, sandbox_org)
    _tick(j)
    old = j.onboarding(oid).facts["service_token_id"]
    tokens_domain.revoke_user_tokens(sandbox_org, made["account"], actor=None)
    j.clock.advance(DAY + 1)
    _tick(j)
    page = j.get(f"/onboardings/{oid}").text
    card = _card(page)
    assert "Step 6: Copy the token value" in _words(card), _words(card)
    assert f"The token verified earlier ({old}) was revoked or has expired in Okta: the vendor cannot connect with " \
           "it. Sign in to Okta as the service account, create a new API token, and paste it below on step 6" \
           in _words(card)
    assert 'name="service_token"' in card
    assert "6 Copy the token value to do now" in _token_step(page) and "6 Copy the token value done" not in _words(page)
    # The same token pasted again (it is revoked): Okta refuses it, nothing is withdrawn.
    refused = j.submit(j.form(page, "/token"), service_token=made["value"])
    assert "Okta does not accept this token" in _words(refused.text)
    assert _audit(j, "attestation_withdrawn") == []


def test_the_first_token_withdraws_nothing(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid: uuid.UUID = _completed(j, sandbox_org)[0]
    assert j.onboarding(oid).status == "completed"
    assert _audit(j, "attestation_withdrawn") == []


def test_a_new_token_is_watched_for_the_vendors_first_call_with_it(j: Journey, sandbox_org: SandboxOrg) -> None:
    """Review (twenty-eighth session), M4: once the vendor had called with the first token, a new token
    pasted after it was lost kept "first call seen": the watch looked daily, not hourly, for the vendor's
    call with the new one, and the list's "waiting for the vendor's first call" left it out while
    Health's listed it."""
    oid, made = _completed(j, sandbox_org)
    _tick(j)
    j.clock.advance(60)
    assert tokens_domain.authenticate(sandbox_org, made["value"]) is not None  # the vendor calls, a minute on
    j.clock.advance(3601)
    assert _tick(j) == [oid] and j.onboarding(oid).facts.get("vendor_first_call_seen_at")
    tokens_domain.revoke_user_tokens(sandbox_org, made["account"], actor=None)
    j.clock.advance(DAY + 1)
    _tick(j)
    value = sandbox_org.issue_api_token(made["account"], "Defender for Identity 2")
    pasted = j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/token"), service_token=value,
                      service_token_name="")
    assert "Token verified" in pasted.text, _words(pasted.text)
    j.wait_for_jobs()
    assert not j.onboarding(oid).facts.get("vendor_first_call_seen_at")
    assert f"#{str(oid)[:8]}" in j.get("/?view=all&health=first_call").text
    assert _tick(j) == [oid]  # at the next tick, not the day on its last run had set
    assert f"#{str(oid)[:8]}" in j.get("/health?evidence=not_yet").text  # Health's filter agrees
    j.clock.advance(3601)
    assert _tick(j) == [oid]  # hourly, until the vendor calls with the new token

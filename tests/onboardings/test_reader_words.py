"""QA walk 8, finding 13: someone who may not act on a completed onboarding (an auditor, a colleague
it is not assigned to) is not told to press a Re-verify button they do not have. Nor, on any other
card (QA walk), told to "Verify now", to Retry or to confirm: they read who does it (an auditor;
a help-desk operator before taking it from the queue)."""

from __future__ import annotations

import html
import re
import uuid

from app.settings import Settings
from okta_sandbox.domain import api_services as services_domain
from tests.harness import Wizard
from tests.page_journeys import Journey
from tests.reports import test_reports
from tests.reports.test_reports import _auditor
from tests.support import Web, add_operator
from tests.vendors.test_authomize import use_catalog_key

done = test_reports.done  # a completed Defender onboarding, as the report's tests use

YOURS = "Re-verify at any time to see whether anything changed in Okta since (drift)."
THEIRS = ("The person it is assigned to, or an administrator, can re-verify it at any time to see whether anything "
          "changed in Okta since (drift).")


def test_the_completed_card_says_who_can_re_verify(done: tuple[Wizard, uuid.UUID], settings: Settings) -> None:
    w, oid = done
    page = f"/onboardings/{oid}"
    auditor = _auditor(w).get(page).text
    assert "Completed: every item passed or was attested" in auditor
    assert THEIRS in auditor and YOURS not in auditor and "/reverify" not in auditor

    add_operator(settings, "olly", "operator")
    colleague = Web(w.client)
    colleague.sign_out()
    colleague.sign_in("olly")  # an operator it is not assigned to
    text = colleague.get(page).text
    assert THEIRS in text and "/reverify" not in text

    admin = Web(w.client)
    admin.sign_out()
    admin.sign_in("ana.admin")  # the administrator who completed it, with the button
    text = admin.get(page).text
    assert YOURS in text and THEIRS not in text and "/reverify" in text


def _card(text: str) -> str:
    start = text.index('id="next-step"')
    card = text[start:text.index('<nav class="next-step__progress"', start)]
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", card).split()))


def _as(j: Journey, username: str, url: str) -> str:
    web = Web(j.client)
    web.sign_out()
    web.sign_in(username)
    return _card(web.get(url).text)


def test_an_auditor_is_not_told_to_verify_the_prerequisites_now(j: Journey, settings: Settings) -> None:
    """QA walk: Drata's card said "Verify now, before you give Drata the values" to an auditor, who
    has no Verify button: they read who verifies."""
    assert j.org.demo is not None
    oid = j.start("drata", j.connect(j.org.demo.admin_token))
    j.save_values(oid, "assign_app", app_users="ada.lovelace0@acme.example", app_groups="Drata Users")
    j.plan_and_apply(oid)
    j.paste_service_token(oid, "Drata")
    url = f"/onboardings/{oid}"
    assert "Verify now, before you give Drata the values (step C2)." in _card(j.get(url).text)  # the admin's
    add_operator(settings, "aud", "auditor")
    card = _as(j, "aud", url)
    assert "has not been checked yet. The person it is assigned to, or an administrator, verifies it before " \
           "Drata is given the values (step C2)." in card, card
    assert "Verify now" not in card and "You can read this onboarding." in card


def test_the_help_desk_is_not_told_to_verify_a_queued_wait(j: Journey, settings: Settings) -> None:
    """A Sentinel onboarding in the help-desk queue while the connector's 30 minutes run: an operator
    who has not taken it read "Then verify", with no button until they take it."""
    assert j.org.demo is not None
    oid = j.start("sentinel-unified-connector", j.connect(j.org.demo.admin_token))
    j.save_values(oid, "choose_workspace", workspace_name="sentinel-prod")
    j.plan_and_apply(oid)
    j.paste_service_token(oid, "Microsoft Sentinel")
    url = f"/onboardings/{oid}"
    j.submit(j.form(j.get(url).text, "/timers/connect"))
    for _ in range(12):  # what the card asks a person to attest, until only the wait is left
        page = j.get(url).text
        card = page[page.index('id="next-step"'):page.index('<nav class="next-step__progress"')]
        attest = j.forms(card, "", button="I confirm:")
        if not attest:
            break
        j.submit(attest[0])
    j.submit(j.form(j.get(url).text, "/handoff"), to="queue", note="The connector's wait runs; verify after it.")
    add_operator(settings, "hal", "operator")
    card = _as(j, "hal", url)
    assert "Nothing can be done until the wait ends. Then the person it is assigned to, or an administrator, " \
           "verifies: the wizard checks the rest of the checklist against Okta." in card, card
    assert "Then verify" not in card and "Take it from the help-desk queue (above) to do this." in card


def test_an_auditor_reads_who_plans_and_who_retries(j: Journey, settings: Settings) -> None:
    """The card's plan and retry words spoke to the reader ("until you confirm the plan", "then
    Retry"), who has neither button."""
    assert j.org.demo is not None
    oid = j.start("defender-for-identity", j.connect(j.org.demo.admin_token))
    url = f"/onboardings/{oid}"
    add_operator(settings, "aud", "auditor")
    card = _as(j, "aud", url)
    assert "Once the person it is assigned to, or an administrator, makes it, the plan lists what the wizard would " \
           "create, adopt or leave alone. Nothing is written to Okta until it is confirmed." in card, card
    assert "until you confirm" not in card

    Web(j.client).sign_out()
    j.sign_in("ana.admin", "a long enough password")
    j.submit(j.form(j.get(url).text, "/plan"))
    j.org.faults.add("server_error", method="POST", path="/api/v1/iam/roles", times=4)
    j.submit(j.form(j.get(url).text, "/confirm"))
    j.wait_for_jobs()
    card = _as(j, "aud", url)
    assert "stopped: do what it says, then retry" in card  # the step's name for what happened
    assert "What Okta answered and what to do are below; then the person it is assigned to, or an administrator, " \
           "retries, and the wizard continues from there." in card, card
    assert "then Retry" not in card


def test_an_auditor_reads_why_the_attestation_waits(j: Journey, settings: Settings) -> None:
    """Authomize's step 6 would destroy the secret its credentials test needs: the card said to the
    auditor "Verify before you attest it ... Once that check has passed, attest"."""
    use_catalog_key(j, services_domain.AUTHOMIZE_TYPE)
    assert j.org.demo is not None
    oid = j.start("authomize", j.connect(j.org.demo.admin_token))
    j.plan_and_apply(oid)
    url = f"/onboardings/{oid}"
    j.submit(j.form(j.get(url).text, "/attest/authomize_admin"))
    add_operator(settings, "aud", "auditor")
    card = _as(j, "aud", url)
    assert "It is attested only once the check “The client credentials get an access token with the six scopes " \
           "and read a user” has passed (attesting destroys the value kept for it, which that check still needs): " \
           "the person it is assigned to, or an administrator, verifies first." in card, card
    assert "Verify before you attest it" not in card and "attest." not in card

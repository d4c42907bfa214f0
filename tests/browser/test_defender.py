"""Microsoft Defender for Identity, start to finish in a real browser against a real server and its
demo sandbox org: new onboarding, preflight, plan, apply, the service account's activation and
token (in the sandbox's Admin Console, as a person would), verify, attest, completed. Then the
sandbox org's final state is read back. Every page of the onboarding, at each stage and then as
each role, passes the accessibility check (axe-core: no serious or critical violation)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible, pages_for, preload
from tests.browser.driver import Journey
from tests.flows import (
    PLAN_CONFIRMED,
    VERIFYING_AFTER_THE_LAST,
    activate_and_create_token,
    add_operator_in_ui,
    attest_all,
    page_html,
    paste_token,
    sign_in,
    sign_out,
    start_onboarding,
    wait_for_job,
)

pytestmark = pytest.mark.browser

SERVICE_LOGIN = "mdi-service@acme.example"
ACCOUNT_PASSWORD = "Quiet-Harbor-42"


def test_defender_onboarding_in_the_browser(sandbox_journey: Journey) -> None:
    server, page, watch = sandbox_journey.server, sandbox_journey.page, sandbox_journey.watch
    start_onboarding(page, "Microsoft Defender for Identity")

    # Preflight: the sandbox admin's token is a Super Administrator's.
    expect(page.get_by_role("heading", name="Preflight")).to_be_visible()
    expect(page.locator(".preflight").get_by_text("sam.super@acme.example")).to_be_visible()
    assert_accessible(page, "a new onboarding")

    step = page.locator("#step-create_account")
    step.get_by_label("Service account username (an email address)").fill(SERVICE_LOGIN)
    step.get_by_role("button", name="Save values").click()
    expect(page.get_by_text("Values saved.")).to_be_visible()
    # Said where Save was pressed, and focused there (it was drawn in the card, far above: QA walk 4, M4).
    saved = page.locator("#step-create_account [role=status]")
    expect(saved).to_contain_text("Values saved.")
    expect(saved).to_be_focused()
    expect(saved).to_be_in_viewport()

    page.get_by_role("button", name="Make the plan", exact=True).click()
    plan = page.locator("#plan")
    expect(plan.get_by_text("Not confirmed: nothing has been written to Okta.")).to_be_visible()
    expect(plan.get_by_text(f"Create the user {SERVICE_LOGIN}")).to_be_visible()
    expect(plan.get_by_text("POST /api/v1/iam/roles")).to_be_visible()
    assert server.sandbox_state()["counts"]["customRoles"] == 0  # nothing written before confirming
    assert_accessible(page, "the plan, not yet confirmed")

    page.get_by_role("button", name="Confirm and apply").click()
    expect(page.get_by_text(PLAN_CONFIRMED)).to_be_visible()
    # Said just above the progress panel (not inside it: the panel is redrawn as the run goes on).
    confirmed = page.locator("#progress").locator("xpath=preceding-sibling::*[1]")
    expect(confirmed).to_contain_text(PLAN_CONFIRMED)
    expect(confirmed).to_be_focused()
    wait_for_job(page)
    # What the run wrote to Okta, on the page it reloads (it said nothing of it: QA walk 16, M3).
    applied = page.locator("#next-step").get_by_text(re.compile(r"Applied in Okta: \d+ created"))
    expect(applied).to_be_visible()
    expect(applied).to_be_focused()  # the next Tab goes on from the card, not from the top (QA walk 16, L9)
    expect(page.locator(".status-note")).to_contain_text("Waiting for the service account's token")
    # The reload at the end of the run lands on the card, not beside the progress panel (QA walk 9, M4).
    expect(page.get_by_role("heading", name="Step 3: Verify the account")).to_be_in_viewport()
    assert_accessible(page, "applied, waiting for the token")
    # The next-step card agrees with the status line: the account's person's step towards the
    # token, with its button, before the attestations that can wait.
    card = page.locator("#next-step")
    expect(card.get_by_role("heading", name="Step 3: Verify the account")).to_be_visible()
    expect(card.get_by_role("button", name="Reveal activation link of the service account")).to_be_visible()

    # The person behind the account: activation link, then a token in the Admin Console.
    token = activate_and_create_token(page, SERVICE_LOGIN, ACCOUNT_PASSWORD, "Defender for Identity")
    paste_token(page, "copy_token", token)
    assert token not in page_html(page)

    # Super Admin goes as soon as the token is verified: nobody has to press Continue (issue 14).
    # (Said while the run goes on; the page the run reloads at its end says what it did.)
    expect(page.get_by_text(re.compile(r"The steps that waited for it are running now\.|"
                                       r"Applied in Okta: Removed Super Administrator"))).to_be_visible()
    wait_for_job(page)
    roles = next(u for u in server.sandbox_state()["users"] if u["login"] == SERVICE_LOGIN)["roles"]
    assert "SUPER_ADMIN" not in roles, roles
    expect(page.get_by_role("button", name="Continue")).to_have_count(0)
    # Then the first thing a person does, in the document's order, with its button in the card.
    licence = "I confirm: The Okta org has a Developer or Enterprise licence"
    expect(card.get_by_role("heading", name="Step 1: Okta licence is Developer or Enterprise")).to_be_visible()
    expect(card.get_by_role("button", name=licence)).to_be_visible()
    attest_all(page, watch)
    # The last attestation verifies at once: nothing is left to press (QA walk 9, M2).
    expect(page.get_by_text(VERIFYING_AFTER_THE_LAST).first).to_be_visible()
    wait_for_job(page)
    expect(page.get_by_role("heading", name="Completed: every item passed or was attested")).to_be_in_viewport()
    expect(page.locator(".onboarding-head").get_by_text("Completed")).to_be_visible()
    expect(page.get_by_text("0 failed")).to_be_visible()
    onboarding_url = page.url.split("#")[0]

    # Completed: finished steps fold, so the record fits a few screens of a laptop.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(onboarding_url)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2500, f"the completed onboarding's page is {height} px tall at 1366 px wide"
    _every_page_is_accessible(sandbox_journey, onboarding_url.rsplit("/", 1)[1])
    watch.assert_clean()

    state = server.sandbox_state()
    service_account = next(u for u in state["users"] if u["login"] == SERVICE_LOGIN)
    assert service_account["status"] == "ACTIVE"
    assert sorted(service_account["roles"]) == ["CUSTOM:Microsoft Defender for Identity", "READ_ONLY_ADMIN"]
    assert {"ObjectSid", "ObjectGuid", "DistinguishedName"} <= set(state["schema"]["custom"])
    role = next(r for r in state["customRoles"] if r["label"] == "Microsoft Defender for Identity")
    assert role["permissions"] == ["okta.iam.read", "okta.users.credentials.manage", "okta.users.lifecycle.manage"]
    assert token not in server.output


def _every_page_is_accessible(journey: Journey, onboarding_id: str) -> None:
    """Each role's every page (this onboarding's among them), signed in as that role."""
    page, server = journey.page, journey.server
    preload(page.context)
    for username, role in (("olive.operator", "operator"), ("ada.auditor", "auditor")):
        add_operator_in_ui(page, username, username.replace(".", " ").title(), role, f"{username} given")
    for username, role in (("alex.admin", "admin"), ("olive.operator", "operator"), ("ada.auditor", "auditor")):
        if role != "admin":
            sign_out(page)
            sign_in(page, server, username, f"{username} given", own_password=f"{username} chosen")
        for path in pages_for(role, onboarding_id):
            refused = role == "operator" and path.endswith("/undo")  # an operator acts on their own onboardings
            if refused:
                journey.watch.expect_refusal(server.url + path)
            response = page.goto(server.url + path)
            assert response is not None and response.status == (403 if refused else 200), (path, role)
            assert_accessible(page, f"{path} as {role}")

"""Drata, start to finish in a real browser against a real server and its demo sandbox org: the
values (who signs in to Drata, the optional attributes and group label), plan, apply (service
account, the hand-installed Drata - OIDC app found, granted and assigned), the service account's
activation and token in the sandbox's Admin Console, verify (the email-domain scan flags the demo
org's three domains), the Drata connection drawer with its values, attest (the kept client secret
is destroyed), completed. Then the sandbox org's final state is read back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.driver import Journey
from tests.flows import (
    PLAN_CONFIRMED,
    attest_all,
    create_token_in_console,
    page_html,
    paste_token,
    press_and_wait,
    reveal_secret,
    start_onboarding,
    wait_for_job,
)

pytestmark = pytest.mark.browser

SERVICE_LOGIN = "drata-service@acme.example"
ACCOUNT_PASSWORD = "Quiet-Harbor-42"
PEOPLE = ["ada.lovelace0@acme.example", "ben.tanaka1@acme.example"]


def save_step_values(page: Page, step_key: str) -> None:
    page.locator(f"#step-{step_key}").get_by_role("button", name="Save values").click()
    expect(page.get_by_text("Values saved.")).to_be_visible()




def activate_and_create_token(page: Page, onboarding_url: str) -> str:
    """The person behind the service account: the activation link the wizard keeps, a password,
    then a token created in the sandbox's Admin Console as the account."""
    link = reveal_secret(page, "Activation link of the service account")
    other = page.context.new_page()
    other.goto(link)
    other.get_by_label("Password", exact=True).fill(ACCOUNT_PASSWORD)
    other.get_by_label("Password again").fill(ACCOUNT_PASSWORD)
    other.get_by_role("button", name="Activate").click()
    expect(other.get_by_text(f"{SERVICE_LOGIN} is active")).to_be_visible()
    other.get_by_role("link", name="sign in to the Admin Console as this account").click()
    create_token_in_console(other, SERVICE_LOGIN, "Drata")
    token = other.get_by_label("Token value").input_value()
    other.close()
    page.goto(onboarding_url)
    return token


def test_drata_onboarding_in_the_browser(sandbox_journey: Journey) -> None:
    server, page, watch = sandbox_journey.server, sandbox_journey.page, sandbox_journey.watch
    start_onboarding(page, "Drata")
    onboarding_url = page.url.split("#")[0]

    assign = page.locator("#step-assign_app")
    assign.get_by_label(re.compile("People who sign in to Drata")).fill("\n".join(PEOPLE))
    assign.get_by_label(re.compile("Groups who sign in to Drata")).fill("Drata Users")
    save_step_values(page, "assign_app")
    page.locator("#step-start_date_attributes").get_by_label(
        "Add the drataStartDate and drataContractor attributes").check()
    save_step_values(page, "start_date_attributes")
    page.locator("#step-choose_group").get_by_label(re.compile("Group label to sync")).fill("Engineering")
    save_step_values(page, "choose_group")

    page.get_by_role("button", name="Make the plan", exact=True).click()
    plan = page.locator("#plan")
    expect(plan.get_by_text("Use “Drata - OIDC” installed from the catalog")).to_be_visible()
    expect(plan.get_by_text("Grant okta.users.read.self to Drata - OIDC")).to_be_visible()
    expect(plan.get_by_text(f"Assign Drata - OIDC to {PEOPLE[0]}")).to_be_visible()
    before = server.sandbox_state()
    assert before["apps"][0]["grants"] == [] and before["apps"][0]["users"] == []

    page.get_by_role("button", name="Confirm and apply").click()
    expect(page.get_by_text(PLAN_CONFIRMED)).to_be_visible()
    wait_for_job(page)
    expect(page.locator(".status-note")).to_contain_text("Waiting for the service account's token")

    token = activate_and_create_token(page, onboarding_url)
    paste_token(page, "create_token", token)
    assert token not in page_html(page)

    press_and_wait(page, page.get_by_role("button", name="Verify"))
    domains = page.locator("#step-email_domains")
    expect(domains.get_by_text(re.compile(r"addresses are on 3 domains"))).to_be_visible()
    expect(domains.get_by_role("button", name=re.compile("I confirm: Drata Technical Support"))).to_be_visible()

    # Drata's connection drawer: each field with the value to paste.
    drawer = page.locator("#step-enter_drata_values")
    app = server.sandbox_state()["apps"][0]
    for field, value in (("Organization", server.sandbox_url.split("://", 1)[1]),
                         ("Application Client ID", app["id"]), ("Group Label (Optional)", "Engineering")):
        expect(drawer.get_by_role("row", name=re.compile(re.escape(field)))).to_contain_text(value)
    secret = reveal_secret(page, "Client secret of the Drata - OIDC app")
    assert len(secret) >= 14
    page.goto(onboarding_url)
    assert secret not in page_html(page)

    attest_all(page, watch)
    expect(page.get_by_role("region", name="Kept for a later step")
           .get_by_text("Client secret of the Drata - OIDC app")).to_have_count(0)
    press_and_wait(page, page.get_by_role("button", name="Re-verify"))
    expect(page.locator(".onboarding-head").get_by_text("Completed")).to_be_visible()
    expect(page.get_by_text("0 failed")).to_be_visible()
    assert secret not in page_html(page)
    watch.assert_clean()

    state = server.sandbox_state()
    users = {u["login"]: u for u in state["users"]}
    assert users[SERVICE_LOGIN]["status"] == "ACTIVE"
    assert users[SERVICE_LOGIN]["roles"] == ["READ_ONLY_ADMIN"]
    [app] = state["apps"]
    assert app["label"] == "Drata - OIDC" and app["grants"] == ["okta.users.read.self"]
    assert {users[login]["id"] for login in PEOPLE} <= set(app["users"]) and len(app["groups"]) == 1
    assert {"drataStartDate", "drataContractor"} <= set(state["schema"]["custom"])
    assert state["schema"]["email"] == [{"principal": "SELF", "action": "READ_ONLY"}]
    assert token not in server.output and secret not in server.output

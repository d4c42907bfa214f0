"""Sign-in with the company's identity provider in a real browser: an administrator reads the demo
sandbox org's sign-in app (client ID and secret), configures the wizard on its Settings page,
signs out, and signs in again through the sandbox's authorize page, landing signed in with the
role the groups claim maps to."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.driver import Journey
from tests.flows import page_html

pytestmark = pytest.mark.browser

SAM = "sam.super@acme.example"  # in the demo org's Engineering and Drata Users groups


def test_sign_in_with_the_sandbox_as_identity_provider(admin_journey: Journey) -> None:
    server, page, watch = admin_journey.server, admin_journey.page, admin_journey.watch

    # The sign-in app the demo org registered for this wizard, as its console shows it.
    console = page.context.new_page()
    console.goto(f"{server.sandbox_url}/__sandbox__/oidc")
    expect(console.get_by_role("heading", name="Okta onboarding wizard")).to_be_visible()
    expect(console.get_by_text(f"{server.url}/sign-in/oidc/callback")).to_be_visible()
    client_id = console.get_by_label("Client ID").input_value()
    client_secret = console.get_by_label("Client secret").input_value()
    console.close()

    page.get_by_role("link", name="Settings").click()
    section = page.locator("section", has=page.get_by_role("heading", name=re.compile("identity provider")))
    expect(section.get_by_text(f"{server.url}/sign-in/oidc/callback")).to_be_visible()
    section.get_by_label("Allow sign-in with the identity provider").check()
    section.get_by_label("Provider name").fill("Acme Okta")
    section.get_by_label("Issuer URL").fill(server.sandbox_url)
    section.get_by_label("Client ID").fill(client_id)
    section.get_by_label("Client secret").fill(client_secret)
    section.get_by_label("Claim to read").fill("groups")
    section.get_by_label("Administrator: claim values").fill("Wizard Admins")
    section.get_by_label("Operator: claim values").fill("Engineering")
    section.get_by_label("Auditor: claim values").fill("Sales")
    section.get_by_role("button", name="Save sign-in settings").click()
    expect(page.get_by_text("Identity provider sign-in saved: turned on")).to_be_visible()
    assert client_secret not in page_html(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.get_by_role("link", name="Sign in with Acme Okta").click()

    # The sandbox's authorize page: choose who you are, and sign in.
    expect(page.get_by_role("heading", name="Sign in to Okta onboarding wizard")).to_be_visible()
    chooser = page.get_by_label("Sign in as")
    chooser.select_option(chooser.locator("option", has_text=SAM).get_attribute("value"))
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url(f"{server.url}/")
    header = page.locator(".site-user")
    expect(header.get_by_text("Sam Super")).to_be_visible()
    expect(header.get_by_text("Operator", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Operators")).to_have_count(0)  # not an administrator
    watch.assert_clean()
    assert client_secret not in server.output

"""In a real browser, against a real server process: first-run setup, adding an operator,
signing out and in as them; no console errors on any page; usable at 320 px and without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.driver import Journey, watched_page
from tests.flows import choose_own_password
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def test_setup_add_operator_sign_out_and_in(journey: Journey) -> None:
    server, page, watch = journey.server, journey.page, journey.watch
    page.goto(server.setup_link())
    expect(page.get_by_role("heading", name="Set up the first administrator")).to_be_visible()
    page.get_by_label("Username").fill("first.admin")
    page.get_by_label("Your name").fill("First Admin")
    page.get_by_label("Password", exact=True).fill("first admin password")
    page.get_by_label("Password again").fill("first admin password")
    page.get_by_role("button", name="Create administrator").click()
    expect(page.get_by_text("Welcome, First Admin")).to_be_visible()
    expect(page.get_by_role("heading", name="Onboardings", exact=True)).to_be_visible()

    page.get_by_role("link", name="Operators").click()
    add = page.get_by_role("region", name="Add an account")
    add.get_by_label("Username").fill("helpdesk.hal")
    add.get_by_label("Display name").fill("Hal from the help desk")
    add.get_by_label("Role").select_option("operator")
    add.get_by_label("Initial password").fill("help desk password")
    add.get_by_role("button", name="Add the account").click()
    expect(page.get_by_text("Account helpdesk.hal added as Operator.")).to_be_visible()
    expect(page.get_by_role("cell", name="Hal from the help desk")).to_be_visible()

    # Adding a connection takes a moment (the token is checked with Okta): the button says so and
    # cannot be pressed twice; once added, the page invites to start an onboarding on it.
    page.get_by_role("link", name="Okta connections").click()
    add = page.get_by_role("button", name="Check and add")
    # The submit as the browser announces it (a dispatched event sends nothing, so the page stays).
    add.evaluate("(b) => b.form.dispatchEvent(new SubmitEvent('submit', {submitter: b, bubbles: true}))")
    busy = page.get_by_role("button", name="Checking the token with Okta…")
    expect(busy).to_be_disabled()
    expect(busy).to_have_attribute("aria-busy", "true")
    page.reload()
    page.get_by_role("button", name="Use the sandbox org").click()
    expect(page.get_by_text("is ready to use, as the connection “Sandbox org (demo)”. Next: start an onboarding on it.")
           ).to_be_visible()
    # Pressed again: the same org with the same account is not a second, indistinguishable connection.
    page.get_by_role("button", name="Use the sandbox org").click()
    expect(page.get_by_text("You already had the connection “Sandbox org (demo)” to the sandbox org")).to_be_visible()
    page.get_by_role("link", name="Start an onboarding on Sandbox org (demo)").click()
    expect(page.get_by_label("Okta connection").locator("option")).to_have_count(1)
    expect(page.get_by_label("Okta connection").locator("option:checked")).to_contain_text("Sandbox org (demo)")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    page.get_by_label("Username").fill("helpdesk.hal")
    page.get_by_label("Password").fill("help desk password")
    page.get_by_role("button", name="Sign in").click()
    # The administrator knows the password they gave: Hal chooses his own before any other page.
    expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    page.goto(server.url + "/connections")
    expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    choose_own_password(page, "help desk password", "hal's own pass phrase")
    # On to the page he opened, not the home page (QA walk 8, finding 6).
    expect(page.get_by_role("heading", name="Okta connections", exact=True)).to_be_visible()
    assert page.url == server.url + "/connections"
    page.goto(server.url + "/")
    expect(page.get_by_role("heading", name="Onboardings", exact=True)).to_be_visible()
    expect(page.locator(".site-user__name")).to_contain_text("Hal from the help desk")
    # An operator has no Operators link, and the page itself refuses them.
    expect(page.get_by_role("link", name="Operators")).to_have_count(0)
    watch.expect_refusal(server.url + "/operators")
    page.goto(server.url + "/operators")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    watch.assert_clean()


@pytest.fixture
def boss(server: LiveServer, migrated_url: str) -> None:
    """An administrator made straight in the database. Named before ``browser`` in the test's
    arguments, so it runs first: it uses ``asyncio.run``, which cannot run once Playwright's loop is."""
    from app.settings import Settings
    from tests.support import add_operator

    add_operator(Settings(database_url=migrated_url), "boss", "admin")


def test_small_screens_and_no_javascript(boss: None, server: LiveServer, browser: Browser) -> None:
    with watched_page(browser, viewport=(320, 640), javascript=False) as (page, watch):
        page.goto(server.url + "/sign-in")
        page.get_by_label("Username").fill("boss")
        page.get_by_label("Password").fill("correct horse battery staple")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Onboardings", exact=True)).to_be_visible()
        page.goto(server.url + "/operators")
        expect(page.get_by_role("heading", name="Operators", exact=True)).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"page scrolls sideways at 320 px ({width} px wide)"
        watch.assert_clean()
    with watched_page(browser) as (page, watch):
        watch.expect_refusal(server.url + "/no-such-page")
        page.goto(server.url + "/no-such-page")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
        assert "Skip to content" in focused
        watch.assert_clean()

"""Steps of the wizard in a real browser, shared by the browser tests (and scripts/screenshot.py)."""

from __future__ import annotations

import re
from typing import Protocol
from urllib.parse import urljoin

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from tests.live import LiveServer

# The message after "Confirm and apply": while the run goes on, or once it has ended before the page
# was drawn (a quick apply), what it did.
PLAN_CONFIRMED = re.compile(r"Plan confirmed: the wizard is applying it|Applied in Okta: ")


class Refusals(Protocol):
    """A test's watch of the browser's console, told which refusals (4xx pages) are on purpose."""

    def expect_refusal(self, url: str) -> None: ...


def first_admin(page: Page, server: LiveServer) -> None:
    page.goto(server.setup_link())
    page.get_by_label("Username").fill("alex.admin")
    page.get_by_label("Your name").fill("Alex Admin")
    page.get_by_label("Password", exact=True).fill("alex admin password")
    page.get_by_label("Password again").fill("alex admin password")
    page.get_by_role("button", name="Create administrator").click()
    expect(page.get_by_text("Welcome, Alex Admin")).to_be_visible()


def use_sandbox_org(page: Page) -> None:
    page.get_by_role("link", name="Okta connections").click()
    page.get_by_role("button", name="Use the sandbox org").click()
    expect(page.get_by_text("is ready to use")).to_be_visible()


def start_onboarding(page: Page, vendor: str) -> None:
    page.get_by_role("link", name="Onboardings", exact=True).click()
    page.get_by_role("link", name="New onboarding").click()
    # Each vendor's radio is named by the vendor alone, not by its whole card (issue 14, point 9).
    page.get_by_role("radio", name=vendor, exact=True).check()
    page.get_by_role("button", name="Start onboarding").click()
    expect(page.get_by_text("onboarding started")).to_be_visible()


def wait_for_job(page: Page) -> None:
    """The progress panel polls while a job runs and reloads the page when it is done: the panel is
    gone once the new page begins, which may still be read (what follows counted the buttons of a
    page half parsed: none, and the hand-off journey stopped with three attestations left)."""
    expect(page.locator("#progress-region")).to_have_count(0, timeout=30_000)
    page.wait_for_load_state("domcontentloaded")


def page_html(page: Page) -> str:
    """The page's HTML once it has stopped changing. A step that starts a job (a verified token runs
    what waited for it) reloads the page when the job ends, at a moment no test knows: reading the
    page then fails ("the page is navigating"), so it is read again once the new page is there."""
    for _ in range(10):
        try:
            return page.content()
        except PlaywrightError as exc:
            if "navigating" not in str(exc):
                raise
            page.wait_for_load_state("domcontentloaded")
    return page.content()


def press_and_wait(page: Page, button: Locator) -> None:
    """Press a button that starts a job (Verify, Retry, ...), then wait for the job to end. The
    press is followed to the page it leads to first: waiting on the page it was pressed on, where
    nothing runs yet, would return before the job had even started."""
    with page.expect_navigation():
        button.click()
    wait_for_job(page)


# What the page says after the last attestation, which verifies at once: that the wizard is verifying,
# or, when the verification ended before the page was drawn (a quick sandbox), that it has ended.
VERIFYING_AFTER_THE_LAST = re.compile(r"Nothing else is left: the wizard is verifying the checklist against Okta\.|"
                                      r"The verification has ended")


def attest_all(page: Page, watch: Refusals | None = None) -> None:
    """Every attestation the page offers, in its order. One that proves the vendor connected warns
    when Okta shows no use of the token (a 409 page, which ``watch`` expects): confirmed despite it."""
    while True:
        page.wait_for_load_state("domcontentloaded")  # never the buttons of a page still being read
        buttons = page.get_by_role("button", name=re.compile("^I confirm:"))
        if buttons.count() == 0:
            return
        proof = page.locator("p.hint:has-text('asks Okta once') + form.attest-form")
        if watch is not None and proof.count():
            watch.expect_refusal(urljoin(page.url, proof.first.get_attribute("action") or ""))
        # Waiting for the navigation, not for the "Attested by" flash: the previous attestation's
        # flash is still on the page, so a text wait returned at once and the next count could run
        # on a page being replaced (0 buttons), ending the loop with attestations left.
        with page.expect_navigation():
            buttons.first.click()
        despite = page.get_by_label("I checked: record it despite this warning")
        if despite.count():
            # The vendor has not called Okta with the token in these journeys: the attestation that
            # proves it connected warns (tests/onboardings/test_connection_proof.py), and is confirmed.
            despite.first.check()
            with page.expect_navigation():
                page.locator("form:has(input[name=despite_no_use])").get_by_role(
                    "button", name=re.compile("^I confirm:")).first.click()
        expect(page.get_by_text(re.compile(r"^Attested by .+\.$"))).to_be_visible()


def activate_and_create_token(page: Page, login: str, password: str, token_name: str) -> str:
    """As the person behind the service account: open the activation link the wizard keeps,
    choose a password, sign in to the sandbox's Admin Console as the account and create a token.
    Returns the token value (shown once, like Okta's console)."""
    reveal_secret(page, "Activation link of the service account")
    link = page.locator(".secret-value").inner_text()
    other = page.context.new_page()
    other.goto(link)
    other.get_by_label("Password", exact=True).fill(password)
    other.get_by_label("Password again").fill(password)
    other.get_by_role("button", name="Activate").click()
    expect(other.get_by_text(f"{login} is active")).to_be_visible()
    other.get_by_role("link", name="sign in to the Admin Console as this account").click()
    create_token_in_console(other, login, token_name)
    token = other.get_by_label("Token value").input_value()
    other.close()
    page.reload()
    return token


def reveal_secret(page: Page, label: str) -> str:
    """Reveal a kept secret on the step that needs it; the page comes back with the value there."""
    page.get_by_role("button", name=f"Reveal {label}").click()
    value = page.locator(".secret-value")
    expect(value).to_be_visible()
    return value.inner_text()


def unfold(page: Page, step_key: str) -> None:
    """Open a finished step, folded on the page, as a person clicks its title (and first its
    section's, when every step of the section is done and the section is folded too)."""
    step = page.locator(f"#step-{step_key}")
    section = page.locator("details.section-fold:not([open])", has=step)
    if section.count():
        section.locator("summary").first.click()
    if step.locator("details.step__fold:not([open])").count():
        step.locator("summary").first.click()


def create_token_in_console(console: Page, login: str, token_name: str) -> None:
    select = console.get_by_label("Signed in as")
    select.select_option(select.locator("option", has_text=login).get_attribute("value"))
    console.get_by_label("Token name").fill(token_name)
    console.get_by_label("Any IP").check()
    console.get_by_role("button", name="Create token").click()


def paste_token(page: Page, step_key: str, token: str) -> None:
    page.locator(f"#step-{step_key}").get_by_label("Token value").fill(token)
    page.get_by_role("button", name="Check the token").click()
    expect(page.get_by_text("Token verified: it belongs to the service account.")).to_be_visible()


def sign_in(page: Page, server: LiveServer, username: str, password: str, *, own_password: str | None = None) -> None:
    """Sign in; with ``own_password``, the first sign-in of an account an administrator made, where
    the person must choose their own password before anything else."""
    page.goto(server.url + "/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if own_password is not None:
        choose_own_password(page, password, own_password)
    expect(page.get_by_role("heading", name="Onboardings", exact=True)).to_be_visible()


def choose_own_password(page: Page, given: str, own: str) -> None:
    expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    page.get_by_label("Current password").fill(given)
    page.get_by_label("New password", exact=True).fill(own)
    page.get_by_label("New password again").fill(own)
    page.get_by_role("button", name="Save my password").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def add_operator_in_ui(page: Page, username: str, name: str, role: str, password: str) -> None:
    page.get_by_role("link", name="Operators").click()
    form = page.get_by_role("region", name="Add an account")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Display name").fill(name)
    form.get_by_label("Role").select_option(role)
    form.get_by_label("Initial password").fill(password)
    form.get_by_role("button", name="Add the account").click()
    expect(page.get_by_text(f"Account {username} added")).to_be_visible()

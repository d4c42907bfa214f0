"""In a real browser, against a real server whose sandbox org holds hostile values: an Oort
onboarding (adopting a log stream whose name is an HTML and script payload, with a service-account
token whose name is one, and a service account renamed to one in Okta), then every GET page of
the application (tests/access.py lists them all) with the onboarding's id filled in.

Nothing may break the Content-Security-Policy (no `securitypolicyviolation` event, no console
message about it), nothing may log a console error or throw, no dialog may open, and no page may
hold an image or inline script that came from Okta; the hostile values show as text."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, expect

from tests.flows import (
    PLAN_CONFIRMED,
    VERIFYING_AFTER_THE_LAST,
    activate_and_create_token,
    attest_all,
    first_admin,
    paste_token,
    press_and_wait,
    start_onboarding,
    use_sandbox_org,
    wait_for_job,
)
from tests.hostile import hostile, hostile_name
from tests.live import LiveServer
from tests.page_journeys import get_urls

pytestmark = pytest.mark.browser

SERVICE_LOGIN = "oort-service-account@acme.example"
ACCOUNT_PASSWORD = "Quiet-Harbor-42"
STREAM = hostile("hx-stream")
TOKEN_NAME = hostile("hx-token")
SERVICE_FIRST = hostile_name("hx-svc1")
ADMIN_FIRST, ADMIN_LAST = hostile_name("hx-adm1"), hostile_name("hx-adm2")
AWS = {"accountId": "123456789012", "eventSourceName": "oort_acme_okta", "region": "us-east-2"}
# Not pages: attachments the browser saves without rendering, the probes' JSON, and the progress
# fragment htmx swaps into the onboarding page (which is visited, and showed it while jobs ran).
NOT_PAGES = (".pdf", ".json", ".csv", "/healthz", "/readyz", "/progress", "/favicon.ico")

# Runs in every page before its own scripts: reports Content-Security-Policy violations to the test
# as they happen (so none is lost to a navigation).
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportProblem(`CSP ${event.effectiveDirective} blocked ${event.blockedURI || "inline code"} `
                       + `(${event.sourceFile || location.href}:${event.lineNumber}) on ${location.pathname}`);
}, true);
"""


class Watch:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.refused: set[str] = set()  # pages answered with a 4xx on purpose (410 /setup, say)
        self.failed_loads: list[tuple[str, str]] = []

    def console(self, page: Page, message: ConsoleMessage) -> None:
        where = message.location.get("url", "") or page.url
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append(f"console: {message.text} ({where})")
        elif message.type == "error" and message.text.startswith("Failed to load resource"):
            self.failed_loads.append((where, f"{message.text} on {page.url}"))
        elif message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text} ({where})")

    def report(self, problem: str) -> None:
        self.problems.append(problem)

    def expect_refusal(self, url: str) -> None:
        self.refused.add(url)

    def attach(self, page: Page) -> None:
        page.on("console", lambda message: self.console(page, message))
        page.on("pageerror", lambda error: self.problems.append(f"pageerror: {error} ({page.url})"))
        page.on("dialog", self.dialog)

    def dialog(self, dialog: Dialog) -> None:
        self.problems.append(f"a {dialog.type} opened: {dialog.message!r}")
        dialog.dismiss()

    def assert_clean(self) -> None:
        problems = self.problems + [f"console: {text} ({where})" for where, text in self.failed_loads
                                    if where not in self.refused]
        assert problems == [], "\n".join(problems)


def _okta(server: LiveServer, token: str, method: str, path: str, body: dict[str, object]) -> None:
    response = httpx.request(method, f"{server.sandbox_url}{path}", json=body, timeout=10,
                             headers={"Authorization": f"SSWS {token}", "Accept": "application/json"})
    assert response.status_code in (200, 201), response.text


def _user_id(server: LiveServer, login: str) -> str:
    return str(next(u["id"] for u in server.sandbox_state()["users"] if u["login"] == login))


def test_every_page_keeps_to_the_content_security_policy(server: LiveServer, browser: Browser) -> None:
    watch = Watch()
    # What the org held before the wizard came: a log stream and an admin named by someone hostile.
    token = server.admin_console_token("hostile values")
    _okta(server, token, "POST", "/api/v1/logStreams", {"type": "aws_eventbridge", "name": STREAM,
                                                         "settings": AWS})
    _okta(server, token, "POST", f"/api/v1/users/{_user_id(server, 'sam.super@acme.example')}",
          {"profile": {"firstName": ADMIN_FIRST, "lastName": ADMIN_LAST}})

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.expose_function("reportProblem", watch.report)
    context.add_init_script(WATCH_CSP)
    context.on("page", watch.attach)
    page = context.new_page()
    try:
        first_admin(page, server)
        use_sandbox_org(page)
        start_onboarding(page, "Oort")
        onboarding_url = page.url.split("#")[0]
        oid = onboarding_url.rsplit("/", 1)[1]

        streaming = page.locator("#step-event_streaming_tab")
        streaming.get_by_label("AWS account id").fill(AWS["accountId"])
        streaming.get_by_label("Event source name").fill(AWS["eventSourceName"])
        streaming.get_by_label("Region").select_option(AWS["region"])
        streaming.get_by_label("Name of the Okta log stream").fill(STREAM)
        streaming.get_by_role("button", name="Save values").click()
        expect(page.get_by_text("Values saved.")).to_be_visible()

        page.get_by_role("button", name="Make the plan", exact=True).click()
        expect(page.locator("#plan").get_by_text(f"Use the existing log stream “{STREAM}”",
                                                 exact=False)).to_be_visible()
        page.get_by_role("button", name="Confirm and apply").click()
        # The page after the click (not the plan page still shown under load) before waiting on its job.
        expect(page.get_by_text(PLAN_CONFIRMED)).to_be_visible()
        wait_for_job(page)

        # In Okta, someone renames the new service account; its token gets a hostile name too.
        _okta(server, token, "POST", f"/api/v1/users/{_user_id(server, SERVICE_LOGIN)}",
              {"profile": {"firstName": SERVICE_FIRST}})
        service_token = activate_and_create_token(page, SERVICE_LOGIN, ACCOUNT_PASSWORD, TOKEN_NAME)
        paste_token(page, "copy_token_read_only", service_token)
        if page.get_by_role("button", name="Continue").count():
            press_and_wait(page, page.get_by_role("button", name="Continue"))
        attest_all(page, watch)
        expect(page.get_by_text(VERIFYING_AFTER_THE_LAST).first).to_be_visible()  # it verifies at once
        wait_for_job(page)
        expect(page.locator(".onboarding-head").get_by_text("Completed")).to_be_visible()

        # Every page of the application, this onboarding's included.
        visited = 0
        urls = get_urls(oid)
        for url in urls:
            if url.endswith(NOT_PAGES):
                fetched = page.request.get(server.url + url)
                assert fetched.status == 200, url
                if url.endswith((".pdf", ".json", ".csv")):
                    assert fetched.headers["content-disposition"].startswith("attachment;"), url
                continue
            response = page.goto(server.url + url)
            assert response is not None, url
            if response.status >= 400:
                watch.refused.add(response.url)
            page.wait_for_load_state("load")
            injected = page.locator("img, svg, iframe, object, embed, script:not([src])").count()
            if injected:
                watch.report(f"{url}: {injected} image, frame or inline script element(s)")
            visited += 1
            older = page.get_by_role("link", name="Older ›")
            while url == "/audit" and older.count():  # the whole audit trail, page by page
                with page.expect_navigation():  # counted on the next page, never on this one
                    older.click()
                visited += 1
        assert visited >= len([url for url in urls if not url.endswith(NOT_PAGES)])
        watch.assert_clean()

        # The hostile values are on the onboarding page, as text.
        page.goto(onboarding_url)
        for value in (STREAM, TOKEN_NAME, SERVICE_FIRST):  # (some inside folded steps: text all the same)
            expect(page.locator("main")).to_contain_text(value)

        # The watch hears a violation when there is one: an inline script is refused and reported.
        page.evaluate("() => { const s = document.createElement('script');"
                      " s.textContent = 'window.ran = true'; document.body.append(s); }")
        for _ in range(40):
            if watch.problems:
                break
            page.wait_for_timeout(50)
        assert page.evaluate("() => window.ran === undefined")
        assert len(watch.problems) >= 1 and all("script-src" in p or "Content Security Policy" in p
                                                for p in watch.problems), watch.problems
    finally:
        context.close()
    assert service_token not in server.output

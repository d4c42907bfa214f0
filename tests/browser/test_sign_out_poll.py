"""Signing out while a progress panel is asking again: the handoff journey caught a poll sent as
the session ended come back 401, a console error, with an HX-Redirect to sign in that could take
the person away from "You are signed out". The page's own htmx and app.js, served to a page whose
sign-out is answered only after the poll's refusal has reached the browser."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Error, Route, expect

from app.settings import PROJECT_ROOT, Settings
from tests.browser.driver import watched_page
from tests.support import add_operator, web_client

pytestmark = pytest.mark.browser

ORIGIN = "http://wizard.test"
STATIC = PROJECT_ROOT / "static"
PAGE = """<!doctype html><html lang="en"><head><title>Onboarding</title>
<script src="/static/vendor/htmx/htmx-2.0.11.min.js"></script><script src="/static/app.js"></script></head>
<body><form method="post" action="/sign-out" data-signs-out><button type="submit">Sign out</button></form>
<div id="progress" hx-get="/progress" hx-trigger="load" hx-swap="outerHTML">Applying</div></body></html>"""
SIGNED_OUT = """<!doctype html><html lang="en"><head><title>Sign in</title></head>
<body><p>You are signed out.</p></body></html>"""


def test_signing_out_drops_the_panels_question_already_on_its_way(browser: Browser) -> None:
    held: list[Route] = []

    def answer(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path.startswith("/static/"):
            route.fulfill(path=str(STATIC / path.removeprefix("/static/")), content_type="text/javascript")
        elif path == "/progress":
            held.append(route)  # on its way while the person presses Sign out
        elif path == "/sign-out":
            # The server ended the session first: the poll's answer is a refusal, and it arrives
            # before the sign-out's own page does.
            try:
                held[0].fulfill(status=401, headers={"HX-Redirect": "/sign-in?next=%2Fonboarding"}, body="")
            except Error:
                pass  # the page dropped it (what this test wants): nothing to answer
            time.sleep(0.5)
            route.fulfill(status=200, body=SIGNED_OUT, content_type="text/html")
        else:
            route.fulfill(body=PAGE if path == "/onboarding" else SIGNED_OUT, content_type="text/html")

    with watched_page(browser) as (page, watch):
        page.route(f"{ORIGIN}/**", answer)
        page.goto(f"{ORIGIN}/onboarding")
        page.wait_for_function("() => window.htmx !== undefined")
        deadline = time.monotonic() + 5
        while not held and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert held, "the panel never asked"
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_text("You are signed out.")).to_be_visible()
        page.wait_for_timeout(300)
        expect(page).to_have_url(re.compile(r"/sign-out$"))
        watch.assert_clean()


def test_every_pages_sign_out_form_says_it_signs_out(settings: Settings) -> None:
    add_operator(settings, "ana.admin", "admin")
    with web_client(settings) as web:
        web.sign_in("ana.admin")
        page = web.get("/").text
    assert re.search(r"<form method=\"post\" action=\"[^\"]*/sign-out\" class=\"inline-form\" data-signs-out>", page)

"""Moments in a panel htmx swaps in are shown in the viewer's time zone, as the page's others are:
the progress panel replaces itself (outerHTML) as it asks again, and a rate-limit wait's "until
10:31 UTC" stayed in UTC beside "Dec 6, 2026, 11:30 PM GMT+13" (QA walk 11, M5). The page's own
htmx and app.js, served to a page whose panel answers as the wizard's does."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Route, expect

from app.settings import PROJECT_ROOT
from tests.browser.driver import watched_page

pytestmark = pytest.mark.browser

ORIGIN = "http://wizard.test"
STATIC = PROJECT_ROOT / "static"
PAGE = """<!doctype html><html lang="en"><head><title>t</title>
<script src="/static/vendor/htmx/htmx-2.0.11.min.js"></script><script src="/static/app.js"></script></head>
<body><p>Started <time datetime="2026-12-06T10:30:00Z" class="local-time">2026-12-06 10:30 UTC</time></p>
<div id="progress" hx-get="/progress" hx-trigger="load" hx-swap="outerHTML">Applying</div></body></html>"""
PANEL = """<div id="progress"><p id="wait">Waiting for Okta's rate limit: 0:32 left (until
<time datetime="2026-12-06T10:31:00Z" title="2026-12-06 10:31:00 UTC" class="local-time">10:31 UTC</time>).</p></div>"""


def test_a_swapped_in_panel_shows_its_moment_in_the_viewers_zone(browser: Browser) -> None:
    def answer(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path.startswith("/static/"):
            route.fulfill(path=str(STATIC / path.removeprefix("/static/")), content_type="text/javascript")
        else:
            route.fulfill(body=PANEL if path == "/progress" else PAGE, content_type="text/html")

    with watched_page(browser) as (page, watch):
        page.route(f"{ORIGIN}/**", answer)
        page.goto(f"{ORIGIN}/")
        expect(page.locator("#wait")).to_be_visible()
        until = page.locator("#wait time")
        expect(until).not_to_contain_text("UTC")
        expect(until).to_contain_text(re.compile(r"GMT\+1[23]"))  # Auckland's, as the viewer's
        started = page.locator("p time").first
        expect(started).to_contain_text(re.compile(r"2026.*GMT\+1[23]"))  # converted once, its date kept
        watch.assert_clean()


def test_a_time_of_day_on_another_day_says_its_date(browser: Browser) -> None:
    """"The wait ended at 10:31" read as today for a wait that ended days before (QA walk 23, L2)."""
    now = datetime.now(UTC).replace(microsecond=0)
    earlier = now - timedelta(days=3)

    def moment(at: datetime, element_id: str) -> str:
        return (f'<time id="{element_id}" datetime="{at:%Y-%m-%dT%H:%M:%SZ}" class="local-time">'
                f'{at:%H:%M} UTC</time>')

    body = (f"<!doctype html><html lang=\"en\"><head><title>t</title><script src=\"/static/app.js\"></script>"
            f"</head><body><p>Ended at {moment(earlier, 'earlier')}; now {moment(now, 'now')}.</p></body></html>")

    def answer(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path.startswith("/static/"):
            route.fulfill(path=str(STATIC / path.removeprefix("/static/")), content_type="text/javascript")
        else:
            route.fulfill(body=body, content_type="text/html")

    with watched_page(browser) as (page, watch):
        page.route(f"{ORIGIN}/**", answer)
        page.goto(f"{ORIGIN}/")
        expect(page.locator("#earlier")).to_contain_text(re.compile(rf"{earlier.year}.*GMT\+1[23]"))
        expect(page.locator("#now")).to_contain_text(re.compile(r"GMT\+1[23]"))
        expect(page.locator("#now")).not_to_contain_text(str(now.year))
        watch.assert_clean()

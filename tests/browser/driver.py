"""Playwright driving Debian's Chromium. Every page a test opens is watched for console errors
(Content-Security-Policy violations are console errors too); a test fails if any appear."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from tests.live import CHROMIUM, CHROMIUM_ARGS, LiveServer


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class ConsoleWatch:
    errors: list[str] = field(default_factory=list)
    # Pages a test opens on purpose to see a refusal (a 403 or 404 page) log "Failed to load
    # resource" for that status; those, and only those, are expected.
    expected_refusals: set[str] = field(default_factory=set)

    def expect_refusal(self, url: str) -> None:
        self.expected_refusals.add(url)

    def attach(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type not in ("error", "warning"):
                return
            where = message.location.get("url", "") or page.url
            if message.text.startswith("Failed to load resource") and where in self.expected_refusals:
                return
            self.errors.append(f"{message.type}: {message.text} ({where})")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc} ({page.url})"))

    def assert_clean(self) -> None:
        assert self.errors == [], "\n".join(self.errors)


# Where the browser's person is: UTC+13 in December (UTC+12 in July), so a local time never reads as UTC.
VIEWER_TIMEZONE = "Pacific/Auckland"


@contextmanager
def watched_page(browser: Browser, *, viewport: tuple[int, int] = (1280, 900), javascript: bool = True,
                 artifacts: Path | None = None, timezone: str = VIEWER_TIMEZONE) -> Iterator[tuple[Page, ConsoleWatch]]:
    # The viewer is not in UTC (the server's zone), so a page that shows local times shows it.
    context: BrowserContext = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                                  java_script_enabled=javascript, timezone_id=timezone)
    watch = ConsoleWatch()
    context.on("page", watch.attach)
    page = context.new_page()
    try:
        yield page, watch
    except BaseException:
        if artifacts is not None:
            artifacts.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(artifacts / "failure.png"), full_page=True)
        raise
    finally:
        context.close()


@dataclass
class Journey:
    """What a browser journey works with (the fixtures of tests/browser/conftest.py make it): the
    wizard's server, the browser, a page and the watch on its console."""

    server: LiveServer
    browser: Browser
    page: Page
    watch: ConsoleWatch

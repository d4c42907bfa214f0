"""The browser set-up every journey here shares, written once: a real wizard server on a freshly
emptied database (with its demo sandbox org), Debian's Chromium, and a page whose console is
watched. A failing test leaves a full-page screenshot in its temporary folder (``artifacts/``).

Chromium is launched per test, not per session: Playwright's synchronous API keeps an event loop
running on the worker's thread while a browser is open, and the other tests a worker runs in
between call ``asyncio.run``, which refuses to start inside a running loop. A launch costs under a
second; the server each journey needs costs more, and a journey changes its org, so it gets its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.driver import Journey, chromium, watched_page
from tests.conftest import reset_database
from tests.flows import first_admin, use_sandbox_org
from tests.live import LiveServer, live_server

_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    if report.when == "call" and report.failed:  # type: ignore[attr-defined]
        item.stash[_FAILED] = True
    return report


@pytest.fixture
def server(tmp_path: Path, migrated_url: str) -> Iterator[LiveServer]:
    """A wizard server process of its own, on this backend's database emptied for it (migrated
    once per session: a `db upgrade` process per journey would only find nothing to do)."""
    reset_database(migrated_url)
    with live_server(migrated_url, tmp_path / "data", migrate=False) as running:
        yield running


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def journey(request: pytest.FixtureRequest, server: LiveServer, browser: Browser,
            tmp_path: Path) -> Iterator[Journey]:
    """A desktop-sized page on a fresh server, nobody signed in yet. On failure, a screenshot."""
    with watched_page(browser) as (page, watch):
        yield Journey(server=server, browser=browser, page=page, watch=watch)
        if request.node.stash.get(_FAILED, False):
            artifacts = tmp_path / "artifacts"
            artifacts.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(artifacts / "failure.png"), full_page=True)


@pytest.fixture
def admin_journey(journey: Journey) -> Journey:
    """The first administrator set up through the one-time link, signed in."""
    first_admin(journey.page, journey.server)
    return journey


@pytest.fixture
def sandbox_journey(admin_journey: Journey) -> Journey:
    """Signed in as the first administrator, with the demo sandbox org connected."""
    use_sandbox_org(admin_journey.page)
    return admin_journey

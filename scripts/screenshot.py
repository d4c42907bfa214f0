"""Regenerate docs/screenshot.png: a real server with a throw-away SQLite database, driven by
Debian's Chromium. Run: .venv/bin/python scripts/screenshot.py"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import Page

from app.settings import PROJECT_ROOT
from tests.browser import chromium, watched_page
from tests.live import live_server

OUTPUT = PROJECT_ROOT / "docs" / "screenshot.png"


def first_admin(page: Page, link: str) -> None:
    page.goto(link)
    page.get_by_label("Username").fill("alex.admin")
    page.get_by_label("Your name").fill("Alex Admin")
    page.get_by_label("Password", exact=True).fill("screenshot password")
    page.get_by_label("Password again").fill("screenshot password")
    page.get_by_role("button", name="Create administrator").click()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        with live_server(f"sqlite:///{data}/onboard.db", data) as server, chromium() as browser:
            with watched_page(browser, viewport=(1280, 860)) as (page, watch):
                first_admin(page, server.setup_link())
                page.get_by_role("link", name="Operators").click()
                page.screenshot(path=str(OUTPUT), full_page=False)
                watch.assert_clean()
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()

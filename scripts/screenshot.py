"""Regenerate the screenshots in docs/: a real server with a throw-away SQLite database and the demo
sandbox org, driven by Debian's Chromium through a Defender for Identity onboarding.

- docs/screenshot.png: the onboarding waiting for the service account's token (1280 px wide);
- docs/screenshot-completed.png: the whole page of the completed onboarding (1366 px wide);
- docs/screenshot-phone.png: the completed onboarding's first screen on a phone (390 px wide).

Run: .venv/bin/python scripts/screenshot.py"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.settings import PROJECT_ROOT
from tests.browser.driver import chromium, watched_page
from tests.flows import (
    activate_and_create_token,
    attest_all,
    first_admin,
    paste_token,
    start_onboarding,
    use_sandbox_org,
    wait_for_job,
)
from tests.live import live_server

DOCS = PROJECT_ROOT / "docs"
OUTPUT = DOCS / "screenshot.png"
COMPLETED = DOCS / "screenshot-completed.png"
PHONE = DOCS / "screenshot-phone.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        with live_server(f"sqlite:///{data}/onboard.db", data) as server, chromium() as browser:
            with watched_page(browser, viewport=(1280, 1500), timezone="UTC") as (page, watch):
                first_admin(page, server)
                use_sandbox_org(page)
                start_onboarding(page, "Microsoft Defender for Identity")
                page.get_by_role("button", name="Make the plan", exact=True).click()
                page.get_by_role("button", name="Confirm and apply").click()
                wait_for_job(page)
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(OUTPUT), full_page=False)

                token = activate_and_create_token(page, "defender-for-identity@acme.example", "Quiet-Harbor-42",
                                                  "Defender for Identity")
                paste_token(page, "copy_token", token)
                wait_for_job(page)
                attest_all(page, watch)
                page.get_by_role("button", name="Verify").click()
                wait_for_job(page)
                url = page.url.split("#")[0]
                page.set_viewport_size({"width": 1366, "height": 768})
                page.goto(url)
                page.screenshot(path=str(COMPLETED), full_page=True)
                page.set_viewport_size({"width": 390, "height": 844})
                page.goto(url)
                page.screenshot(path=str(PHONE), full_page=False)
                watch.assert_clean()
    for written in (OUTPUT, COMPLETED, PHONE):
        print(f"wrote {written}")


if __name__ == "__main__":
    main()

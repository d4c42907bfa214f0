"""Regenerate docs/screenshot.png: a real server with a throw-away SQLite database and the demo
sandbox org, driven by Debian's Chromium through a Defender for Identity onboarding up to the
service account's token. Run: .venv/bin/python scripts/screenshot.py"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.settings import PROJECT_ROOT
from tests.browser.driver import chromium, watched_page
from tests.flows import first_admin, start_onboarding, use_sandbox_org, wait_for_job
from tests.live import live_server

OUTPUT = PROJECT_ROOT / "docs" / "screenshot.png"


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
                watch.assert_clean()
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()

"""The audit trail on a phone (390 px wide, in Debian's Chromium against a real server): long
unbroken values (an Okta call's path, an IPv6 address) wrap in their cell, and the page never
scrolls sideways, filtered or not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.audit import Actor, record
from app.settings import Settings
from tests.browser.driver import VIEWER_TIMEZONE, chromium, watched_page
from tests.live import live_server
from tests.support import PASSWORD, add_operator, in_database

pytestmark = pytest.mark.browser

PHONE = (390, 844)
LONG_PATH = ("GET /api/v1/iam/resource-sets/iamA1b2C3d4E5f6G7h8I9j0/bindings/cr0K1l2M3n4O5p6Q7r8S9t"
             "/members?limit=200&after=0oa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0 → 200")


def test_the_audit_trail_fits_a_phone(settings: Settings, vault_key: str, tmp_path: Path) -> None:
    async def write(session: Any) -> None:
        await record(session, action="okta_call", category="okta", summary=LONG_PATH,
                     actor=Actor(None, "ana", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"))
        await record(session, action="secrets_destroyed", summary="Secrets destroyed", actor=Actor.system("engine"))

    in_database(settings, write)
    add_operator(settings, "aud", "auditor")
    with live_server(settings.resolved_database_url, tmp_path / "live", migrate=False,
                     extra_env={"ONBOARD_SECRET_KEY": vault_key}) as server, chromium() as browser, \
            watched_page(browser, viewport=PHONE) as (page, watch):
        page.goto(server.url + "/sign-in")
        page.get_by_label("Username").fill("aud")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(server.url + "/audit")
        expect(page.get_by_role("heading", name="Audit trail", exact=True)).to_be_visible()
        expect(page.locator("td[data-label=Who]", has_text="The wizard (background run)")).to_be_visible()
        expect(page.get_by_text(LONG_PATH)).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE[0], f"the audit trail scrolls sideways at {PHONE[0]} px ({width} px wide)"
        # The filter finds the call by the words shown, and the page still fits.
        page.get_by_label("Action").fill("RESOURCE-SETS")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_text(LONG_PATH)).to_be_visible()
        expect(page.get_by_text("Secrets destroyed")).to_have_count(0)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE[0], f"the filtered audit trail scrolls sideways ({width} px wide)"
        # Narrowed by who and day instead: the filters in force are listed, each removable, and still fit.
        page.get_by_role("link", name="Clear", exact=True).click()
        page.get_by_label("Who").select_option(label="The wizard (background run)")
        page.get_by_label("From").fill(datetime.now(UTC).date().isoformat())
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_text("Secrets destroyed")).to_be_visible()
        expect(page.get_by_text(LONG_PATH)).to_have_count(0)
        expect(page.get_by_role("listitem").filter(has_text="Who: The wizard (background run)")).to_be_visible()
        # The day is the viewer's, as the table's times are (QA walk 27, M2): the page's script sent the zone.
        expect(page.get_by_role("listitem").filter(has_text=f"00:00 {VIEWER_TIMEZONE}")).to_be_visible()
        expect(page.locator("label[for=from]")).to_have_text("From (local day)")
        # A link with days and no zone (an older bookmark) was read in UTC: the page says so, not "local".
        page.goto(server.url + "/audit?from=" + datetime.now(UTC).date().isoformat())
        expect(page.locator("label[for=from]")).to_have_text("From (UTC day)")
        expect(page.locator("#a-days-hint")).to_contain_text("whole days in UTC")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE[0], f"the audit trail narrowed by who and day scrolls sideways ({width} px wide)"
        watch.assert_clean()


def test_a_refused_day_says_so_under_its_field(settings: Settings, vault_key: str, tmp_path: Path) -> None:
    """A day that is not a date: its message stood above its field and stretched the filters' row on
    a desktop (that field's label and box pushed up and down, out of line with the others'). It now
    wraps under its own box, on a phone and on a desktop, and the labels and boxes stay level."""
    add_operator(settings, "aud", "auditor")
    with live_server(settings.resolved_database_url, tmp_path / "live", migrate=False,
                     extra_env={"ONBOARD_SECRET_KEY": vault_key}) as server, chromium() as browser:
        for width, height in ((375, 812), (1280, 900)):
            with watched_page(browser, viewport=(width, height)) as (page, watch):
                page.goto(server.url + "/sign-in")
                page.get_by_label("Username").fill("aud")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                refused = server.url + "/audit?from=2025-13-01&to=yesterday"
                watch.expect_refusal(refused)  # the page answers 400: some filters were not applied
                page.goto(refused)
                message = page.locator("#from-error")
                expect(message).to_have_text("Error: From “2025-13-01” is not a date: write it as year-month-day, "
                                             "like 2026-12-01.")
                box, said, field = (page.locator(selector).bounding_box()
                                    for selector in ("#from", "#from-error", ".field:has(#from)"))
                assert box and said and field
                assert said["y"] >= box["y"] + box["height"], f"at {width} px the message is not under the box"
                assert field["x"] <= said["x"] and said["x"] + said["width"] <= field["x"] + field["width"] + 1, \
                    f"at {width} px the message is wider than its field"
                if width > 1000:  # the filters share a line: labels and boxes level, the refused one too
                    names = ("a-category", "who", "from", "to")
                    labels = [page.locator(f"label[for={name}]").bounding_box() for name in names]
                    boxes = [page.locator(f"#{name}").bounding_box() for name in names]
                    tops = [round(found["y"]) for found in labels if found]
                    assert len(tops) == 4 and max(tops) - min(tops) <= 1, f"the labels are not level: {tops}"
                    tops = [round(found["y"]) for found in boxes if found]
                    assert len(tops) == 4 and max(tops) - min(tops) <= 1, f"the boxes are not level: {tops}"
                width_shown = page.evaluate("document.documentElement.scrollWidth")
                assert width_shown <= width, f"the audit trail scrolls sideways at {width} px ({width_shown} px wide)"
                watch.assert_clean()

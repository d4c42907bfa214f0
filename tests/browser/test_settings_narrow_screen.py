"""Settings › Notifications on a phone (390 px wide) and a laptop (1366 px), in Debian's Chromium
against a real server: an alert sent to three channels, one of them failing, is shown once with
the three channels' states under it, its long onboarding address wraps, and the page never scrolls
sideways (QA walk 13, L2: scrollWidth 427 px, one alert filling four phone screens). The failing
channel's row says so in words. ``ONBOARD_TEST_SHOTS``: a folder to keep the screenshots in."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy.ext.asyncio import AsyncSession

from app.settings import Settings
from app.store.models import Alert, NotificationChannel, NotificationDelivery, OktaConnection, Onboarding, Operator
from tests.browser.driver import chromium, watched_page
from tests.live import live_server
from tests.support import PASSWORD, add_operator, in_database

pytestmark = pytest.mark.browser

PHONE, LAPTOP = (390, 844), (1366, 900)
NAME = "Cara Montgomery-Fitzgerald"
ONBOARDING = uuid.UUID("c044e788-5b1e-4c3e-9d7a-2f0c8e1b6a55")
LINK = f"http://wizard.internal.acme-corporation.example:18613/onboardings/{ONBOARDING}"
REFUSED = ("Could not reach the webhook's receiver at hooks.acme-corporation.example:443: the server refused the "
           "connection; check the port, and that the webhook's receiver is running.")


async def _seed(session: AsyncSession) -> None:
    """An alert raised on a completed onboarding, sent to a webhook (failing) and two mailboxes."""
    admin = (await session.execute(Operator.__table__.select().where(Operator.username == "ana"))).first()
    assert admin is not None
    now = datetime.now(UTC) - timedelta(minutes=5)
    connection = OktaConnection(id=uuid.uuid4(), label="Acme", org_origin="https://acme.okta.com", org_kind="okta",
                                credential_kind="api_token", created_by_id=admin.id)
    session.add(connection)
    await session.flush()
    session.add(Onboarding(id=ONBOARDING, vendor="defender-for-identity", playbook_version="1",
                           connection_id=connection.id, org_origin="https://acme.okta.com", status="completed",
                           created_by_id=admin.id))
    await session.flush()
    alert = Alert(id=uuid.uuid4(), onboarding_id=ONBOARDING, key="check:no_super_admin", kind="drift",
                  summary="Super Administrator is assigned to defender-for-identity@acme.example", details={})
    session.add(alert)
    channels = [NotificationChannel(id=uuid.uuid4(), kind="webhook", label="Security channel",
                                    target="https://hooks.acme-corporation.example/…", settings={}),
                *(NotificationChannel(id=uuid.uuid4(), kind="email", label=label, target=address,
                                      settings={"host": "smtp.acme-corporation.example", "port": 587,
                                                "sender": "wizard@acme.example", "starttls": True})
                  for label, address in (("Okta team", "okta-team@acme-corporation.example"),
                                         ("Help desk", "help-desk@acme-corporation.example")))]
    session.add_all(channels)
    await session.flush()
    headline = ("[Alert] Microsoft Defender for Identity on https://acme.okta.com: Super Administrator is assigned to "
                "defender-for-identity@acme.example")
    text = "\n".join([headline, "", "What to do: take Super Administrator away from the service account in Okta, "
                      "then press Re-verify.", "Owner: Ana", f"Onboarding: {LINK}",
                      "Every watched onboarding: http://wizard.internal.acme-corporation.example:18613/health"])
    for channel in channels:
        failing = channel.kind == "webhook"
        session.add(NotificationDelivery(
            id=uuid.uuid4(), channel_id=channel.id, alert_id=alert.id, event="raised", created_at=now,
            payload={"headline": headline, "text": text}, attempts=1, last_attempt_at=now,
            recipients=None if failing else [channel.target], delivered_at=None if failing else now,
            last_error=REFUSED if failing else None, next_attempt_at=now + timedelta(seconds=30)))


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_recent_deliveries_fit_the_screen_and_show_each_alert_once(settings: Settings, vault_key: str,
                                                                  tmp_path: Path, viewport: tuple[int, int]) -> None:
    add_operator(settings, "ana", "admin", display_name=NAME)  # an administrator's header, with a long name
    in_database(settings, _seed)
    shots = Path(os.environ.get("ONBOARD_TEST_SHOTS") or tmp_path)
    with live_server(settings.resolved_database_url, tmp_path / "live", migrate=False,
                     extra_env={"ONBOARD_SECRET_KEY": vault_key}) as server, chromium() as browser, \
            watched_page(browser, viewport=viewport) as (page, watch):
        page.goto(server.url + "/sign-in")
        page.get_by_label("Username").fill("ana")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(server.url + "/settings#notifications")
        row = page.locator("#notifications tr", has_text="Security channel")
        expect(row).to_contain_text("Last delivery failed")
        expect(row).to_contain_text(REFUSED)
        expect(page.locator(".sent")).to_have_count(1)
        expect(page.locator(".sent__channels li")).to_have_count(3)
        page.get_by_text("The whole message").click()
        expect(page.get_by_text(LINK)).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        name = "phone" if viewport == PHONE else "desk"
        page.locator("#notifications").screenshot(path=str(shots / f"notifications-{name}.png"))
        assert width <= viewport[0], f"Settings scrolls sideways at {viewport[0]} px ({width} px wide)"
        # A test message to a mailbox whose server's name does not resolve: said at once, in words.
        page.get_by_role("button", name="Send a test message to Okta team").click()
        flash = page.get_by_role("status").filter(has_text="The test message did not reach “Okta team”")
        expect(flash).to_contain_text("Could not reach the SMTP server at smtp.acme-corporation.example:587: the "
                                      "address does not resolve (DNS); check the name.")
        page.screenshot(path=str(shots / f"test-message-{name}.png"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport[0], f"Settings with the test's answer scrolls sideways ({width} px wide)"
        page.goto(server.url + "/health")
        expect(page.locator("#alerts-not-getting-out")).to_contain_text("Security channel (webhook)")
        page.screenshot(path=str(shots / f"health-{name}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport[0], f"Health scrolls sideways at {viewport[0]} px ({width} px wide)"
        if viewport == LAPTOP:  # an administrator's header (six links, name, role) on one line at 1280 px
            page.set_viewport_size({"width": 1280, "height": 900})
            brand = page.locator(".brand").bounding_box()
            out = page.get_by_role("button", name="Sign out").bounding_box()
            assert brand is not None and out is not None, "the header's name or its Sign out is not shown"
            assert abs((brand["y"] + brand["height"] / 2) - (out["y"] + out["height"] / 2)) < 8, (brand, out)
            # A long name is cut, whole on hover, and leads to one's account (its password).
            account = page.get_by_role("link", name=f"{NAME} (your account and password)")
            expect(account).to_have_attribute("title", f"{NAME}: your account and password")
        watch.assert_clean()

"""Issue 15 in a real browser: a Defender onboarding completed against the sandbox; the vendor
calls Okta with the service token (the sandbox's console does it as the vendor would) and the
Health page shows the evidence; someone gives the account Super Admin in the sandbox's console,
the schedule comes round, and the alert is on the Health page, in the webhook receiver and in the
SMTP server's mailbox; the role is taken away, and it clears everywhere."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect
from sqlalchemy import update

from app.store.base import utcnow
from app.store.db import create_sync_engine
from app.store.models import Onboarding
from tests.browser.driver import ConsoleWatch, Journey
from tests.conftest import reset_database
from tests.flows import (
    activate_and_create_token,
    attest_all,
    paste_token,
    press_and_wait,
    start_onboarding,
    wait_for_job,
)
from tests.live import LiveServer, live_server
from tests.watch.test_notifications import Mailbox, Receiver

pytestmark = pytest.mark.browser

SERVICE_LOGIN = "mdi-watched@acme.example"


@pytest.fixture
def server(tmp_path: Path, migrated_url: str) -> Iterator[LiveServer]:
    """The wizard's server, its watch looking for due runs four times a second (the test waits for
    each run it causes; at one second, those waits were a fifth of the journey's time)."""
    reset_database(migrated_url)
    with live_server(migrated_url, tmp_path / "data", migrate=False,
                     extra_env={"ONBOARD_WATCH_TICK_SECONDS": "0.25"}) as running:
        yield running


def _schedule_comes_round(database_url: str, onboarding_id: uuid.UUID) -> None:
    """The test does not wait a day: the next run's time is moved to now, as if the day had passed."""
    engine = create_sync_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(update(Onboarding).where(Onboarding.id == onboarding_id)
                         .values(watch_next_at=utcnow()))
    finally:
        engine.dispose()


def _until(page: Page, url: str, found: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page.goto(url)
        if found():
            return
        time.sleep(0.2)
    raise AssertionError(f"not seen within {seconds} s: {what}")


def test_the_watch_finds_the_vendor_then_alerts_and_clears(sandbox_journey: Journey, migrated_url: str,
                                                           free_tcp_port: int) -> None:
    server, page, watch = sandbox_journey.server, sandbox_journey.page, sandbox_journey.watch
    box = Mailbox()
    smtp = Controller(box, hostname="127.0.0.1", port=free_tcp_port)
    smtp.start()
    with Receiver() as receiver:
        try:
            _journey(server, page, migrated_url, receiver, box, free_tcp_port, watch)
        finally:
            smtp.stop()
    watch.assert_clean()


def _journey(server: LiveServer, page: Page, database_url: str, receiver: Receiver, box: Mailbox, port: int,
             watch: ConsoleWatch) -> None:
    # The administrator sends alerts to a webhook and to the Okta team's mailbox.
    page.get_by_role("link", name="Settings").click()
    page.locator("summary", has_text="Add a webhook").click()
    page.get_by_label("Name", exact=True).first.fill("Security channel")
    page.get_by_label("Webhook URL").fill(receiver.url)
    page.get_by_label("Signing secret").fill("a signing secret the receiver knows")
    page.get_by_role("button", name="Add the webhook").click()
    expect(page.get_by_text("Alerts now also go to “Security channel”.")).to_be_visible()
    page.locator("summary", has_text="Add e-mail").click()
    email = page.locator("form[action$='/notifications/email']")
    email.get_by_label("Name", exact=True).fill("Okta team")
    email.get_by_label("Recipients").fill("okta-team@acme.example")
    email.get_by_label("From address").fill("wizard@acme.example")
    email.get_by_label("SMTP server").fill("127.0.0.1")
    email.get_by_label("SMTP port").fill(str(port))
    email.get_by_label("Use STARTTLS").uncheck()  # a server on this machine's loopback
    page.get_by_role("button", name="Add e-mail").click()
    expect(page.get_by_text("Alerts now also go to “Okta team”.")).to_be_visible()

    # A Defender onboarding, completed.
    start_onboarding(page, "Microsoft Defender for Identity")
    onboarding_url = page.url.split("#")[0]
    onboarding_id = uuid.UUID(onboarding_url.rsplit("/", 1)[1])
    step = page.locator("#step-create_account")
    step.get_by_label("Service account username (an email address)").fill(SERVICE_LOGIN)
    step.get_by_role("button", name="Save values").click()
    page.get_by_role("button", name="Make the plan", exact=True).click()
    press_and_wait(page, page.get_by_role("button", name="Confirm and apply"))
    token = activate_and_create_token(page, SERVICE_LOGIN, "Quiet-Harbor-42", "Defender for Identity")
    paste_token(page, "copy_token", token)
    wait_for_job(page)
    attest_all(page, watch)
    press_and_wait(page, page.get_by_role("button", name="Verify"))
    expect(page.locator(".onboarding-head").get_by_text("Completed")).to_be_visible()

    health = server.url + "/health"
    page.goto(health)
    row = page.get_by_role("row", name="Microsoft Defender for Identity")
    expect(row.get_by_text("not yet", exact=True)).to_be_visible()  # no sign of the vendor yet

    # The vendor calls Okta with the token (the sandbox's console does it as the vendor would).
    time.sleep(1.1)  # a moment after the paste, so Okta's moved expiry is later than the one seen then
    console = page.context.new_page()
    console.goto(server.sandbox_url + "/__sandbox__/console")
    console.get_by_label("The token the vendor calls with").fill(token)
    console.get_by_role("button", name="Call Okta with this token").click()
    expect(console.get_by_text("Okta accepted the token")).to_be_visible()
    _schedule_comes_round(database_url, onboarding_id)
    _until(page, health, lambda: row.get_by_text("found", exact=True).count() == 1, "the vendor's use as evidence")
    expect(row).to_contain_text("The token was used after it was pasted")

    # Someone gives the service account Super Admin again, in the org's console.
    console.get_by_role("button", name=f"Give Super Administrator to {SERVICE_LOGIN}").click()
    expect(console.get_by_text(f"{SERVICE_LOGIN} is a Super Administrator now.")).to_be_visible()
    _schedule_comes_round(database_url, onboarding_id)
    # The run's failed check shows first; the alert it raises is written just after, then listed.
    alerts = page.get_by_role("list", name="Open alerts of Microsoft Defender for Identity")
    _until(page, health, lambda: alerts.count() == 1, "the alert on the Health page")
    expect(row.get_by_text("alert open")).to_be_visible()
    expect(alerts).to_contain_text("no Super Admin")
    # Across the table under its row, not a word a line in the Health column (QA walk 15, L7).
    page.set_viewport_size({"width": 800, "height": 900})
    table, listed = page.locator("table").bounding_box(), alerts.bounding_box()
    assert table is not None and listed is not None and listed["width"] > table["width"] * 0.8, (listed, table)
    page.set_viewport_size({"width": 1280, "height": 900})
    _until(page, health, lambda: len(receiver.received) >= 1 and len(box.messages) >= 1, "the alert delivered")
    raised = json.loads(receiver.received[0]["body"])
    assert raised["event"] == "alert_raised" and "no Super Admin" in raised["text"]
    assert box.messages[0]["Subject"].startswith("[Alert] Microsoft Defender for Identity")
    assert box.messages[0]["To"] == "okta-team@acme.example"

    # The role is taken away: the next run clears the alert, and says so on every channel.
    console.get_by_role("button", name=f"Take Super Administrator from {SERVICE_LOGIN}").click()
    expect(console.get_by_text(f"{SERVICE_LOGIN} is no longer a Super Administrator.")).to_be_visible()
    _schedule_comes_round(database_url, onboarding_id)
    _until(page, health, lambda: row.get_by_text("healthy", exact=True).count() == 1, "the alert cleared")
    _until(page, health, lambda: len(receiver.received) >= 2 and len(box.messages) >= 2, "the clearing delivered")
    assert json.loads(receiver.received[1]["body"])["event"] == "alert_cleared"
    assert box.messages[1]["Subject"].startswith("[Resolved] Microsoft Defender for Identity")
    console.close()

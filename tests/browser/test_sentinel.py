"""Microsoft Sentinel's unified connector, start to finish in a real browser against a real server
and its demo sandbox org: the workspace, plan, apply (service account, Read-Only Administrator),
the account's activation and token in the sandbox's Admin Console (proven able to read the System
Log), the connector wizard's values, Connect with its 30-minute timer, the System Log checks,
attest, verify, completed. Then the sandbox org's final state is read back."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from app.store.db import create_sync_engine
from app.store.models import Onboarding
from tests.browser.driver import Journey
from tests.flows import (
    PLAN_CONFIRMED,
    activate_and_create_token,
    attest_all,
    page_html,
    paste_token,
    press_and_wait,
    start_onboarding,
    wait_for_job,
)

pytestmark = pytest.mark.browser

SERVICE_LOGIN = "sentinel-connector@acme.example"
ACCOUNT_PASSWORD = "Quiet-Harbor-42"


def end_the_wait(database_url: str, onboarding_id: uuid.UUID, step: str) -> None:
    """The test does not sit through Microsoft's 30 minutes: it moves the end of the step's timer
    to now, as if they had passed. Its start, the connector's creation time, stays as recorded."""
    engine = create_sync_engine(database_url)
    try:
        with engine.begin() as conn:
            facts = dict(conn.execute(select(Onboarding.facts).where(Onboarding.id == onboarding_id)).scalar_one())
            facts[f"timer_{step}"] = {**facts[f"timer_{step}"], "until": time.time() - 1}
            conn.execute(update(Onboarding).where(Onboarding.id == onboarding_id).values(facts=facts))
    finally:
        engine.dispose()


def test_sentinel_onboarding_in_the_browser(sandbox_journey: Journey, migrated_url: str) -> None:
    server, page, watch = sandbox_journey.server, sandbox_journey.page, sandbox_journey.watch
    start_onboarding(page, "Microsoft Sentinel (unified connector)")
    onboarding_id = uuid.UUID(page.url.split("#")[0].rstrip("/").rsplit("/", 1)[1])

    workspace = page.locator("#step-choose_workspace")
    workspace.get_by_label("Sentinel workspace for Okta", exact=True).fill("sentinel-prod")
    # Typed, not saved: the card's Make the plan takes it along (it was dropped unsaid: QA walk 16, H1).
    page.locator("#next-step").get_by_role("button", name="Make the plan", exact=True).click()
    expect(page.get_by_text("Values saved. Plan ready")).to_be_visible()
    expect(workspace.get_by_label("Sentinel workspace for Okta", exact=True)).to_have_value("sentinel-prod")
    plan = page.locator("#plan")
    expect(plan.get_by_text(f"Create the user {SERVICE_LOGIN}")).to_be_visible()
    expect(plan.get_by_text("Assign Read-Only Administrator to the new service account")).to_be_visible()
    page.get_by_role("button", name="Confirm and apply").click()
    expect(page.get_by_text(PLAN_CONFIRMED)).to_be_visible()
    wait_for_job(page)
    # The document's prerequisites first (step a may find a role missing, whose wait then starts early).
    expect(page.locator(".status-note")).to_contain_text(
        "Waiting for attestation: Settings > Microsoft Sentinel: choose the workspace")

    token = activate_and_create_token(page, SERVICE_LOGIN, ACCOUNT_PASSWORD, "Microsoft Sentinel")
    paste_token(page, "copy_token", token)
    assert token not in page_html(page)

    # The connector wizard's values: the domain without https://, the key without a prefix.
    domain = server.sandbox_url.split("://", 1)[1]
    connection = page.locator("#step-name_and_connection")
    expect(connection.get_by_role("row", name=re.compile("Domain name"))).to_contain_text(domain)
    expect(connection.get_by_role("row", name=re.compile("Domain name"))).not_to_contain_text("http")
    expect(connection.get_by_role("row", name=re.compile("API key"))).to_contain_text(
        "no Authorization prefix")
    expect(connection.get_by_role("row", name=re.compile("Connector name"))).to_contain_text(
        f"Okta ({domain})")
    expect(page.locator("#step-select_products").get_by_role("row", name=re.compile("Workspace"))
           ).to_contain_text("sentinel-prod")
    # Moments are shown in the viewer's time zone (here Auckland's), with the UTC instant on hover.
    made = page.locator("#plan time.local-time").first
    utc = made.get_attribute("title") or ""
    assert utc.endswith(" UTC")
    expect(made).not_to_contain_text("UTC")
    expect(made).to_contain_text(re.compile(r"GMT\+1[23]"))  # New Zealand's offset, summer or winter

    # Every value to paste has a copy button, and it copies exactly the value (issue 14, point 5).
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    domain_row = connection.get_by_role("row", name=re.compile("Domain name"))
    domain_row.get_by_role("button", name="Copy Domain name").click()
    expect(domain_row.get_by_role("button", name="Copied Domain name")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == domain
    # The token is the person's to paste: the row says where it is and offers nothing to copy.
    api_key_row = connection.get_by_role("row", name=re.compile("API key"))
    expect(api_key_row).to_contain_text("The token value you copied as the service account")
    expect(api_key_row.get_by_role("button")).to_have_count(0)

    # On a phone the card with the connector's pages fits: a long address in an instruction wraps
    # (the page scrolled sideways by 69 px: QA walk 9, L6).
    card = page.locator("#next-step")
    for _attestation in range(8):  # the prerequisites first, as the card asks
        if card.get_by_role("heading", name=re.compile("^Step 8:")).count():
            break
        with page.expect_navigation():
            card.get_by_role("button", name=re.compile("^I confirm:")).first.click()
    expect(card.locator(".next-step__before")).to_have_count(3)  # the connector's pages 1-4, 5 and 6-7
    wide = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert wide is not None
    page.set_viewport_size(wide)

    connect = page.locator("#step-connect")
    connect.get_by_role("button", name="Start the 30-minute timer").click()
    expect(page.get_by_text("Timer started: 30 minutes left.")).to_be_visible()
    expect(page.locator("#step-connect").get_by_text(re.compile(r"Waiting until .* min left"))).to_be_visible()
    # Kept current in the page: once the wait has ended it says so (QA walk 23, M2: "15 min left" stood
    # past its end until a reload). The wait's end is moved to now, as the clock would.
    left = page.locator("#step-connect .minutes-left")
    left.evaluate("e => { e.dataset.until = String(parseFloat(e.dataset.now) - 1); minutesLeft(); }")
    expect(left).to_have_text("the wait has ended: reload the page")
    page.reload()
    attest_all(page, watch)
    # The table cannot be seen before the document's 30 minutes: its attestation waits for them.
    expect(page.locator("#step-oktasystemlogs_table .attest-waits")).to_contain_text(
        "To attest this, wait: the document allows time after step 8")

    press_and_wait(page, page.get_by_role("button", name="Verify"))
    expect(page.locator("#step-ingestion_wait")).to_contain_text("minutes left")
    # The wait's end is in the viewer's time zone, as every other time on the page (it was UTC).
    ends = page.locator("#step-ingestion_wait .check time.local-time").first
    expect(ends).to_contain_text(re.compile(r"GMT\+1[23]"))
    expect(ends).not_to_contain_text("UTC")
    expect(page.locator("#step-recent_events")).to_contain_text("Okta is writing System Log events")
    expect(page.locator("#step-backfill_preview")).to_contain_text(re.compile(r"backfills \d+ events"))
    expect(page.locator("#step-copy_token")).to_contain_text(
        "Okta let the service account's token read the System Log.")

    end_the_wait(migrated_url, onboarding_id, "connect")
    page.reload()
    attest_all(page, watch)
    press_and_wait(page, page.get_by_role("button", name="Re-verify"))
    expect(page.locator(".onboarding-head").get_by_text("Completed")).to_be_visible()
    expect(page.get_by_text("0 failed")).to_be_visible()
    watch.assert_clean()

    state = server.sandbox_state()
    account = next(u for u in state["users"] if u["login"] == SERVICE_LOGIN)
    assert account["status"] == "ACTIVE" and account["roles"] == ["READ_ONLY_ADMIN"]
    [token_meta] = [t for t in state["apiTokens"] if t["userId"] == account["id"]]
    assert token_meta["network"] == {"connection": "ANYWHERE"}
    assert state["counts"]["customRoles"] == 0 and state["counts"]["logStreams"] == 0
    assert token not in server.output

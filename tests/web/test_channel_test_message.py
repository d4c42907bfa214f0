"""QA walk 13, M4: an administrator can send a notification channel a test message and read at
once whether it got through, and if not why (the words a failed delivery is kept in), without an
alert; every test is in the audit trail; nobody else can send one. A channel whose deliveries fail
is flagged where an administrator looks: its row under Settings says when its last delivery was
tried and what came of it, and the Health page says its alerts are not getting out, both read from
the stored deliveries (drawing a page sends nothing)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor
from app.audit.keys import use_keys
from app.settings import Settings
from app.store.models import Alert, AuditEvent, NotificationDelivery
from app.vault import Vault, key_source_for
from app.watch.channels import ChannelInput, add_channel
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.support import add_operator, in_database, web_client
from tests.watch.test_notifications import (
    WEBHOOK_SECRET,
    Receiver,
    _add_webhook,
    _deliver,
    _settings_form,
    _words,
    receiver,
)
from tests.watch.test_watch import _drifted

__all__ = ["receiver"]


def _press_test(j: Journey, label: str) -> str:
    page = j.get("/settings").text
    [button] = j.forms(page, "/test", button=f"Send a test message to {label}")
    return _words(j.submit(button).text)


def _count(j: Journey, model: Any) -> int:
    async def go() -> int:
        async with j.state.db.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(model))).scalar_one())
    return j.run(go)


def _tests_audited(run: Any, db: Any) -> list[tuple[str, str]]:
    async def go() -> list[tuple[str, str]]:
        async with db.sessions() as session:
            return [(row.outcome, row.summary) for row in (await session.execute(select(AuditEvent).where(
                AuditEvent.action == "notification_channel_test").order_by(AuditEvent.seq))).scalars()]
    return run(go)  # type: ignore[no-any-return]


def test_a_test_message_reaches_the_webhook_signed_and_raises_no_alert(j: Journey, receiver: Receiver) -> None:
    _add_webhook(j, receiver.url)
    page = _press_test(j, "Security channel")
    assert "The test message reached “Security channel”." in page
    [sent] = receiver.received
    body = json.loads(sent["body"])
    assert body["event"] == "test" and body["text"].startswith("[Test] The Okta onboarding wizard's alerts reach")
    assert "Sent by ana.admin from Settings › Notifications" in body["text"] and "nothing needs doing" in body["text"]
    expected = hmac.new(WEBHOOK_SECRET.encode(), sent["headers"]["X-Onboard-Timestamp"].encode() + b"." + sent["body"],
                        hashlib.sha256).hexdigest()
    assert sent["headers"]["X-Onboard-Signature"] == f"sha256={expected}"
    assert _count(j, Alert) == 0 and _count(j, NotificationDelivery) == 0
    assert _tests_audited(j.run, j.state.db) == [
        ("ok", "Notifications: test message to webhook “Security channel” got through")]


def test_a_failing_test_says_why_on_the_page_and_in_the_trail(j: Journey, free_tcp_port: int) -> None:
    done = _settings_form(j, "/settings/notifications/email", email_label="Okta team", recipients="okta@acme.example",
                          sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port=str(free_tcp_port),
                          starttls=None)
    assert "Alerts now also go to “Okta team”" in _words(done.text)
    page = _press_test(j, "Okta team")
    why = (f"Could not reach the SMTP server at 127.0.0.1:{free_tcp_port}: the server refused the connection; "
           "check the port, and that the SMTP server is running.")
    assert f"The test message did not reach “Okta team”: {why}" in page
    assert "Refused" not in page and "ConnectionRefusedError" not in page
    assert _count(j, Alert) == 0 and _count(j, NotificationDelivery) == 0
    assert _tests_audited(j.run, j.state.db) == [
        ("failed", f"Notifications: test message to e-mail “Okta team” did not get through: {why}")]


def test_a_failing_channel_is_flagged_on_its_row_and_on_health_until_a_test_gets_its_alert_out(
        j: Journey, sandbox_org: SandboxOrg, receiver: Receiver) -> None:
    _add_webhook(j, receiver.url)
    assert "Nothing sent yet." in _words(j.get("/settings").text)
    assert "Alerts are not getting out" not in _words(j.get("/health").text)
    receiver.statuses = [503]
    _drifted(j, sandbox_org)
    assert _deliver(j) == 0
    why = ("The webhook at 127.0.0.1 answered 503 Service Unavailable: the receiver had an error; alerts are tried "
           "again later, and its own log says why.")
    seen = len(receiver.received)
    settings = _words(j.get("/settings").text)
    assert f"Last delivery failed {_at(j)}: {why}" in settings.replace(" UTC", "")
    assert "1 alert waiting, the oldest since" in settings
    health = _words(j.get("/health").text)
    assert "Alerts are not getting out to this notification channel: Security channel (webhook): no alert queued " \
           "since" in health
    assert f"has reached it. The last try, {_at(j)}, failed: {why} 1 alert waiting to be sent." in \
        health.replace(" UTC", "")
    # A channel is not edited: the words say how its values are mended (QA walk 20, L3: "Fix the channel").
    assert ("Mend what its failure names (the receiver or mail server, or the channel's values: a channel is not "
            "edited, so remove it and add it again with the right ones), then send it a test message under "
            "Settings › Notifications.") in health
    assert len(receiver.received) == seen  # the pages read the deliveries; they send nothing

    # The receiver is fixed; the test gets through, and the alert waiting for a retry goes at the next look.
    page = _press_test(j, "Security channel")
    assert "The test message reached “Security channel”. 1 alert waiting for it is sent again at the watch's next " \
           "look." in page
    assert _deliver(j) == 1  # no pause waited for
    assert json.loads(receiver.received[-1]["body"])["event"] == "alert_raised"
    assert "Last delivery got through" in _words(j.get("/settings").text)
    assert "Alerts are not getting out" not in _words(j.get("/health").text)


def _states(j: Journey) -> dict[str, str]:
    """Each channel's State cell, by the channel's name, as a person reads it."""
    page = j.get("/settings").text
    rows = re.findall(r'<td data-label="Name">(.*?)</td>.*?<td data-label="State" class="channel-state">(.*?)</td>',
                      page, re.S)
    return {_words(name): _words(state).replace(" UTC", "") for name, state in rows}


def test_a_test_message_leaves_its_outcome_on_the_channels_row(j: Journey, free_tcp_port: int,
                                                              receiver: Receiver) -> None:
    """QA M6: a failed test left the row saying "Nothing sent yet."; the row says when the last test
    was sent, whether it got through, and if not why."""
    _settings_form(j, "/settings/notifications/email", email_label="Okta team", recipients="okta@acme.example",
                   sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port=str(free_tcp_port), starttls=None)
    _add_webhook(j, receiver.url)
    assert _states(j) == {"Okta team": "Nothing sent yet.", "Security channel": "Nothing sent yet."}
    _press_test(j, "Okta team")
    why = (f"Could not reach the SMTP server at 127.0.0.1:{free_tcp_port}: the server refused the connection; "
           "check the port, and that the SMTP server is running.")
    failed_at = _at(j)
    assert _states(j) == {"Okta team": f"No alert sent yet. Test message failed {failed_at}: {why}",
                          "Security channel": "Nothing sent yet."}
    j.clock.advance(120)
    _press_test(j, "Security channel")
    assert _states(j) == {"Okta team": f"No alert sent yet. Test message failed {failed_at}: {why}",
                          "Security channel": f"No alert sent yet. Test message got through {_at(j)}."}
    assert failed_at != _at(j)
    page = j.get("/settings").text
    assert re.search(r'Test message got through</span> <time datetime="[^"]+" title="[^"]+ UTC" '
                     r'class="local-time">', page)  # in the viewer's time zone, as every time on the page


def _at(j: Journey) -> str:
    """The fake clock's moment as the pages write it before the browser draws it in its own zone."""
    assert j.state.watch is not None
    return j.state.watch.now().strftime("%Y-%m-%d %H:%M")


def _webhook(settings: Settings, url: str) -> uuid.UUID:
    given = ChannelInput("webhook", "Security hook", "http://127.0.0.1/…", {},
                         {"url": url, "secret": "a signing secret of some length"})

    async def go(session: AsyncSession) -> uuid.UUID:
        return (await add_channel(session, Vault(key_source_for(settings)), given, Actor.system("test"))).id

    use_keys(key_source_for(settings))
    return in_database(settings, go)


def test_signed_out_nobody_sends_one(settings: Settings, receiver: Receiver) -> None:
    hook = _webhook(settings, receiver.url)
    with web_client(settings) as web:
        refused = web.post(f"/settings/notifications/{hook}/test")
    assert refused.status_code == 401 and "Sign in again" in refused.text
    assert receiver.received == []


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_only_an_administrator_sends_one(settings: Settings, receiver: Receiver, role: str) -> None:
    hook = _webhook(settings, receiver.url)
    add_operator(settings, f"someone.{role}", role)
    with web_client(settings) as web:
        web.sign_in(f"someone.{role}")
        assert "Send a test message" not in web.get("/settings").text
        refused = web.post(f"/settings/notifications/{hook}/test", page="/settings")
    assert refused.status_code == 403 and "This needs the Administrator role" in _words(refused.text)
    assert receiver.received == []
    assert in_database(settings, lambda session: _count_tests(session)) == 0


async def _count_tests(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "notification_channel_test"))).scalar_one())


def test_an_administrator_sends_one_only_with_the_pages_csrf_token(settings: Settings, receiver: Receiver) -> None:
    hook = _webhook(settings, receiver.url)
    add_operator(settings, "boss", "admin")
    with web_client(settings) as web:
        web.sign_in("boss")
        forged = web.post(f"/settings/notifications/{hook}/test", csrf=False)
        assert forged.status_code == 403 and receiver.received == []
        sent = web.post(f"/settings/notifications/{hook}/test", page="/settings")
        assert sent.status_code == 303
        assert "The test message reached “Security hook”." in _words(web.get("/settings").text)
    assert len(receiver.received) == 1

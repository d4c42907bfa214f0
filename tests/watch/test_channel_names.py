"""Adding a channel: one whose name another channel has is refused (alerts, the list and the trail
name channels by it: QA walk 24, L2); one whose host resolves to no address is added, and said to
reach nothing until it does (it read as a plain success: QA walk 24, L3)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.store.models import NotificationChannel
from tests.page_journeys import Journey
from tests.watch.test_notifications import _settings_form, _words

HOSTS = {"mail.acme.example": ["93.184.216.34"], "hooks.acme.example": ["93.184.216.35"]}


async def _resolve(host: str, _port: int = 25) -> list[str]:
    return HOSTS.get(host, [])


def _email(j: Journey, label: str, host: str = "mail.acme.example") -> str:
    return _words(_settings_form(j, "/settings/notifications/email", email_label=label, recipients="okta@acme.example",
                                 sender="wizard@acme.example", smtp_host=host, smtp_port="587", starttls="on",
                                 smtp_username="wizard", smtp_password="smtp canary password 41").text)


def _channels(j: Journey) -> list[str]:
    async def go() -> list[str]:
        async with j.state.db.sessions() as session:
            return sorted((await session.execute(select(NotificationChannel.label).where(
                NotificationChannel.removed_at.is_(None)))).scalars())
    return j.run(go)


def test_a_channel_name_in_use_is_refused(j: Journey) -> None:
    assert j.state.watch is not None
    j.state.watch.notifier.resolver = _resolve
    assert "Alerts now also go to “Okta team”" in _email(j, "Okta team")
    refused = _email(j, "OKTA team")
    assert "The e-mail channel was not added." in refused
    assert "Another channel is named “Okta team”: choose a name that tells them apart." in refused
    assert "Enter the SMTP password again: it is never shown back." in refused
    webhook = _words(_settings_form(j, "/settings/notifications/webhook", webhook_label="okta team",
                                    webhook_url="https://hooks.acme.example/T0/abc",
                                    webhook_secret="a signing secret of 32 characters").text)
    assert "The webhook was not added." in webhook and "Another channel is named “Okta team”" in webhook
    assert _channels(j) == ["Okta team"]


def test_a_host_that_does_not_resolve_is_added_and_said_so(j: Journey) -> None:
    assert j.state.watch is not None
    j.state.watch.notifier.resolver = _resolve
    said = _email(j, "Relay", host="smtp.nowhere.acme.example")
    assert ("“Relay” was added, but smtp.nowhere.acme.example does not resolve to an address from this server now: "
            "nothing reaches it until it does. Check the name, then send a test message.") in said
    assert "Alerts now also go to" not in said
    assert _channels(j) == ["Relay"]
    # The channel's row keeps saying it (the warning was shown once, then the row read "Nothing sent
    # yet": QA walk 25, L6) until a test message tells more.
    row = _words(re.search(r'<tr id="channel-.*?</tr>', j.get("/settings").text, re.S).group(0))  # type: ignore[union-attr]
    assert re.search(r"Nothing reaches it yet: when it was added .+, smtp\.nowhere\.acme\.example resolved to no "
                     r"address from this server\. Check the name, then send a test message\.", row), row
    assert "Nothing sent yet" not in row
    j.submit(j.form(j.get("/settings").text, "/test", button="Send a test message to Relay"))
    row = _words(re.search(r'<tr id="channel-.*?</tr>', j.get("/settings").text, re.S).group(0))  # type: ignore[union-attr]
    assert "Test message failed" in row and "does not resolve" in row, row
    assert "Nothing reaches it yet" not in row


def test_a_plain_http_webhook_is_refused_though_its_host_does_not_resolve(j: Journey) -> None:
    """The unresolved host was let through before the scheme's check: once its name resolved, alerts
    and their signature went over plain http (review)."""
    assert j.state.watch is not None
    j.state.watch.notifier.resolver = _resolve
    refused = _words(_settings_form(j, "/settings/notifications/webhook", webhook_label="Later",
                                    webhook_url="http://alerts.nowhere.acme.example/hooks/T0",
                                    webhook_secret="a signing secret of 32 characters").text)
    assert "The webhook was not added." in refused and "Use https://" in refused
    assert _channels(j) == []


def test_the_warning_of_a_long_name_is_said_whole(j: Journey) -> None:
    assert j.state.watch is not None
    j.state.watch.notifier.resolver = _resolve
    said = _email(j, "Okta team " + "x" * 180, host="smtp." + "very-long-label." * 12 + "acme.example")
    assert ("The channel was added, but its host does not resolve to an address from this server now: check the "
            "name, then send a test message.") in said

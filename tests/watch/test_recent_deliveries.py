"""QA walk 13, L2: under Settings › Notifications, "Recent deliveries" shows each alert's message
once, with its channels' delivery states under it (one alert to three channels filled four phone
screens, the whole message repeated per channel)."""

from __future__ import annotations

import re

from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.watch.test_notifications import (
    Mailbox,
    Receiver,
    _add_webhook,
    _deliver,
    _settings_form,
    _words,
    mailbox,
    receiver,
)
from tests.watch.test_watch import _drifted

__all__ = ["mailbox", "receiver"]


def _email(j: Journey, label: str, address: str, port: int) -> None:
    _settings_form(j, "/settings/notifications/email", email_label=label, recipients=address,
                   sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port=str(port), starttls=None)


def test_one_alert_to_three_channels_is_shown_once_with_three_states(
        j: Journey, sandbox_org: SandboxOrg, receiver: Receiver, mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    _add_webhook(j, receiver.url)
    _email(j, "Okta team", "okta@acme.example", port)
    _email(j, "Help desk", "desk@acme.example", port)
    receiver.statuses = [500]
    _drifted(j, sandbox_org)
    assert _deliver(j) == 2 and len(box.messages) == 2
    page = _words(j.get("/settings").text)
    recent = page.split("Recent deliveries", 1)[1]
    assert recent.count("Every watched onboarding:") == 1  # the whole message, once
    assert recent.count("[Alert] Microsoft Defender for Identity on") == 2  # its headline, and the message's start
    states = re.findall(r"(Security channel|Okta team \(okta@acme\.example\)|Help desk \(desk@acme\.example\)): "
                        r"(delivered|failing)", recent)
    assert states == [("Security channel", "failing"), ("Okta team (okta@acme.example)", "delivered"),
                      ("Help desk (desk@acme.example)", "delivered")]

"""QA walk 10: what an alert says to the person who reads only it. A deactivated service account is
one alert, not a second one about its token that cannot be acted on (M2); an alert's title names
what went wrong, and an e-mail's subject is cut at a word (M2); a role given to the service account
names the account and says how to clear the alert sooner than the next run (M4); a resolved alert
says when it began (L5); the wait for the vendor's first call reads as a sentence (L1)."""

from __future__ import annotations

import html
from typing import Any

from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.watch.test_notifications import Mailbox, _deliver, _settings_form, mailbox
from tests.watch.test_watch import _completed, _tick

__all__ = ["mailbox"]  # the fixture, used by name


def _page(j: Journey, path: str) -> str:
    return " ".join(html.unescape(j.get(path).text).split())


def _mail_channel(j: Journey, port: int) -> None:
    _settings_form(j, "/settings/notifications/email", email_label="Okta team", recipients="okta@acme.example",
                   sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port=str(port), starttls=None)


def _body(message: Any) -> str:
    return " ".join(message.get_payload(decode=True).decode().split())


def test_the_wait_for_the_vendors_first_call_reads_as_a_sentence(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid, _token = _completed(j, sandbox_org)
    _tick(j)
    page = _page(j, f"/onboardings/{oid}")
    assert "This is normal until the vendor's console is set up and it first calls Okta; the watch looks for " \
           "that first call every 1 hour." in page
    assert "Usual until" not in page

"""QA walk 10: what an alert says to the person who reads only it. A deactivated service account is
one alert, not a second one about its token that cannot be acted on (M2); an alert's title names
what went wrong, and an e-mail's subject is cut at a word (M2); a role given to the service account
names the account and says how to clear the alert sooner than the next run (M4); a resolved alert
says when it began (L5); the wait for the vendor's first call reads as a sentence (L1)."""

from __future__ import annotations

import html
from email.header import decode_header, make_header
from typing import Any

from app.common.moments import stamp
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.watch.test_notifications import Mailbox, _deliver, _settings_form, mailbox
from tests.watch.test_watch import DAY, _completed, _drifted, _open_alerts, _take_super_admin, _tick

__all__ = ["mailbox"]  # the fixture, used by name


def _page(j: Journey, path: str) -> str:
    return " ".join(html.unescape(j.get(path).text).split())


def _mail_channel(j: Journey, port: int) -> None:
    _settings_form(j, "/settings/notifications/email", email_label="Okta team", recipients="okta@acme.example",
                   sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port=str(port), starttls=None)


def _subject(message: Any) -> str:
    return " ".join(str(make_header(decode_header(message["Subject"]))).split())


def _body(message: Any) -> str:
    return " ".join(message.get_payload(decode=True).decode().split())


def test_the_wait_for_the_vendors_first_call_reads_as_a_sentence(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid, _token = _completed(j, sandbox_org)
    _tick(j)
    page = _page(j, f"/onboardings/{oid}")
    assert "This is normal until the vendor's console is set up and it first calls Okta; the watch looks for " \
           "that first call every 1 hour." in page
    assert "Usual until" not in page


def _raised_mail(j: Journey, sandbox_org: SandboxOrg, port: int) -> tuple[Any, dict[str, str]]:
    """A completed onboarding, an e-mail channel, and someone giving the service account Super Admin."""
    _mail_channel(j, port)
    oid, token = _drifted(j, sandbox_org)
    assert _deliver(j) == 1
    return oid, token


def test_a_long_subject_is_cut_at_a_word_and_says_so(j: Journey, sandbox_org: SandboxOrg,
                                                       mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    _raised_mail(j, sandbox_org, port)
    [message] = box.messages
    subject = _subject(message)
    headline = _body(message).split(" What to do:", 1)[0]
    assert len(headline) > 200 and subject.endswith("…") and len(subject) <= 200
    # The subject is the headline's first words, whole: the next character of the headline is a space.
    assert headline.startswith(subject[:-1]) and headline[len(subject) - 1] == " ", (subject, headline)


def test_a_raised_alert_says_how_to_clear_it_before_the_next_run(j: Journey, sandbox_org: SandboxOrg,
                                                                 mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    oid, token = _raised_mail(j, sandbox_org, port)
    next_run = j.onboarding(oid).watch_next_at
    assert next_run is not None
    assert "Once it is put right, press Re-verify on the onboarding to clear this alert; otherwise the watch " \
           f"looks again on {stamp(next_run)}." in _body(box.messages[0])
    # And it does: the role taken away, Re-verify clears it at once, not at the next run.
    _take_super_admin(sandbox_org, token["account"])
    j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/reverify"))
    j.wait_for_jobs()
    assert _open_alerts(j, oid) == []


def test_a_resolved_alert_says_when_it_was_raised_and_for_how_long(j: Journey, sandbox_org: SandboxOrg,
                                                                   mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    oid, token = _raised_mail(j, sandbox_org, port)
    [alert] = _open_alerts(j, oid)
    _take_super_admin(sandbox_org, token["account"])
    j.clock.advance(DAY + 2 * 3600)
    _tick(j)
    assert _deliver(j) == 1
    resolved = box.messages[1]
    assert _subject(resolved).startswith("[Resolved]")
    assert f"This alert was raised on {stamp(alert.raised_at)} and was open for 1 day 2 hours." in _body(resolved)
    assert "was raised on" not in _body(box.messages[0])  # the alert itself says it in its Date

"""A deactivated service account is one cause, one alarm. Okta removes a deactivated account's API
tokens; once the person had pressed "Reactivate the service account" and set its password, the next
run resolved the account's alert ("[Resolved]") and raised a new one on the lost token ("[Alert]"):
a second alarm of the cause they were already mending. Now the token's alert carries the account's
on: the people told of the first hear one update saying what is left, every alert stays on record,
and a token lost for another reason still raises its own alarm. And after a Reactivate the pages no
longer say the account is deactivated until the next run (nor ask Okta to know it)."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from app.store.models import Alert
from okta_sandbox import SandboxOrg
from okta_sandbox.domain import tokens as tokens_domain
from okta_sandbox.entities import User
from tests.page_journeys import Journey
from tests.watch.test_notifications import Mailbox, Receiver, _add_webhook, _deliver, mailbox, receiver
from tests.watch.test_reactivation import LINK_FORM, _body, _deactivated, _mail_channel, _words
from tests.watch.test_watch import DAY, _audit, _completed, _open_alerts, _rows, _tick

__all__ = ["mailbox", "receiver"]  # the fixtures, used by name

VENDOR = "Microsoft Defender for Identity"
LEFT = ("The service account is active again; its API token was removed when it was deactivated: create a new one "
        "at step 6 (Copy the token value)")


def _subjects(box: Mailbox) -> list[str]:
    return [" ".join(str(message["Subject"]).split()) for message in box.messages]


def _reactivated(j: Journey, oid: uuid.UUID) -> None:
    """The person presses "Reactivate the service account" on the onboarding's page."""
    shown = j.post_form(j.form(j.get(f"/onboardings/{oid}").text, LINK_FORM), {}, revealed=True)
    assert "New activation link of the service account" in _words(shown.text)


def _paste_new_token(j: Journey, sandbox_org: SandboxOrg, oid: uuid.UUID, user: User) -> None:
    value = sandbox_org.issue_api_token(user.id, "Defender")
    pasted = j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/token"), service_token=value)
    assert "Token verified" in pasted.text, _words(pasted.text)
    j.wait_for_jobs()
    j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/reverify"))
    j.wait_for_jobs()


def test_a_reactivated_account_whose_token_is_still_lost_is_one_alarm(
        j: Journey, sandbox_org: SandboxOrg, mailbox: tuple[Mailbox, int], receiver: Receiver) -> None:
    box, port = mailbox
    _mail_channel(j, port)
    oid, user = _deactivated(j, sandbox_org)
    assert _deliver(j) == 1
    host = urlsplit(sandbox_org.base_url).hostname
    assert _subjects(box) == [f"[Alert] {VENDOR} on {host}: {user.login} was deactivated in Okta (DEPROVISIONED), "
                              "which revoked its API tokens: the vendor can no longer connect."]
    [account_alert] = _open_alerts(j, oid)
    _add_webhook(j, receiver.url)  # a channel added since: it never heard of the account's alert

    _reactivated(j, oid)
    j.clock.advance(DAY + 1)
    _tick(j)  # the account waits for its person: still the account's alert, nothing new to tell
    assert _deliver(j) == 0 and [a.id for a in _open_alerts(j, oid)] == [account_alert.id]
    sandbox_org.complete_activation(user.id)  # its person opens the link and sets its password
    j.clock.advance(DAY + 1)
    _tick(j)
    _deliver(j)

    # The mailbox told of the deactivation hears one update saying what is left, no "[Resolved]" nor new "[Alert]".
    assert _subjects(box)[1:] == [f"[Update] {VENDOR} on {host}: {LEFT}"]
    body = _body(box.messages[1])
    assert body.startswith(f"[Update] {VENDOR} on {sandbox_org.base_url}: {LEFT}. What to do: Sign in to Okta as the "
                           "service account, create a new API token, paste it on this onboarding's page"), body
    assert f"This carries on the alert raised on {account_alert.raised_at:%Y-%m-%d %H:%M} UTC: that one is closed, " \
           "and what is left of it stays open as this alert. Once it is put right, press Re-verify" in body, body
    # The channel added since never heard of the account's alert: the token's is news to it.
    [sent] = receiver.received
    news = json.loads(sent["body"])
    assert news["event"] == "alert_raised" and news["text"].startswith(f"[Alert] {VENDOR} on "), news["text"]

    # Both alerts stay on record: the account's superseded by the token's, which says what it carries on.
    [token_alert] = _open_alerts(j, oid)
    assert token_alert.key == "check:token_any_ip"
    [closed] = _rows(j, select(Alert).where(Alert.id == account_alert.id))
    assert closed.cleared_at is not None and closed.details["superseded_by"] == "check:token_any_ip"
    [superseded] = _audit(j, "alert_superseded")
    assert superseded.summary.startswith(f"Superseded: {user.login} is PROVISIONED in Okta")  # as last seen
    assert superseded.details["by"] == "check:token_any_ip"
    assert [event.details.get("continues") for event in _audit(j, "alert_raised")] == [None, "check:account_active"]
    assert _audit(j, "alert_cleared") == []
    assert "superseded by a later alert" in _words(j.get(f"/onboardings/{oid}/report").text)

    # A new token: the token's alert is resolved, and the mailbox that had the update hears it.
    _paste_new_token(j, sandbox_org, oid, user)
    assert _open_alerts(j, oid) == []
    _deliver(j)
    assert len(box.messages) == 3
    assert _subjects(box)[2].startswith(f"[Resolved] {VENDOR} on {host}: this check passes again: The token belongs "
                                        "to"), _subjects(box)


def test_a_token_lost_for_another_reason_still_raises_its_alarm(
        j: Journey, sandbox_org: SandboxOrg, mailbox: tuple[Mailbox, int]) -> None:
    """Once the account's alert is over (a new token verified), a token revoked later by hand is news:
    the account's past reactivation does not make it an update."""
    box, port = mailbox
    _mail_channel(j, port)
    oid, user = _deactivated(j, sandbox_org)
    _reactivated(j, oid)
    sandbox_org.complete_activation(user.id)
    _paste_new_token(j, sandbox_org, oid, user)
    _deliver(j)
    host = urlsplit(sandbox_org.base_url).hostname
    assert [s.split(": ", 1)[0] for s in _subjects(box)] == [f"[Alert] {VENDOR} on {host}",
                                                             f"[Resolved] {VENDOR} on {host}"]

    tokens_domain.revoke_user_tokens(sandbox_org, user.id, actor=None)  # someone revokes it in Okta
    j.clock.advance(DAY + 1)
    _tick(j)
    _deliver(j)
    assert _subjects(box)[2].startswith(f"[Alert] {VENDOR} on {host}: The service account's API token was revoked "
                                        "or has expired"), _subjects(box)
    assert len(box.messages) == 3
    [alert] = _open_alerts(j, oid)
    assert alert.key == "check:token_any_ip" and "continues" not in alert.details


def test_a_token_revoked_while_the_account_is_active_alerts_as_before(
        j: Journey, sandbox_org: SandboxOrg, mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    _mail_channel(j, port)
    oid, token = _completed(j, sandbox_org)
    _tick(j)
    tokens_domain.revoke_user_tokens(sandbox_org, token["account"], actor=None)
    j.clock.advance(DAY + 1)
    _tick(j)
    _deliver(j)
    [subject] = _subjects(box)
    assert subject.startswith(f"[Alert] {VENDOR} on ") and "API token was revoked or has expired" in subject
    assert [a.key for a in _open_alerts(j, oid)] == ["check:token_any_ip"]


def _alert_words(page: str) -> str:
    return page.split("from the watch", 1)[1].split("Open since", 1)[0]


def test_after_a_reactivate_the_pages_no_longer_say_the_account_is_deactivated(
        j: Journey, sandbox_org: SandboxOrg, okta_requests: list[httpx.Request]) -> None:
    oid, user = _deactivated(j, sandbox_org)
    url = f"/onboardings/{oid}"
    deactivated = f"{user.login} was deactivated in Okta (DEPROVISIONED)"
    assert deactivated in _alert_words(_words(j.get(url).text))
    _reactivated(j, oid)

    okta_requests.clear()
    page, health = _words(j.get(url).text), _words(j.get("/health").text)
    assert okta_requests == []  # the pages said it from the database: no Okta call to draw them
    said = f"{user.login} was reactivated in Okta by ana.admin on "
    for words in (_alert_words(page), health):
        assert deactivated not in words, words
        assert re.search(re.escape(said) + r"\d{4}-\d\d-\d\d \d\d:\d\d UTC : it waits for its password to be set with "
                         r"its new activation link, and for the watch's next check\. Checklist item: The account is "
                         r"active\.", words), words
    assert "What to do: Open the new activation link as the service account (choose its password and enrol its " \
           "MFA), sign in to Okta as it, create a new API token, paste it on the token step and give it to the " \
           "vendor: in the Microsoft Defender Portal" in health
    assert "Press “Reactivate the service account”" not in health
    # Its words as raised stay in the trail.
    [raised] = _audit(j, "alert_raised")
    assert deactivated in raised.summary

    # The next run says what Okta has then: waiting for its person, not deactivated.
    j.clock.advance(DAY + 1)
    _tick(j)
    words = _alert_words(_words(j.get(url).text))
    assert f"{user.login} is PROVISIONED in Okta, not active" in words and said not in words, words

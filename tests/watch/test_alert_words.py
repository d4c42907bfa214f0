"""QA walk 10: what an alert says to the person who reads only it. A deactivated service account is
one alert, not a second one about its token that cannot be acted on (M2); an alert's title names
what went wrong, and an e-mail's subject is cut at a word (M2); a role given to the service account
names the account and says how to clear the alert sooner than the next run (M4); a resolved alert
says when it began (L5); the wait for the vendor's first call reads as a sentence (L1)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.header import decode_header, make_header
from typing import Any
from urllib.parse import urlsplit

from app.common.moments import stamp
from app.common.text import clip
from app.store.models import CheckResult
from app.store.statuses import CheckStatus
from app.watch.findings import findings
from okta_sandbox import SandboxOrg
from okta_sandbox.domain import tokens as tokens_domain
from okta_sandbox.domain import users as users_domain
from tests.page_journeys import Journey
from tests.watch.test_notifications import Mailbox, _deliver, _settings_form, mailbox
from tests.watch.test_watch import (
    DAY,
    _audit,
    _completed,
    _deactivated,
    _drifted,
    _open_alerts,
    _take_super_admin,
    _tick,
)

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
    # The journey's last attestation was confirmed despite Okta showing no use: said as such (QA walk 16, M2).
    assert "The watch looks for the vendor's first call every 1 hour and says here once Okta shows it." in page
    assert "Usual until" not in page


def _raised_mail(j: Journey, sandbox_org: SandboxOrg, port: int) -> tuple[Any, dict[str, str]]:
    """A completed onboarding, an e-mail channel, and someone giving the service account Super Admin."""
    _mail_channel(j, port)
    oid, token = _drifted(j, sandbox_org)
    assert _deliver(j) == 1
    return oid, token


def test_a_subject_says_what_went_wrong_not_the_checklist_item(j: Journey, sandbox_org: SandboxOrg,
                                                                mailbox: tuple[Mailbox, int]) -> None:
    """The subject ran "[Alert] Drata on http://127.0.0.1:50947: The account …: unexpected role …
    Checklist item: The…": the org a full address, the item cut (QA walk 11, L9). It is the vendor,
    the org's host and what went wrong, cut at a word if long; the body keeps the item."""
    box, port = mailbox
    oid, _token = _raised_mail(j, sandbox_org, port)
    [message] = box.messages
    [alert] = _open_alerts(j, oid)
    problem = alert.summary.split(" Checklist item: ", 1)[0]
    host = urlsplit(sandbox_org.base_url).hostname
    assert _subject(message) == clip(f"[Alert] Microsoft Defender for Identity on {host}: {problem}", 200)
    assert "Checklist item" not in _subject(message) and "http" not in _subject(message)
    assert f"{problem} Checklist item: " in _body(message)


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


def _alert_subjects(box: Mailbox, base_url: str) -> list[str]:
    """Each e-mail's subject after '<vendor> on <org>: ': what the alert says first."""
    return [_subject(m).split(f"{urlsplit(base_url).hostname}: ", 1)[1] for m in box.messages]


def test_a_deactivated_service_account_is_one_alert_and_one_email(j: Journey, sandbox_org: SandboxOrg,
                                                                   mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    _mail_channel(j, port)
    oid, token, user = _deactivated(j, sandbox_org)
    assert _deliver(j) == 1  # one cause, one e-mail (there were two: the account's and its token's)
    [subject] = _alert_subjects(box, sandbox_org.base_url)
    assert subject.startswith(f"{user.login} was deactivated in Okta (DEPROVISIONED), which revoked its API "
                              "tokens"), subject
    body = _body(box.messages[0])
    # Its remedy mends the token too, in the order it can be done.
    assert "Press “Reactivate the service account” on this onboarding's page" in body
    assert "create a new token, paste it on the token step" in body
    assert "Sign in to Okta as the service account, create a new API token" not in body
    assert [a.key for a in _open_alerts(j, oid)] == ["check:account_active"]
    health = _page(j, "/health")
    assert f"{user.login} was deactivated in Okta" in health and "The account is active: " not in health
    assert token["value"] not in body

    # Reactivated (here in the Admin Console), its token is still gone: the token's own alert, whose
    # remedy can be done now, carries the account's on, as one update of the same cause (it was a
    # "[Resolved]" and a new "[Alert]": tests/watch/test_one_alarm.py).
    users_domain.activate_user(sandbox_org, user, send_email=False, actor=None)
    sandbox_org.complete_activation(user.id)  # its person sets a password again
    j.clock.advance(DAY + 1)
    _tick(j)
    assert _deliver(j) == 1
    [update] = box.messages[1:]
    assert _subject(update).split(f"{urlsplit(sandbox_org.base_url).hostname}: ", 1)[1] == (
        "The service account is active again; its API token was removed when it was deactivated: create a new one "
        "at step 6 (Copy the token value)"), _subject(update)
    assert _subject(update).startswith("[Update]")
    assert "Sign in to Okta as the service account, create a new API token" in _body(update)
    assert [a.key for a in _open_alerts(j, oid)] == ["check:token_any_ip"]


def test_a_token_alert_open_when_its_account_is_deactivated_is_superseded_not_resolved(
        j: Journey, sandbox_org: SandboxOrg, mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    _mail_channel(j, port)
    oid, token = _completed(j, sandbox_org)
    _tick(j)
    tokens_domain.revoke_user_tokens(sandbox_org, token["account"], actor=None)
    j.clock.advance(DAY + 1)
    _tick(j)
    assert [a.key for a in _open_alerts(j, oid)] == ["check:token_any_ip"]
    users_domain.deactivate_user(sandbox_org, sandbox_org.users[token["account"]], actor=None)
    j.clock.advance(DAY + 1)
    _tick(j)
    assert [a.key for a in _open_alerts(j, oid)] == ["check:account_active"]
    _deliver(j)
    subjects = [_subject(m) for m in box.messages]
    assert [s[:9] for s in subjects] == ["[Alert] M", "[Alert] M"], subjects  # no "[Resolved]" for the token
    [superseded] = _audit(j, "alert_superseded")
    assert superseded.summary.startswith("Superseded: The service account's API token was revoked")
    assert superseded.details["by"] == "check:account_active"


def test_a_role_given_to_the_service_account_names_it_first(j: Journey, sandbox_org: SandboxOrg,
                                                             mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    _oid, token = _raised_mail(j, sandbox_org, port)
    login = sandbox_org.users[token["account"]].login
    [subject] = _alert_subjects(box, sandbox_org.base_url)
    assert subject.startswith(f"Super Administrator is assigned to {login} (its roles: "), subject
    body = _body(box.messages[0])
    assert f"What to do: Remove what must not be there from the account {login} in Security > Administrators" in body


def test_every_checks_alert_leads_with_what_went_wrong(j: Journey, sandbox_org: SandboxOrg,
                                                       mailbox: tuple[Mailbox, int]) -> None:
    """Only the account, token and role checks said what went wrong first; the others' alerts read
    "label: found" ("The custom role has exactly the three permissions: 'Microsoft Defender for
    Identity' has permissions ..."), as if all were well until the reader reached the end."""
    box, port = mailbox
    _mail_channel(j, port)
    oid, _token = _completed(j, sandbox_org)
    _tick(j)
    role = next(r for r in sandbox_org.custom_roles if r.label == "Microsoft Defender for Identity")
    del role.permissions["okta.iam.read"]
    resources = next(s for s in sandbox_org.resource_sets if s.label == "Microsoft Defender for Identity")
    users = next(key for key, r in resources.resources.items() if "/api/v1/users" in str(vars(r)))
    del resources.resources[users]
    j.clock.advance(DAY + 1)
    _tick(j)
    assert _deliver(j) == 2
    titles = {a.key: a.summary for a in _open_alerts(j, oid)}
    assert titles["check:role_permissions"] == (
        "The custom role “Microsoft Defender for Identity” lacks the permission okta.iam.read. Checklist item: The "
        "custom role has exactly the three permissions."), titles
    assert re.fullmatch(r"The resource set “Microsoft Defender for Identity” lacks the resource \S+:users\. "
                        r"Checklist item: The resource set holds All users and All IAM resources\.",
                        titles["check:resource_set_contents"]), titles
    assert set(titles) == {"check:role_permissions", "check:resource_set_contents"}
    subjects = sorted(_alert_subjects(box, sandbox_org.base_url))
    assert subjects[0].startswith("The custom role “Microsoft Defender for Identity” lacks the permission "
                                  "okta.iam.read."), subjects
    assert subjects[1].startswith("The resource set “Microsoft Defender for Identity” lacks the resource "), subjects
    health = _page(j, "/health")
    assert "The custom role “Microsoft Defender for Identity” lacks the permission okta.iam.read." in health
    assert "The custom role has exactly the three permissions:" not in health + " ".join(subjects)


def test_a_finding_that_says_what_went_wrong_leads_the_alert() -> None:
    """A check with no words of its own for the alert: its finding comes first, then the item."""
    failed = CheckResult(check_key="group", status=CheckStatus.failed, found="No Okta group is named “Auditors”.",
                         remedy="Correct the group.", evidence={})
    [finding] = findings({"group": failed}, {"group": "The group chosen exists"}, {"group": "group_exists"}, {},
                         datetime.now(UTC), expiry_days=14, unused_days=30)
    assert finding.summary == "No Okta group is named “Auditors”. Checklist item: The group chosen exists."


def test_a_resolution_goes_only_to_the_channels_told_of_the_alert(j: Journey, sandbox_org: SandboxOrg,
                                                                   mailbox: tuple[Mailbox, int]) -> None:
    """A channel added while an alert was open got its "[Resolved]" e-mail, of an alert its readers
    never had; an alert raised after it was added reaches it, raised and resolved."""
    box, port = mailbox
    oid, token = _raised_mail(j, sandbox_org, port)
    _settings_form(j, "/settings/notifications/email", email_label="Late team", recipients="late@acme.example",
                   sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port=str(port), starttls=None)
    _take_super_admin(sandbox_org, token["account"])
    j.clock.advance(DAY + 1)
    _tick(j)
    assert _open_alerts(j, oid) == []
    assert _deliver(j) == 1
    assert [(m["To"], _subject(m)[:10]) for m in box.messages] == [("okta@acme.example", "[Alert] Mi"),
                                                                   ("okta@acme.example", "[Resolved]")]
    # Raised with both channels set: both are told, and both hear it resolved.
    sandbox_org.assign_role(token["account"], "SUPER_ADMIN")
    j.clock.advance(DAY + 1)
    _tick(j)
    _take_super_admin(sandbox_org, token["account"])
    j.clock.advance(DAY + 1)
    _tick(j)
    assert _deliver(j) == 4
    assert sorted((m["To"], _subject(m)[:10]) for m in box.messages[2:]) == [
        ("late@acme.example", "[Alert] Mi"), ("late@acme.example", "[Resolved]"),
        ("okta@acme.example", "[Alert] Mi"), ("okta@acme.example", "[Resolved]")]

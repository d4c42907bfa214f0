"""QA walk 6: a service token that expired or was revoked is a dead connection, not a token about to
expire (H1); its expiry and unused alerts do not read as resolved when it is lost (H2); the Health
page says it was lost (M4); and each notification says what to do, who owns the onboarding and
where it is (M1), and a clearing reads as good news (L1)."""

from __future__ import annotations

import html
import json
import uuid
from typing import Any

from app.store.models import Operator
from okta_sandbox import SandboxOrg
from okta_sandbox.domain import tokens as tokens_domain
from okta_sandbox.domain import users as users_domain
from tests.page_journeys import Journey
from tests.watch.test_notifications import Mailbox, Receiver, _add_webhook, _deliver, _settings_form, mailbox, receiver
from tests.watch.test_watch import DAY, _audit, _completed, _drifted, _open_alerts, _take_super_admin, _tick

__all__ = ["mailbox", "receiver"]  # the fixtures, used by name


def _texts(receiver: Receiver) -> list[str]:
    return [json.loads(sent["body"])["text"] for sent in receiver.received]


def _days(j: Journey, days: int) -> None:
    """Let ``days`` pass with the watch looking every day, as it would."""
    for _day in range(days):
        j.clock.advance(DAY + 1)
        _tick(j)


def _page(j: Journey, path: str) -> str:
    return " ".join(html.unescape(j.get(path).text).split())


def _health(j: Journey) -> str:
    return _page(j, "/health")


def _unused_alert_raised(j: Journey, sandbox_org: SandboxOrg, receiver: Receiver) -> tuple[uuid.UUID, dict[str, str]]:
    _add_webhook(j, receiver.url)
    oid, token = _completed(j, sandbox_org)
    _tick(j)
    _days(j, 17)
    assert "token_unused" in {a.key for a in _open_alerts(j, oid)}
    _deliver(j)
    return oid, token


def test_an_expired_token_fails_its_check_and_the_watch_says_it_expired(j: Journey, sandbox_org: SandboxOrg,
                                                                        receiver: Receiver) -> None:
    oid, _token = _unused_alert_raised(j, sandbox_org, receiver)
    _days(j, 14)  # 31 days without the vendor using the token: Okta expired it at 30
    page = _page(j, f"/onboardings/{oid}")
    assert "expired on" in page and "the vendor can no longer connect with it" in page
    health = _health(j)
    assert "expires in 0 days" not in health and "Token expired in Okta on" in health
    # One alert for one lost token: the token check's, with the date and what to do; the unused
    # and expiry alerts it supersedes are closed, not resolved (three alerts said it before).
    assert [a.key for a in _open_alerts(j, oid)] == ["check:token_any_ip"]
    _deliver(j)
    sent = _texts(receiver)
    assert sum("expired on" in text for text in sent) == 1
    assert "create a new API token" in "\n".join(sent)
    assert not any("[Resolved]" in text for text in sent)  # neither the unused nor the expiry alert
    report = _page(j, f"/onboardings/{oid}/report")
    assert "superseded by a later alert" in report
    superseded = sorted(event.summary for event in _audit(j, "alert_superseded"))
    assert [s[:34] for s in superseded] == ["Superseded: No sign that the vendo", "Superseded: The service account's "]


def test_a_revoked_token_does_not_resolve_its_unused_alert(j: Journey, sandbox_org: SandboxOrg,
                                                           receiver: Receiver) -> None:
    oid, token = _unused_alert_raised(j, sandbox_org, receiver)
    before = len(receiver.received)
    # Deactivating the service account revokes its tokens.
    users_domain.deactivate_user(sandbox_org, sandbox_org.users[token["account"]], actor=None)
    _days(j, 1)
    _deliver(j)
    new = _texts(receiver)[before:]
    # One alert for one cause, the account's, and it says the token went with it (QA walk 10, M2: a
    # second alert on the token said to create a new one, which cannot be done on a deactivated account).
    [one] = new
    assert "was deactivated in Okta (DEPROVISIONED), which revoked its API tokens" in one.split("\n")[0], one
    assert all(json.loads(sent["body"])["event"] == "alert_raised" for sent in receiver.received[before:]), new
    # The unused alert is superseded by the account's, not resolved.
    assert [a.key for a in _open_alerts(j, oid)] == ["check:account_active"]
    health = _health(j)
    assert "Token revoked or expired in Okta" in health and "seen " in health
    assert "none watched" not in health and "metadata was not read yet" not in health


def test_a_token_okta_dropped_after_its_expiry_keeps_its_alerts(j: Journey, sandbox_org: SandboxOrg,
                                                                receiver: Receiver) -> None:
    """Real Okta may drop an expired token from the list (the sandbox keeps it): the same 'gone'."""
    oid, token = _unused_alert_raised(j, sandbox_org, receiver)
    before = len(receiver.received)
    j.clock.advance(14 * DAY)
    tokens_domain.revoke_user_tokens(sandbox_org, token["account"], actor=None)
    _tick(j)
    _deliver(j)
    assert not any("[Resolved]" in text for text in _texts(receiver)[before:])
    assert [a.key for a in _open_alerts(j, oid)] == ["check:token_any_ip"]
    assert "Token revoked or expired in Okta" in _health(j)


def _owner(j: Journey, oid: uuid.UUID) -> str:
    assignee = j.onboarding(oid).assignee_id

    async def read() -> Any:
        async with j.state.db.sessions() as session:
            return await session.get(Operator, assignee)
    return str(j.run(read).display_name)


def test_a_notification_says_what_to_do_who_owns_it_and_links_to_it(
        j: Journey, sandbox_org: SandboxOrg, receiver: Receiver, mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    _add_webhook(j, receiver.url)
    _settings_form(j, "/settings/notifications/email", email_label="Okta team", recipients="okta@acme.example",
                   sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port=str(port), starttls=None)
    oid, token = _drifted(j, sandbox_org)
    _deliver(j)
    link = f"{j.state.settings.resolved_public_url}/onboardings/{oid}"
    [message] = box.messages
    [text] = _texts(receiver)
    mail = message.get_payload(decode=True).decode()
    for body in (text, mail):
        assert "What to do: " in body and f"Owner: {_owner(j, oid)}" in body and link in body
    assert message["Subject"].startswith("[Alert] Microsoft Defender for Identity") and "What to do" not in \
        message["Subject"]
    assert token["value"] not in text + mail

    # Cleared: said as good news, not the problem's words again.
    _take_super_admin(sandbox_org, token["account"])
    j.clock.advance(DAY + 1)
    _tick(j)
    _deliver(j)
    raised, cleared = _texts(receiver)
    label = "The account has exactly Read-Only Administrator and the custom role on the resource set; no Super Admin"
    # What the check found wrong, e.g. the role given and its roles: the alert's title, then the item.
    found = raised.splitlines()[0].split(f"{sandbox_org.base_url}: ", 1)[1].split(f". Checklist item: {label}.")[0]
    assert found.startswith("Super Administrator is assigned to "), found
    assert cleared.splitlines()[0] == f"[Resolved] Microsoft Defender for Identity on {sandbox_org.base_url}: " \
                                      f"this check passes again: {label}."
    assert found not in cleared
    assert "What to do" not in cleared and link in cleared
    assert box.messages[1]["Subject"].startswith("[Resolved] Microsoft Defender for Identity")


def test_the_vendor_using_the_token_resolves_its_unused_alert_in_good_news(
        j: Journey, sandbox_org: SandboxOrg, receiver: Receiver) -> None:
    _oid, token = _unused_alert_raised(j, sandbox_org, receiver)
    raised = "\n".join(_texts(receiver))
    assert "What to do: Ask the vendor to check their Okta connection" in raised and "revoke the token" in raised
    assert tokens_domain.authenticate(sandbox_org, token["value"]) is not None
    _days(j, 1)
    _deliver(j)
    resolved = [text for text in _texts(receiver) if text.startswith("[Resolved]")]
    assert any("Okta shows the vendor used the service account's API token" in text for text in resolved)

"""QA walk 6: a service token that expired or was revoked is a dead connection, not a token about to
expire (H1); its expiry and unused alerts do not read as resolved when it is lost (H2); the Health
page says it was lost (M4)."""

from __future__ import annotations

import html
import json
import uuid

from okta_sandbox import SandboxOrg
from okta_sandbox.domain import tokens as tokens_domain
from okta_sandbox.domain import users as users_domain
from tests.page_journeys import Journey
from tests.watch.test_notifications import Receiver, _add_webhook, _deliver, receiver
from tests.watch.test_watch import DAY, _completed, _open_alerts, _tick

__all__ = ["receiver"]  # the fixture, used by name


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
    assert "The service account's API token expired on" in health
    _deliver(j)
    sent = "\n".join(_texts(receiver))
    assert "expired on" in sent
    assert "alert_cleared" not in [json.loads(r["body"])["event"] for r in receiver.received]


def test_a_revoked_token_does_not_resolve_its_unused_alert(j: Journey, sandbox_org: SandboxOrg,
                                                           receiver: Receiver) -> None:
    oid, token = _unused_alert_raised(j, sandbox_org, receiver)
    before = len(receiver.received)
    # Deactivating the service account revokes its tokens.
    users_domain.deactivate_user(sandbox_org, sandbox_org.users[token["account"]], actor=None)
    _days(j, 1)
    _deliver(j)
    new = _texts(receiver)[before:]
    assert any("no longer exists in Okta" in text for text in new)
    assert all(json.loads(sent["body"])["event"] == "alert_raised" for sent in receiver.received[before:]), new
    assert "token_unused" in {a.key for a in _open_alerts(j, oid)}
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
    assert all(json.loads(sent["body"])["event"] == "alert_raised" for sent in receiver.received[before:])
    assert "token_unused" in {a.key for a in _open_alerts(j, oid)}
    assert "Token revoked or expired in Okta" in _health(j)

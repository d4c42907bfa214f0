"""Review (twenty-eighth session), M1: an alert raised while the webhook's receiver was down waits
out its backoff; cleared in the meantime, its "[Resolved]" was due at once and reached the channel
first, an hour before the "[Alert]" it resolved (or alone, when the raising gave up). A clearing now
waits for its alert's raising to the same channel, and is given up with it."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from app.store.models import NotificationDelivery
from app.watch.notify import MAX_ATTEMPTS
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.watch.test_notifications import Receiver, _add_webhook, _deliver, receiver
from tests.watch.test_watch import _drifted, _rows, _take_super_admin

__all__ = ["receiver"]  # the fixture, used by name


def _events(receiver: Receiver) -> list[str]:
    return [json.loads(sent["body"])["event"] for sent in receiver.received]


def _cleared_while_the_raising_waits(j: Journey, sandbox_org: SandboxOrg, receiver: Receiver,
                                     failures: int) -> None:
    _add_webhook(j, receiver.url)
    receiver.statuses = [500] * failures
    oid, token = _drifted(j, sandbox_org)
    assert _deliver(j) == 0  # the receiver is down: the raising is tried again in 30 s
    _take_super_admin(sandbox_org, token["account"])
    j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/reverify"))  # mended, and re-verified at once
    j.wait_for_jobs()
    [cleared] = _rows(j, select(NotificationDelivery).where(NotificationDelivery.event == "cleared"))
    assert cleared.delivered_at is None


def test_a_clearing_goes_after_the_raising_it_resolves(j: Journey, sandbox_org: SandboxOrg,
                                                       receiver: Receiver) -> None:
    _cleared_while_the_raising_waits(j, sandbox_org, receiver, failures=1)
    assert _deliver(j) == 0  # the "[Resolved]" waits for the "[Alert]"
    assert _events(receiver) == ["alert_raised"]
    j.clock.advance(31)
    assert _deliver(j) == 2
    assert _events(receiver) == ["alert_raised", "alert_raised", "alert_cleared"]  # in turn
    assert _deliver(j) == 0


def test_a_clearing_is_given_up_with_the_raising(j: Journey, sandbox_org: SandboxOrg, receiver: Receiver) -> None:
    _cleared_while_the_raising_waits(j, sandbox_org, receiver, failures=MAX_ATTEMPTS)
    for _ in range(MAX_ATTEMPTS + 1):
        _deliver(j)
        j.clock.advance(timedelta(hours=7).total_seconds())
    assert _events(receiver) == ["alert_raised"] * MAX_ATTEMPTS  # never a "[Resolved]"
    [cleared] = _rows(j, select(NotificationDelivery).where(NotificationDelivery.event == "cleared"))
    assert cleared.delivered_at is None and cleared.attempts == MAX_ATTEMPTS
    assert cleared.last_error == "Not sent: the alert it resolves never got through to this channel."

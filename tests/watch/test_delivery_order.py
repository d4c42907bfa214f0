"""Review (twenty-eighth session), M1: an alert raised while the webhook's receiver was down waits
out its backoff; cleared in the meantime, its "[Resolved]" was due at once and reached the channel
first, an hour before the "[Alert]" it resolved (or alone, when the raising gave up). A clearing now
waits for its alert's raising to the same channel, and is given up with it."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from app.store.models import NotificationDelivery
from app.store.models.watch import MAX_ATTEMPTS
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.watch.test_notifications import (
    WEBHOOK_SECRET,
    Receiver,
    _add_webhook,
    _deliver,
    _settings_form,
    _words,
    receiver,
)
from tests.watch.test_reactivation import LINK_FORM, _deactivated
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
    page = _words(j.get("/settings").text)
    assert "not sent: the alert it resolves never got through to this channel" in page
    # The channel's row keeps the receiver's own answer (the clearing was never tried): it read
    # "Not sent: the alert it resolves never got through" as the channel's last failure.
    state = page.split("Last delivery failed", 1)[1].split("Recent deliveries", 1)[0]
    assert "answered 500" in state and "never got through" not in state


def test_a_stopping_server_sends_no_more_of_the_round(j: Journey, sandbox_org: SandboxOrg, receiver: Receiver) -> None:
    """Review (twenty-eighth session), M5: a round of up to twenty messages, each up to a timeout, was
    sent whole before a stopping server let its jobs end: the stop ends the round between two messages;
    what is left goes at the next start."""
    _add_webhook(j, receiver.url)
    _settings_form(j, "/settings/notifications/webhook", webhook_label="Second channel", webhook_url=receiver.url,
                   webhook_secret=WEBHOOK_SECRET)
    _drifted(j, sandbox_org)
    watch = j.state.watch
    assert watch is not None
    sent = j.run(lambda: watch.notifier.deliver_due(lambda: len(receiver.received) >= 1))
    assert sent == 1 and len(receiver.received) == 1
    assert _deliver(j) == 1 and len(receiver.received) == 2  # the rest, at the next round


def test_a_test_message_does_not_make_a_delivery_being_sent_due_again(j: Journey, sandbox_org: SandboxOrg,
                                                                      receiver: Receiver) -> None:
    """Review (twenty-eighth session), L5: a test message that got through made every delivery of its
    channel waiting for a retry due at once, the one another server was sending among them, which then
    went twice. One being sent is left to its server; one waiting for a retry goes at once."""
    _add_webhook(j, receiver.url)
    receiver.statuses = [500]
    _drifted(j, sandbox_org)
    assert _deliver(j) == 0  # failed once: waiting for its retry

    async def claimed_elsewhere() -> None:  # another server claims it, as _deliver's claim does
        async with j.state.db.session() as session:
            [delivery] = (await session.execute(select(NotificationDelivery))).scalars().all()
            delivery.next_attempt_at = delivery.sending_until = j.state.watch.notifier.now() + timedelta(minutes=5)

    j.run(claimed_elsewhere)
    page = j.submit(j.form(j.get("/settings").text, "/test", button="Send a test message to Security channel")).text
    assert "The test message reached" in page and "waiting for it" not in page
    assert _deliver(j) == 0 and len(receiver.received) == 2  # the failed try and the test: not sent twice


def test_each_message_of_a_round_is_claimed_at_its_own_moment(j: Journey, sandbox_org: SandboxOrg,
                                                              receiver: Receiver) -> None:
    """A round's messages were claimed with the round's first moment: a round of slow sends outlasted the
    five-minute lease, so a later message's claim was over as it was made, for another server to send it
    too (review of the session's change). Each is claimed, and stamped, when it is sent."""
    _add_webhook(j, receiver.url)
    _settings_form(j, "/settings/notifications/webhook", webhook_label="Second channel", webhook_url=receiver.url,
                   webhook_secret=WEBHOOK_SECRET)
    receiver.statuses = [200, 500]
    _drifted(j, sandbox_org)
    watch = j.state.watch
    assert watch is not None
    started = watch.notifier.now()
    asked: list[int] = []

    def slow_round() -> bool:  # each send of the round takes six minutes
        if asked:
            j.clock.advance(360)
        asked.append(1)
        return False

    assert j.run(lambda: watch.notifier.deliver_due(slow_round)) == 1
    [failed] = _rows(j, select(NotificationDelivery).where(NotificationDelivery.delivered_at.is_(None)))
    assert failed.last_attempt_at == started + timedelta(minutes=6)


def test_an_update_goes_after_the_alert_it_carries_on(j: Journey, sandbox_org: SandboxOrg,
                                                      receiver: Receiver) -> None:
    """The "[Update]" of an alert carried on by another (the account reactivated, its token still lost)
    went at once while the "[Alert]" it carries on waited out its backoff (review of the session's
    change, M3): it waits for it, as a "[Resolved]" does."""
    _add_webhook(j, receiver.url)
    receiver.statuses = [500]
    oid, user = _deactivated(j, sandbox_org)
    assert _deliver(j) == 0  # the account's alert: tried once, again in 30 s
    j.post_form(j.form(j.get(f"/onboardings/{oid}").text, LINK_FORM), {}, revealed=True)  # Reactivate
    sandbox_org.complete_activation(user.id)  # its person sets its password
    j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/reverify"))
    j.wait_for_jobs()
    assert _deliver(j) == 0  # the update waits for the alert it carries on
    assert _events(receiver) == ["alert_raised"]
    j.clock.advance(31)
    assert _deliver(j) == 2
    assert _events(receiver) == ["alert_raised", "alert_raised", "alert_continued"]


def test_a_test_message_brings_a_held_clearing_with_its_alert(j: Journey, sandbox_org: SandboxOrg,
                                                              receiver: Receiver) -> None:
    """A test message that got through made the waiting "[Alert]" due, but not the "[Resolved]" held behind
    it, which waited hours more (review of the session's change, L3)."""
    _cleared_while_the_raising_waits(j, sandbox_org, receiver, failures=1)
    assert _deliver(j) == 0
    page = j.submit(j.form(j.get("/settings").text, "/test", button="Send a test message to Security channel")).text
    assert "The test message reached" in page
    assert _deliver(j) == 2
    assert _events(receiver) == ["alert_raised", "test", "alert_raised", "alert_cleared"]

"""QA walk 18, M1: an onboarding undone (or closed) while the watch had an alert open on it. Nothing
watches it any more, so nothing cleared the alert: the list went on saying "1 alert open", and the
banner asked its owner to see it, while Health listed no watched onboarding. Its alerts close with
it, said so in the trail and the report, and no "[Resolved]" goes out (what they found was not mended)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.store.models import AuditEvent, NotificationDelivery
from app.store.models.watch import MAX_ATTEMPTS
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.watch.test_notifications import Receiver, _add_webhook, _deliver, _words, receiver
from tests.watch.test_watch import _drifted, _open_alerts, _rows

__all__ = ["receiver"]  # the fixture, used by name


def test_undo_closes_the_alerts_the_list_counted(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid, _token = _drifted(j, sandbox_org)
    listed = _words(j.get("/?view=all").text)
    assert "1 alert open" in listed and "has an open alert" in _words(j.get("/").text)
    deliveries = len(_rows(j, select(NotificationDelivery)))

    j.submit(j.form(j.get(f"/onboardings/{oid}/undo").text, "/undo"))
    j.wait_for_jobs()
    assert j.onboarding(oid).status == "undone" and _open_alerts(j, oid) == []
    listed = _words(j.get("/?view=all").text)
    assert "Undone not watched" in listed and "1 alert open" not in listed
    assert "has an open alert" not in _words(j.get("/").text)
    [closed] = _rows(j, select(AuditEvent).where(AuditEvent.action == "alert_closed"))
    assert closed.summary.startswith("1 open alert closed, the onboarding was undone: Super Administrator is assigned")
    assert len(_rows(j, select(NotificationDelivery))) == deliveries  # nothing announced as resolved
    # Its page: the record of what was, nothing to mend (it asked to fix an account undo had deleted,
    # and its sections read "2 of 2 done" as if all were still in Okta: QA walk 18, M2).
    page = _words(j.get(f"/onboardings/{oid}").text)
    assert "Undone since: these are its last verification's counts, kept for the record." in page
    assert "Drift that verification found: The account has exactly" in page
    assert "Remove what must not be there" not in page and "Verify again" not in page
    assert re.search(r"(\d) of \1 done before the undo", page) and not re.search(r"\d of \d done(?! before)", page)
    report = _words(j.get(f"/onboardings/{oid}/report").text)
    assert re.search(r"closed, the onboarding was undone, \d{4}-\d\d-\d\d \d\d:\d\d", report), report


def test_closing_closes_the_alerts_too(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid, _token = _drifted(j, sandbox_org)
    page = j.get(f"/onboardings/{oid}").text
    j.submit(j.form(page, "/close"), reason="Defender is no longer used here")
    assert j.onboarding(oid).status == "closed" and _open_alerts(j, oid) == []
    [closed] = _rows(j, select(AuditEvent).where(AuditEvent.action == "alert_closed"))
    assert closed.summary.startswith("1 open alert closed, the onboarding was closed: ")
    assert "1 alert open" not in _words(j.get("/?view=all").text)


def test_an_alert_left_open_by_an_onboarding_undone_before_is_not_counted(j: Journey, sandbox_org: SandboxOrg) -> None:
    """Undone before undo closed its alerts, an onboarding kept them open: the list and its banner
    count only the alerts of onboardings the watch looks after (review)."""
    from sqlalchemy import update

    from app.store.models import Alert

    oid, _token = _drifted(j, sandbox_org)
    j.submit(j.form(j.get(f"/onboardings/{oid}/undo").text, "/undo"))
    j.wait_for_jobs()

    async def as_before() -> None:  # as a server of before this change left it
        async with j.state.db.session() as session:
            await session.execute(update(Alert).where(Alert.onboarding_id == oid).values(cleared_at=None))
    j.run(as_before)
    assert len(_open_alerts(j, oid)) == 1
    listed = _words(j.get("/?view=all").text)
    assert "Undone not watched" in listed and "1 alert open" not in listed
    assert "has an open alert" not in _words(j.get("/").text)
    assert f"/onboardings/{oid}" not in j.get("/?view=all&health=alerting").text


def test_an_onboarding_is_not_closed_while_a_run_works_and_the_reason_is_kept(
        j: Journey, sandbox_org: SandboxOrg) -> None:
    """A run ending just after a close could raise an alert on the closed onboarding (review)."""
    from datetime import timedelta

    from app.store.base import utcnow
    from app.store.models import Job
    from app.store.statuses import JobState

    oid, _token = _drifted(j, sandbox_org)
    form = j.form(j.get(f"/onboardings/{oid}").text, "/close")

    async def run_under_way() -> None:
        async with j.state.db.session() as session:
            session.add(Job(onboarding_id=oid, kind="reverify", state=JobState.running, started_at=utcnow(),
                            created_at=utcnow() + timedelta(seconds=1), progress={}))
    j.run(run_under_way)
    refused = j.submit(form, reason="Defender is no longer used here")
    said = _words(refused.text)
    assert refused.status_code == 400 and "The onboarding was not closed." in said
    assert "A run is working in Okta on this onboarding: close it once the run has stopped" in said
    assert 'value="Defender is no longer used here"' in refused.text
    assert j.onboarding(oid).status == "completed" and len(_open_alerts(j, oid)) == 1


def test_an_alert_not_sent_yet_is_not_sent_after_the_undo(j: Journey, sandbox_org: SandboxOrg,
                                                          receiver: Receiver) -> None:
    """Review (twenty-eighth session), L3: an "[Alert]" waiting for a receiver that was down went out
    after its onboarding was undone, asking people to mend what nothing watches any more."""
    _add_webhook(j, receiver.url)
    receiver.statuses = [500]
    oid, _token = _drifted(j, sandbox_org)
    assert _deliver(j) == 0 and len(receiver.received) == 1  # tried once, to be tried again
    j.submit(j.form(j.get(f"/onboardings/{oid}/undo").text, "/undo"))
    j.wait_for_jobs()
    assert j.onboarding(oid).status == "undone"
    j.clock.advance(3600)
    assert _deliver(j) == 0 and len(receiver.received) == 1
    # Kept, with its failed try: the receiver is still down, so the channel still reads as failing
    # (it read as working once the message was deleted: review, twenty-eighth session, L1), and the
    # message is neither waiting nor given up, but not sent, and why.
    settings = _words(j.get("/settings").text)
    state = settings.split("Last delivery failed", 1)[1].split("Recent deliveries", 1)[0]
    assert "answered 500" in state and "waiting" not in state and "given up" not in state
    assert "not sent: the onboarding was undone (its last try" in settings
    assert "Alerts are not getting out" in j.get("/health").text


def test_the_onboarding_page_says_its_alerts_are_not_getting_out(j: Journey, sandbox_org: SandboxOrg,
                                                                 receiver: Receiver) -> None:
    """QA walk 20, M4: the owner's page said "Alerts go to: Security channel (webhook)." while every
    delivery there failed; only Health and Settings said the alerts were not getting out."""
    _add_webhook(j, receiver.url)
    receiver.statuses = [500]
    oid, _token = _drifted(j, sandbox_org)
    assert _deliver(j) == 0
    assert ("Alerts go to: Security channel (webhook). Alerts are not getting out to Security channel: its last "
            "delivery failed (Settings › Notifications says why).") in _words(j.get(f"/onboardings/{oid}").text)


def test_an_alert_given_up_before_the_undo_is_not_counted_after(j: Journey, sandbox_org: SandboxOrg,
                                                                receiver: Receiver) -> None:
    """Review of this session's change, L1: only the deliveries still tried were marked not sent; one
    given up before the onboarding was undone still read "1 alert given up" on Settings and Health."""
    _add_webhook(j, receiver.url)
    receiver.statuses = [500] * MAX_ATTEMPTS
    oid, _token = _drifted(j, sandbox_org)
    for _ in range(MAX_ATTEMPTS):
        _deliver(j)
        j.clock.advance(7 * 3600)
    assert "1 alert given up" in _words(j.get("/health").text)
    j.submit(j.form(j.get(f"/onboardings/{oid}/undo").text, "/undo"))
    j.wait_for_jobs()
    assert "given up" not in _words(j.get("/health").text)
    settings = _words(j.get("/settings").text)
    state = settings.split("Last delivery failed", 1)[1].split("Recent deliveries", 1)[0]
    assert "answered 500" in state and "given up" not in state


def test_a_message_withdrawn_while_it_was_being_sent_keeps_its_try_and_is_not_sent_again(
        j: Journey, sandbox_org: SandboxOrg, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """The onboarding undone while its "[Alert]" was on its way to a receiver that then failed: the
    failed try is still the channel's (Settings says why), and the message is not tried again."""
    from datetime import UTC, datetime

    from app.store.repositories.watch import end_alerts

    _add_webhook(j, receiver.url)
    receiver.statuses = [500]
    oid, _token = _drifted(j, sandbox_org)
    notifier = j.state.watch.notifier if j.state.watch is not None else None
    assert notifier is not None
    sending = notifier.send

    async def undone_meanwhile(*args: Any, **kwargs: Any) -> str | None:
        said = await sending(*args, **kwargs)
        async with j.state.db.session() as session:  # as the undo does, while the message is out
            await end_alerts(session, oid, datetime.fromtimestamp(j.clock.now(), UTC), "the onboarding was undone")
        return said
    monkeypatch.setattr(notifier, "send", undone_meanwhile)
    assert _deliver(j) == 0 and len(receiver.received) == 1
    [delivery] = _rows(j, select(NotificationDelivery).where(NotificationDelivery.event == "raised"))
    assert delivery.attempts == MAX_ATTEMPTS and delivery.last_attempt_at is not None
    assert "answered 500" in (delivery.last_error or "") and delivery.not_sent == "the onboarding was undone"
    j.clock.advance(7 * 3600)
    assert _deliver(j) == 0 and len(receiver.received) == 1  # not tried again
    settings = _words(j.get("/settings").text)
    state = settings.split("Last delivery failed", 1)[1].split("Recent deliveries", 1)[0]
    assert "answered 500" in state and "waiting" not in state and "given up" not in state

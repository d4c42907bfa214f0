"""A test message to one notification channel, sent while the administrator waits: it raises no
alert and queues no delivery, goes the same way an alert's message goes (the same address checks,
signature and SMTP steps) with a short time limit, and answers in the words a failed delivery is
kept in. A channel with a wrong host or a closed port was accepted and found broken only after a
real alert had failed (QA walk 13, M4).

Once a test gets through, the channel's alerts still waiting for a retry are made due now: the
watch sends them at its next look instead of after their pause. The channel keeps its last test
(when, and why it failed), which its row under Settings shows; every test is in the audit trail,
with its outcome and words (never a secret).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common.moments import stamp
from app.store.models import NotificationChannel, NotificationDelivery
from app.store.models.watch import MAX_ATTEMPTS
from app.store.statuses import Outcome
from app.watch.channels import kind_words
from app.watch.notify import Notifier, sealed_of

# Each connection's time limit: the administrator waits for the answer (a delivery has 10 s).
TEST_SECONDS = 5.0
# The whole test's, SMTP's several steps included.
TEST_TOTAL_SECONDS = 15.0


@dataclass(frozen=True)
class Trial:
    channel: NotificationChannel
    failure: str | None  # None: it got through
    resent: int = 0  # the channel's waiting alerts made due now


def trial_message(actor: Actor, now: datetime, public_url: str) -> dict[str, Any]:
    """The message: it says it is a test, who sent it and that nothing needs doing. A receiver tells
    it from an alert by its ``event``, "test"."""
    headline = "[Test] The Okta onboarding wizard's alerts reach this channel"
    text = "\n".join([headline, "", f"Sent by {actor.name} from Settings › Notifications on {stamp(now)}, to try "
                      "this channel. No alert was raised; nothing needs doing.",
                      f"Every watched onboarding: {public_url.rstrip('/')}/health"])
    return {"event": "test", "headline": headline, "subject": headline, "text": text, "alert": None,
            "onboarding": None}


async def send_test(session: AsyncSession, notifier: Notifier, channel_id: uuid.UUID, actor: Actor,
                    *, public_url: str) -> Trial | None:
    """Send a test message to the channel (None: no such channel, or removed) and record it."""
    channel = await session.get(NotificationChannel, channel_id)
    if channel is None or channel.removed_at is not None:
        return None
    sealed = await sealed_of(session, notifier.vault, channel)
    now = notifier.now()
    try:
        failure = await asyncio.wait_for(
            notifier.send(channel, trial_message(actor, now, public_url), sealed, now, to=None, seconds=TEST_SECONDS),
            TEST_TOTAL_SECONDS)
    except TimeoutError:
        failure = (f"No answer within {TEST_TOTAL_SECONDS:g} seconds: the server was reached but did not finish; "
                   "if it goes on, look at its own log.")
    resent = 0
    if failure is None:
        made_due = await session.execute(update(NotificationDelivery).where(
            NotificationDelivery.channel_id == channel.id, NotificationDelivery.delivered_at.is_(None),
            # Waiting for a retry, or held behind one (a "[Resolved]" behind its "[Alert]", never tried).
            NotificationDelivery.attempts < MAX_ATTEMPTS,
            NotificationDelivery.next_attempt_at > now,
            # Not one a server is sending now: it would go twice (review, L5).
            or_(NotificationDelivery.sending_until.is_(None), NotificationDelivery.sending_until <= now))
            .values(next_attempt_at=now))
        resent = getattr(made_due, "rowcount", 0) or 0
    channel.tested_at, channel.test_failure = now, failure  # the channel's row says so (QA M6)
    await record(session, action="notification_channel_test", actor=actor, subject_type="notification_channel",
                 subject_id=str(channel.id), outcome=Outcome.ok if failure is None else Outcome.failed,
                 summary=f"Notifications: test message to {kind_words(channel.kind)} “{channel.label}” "
                         + ("got through" if failure is None else f"did not get through: {failure}"))
    return Trial(channel, failure, resent)

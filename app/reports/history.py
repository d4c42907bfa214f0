"""What happened to an onboarding besides its plan, for the audit report and the JSON record: the
changes a person asked the wizard to make in Okta from the onboarding's page (Reactivate the
service account, Set the token to Any IP, Generate a test event), each with who, when and the Okta
call that made it; and when it was last completed. Both left the report: a reactivation, an Okta
write the product made, was a line of the timeline only, without its call; and the report said the
first completion of an onboarding completed again since."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.browse import who
from app.engine.base import COMPLETED
from app.store.models import AuditEvent

# The trail's actions of the Okta changes made at a person's request outside the plan (a button on
# the onboarding's page). The plan's own changes are its actions, which the report lists apart.
OUTSIDE_PLAN = ("service_account_reactivate", "token_network_fix", "test_event")
READ = "GET"


@dataclass(frozen=True)
class OktaChange:
    at: datetime
    by: str  # as the timeline names people: the username
    summary: str  # the trail's words
    calls: tuple[str, ...]  # the Okta calls that changed something, as the trail has them ("POST /api/v1/... → 200")


async def _writes_before(session: AsyncSession, event: AuditEvent) -> tuple[str, ...]:
    """The Okta calls that changed something (not reads) made by the person of ``event`` for its
    onboarding since their previous action on it: the gateway records each call before the action's
    own event, so the calls of a button press lie between the two."""
    previous = (await session.execute(
        select(func.max(AuditEvent.seq)).where(
            AuditEvent.onboarding_id == event.onboarding_id, AuditEvent.category == "operator",
            AuditEvent.actor_id == event.actor_id, AuditEvent.seq < event.seq))).scalar_one()
    calls = (await session.execute(
        select(AuditEvent).where(
            AuditEvent.onboarding_id == event.onboarding_id, AuditEvent.category == "okta",
            AuditEvent.actor_id == event.actor_id, AuditEvent.seq < event.seq, AuditEvent.seq > (previous or 0))
        .order_by(AuditEvent.seq))).scalars()
    return tuple(call.summary for call in calls if (call.details or {}).get("method") != READ)


async def okta_changes(session: AsyncSession, onboarding_id: uuid.UUID) -> list[OktaChange]:
    """Each change made in Okta at a person's request outside the plan, oldest first (a handful at
    most: one query for them and two for the calls of each)."""
    events = (await session.execute(
        select(AuditEvent).where(AuditEvent.onboarding_id == onboarding_id, AuditEvent.category == "operator",
                                 AuditEvent.action.in_(OUTSIDE_PLAN))
        .order_by(AuditEvent.seq))).scalars().all()
    return [OktaChange(at=event.occurred_at, by=who(event), summary=event.summary,
                       calls=await _writes_before(session, event)) for event in events]


async def completed_again_at(session: AsyncSession, onboarding_id: uuid.UUID) -> datetime | None:
    """When the onboarding was last completed, if it was completed again after its first completion
    (the row's ``completed_at`` keeps the first): None when it was completed once, or not yet."""
    events = (await session.execute(
        select(AuditEvent).where(AuditEvent.onboarding_id == onboarding_id, AuditEvent.action == COMPLETED)
        .order_by(AuditEvent.seq.desc()))).scalars()
    return next((event.occurred_at for event in events if (event.details or {}).get("first_completed_at")), None)

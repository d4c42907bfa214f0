"""Handing an onboarding to a colleague (or to the help-desk queue), taking it from the queue,
acknowledging the handoff by reading its summary, and who may act on an onboarding at all.

Operators act on the onboardings assigned to them; administrators on any; auditors on none. A
queued onboarding is taken first. Kept secrets are revealed only to the current assignee."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common.text import counted
from app.common.validation import Fields, ValidationFailed
from app.engine.undo import ended_alerts
from app.onboardings.notes import written
from app.playbooks.tasks import TOKEN_VERIFIED
from app.store.base import utcnow
from app.store.models import Handoff, OktaConnection, Onboarding, Operator, OperatorRole
from app.store.repositories.operators import OperatorRepository
from app.store.repositories.progress import active_job, add_handoff, destroy_kept_secrets, latest_handoff
from app.store.repositories.state import assign, set_status, touch
from app.store.statuses import OnboardingStatus, StepState
from app.vault import Vault

if TYPE_CHECKING:
    from app.onboardings.view import OnboardingView

QUEUE = "queue"


class NotYours(Exception):
    """The operator may see this onboarding but not act on it; the message says who can."""


def may_act(onboarding: Onboarding, operator_id: uuid.UUID, role: str) -> bool:
    if role == OperatorRole.ADMIN.value:
        return True
    if role != OperatorRole.OPERATOR.value:
        return False
    return onboarding.assignee_id == operator_id


def require_act(onboarding: Onboarding, operator_id: uuid.UUID, role: str, assignee_name: str | None) -> None:
    if may_act(onboarding, operator_id, role):
        return
    if onboarding.assignee_id is None:
        raise NotYours("This onboarding is in the help-desk queue: take it first.")
    raise NotYours(f"This onboarding is assigned to {assignee_name or 'someone else'}; ask them or an administrator "
                   "to hand it to you.")


def may_use_credential(connection: OktaConnection, operator_id: uuid.UUID) -> bool:
    """Whether this operator may call Okta with the connection's stored credential."""
    return connection.shareable or connection.created_by_id == operator_id


@dataclass(frozen=True)
class HandoffRequest:
    to: str  # an operator's id, or QUEUE for the help-desk queue
    note: str  # what is done and what waits: the next person starts from it


@dataclass(frozen=True)
class CloseRequest:
    reason: str


@dataclass(frozen=True)
class HandedOff:
    to: Operator | None  # None: the help-desk queue
    masked: tuple[str, ...]  # what was masked in the note, in words (app/onboardings/notes.py)


async def hand_off(session: AsyncSession, onboarding: Onboarding, request: HandoffRequest, actor: Actor
                   ) -> HandedOff:
    form = Fields.of(request)
    target = form.text("to", label="Colleague", max_length=64, missing="Choose a colleague or the help-desk queue.")
    # Read by the colleague, the summary, the report and its exports: a token pasted in it is not kept.
    note = written(form, "note", label="Note", max_length=4000, min_length=10, multiline=True,
                   missing="Write what is done and what is waiting: the next person starts from your note.")
    to_operator: Operator | None = None
    if target and "to" not in form.errors and target != QUEUE:
        try:
            to_operator = await OperatorRepository(session).get(uuid.UUID(target))
        except ValueError:
            to_operator = None
        if to_operator is None or not to_operator.is_active or to_operator.role == OperatorRole.AUDITOR.value:
            form.errors["to"] = "Choose an active operator or administrator from the list."
        elif to_operator.id == onboarding.assignee_id:
            form.errors["to"] = "The onboarding is already assigned to this person."
    form.raise_if_invalid("The onboarding was not handed off.")
    assert actor.id is not None
    handoff = Handoff(onboarding_id=onboarding.id, from_operator_id=actor.id,
                      to_operator_id=to_operator.id if to_operator else None, note=note.text)
    await add_handoff(session, handoff)
    await assign(session, onboarding, to_operator.id if to_operator else None)
    where = to_operator.display_name if to_operator else "the help-desk queue"
    await record(session, action="handoff", actor=actor, onboarding_id=onboarding.id, subject_type="onboarding",
                 subject_id=str(onboarding.id), summary=f"Handed off to {where}",
                 details={"to": str(to_operator.id) if to_operator else QUEUE, "note": note.text})
    return HandedOff(to_operator, note.masked)


async def take(session: AsyncSession, onboarding: Onboarding, actor: Actor, role: str) -> None:
    """Take an onboarding from the help-desk queue. Only from the queue, an administrator's too: an
    administrator's Take it on a page drawn before a colleague took it moved it from them, and
    nobody was told (QA walk 17, M1); an administrator who means to move it hands it on, with a note.
    The trail keeps where it was taken from (M2)."""
    if role == OperatorRole.AUDITOR.value:
        raise NotYours("Auditors do not take onboardings.")
    if onboarding.assignee_id == actor.id:
        return  # a second press: it is theirs already
    holder = None
    if onboarding.assignee_id is not None:
        holder = await OperatorRepository(session).get(onboarding.assignee_id)
        # Theirs who can no longer act on it (disabled, an auditor now) waits in the queue (QA walk 24, M2).
        if holder is None or holder.holds_work:
            name = holder.display_name if holder is not None else "A colleague"
            raise NotYours(f"Only onboardings in the help-desk queue can be taken: {name} has this one now. "
                           + ("To move it, hand it on from its page, with a note." if role == OperatorRole.ADMIN.value
                              else "They, or an administrator, can hand it on."))
    await assign(session, onboarding, actor.id)
    left = f" (left by {holder.display_name}, {holder.why_not_holding})" if holder is not None else ""
    await record(session, action="take", actor=actor, onboarding_id=onboarding.id, subject_type="onboarding",
                 subject_id=str(onboarding.id),
                 summary=f"{actor.name} took the onboarding from the help-desk queue{left}",
                 details={"from": str(holder.id) if holder is not None else QUEUE})


async def acknowledge(session: AsyncSession, onboarding: Onboarding, actor: Actor) -> None:
    latest = await latest_handoff(session, onboarding.id)
    if latest is None or latest.acknowledged_at is not None:
        return
    if latest.to_operator_id not in (None, actor.id):
        return
    latest.acknowledged_at = utcnow()
    latest.acknowledged_by_id = actor.id
    await touch(session, onboarding.id, activity=False)
    await record(session, action="handoff_read", actor=actor, onboarding_id=onboarding.id,
                 subject_type="handoff", subject_id=str(latest.id), summary="Handoff summary read")


@dataclass(frozen=True)
class Closed:
    masked: tuple[str, ...]  # what was masked in the reason, in words
    destroyed: int  # how many kept secrets closing destroyed

    @property
    def said(self) -> str:
        """What the person is told: what closing destroyed, not a claim it destroyed what was not kept."""
        if not self.destroyed:
            return "Onboarding closed; it kept no secret to destroy."
        return f"Onboarding closed; {counted(self.destroyed, 'kept secret')} destroyed."


async def close(session: AsyncSession, vault: Vault, onboarding: Onboarding, request: CloseRequest,
                actor: Actor) -> Closed:
    """Close the onboarding for the reason given."""
    form = Fields.of(request)
    given = written(form, "reason", label="Reason", max_length=1000, multiline=True,
                    missing="Say why the onboarding is closed (for the audit report).")
    if await active_job(session, onboarding.id) is not None:
        # A run ending after the close raised an alert on the closed onboarding (review).
        form.errors.setdefault("reason", "A run is working in Okta on this onboarding: close it once the run has "
                                         "stopped (your reason is kept here).")
    form.raise_if_invalid("The onboarding was not closed.")
    reason = given.text
    destroyed = await destroy_kept_secrets(session, vault, onboarding.id)
    await set_status(session, onboarding.id, OnboardingStatus.closed, note=f"Closed: {reason}")
    await ended_alerts(session, onboarding.id, actor, "the onboarding was closed")
    await record(session, action="close", actor=actor, onboarding_id=onboarding.id, subject_type="onboarding",
                 subject_id=str(onboarding.id),
                 summary=f"Onboarding closed ({reason})"
                 + (f"; {counted(destroyed, 'kept secret')} destroyed" if destroyed else ""))
    return Closed(given.masked, destroyed)


async def switch_connection(session: AsyncSession, onboarding: Onboarding, connection_id: str,
                            actor: Actor) -> OktaConnection:
    """Resume with one's own credential for the same org (or another connection to it, once the one
    it used was retired)."""
    try:
        connection = await session.get(OktaConnection, uuid.UUID(connection_id))
    except ValueError:
        connection = None
    if connection is None or connection.retired_at is not None:
        raise ValidationFailed({"connection": "Choose one of your Okta connections."})
    if connection.refused:
        raise ValidationFailed({"connection": f"Okta did not accept the token of “{connection.label}” when last asked: "
                                              "renew it in Okta connections, or choose another."})
    if connection.org_origin != onboarding.org_origin:
        raise ValidationFailed({"connection": "That connection is for another Okta org."})
    if not may_use_credential(connection, actor.id or uuid.UUID(int=0)):
        raise ValidationFailed({"connection": "That credential belongs to someone else and may not be reused."})
    await touch(session, onboarding.id, activity=False, connection_id=connection.id)
    await record(session, action="connection_switch", actor=actor, onboarding_id=onboarding.id,
                 subject_type="okta_connection", subject_id=str(connection.id),
                 summary=f"Continuing with the credential of connection “{connection.label}”")
    return connection


def token_to_pass_on(view: OnboardingView) -> list[str]:
    """The steps still to do that need the service account's token (Oort's step 3 pastes it in
    Oort), which a person copied when they made it and the wizard never keeps: once it is verified,
    whoever takes the onboarding over needs it from whoever made it. The handoff form and the
    summary the taker reads say so (a QA walk: nothing did)."""
    facts = view.loaded.scope.facts
    if not facts.get(TOKEN_VERIFIED) or view.onboarding.status == OnboardingStatus.completed:
        return []
    # A step only to read is done once a later step of its section is (Oort's 4.2, "saved in Oort").
    return [f"step {sv.step.number} ({row.label})" for _section, steps in view.sections for i, sv in enumerate(steps)
            if sv.state != StepState.done and sv.step.task is not None
            and not any(later.tracked and later.state == StepState.done for later in steps[i + 1:])
            for row in sv.step.task.paste if row.copied_token]

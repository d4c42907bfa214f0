"""The onboarding's record as the JSON export says it before its events: what the audit report
(`data.py`) shows, as data. The export held the checklist alone, while the README promised the
record the PDF holds (QA walk 13, M5): the values given, every plan confirmed with each action
beside the plan line it was applied under and what applying did, the attestations given and
withdrawn, and the hand-offs with their notes; each plan with its lines (it said how many), the
changes made in Okta outside the plan (a reactivation of the service account) with their calls, and
the latest completion beside the first. Built from the report's own pieces (the checklist's items,
``applied_actions``, ``given_values``, the timeline's lines, ``history``), never a model of its own; and
without the report's audit-chain check, which reads every event of the chain's stretch (the events
follow, streamed, for a tool to check)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.playbooks.loader import PlaybookLibrary
from app.reports.checklist import ChecklistOnly, build_checklist
from app.reports.data import ActionRow, ConfirmedPlan, applied_actions
from app.reports.exports import checklist_rows
from app.reports.history import OktaChange, completed_again_at, okta_changes
from app.reports.timeline import TimelineEntry, timeline_of
from app.reports.values import GivenValue, given_values
from app.store.models import AuditEvent
from app.store.repositories.operators import OperatorRepository
from app.vault.redaction import REDACTOR

# The timeline's lines the record lists apart: a person's word on an item, and its withdrawal; a
# hand-off, and a take from the help-desk queue (left out, the record could not say who held the
# onboarding when: QA walk 17, M2).
ATTESTATION_ACTIONS = ("attest", "attestation_withdrawn")
HANDOFF_ACTIONS = ("handoff", "take")


def _value(value: GivenValue) -> dict[str, Any]:
    # "given", as the report's column: a key named "value" is masked by the redactor (Okta's
    # credentials.password.value), and no given value is a secret.
    return {"step": value.step, "label": value.label, "given": value.value, "default": value.default}


def _plan_line(line: dict[str, Any]) -> dict[str, Any]:
    """A line of a plan as the onboarding's page showed it when it was confirmed: its step, its
    verdict, what it would do (on which object) and the Okta calls it named."""
    return {"step": line.get("step_title"), "verdict": line.get("verdict"), "what": line.get("summary"),
            "object_type": line.get("object_type"), "object_id": line.get("object_id"), "detail": line.get("detail"),
            "okta_calls": list(line.get("calls") or [])}


def _plan(plan: ConfirmedPlan) -> dict[str, Any]:
    """A plan confirmed, with its lines (the record carried only how many there were)."""
    return {"number": plan.number, "confirmed_at": plan.confirmed_at.isoformat(), "confirmed_by": plan.confirmed_by,
            "lines": [_plan_line(line) for line in plan.lines], "applied_differently": plan.differences}


def _change(change: OktaChange) -> dict[str, Any]:
    return {"at": change.at.isoformat(), "by": change.by, "summary": change.summary, "okta_calls": list(change.calls)}


def _action(action: ActionRow) -> dict[str, Any]:
    """An action beside its plan line, as the report's table: ``planned`` is the plan's verdict (None:
    not in it), ``as_planned`` whether applying did what it said (None: not applied, or undone)."""
    return {"step": action.step, "action": action.summary, "object_type": action.object_type,
            "object_id": action.object_id, "plan": action.plan_number, "planned": action.planned,
            "as_planned": action.as_planned, "outcome": action.outcome_words}


def _line(entry: TimelineEntry) -> dict[str, Any]:
    line: dict[str, Any] = {"at": entry.at.isoformat(), "by": entry.actor, "action": entry.action,
                            "summary": entry.summary}
    if entry.action in HANDOFF_ACTIONS:
        line["note"] = entry.note if entry.action == "handoff" else None  # a take has no note
    return line


async def people_lines(session: AsyncSession, onboarding_id: uuid.UUID) -> list[TimelineEntry]:
    """The timeline's attestations, withdrawals and hand-offs, oldest first, as the report's
    timeline says them (a hand-off with its note)."""
    events = (await session.execute(
        select(AuditEvent).where(AuditEvent.onboarding_id == onboarding_id, AuditEvent.category == "operator",
                                 AuditEvent.action.in_((*ATTESTATION_ACTIONS, *HANDOFF_ACTIONS)))
        .order_by(AuditEvent.seq))).scalars().all()
    return timeline_of(events, [])


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def report_header(checklist: ChecklistOnly, exported_by: str, actions: list[ActionRow], plans: list[ConfirmedPlan],
                  people: list[TimelineEntry], changes: list[OktaChange],
                  completed_again: datetime | None) -> dict[str, Any]:
    """What the JSON export says before its events: the onboarding, its checklist as checked, and
    the rest of the report's record. Times are ISO 8601 instants (data, for a tool); the words are
    the report's. Redacted as every export is, though none of it is a secret by design.
    ``completed_at`` is the latest completion, as the report says it; ``first_completed_at`` the first."""
    onboarding, run = checklist.loaded.onboarding, checklist.last_run
    header: dict[str, Any] = REDACTOR.data({
        "onboarding": str(onboarding.id), "vendor": checklist.loaded.playbook.name,
        "document": checklist.loaded.playbook.document_title, "org": onboarding.org_origin,
        "status": onboarding.status,
        "completed_at": _iso(completed_again or onboarding.completed_at),
        "first_completed_at": _iso(onboarding.completed_at),
        "verified_at": _iso(run.finished_at if run is not None else None), "exported_by": exported_by,
        "checklist": checklist_rows(checklist),
        "values_given": [_value(value) for value in given_values(checklist.loaded)],
        "plans": [_plan(plan) for plan in plans],
        "actions": [_action(action) for action in actions],
        "okta_changes_outside_plan": [_change(change) for change in changes],
        "attestations": [_line(entry) for entry in people if entry.action in ATTESTATION_ACTIONS],
        "handoffs": [_line(entry) for entry in people if entry.action in HANDOFF_ACTIONS]})
    return header


async def build_header(session: AsyncSession, library: PlaybookLibrary, onboarding_id: uuid.UUID,
                       exported_by: str) -> dict[str, Any]:
    """The JSON export's header for ``onboarding_id``, read in a few queries."""
    checklist = await build_checklist(session, library, onboarding_id)
    names = await OperatorRepository(session).display_names()
    actions, plans = await applied_actions(session, checklist.loaded, names)
    return report_header(checklist, exported_by, actions, plans, await people_lines(session, onboarding_id),
                         await okta_changes(session, onboarding_id), await completed_again_at(session, onboarding_id))

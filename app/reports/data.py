"""What an audit report holds, gathered once and shared by the page and the PDF: the vendor and
document, the org, the checklist with every item's result and evidence (what was found, in words;
which Okta objects, by their type and name with their ids beside; who attested and when), the
timeline with handoffs, and the verification of the audit chain over the stretch that holds this
onboarding's events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.chain import ChainReport, verify_range
from app.common.text import counted
from app.engine.runtime import Loaded, load
from app.playbooks.loader import PlaybookLibrary
from app.reports.checklist import (
    ChecklistItem,
    ItemKind,
    checklist_items,
    count_line,
)
from app.reports.history import OktaChange, completed_again_at, okta_changes
from app.reports.timeline import TimelineEntry, rate_limit_waits, timeline_of
from app.reports.values import GivenValue, given_values
from app.store.base import utcnow
from app.store.models import AuditEvent, OnboardingAction, OnboardingPlan
from app.store.repositories.operators import OperatorRepository
from app.store.repositories.plans import confirmed_plans
from app.store.repositories.progress import handoffs_of, latest_results, runs_of_kind
from app.store.repositories.watch import alerts_of
from app.store.statuses import (
    ONBOARDING_WORDS,
    ActionOutcome,
    ActionState,
    OnboardingStatus,
    Outcome,
    Verdict,
    applied_words,
)
from app.watch.health import Evidence, evidence_for


@dataclass
class ActionRow:
    step: str
    summary: str
    object_type: str | None
    object_id: str | None
    outcome: str | None
    created_by_us: bool
    state: str
    planned: str | None = None  # the confirmed plan's verdict for this action (None: not in it)
    as_planned: bool | None = None  # applied as the confirmed plan said; None: not applied (yet)
    plan_number: int | None = None  # which confirmed plan it is compared with (1: the first)

    @property
    def outcome_words(self) -> str:
        """The Outcome column: what applying did, and whether this onboarding made the object when
        that is not already said ("created (created here)" said it twice)."""
        return applied_words(self.outcome or self.state, self.created_by_us)


@dataclass
class ConfirmedPlan:
    confirmed_at: datetime
    confirmed_by: str
    items: int
    differences: int = 0
    number: int = 1  # in the order they were confirmed
    lines: list[dict[str, Any]] = field(default_factory=list)  # the plan's lines, as it was made


# What applying may do for each verdict of the plan, for the action to count as applied as confirmed.
AS_PLANNED: dict[str, set[str]] = {
    Verdict.create: {ActionOutcome.created}, Verdict.adopt: {ActionOutcome.adopted, ActionOutcome.unchanged},
    Verdict.unchanged: {ActionOutcome.unchanged, ActionOutcome.adopted}, Verdict.change: {ActionOutcome.changed},
    Verdict.remove: {ActionOutcome.removed},
    Verdict.deferred: {ActionOutcome.created, ActionOutcome.adopted, ActionOutcome.unchanged, ActionOutcome.changed}}


def compare_with_plan(row: OnboardingAction, item: dict[str, Any] | None, confirmed_at: datetime) -> bool | None:
    """Whether ``row`` was applied as the confirmed plan's ``item`` said (None: not applied, or undone)."""
    if item is None:
        return False if row.state == ActionState.done and row.updated_at > confirmed_at else None
    if row.state != ActionState.done:
        return None
    if row.updated_at <= confirmed_at:  # done before this plan, which found it so ("done earlier")
        return item.get("verdict") == Verdict.unchanged
    return row.outcome in AS_PLANNED.get(str(item.get("verdict")), set())


def _applied_under(row: OnboardingAction, plans: list[OnboardingPlan]) -> tuple[int, OnboardingPlan | None]:
    """The plan ``row`` is judged by, numbered from 1: the last one confirmed before it was applied (a
    later plan found it done); while it is not applied, the plan confirmed last."""
    if not plans:
        return 0, None
    if row.state == ActionState.done:
        for number in range(len(plans), 0, -1):
            confirmed_at = plans[number - 1].confirmed_at
            if confirmed_at is not None and confirmed_at <= row.updated_at:
                return number, plans[number - 1]
    return len(plans), plans[-1]


@dataclass
class WatchEntry:
    """An alert the watch raised on this onboarding after completion, and when it cleared."""

    kind: str
    summary: str
    raised_at: datetime
    cleared_at: datetime | None
    superseded: bool = False  # closed because a later alert speaks for it (a lost token), not resolved
    ended: str = ""  # closed because the onboarding ended ("the onboarding was undone"), not resolved

    @property
    def closed_words(self) -> str:
        """Why it closed without being resolved, before its time ("" when it was resolved)."""
        return "superseded by a later alert, " if self.superseded else f"closed, {self.ended}, " if self.ended else ""


@dataclass
class Report:
    onboarding_id: uuid.UUID
    vendor: str
    vendor_company: str
    document: str
    document_title: str
    org: str
    org_id: str
    status: str
    status_note: str | None
    started_at: datetime
    completed_at: datetime | None  # the latest completion
    created_by: str
    assignee: str
    verified_at: datetime | None
    checklist: list[ChecklistItem]
    actions: list[ActionRow]
    plans: list[ConfirmedPlan]  # every plan confirmed, the first first, with the actions applied otherwise
    timeline: list[TimelineEntry]
    okta_calls: int
    operators: list[str]
    chain: ChainReport
    chain_range: tuple[int, int] | None
    own_events: int = 0  # this onboarding's events in ``chain_range`` (the others are other work's)
    exports: int = 0  # of those, the downloads of its record (the report's PDF, CSV and JSON)
    watch_runs: int = 0  # runs of the checklist the watch made after completion
    watch: list[WatchEntry] = field(default_factory=list)
    generated_at: datetime = field(default_factory=utcnow)
    generated_by: str = ""
    values: list[GivenValue] = field(default_factory=list)
    # Once completed: what Okta shows of the vendor's use, beside the person's word that it connected.
    vendor_use: Evidence | None = None
    first_completed_at: datetime | None = None  # when it was completed again since: its first completion
    okta_changes: list[OktaChange] = field(default_factory=list)  # made in Okta at a person's request, outside the plan

    @property
    def plan(self) -> ConfirmedPlan | None:
        """The plan confirmed last."""
        return self.plans[-1] if self.plans else None

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.checklist:
            if item.kind == ItemKind.check:  # the page counts checks; a step without one is listed only
                out[item.status] = out.get(item.status, 0) + 1
        return out

    @property
    def since_completed(self) -> str:
        """What the onboarding is now, when no longer completed since it was (a wait restarted, an
        undo): the header's "completed <time>" read as if it still were (QA walk 25, M2)."""
        if self.completed_at is None or self.status == OnboardingStatus.completed:
            return ""
        return f" (since then: {ONBOARDING_WORDS.get(self.status, self.status)})"

    @property
    def count_words(self) -> str:
        """The checklist's counts as the page and the PDF say them, and the document's steps listed
        with no check of their own, which they leave out (19 rows read as 13 counted: QA walk 25, L3)."""
        others = sum(1 for item in self.checklist if item.kind != ItemKind.check)
        lists = "lists a step of the document with no check of its own" if others == 1 else \
            "list the steps of the document with no check of their own"
        return count_line(self.counts) + (f" {counted(others, 'other row')} {lists}." if others else "")

    @property
    def chain_words(self) -> str:
        """What the audit chain's check covered and found, as the page and the PDF say it. The chain
        runs through every event of the server, so the stretch from this onboarding's first event to
        its last holds others' too (sign-ins, other onboardings), checked with them: it read "Audit
        chain over this onboarding's events (40–105): Audit chain intact: 66 events verified." for 64
        of its own (QA walk 13, L6)."""
        if self.chain_range is None:
            return "No audit event of this onboarding is recorded yet."
        first, last = self.chain_range
        chain = self.chain
        if not chain.ok:
            problem = str(chain.problem)
            at = "" if chain.first_broken_seq is None or problem.startswith("event") \
                else f"at event {chain.first_broken_seq}, "
            span = str(first) if first == last else f"{first} to {last}"
            return f"Audit trail BROKEN, checking this onboarding's events ({span}): {at}{problem}."
        # One sentence, the stretch checked then what it holds: this onboarding's events, the downloads of
        # its record among them (each download adds one, so the count moves as an auditor exports: QA walk
        # 25, L8), and other work's in between (its two colons read poorly: QA walk 28, L7).
        others = max(0, chain.events_checked - self.own_events)
        stretch = f"event #{first}" if first == last else f"events #{first} to #{last}"
        downloads = f" ({self.exports} of them {'a download' if self.exports == 1 else 'downloads'} of its record)" \
            if self.exports and self.own_events > 1 else ""
        if others:
            holds = f", which hold this onboarding's {counted(self.own_events, 'event')}{downloads} and " \
                    f"{counted(others, 'event')} of other work recorded in between (sign-ins, other onboardings)"
        elif self.own_events == 1:
            holds = ", this onboarding's only event"
        else:
            holds = f", all {self.own_events} of this onboarding{downloads}"
        return f"Audit trail intact: the hash chain was checked over {stretch}{holds}.{chain.notes}"


async def applied_actions(session: AsyncSession, loaded: Loaded, names: dict[Any, str]
                          ) -> tuple[list[ActionRow], list[ConfirmedPlan]]:
    """What the wizard did in Okta: each action beside the confirmed plan it was applied under, and
    every plan confirmed, the first first (the report's section, and the JSON export's)."""
    steps = {step.key: step.title for _s, step in loaded.playbook.steps()}
    plans = await confirmed_plans(session, loaded.onboarding.id)
    actions = []
    for row in sorted(loaded.records.values(), key=lambda r: r.position):
        action = ActionRow(step=steps.get(row.step_key, row.step_key), summary=row.summary or row.action_key,
                           object_type=row.object_type, object_id=row.object_id, outcome=row.outcome,
                           created_by_us=row.created_by_us, state=row.state)
        number, plan = _applied_under(row, plans)
        if plan is not None and plan.confirmed_at is not None:
            item = next((i for i in plan.items if i.get("action_key") == row.action_key), None)
            action.planned = str(item["verdict"]) if item is not None else None
            action.as_planned = compare_with_plan(row, item, plan.confirmed_at)
            action.plan_number = number
        actions.append(action)
    confirmed = [ConfirmedPlan(confirmed_at=plan.confirmed_at, items=len(plan.items), number=number, lines=plan.items,
                               confirmed_by=names.get(plan.confirmed_by_id, "?") if plan.confirmed_by_id else "?",
                               differences=sum(1 for a in actions if a.plan_number == number and a.as_planned is False))
                 for number, plan in enumerate(plans, 1) if plan.confirmed_at is not None]
    return actions, confirmed


async def build_report(session: AsyncSession, library: PlaybookLibrary, onboarding_id: uuid.UUID,
                       generated_by: str) -> Report:
    loaded = await load(session, library, onboarding_id)
    onboarding, playbook = loaded.onboarding, loaded.playbook
    names = await OperatorRepository(session).display_names()
    last_run, results = await latest_results(session, onboarding_id)
    checklist = checklist_items(loaded, results, names)
    actions, confirmed = await applied_actions(session, loaded, names)
    events = (await session.execute(
        select(AuditEvent).where(AuditEvent.onboarding_id == onboarding_id, AuditEvent.category == "operator")
        .order_by(AuditEvent.seq))).scalars().all()
    timeline = timeline_of(events, await rate_limit_waits(session, onboarding_id, names), names)
    bounds = (await session.execute(select(func.min(AuditEvent.seq), func.max(AuditEvent.seq), func.count(),
                                           func.count().filter(AuditEvent.action == "export"))
                                    .where(AuditEvent.onboarding_id == onboarding_id))).one()
    okta_calls = int((await session.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.onboarding_id == onboarding_id, AuditEvent.category == "okta"))).scalar_one())
    chain_range = (int(bounds[0]), int(bounds[1])) if bounds[0] is not None else None
    chain = await verify_range(session, *chain_range) if chain_range else ChainReport(True, 0)
    handoff_people = {h.from_operator_id for h in await handoffs_of(session, onboarding_id)}
    # One name per person: by operator id (the trail records the username, the hand-offs the id),
    # named as the operators page names them; a removed operator by the name the trail kept.
    # Reading the record is not taking part: an auditor's exports are in the timeline, not among those
    # involved; nor is an attempt the wizard refused (an auditor's press: QA walk 17, M6).
    signed = {e.actor_id: e.actor_name for e in events
              if e.actor_id is not None and e.action != "export" and e.outcome != Outcome.denied}
    people = {names.get(i) or signed.get(i, "") for i in {*signed, *(h for h in handoff_people if h)}}
    watch = [WatchEntry(kind=a.kind, summary=a.summary, raised_at=a.raised_at, cleared_at=a.cleared_at,
                        superseded=bool((a.details or {}).get("superseded_by")),
                        ended=str((a.details or {}).get("ended") or ""))
             for a in await alerts_of(session, onboarding_id)]
    watch_runs = await runs_of_kind(session, onboarding_id, "watch")
    again = await completed_again_at(session, onboarding_id)
    return Report(
        watch=watch, watch_runs=watch_runs, okta_changes=await okta_changes(session, onboarding_id),
        first_completed_at=onboarding.completed_at if again else None,
        onboarding_id=onboarding.id, vendor=playbook.name, vendor_company=playbook.vendor, document=playbook.document,
        document_title=playbook.document_title, org=onboarding.org_origin,
        org_id=str(loaded.connection.preflight.get("org_id", "")), status=onboarding.status,
        status_note=onboarding.status_note, started_at=onboarding.created_at,
        completed_at=again or onboarding.completed_at,
        created_by=names.get(onboarding.created_by_id, "?"),
        assignee=names.get(onboarding.assignee_id, "the help-desk queue") if onboarding.assignee_id
        else "the help-desk queue",
        verified_at=last_run.finished_at if last_run else None, checklist=checklist, actions=actions, plans=confirmed,
        timeline=timeline, okta_calls=okta_calls, operators=sorted(p for p in people if p), chain=chain,
        chain_range=chain_range, own_events=int(bounds[2]), exports=int(bounds[3]), generated_by=generated_by,
        values=given_values(loaded),
        vendor_use=evidence_for(library, onboarding, results))

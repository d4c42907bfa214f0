"""The document's checklist as an auditor reads it: each item with its result, what was found (the
Okta objects named, their ids beside), and who attested. The audit report draws it with the rest of
the record (`data.py`); the exports need it alone (`build_checklist`), without the timeline, the
plans or the audit chain's check."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.common.moments import stamp
from app.engine.actions.base import registry as action_registry
from app.engine.actions.roles import role_label
from app.engine.checks.base import ACCEPTED_BY, UNMET
from app.engine.checks.timers import declarer_named
from app.engine.runtime import load
from app.playbooks.loader import PlaybookLibrary
from app.playbooks.schema import StepSpec
from app.store.models import Attestation, OnboardingAction, VerificationRun
from app.store.repositories.operators import OperatorRepository
from app.store.repositories.progress import latest_results
from app.store.statuses import ACTION_WORDS, CHECK_WORDS, ActionState, CheckStatus, applied_words


class ItemKind(StrEnum):
    """What a row of the checklist is (the exports' ``kind``): see ``ChecklistItem.kind``."""

    check = "check"
    action = "action"
    instructions = "instructions"
    information = "information"
    not_needed = "not_needed"  # its checks and actions apply only with other values than those given


@dataclass
class EvidenceObject:
    """An Okta object a check looked at, as an auditor reads it: what it is and its name, with
    Okta's id beside it as a secondary detail."""

    kind: str  # in words: "Custom role", "Okta user"
    id: str
    label: str | None = None
    id_name: str = "id"  # what the id is called ("client id" for an app's)

    @property
    def words(self) -> str:
        named = f"{self.kind} “{self.label}”" if self.label else self.kind
        return f"{named} ({self.id_name} {self.id})"


@dataclass
class ChecklistItem:
    section: str
    step: str
    label: str
    status: str
    found: str  # what the check found, in words (an attested item: who attested)
    evidence: dict[str, Any]  # the check's structured evidence, as stored (machine-readable)
    attestation: Attestation | None = None  # who attested, when, and their note
    attested_by: str = ""  # the attesting person as the report names them: "Ana Admin (ana.admin)"
    objects: list[EvidenceObject] = field(default_factory=list)  # the Okta objects it proves things of
    # An item Okta fails that an attestation accepted: that attestation (its person is ``attested_by``)
    # and what Okta shows instead, said in the Result column, not left at the end of the evidence.
    accepted: Attestation | None = None
    unmet: str = ""
    # What the row is: a check of the document's step ("check"), or a step with no check of its own:
    # an action the wizard applied ("action", ``status`` its state), a person's step outside the
    # wizard's reach ("instructions"), a step only to read ("information"), or one the values given
    # leave out ("not_needed").
    kind: str = ItemKind.check

    @property
    def pill(self) -> str:
        """The Result pill's style, as the onboarding's page colours a check, an action or a step."""
        pills: dict[str, str] = {ItemKind.check: f"check-{self.status}", ItemKind.action: f"action-{self.status}",
                                 ItemKind.instructions: "step-guide"}
        return pills.get(self.kind, "step-info")

    @property
    def declared_at(self) -> datetime | None:
        """When a person declared a wait begun before the wizard counted it (named in ``attested_by``)."""
        at = self.evidence.get("declared_at") if self.attestation is None and self.attested_by else None
        return datetime.fromtimestamp(float(at), UTC) if at is not None else None

    @property
    def result(self) -> str:
        """The result as the report's Result column shows it: an accepted item says on whose word,
        and what Okta shows ("Accepted on attestation by Hana Helpdesk (hana): Okta shows 3 email domains")."""
        if self.kind != ItemKind.check:
            return STEP_RESULTS.get(self.kind) or ACTION_RESULTS.get(self.status, self.status)
        label = RESULT_LABELS.get(self.status, self.status)
        if self.status != CheckStatus.accepted:
            return label
        return label + (f" by {self.attested_by}" if self.attested_by else "") \
            + (f": {self.unmet}" if self.unmet else "")

    @property
    def attested_at(self) -> datetime | None:
        """When the person whose word the item rests on gave it (an attestation, one that accepted
        what Okta fails, or a wait declared begun)."""
        given = self.attestation or self.accepted
        return given.attested_at if given is not None else self.declared_at

    def evidence_words(self) -> str:
        """The Evidence cell as one sentence, the PDF's and the checklist export's alike: where no
        reader's time zone is known, the attestation's moment in UTC to the second, as the PDF's
        timeline has it (the export wrote "2026-12-06T13:22:13.801954+00:00": QA walk 13, L4)."""
        if self.attestation is not None:
            return f"Attested by {self.attested_by} on {stamp(self.attestation.attested_at, seconds=True)}" + \
                (f": {self.attestation.note}" if self.attestation.note else "") + \
                (f". {self.attestation.warning}" if self.attestation.warning else "")
        # A finding that ends its sentence is not followed by "; " (it read "... 20:23 UTC.; App ...").
        found = self.found.rstrip(".") if self.found and self.objects else self.found
        return "; ".join([found, *(o.words for o in self.objects)]) if found else \
            "; ".join(o.words for o in self.objects)


# The checklist's words, with what an auditor must not miss in capitals and "not attested" for an
# attestation nobody gave; RESULT_LABELS are the same words starting a Result cell ("Passed").
STATUS_LABELS: dict[str, str] = {**CHECK_WORDS, CheckStatus.failed: "FAILED",
                                 CheckStatus.needs_attestation: "not attested",
                                 CheckStatus.unchecked: "unanswered"}
RESULT_LABELS: dict[str, str] = {key: word[:1].upper() + word[1:] for key, word in STATUS_LABELS.items()}
# The Result of a step with no check of its own: an action by its state (a failure in capitals, as a
# failed check), a person's step and a step to read in the words the page's badges use.
ACTION_RESULTS: dict[str, str] = {**{key: word[:1].upper() + word[1:] for key, word in ACTION_WORDS.items()},
                                  ActionState.done: "Done by the wizard", ActionState.failed: "FAILED",
                                  ActionState.pending: "Not done yet"}
STEP_RESULTS: dict[str, str] = {ItemKind.instructions: "Not checked: instructions only",
                                ItemKind.information: "For information", ItemKind.not_needed: "Not needed"}
# Where a person's step is done, as the report says it.
DONE_WHERE: dict[str, str] = {
    "okta_console": "in the Okta Admin Console", "service_account": "signed in to Okta as the service account",
    "vendor_console": "in the vendor's console", "cloud_console": "in the cloud provider's console"}


def count_line(counts: dict[str, int]) -> str:
    """The checklist's counts in the page's order and words: an attested item counts as passed (as
    the page counts it), and the line says how many of those were attested; an item Okta fails that
    an attestation accepted is counted apart, never as passed."""
    attested = counts.get(CheckStatus.attested, 0)
    accepted = counts.get(CheckStatus.accepted, 0)
    parts = [f"{counts.get(CheckStatus.passed, 0) + attested} passed"
             + (f" ({attested} of them attested)" if attested else "")]
    if accepted:
        parts.append(f"{accepted} {STATUS_LABELS[CheckStatus.accepted]} (Okta does not meet "
                     f"{'it' if accepted == 1 else 'them'})")
    # In capitals only when something failed: "0 FAILED" shouted about nothing, where the
    # onboarding's page says "0 failed" (QA walk 13, L6).
    failed = counts.get(CheckStatus.failed, 0)
    parts.append(f"{failed} {STATUS_LABELS[CheckStatus.failed] if failed else CHECK_WORDS[CheckStatus.failed]}")
    parts += [f"{counts[status]} {STATUS_LABELS[status]}" for status in (CheckStatus.waiting, CheckStatus.unchecked,
                                                                        CheckStatus.not_verified)
              if counts.get(status)]
    parts.append(f"{counts.get(CheckStatus.needs_attestation, 0)} {STATUS_LABELS[CheckStatus.needs_attestation]}.")
    return ", ".join(parts)


# What an Okta object is, in words, by the object type the wizard records for it.
OBJECT_WORDS: dict[str, str] = {
    "user": "Okta user", "custom_role": "Custom role", "resource_set": "Resource set",
    "role_assignment": "Role assignment", "schema_attribute": "Profile attributes", "api_token": "API token",
    "app": "App", "app_assignment": "App assignment", "app_grant": "Granted scope",
    "api_service": "API service integration", "log_stream": "Log stream", "group": "Group", "org": "Okta org"}
# A check's evidence names the objects it looked at by these keys (their values are Okta ids).
EVIDENCE_ID_TYPES: dict[str, str] = {
    "object_id": "", "user_id": "user", "role_id": "custom_role", "resource_set_id": "resource_set",
    "token_id": "api_token", "client_id": "app", "group_id": "group", "org_id": "org",
    "log_stream_id": "log_stream"}
# An action that records another object's id names that object: an app's assignments have no id of
# their own, so their action records the app's (the report read "App assignment (id 0oa…)": QA walk 8).
RECORDED_ID_TYPES: dict[str, str] = {"app_assignment": "app"}
_CUSTOM_ROLE = re.compile(r"custom role (\w+) on (\w+)")


@dataclass
class _Known:
    object_type: str
    label: str | None


def _known_objects(records: list[OnboardingAction]) -> tuple[dict[str, _Known], dict[str, str]]:
    """The Okta objects this onboarding's actions made or found, by id, with their names; and the
    apps' names by client id."""
    known: dict[str, _Known] = {}
    apps: dict[str, str] = {}
    for row in records:
        details = row.details or {}
        label = next((str(details[k]) for k in ("label", "login", "name") if details.get(k)), None)
        if row.object_type and row.object_id:
            object_type = RECORDED_ID_TYPES.get(row.object_type, row.object_type)
            have = known.setdefault(row.object_id, _Known(object_type, label))
            if have.label is None and label and have.object_type == object_type:
                have.label = label  # whichever of its records came first, the one that names it
        if details.get("client_id") and label:
            apps[str(details["client_id"])] = label
    for row in records:  # a role assignment is named by its role, once every role's name is known
        details = row.details or {}
        if row.object_type == "role_assignment" and row.object_id and details.get("role"):
            role = str(details["role"])
            named = known[role].label if role in known else role_label(role)
            if details.get("resource_set") and str(details["resource_set"]) in known:
                named = f"{named} on {known[str(details['resource_set'])].label}"
            known[row.object_id] = _Known("role_assignment", named)
    return known, apps


def _objects(evidence: dict[str, Any], known: dict[str, _Known], apps: dict[str, str]) -> list[EvidenceObject]:
    """The objects a check's evidence names by id, in words."""
    out: list[EvidenceObject] = []
    for key, object_type in EVIDENCE_ID_TYPES.items():
        value = evidence.get(key)
        if not value or not isinstance(value, str | int):
            continue
        value = str(value)
        if key == "client_id":
            out.append(EvidenceObject(OBJECT_WORDS["app"], value, apps.get(value), id_name="client id"))
            continue
        found = known.get(value)
        kind = object_type or (found.object_type if found else "")
        out.append(EvidenceObject(OBJECT_WORDS.get(kind, "Okta object"), value, found.label if found else None))
    for pair in evidence.get("custom") or []:  # a user's custom roles: "role@resource set"
        role, _, resource_set = str(pair).partition("@")
        out.append(EvidenceObject(OBJECT_WORDS["custom_role"], role, known[role].label if role in known else None))
        if resource_set:
            out.append(EvidenceObject(OBJECT_WORDS["resource_set"], resource_set,
                                      known[resource_set].label if resource_set in known else None))
    unique: dict[str, EvidenceObject] = {}
    for item in out:
        unique.setdefault(item.id, item)
    return list(unique.values())


def _in_words(found: str, objects: list[EvidenceObject], known: dict[str, _Known]) -> str:
    """A check's finding with the Okta ids in it named instead (the ids are listed beside it)."""
    def named(object_id: str) -> str:
        label = known[object_id].label if object_id in known else None
        return f"“{label}”" if label else object_id

    found = _CUSTOM_ROLE.sub(lambda m: f"custom role {named(m[1])} on resource set {named(m[2])}", found)
    for item in objects:
        found = found.replace(f" (Okta id {item.id})", "")
    return found


def _person(name: str, username: str) -> str:
    return username if not name or name == username else f"{name} ({username})"


def _declared_by(evidence: dict[str, Any], names: dict[Any, str], found: str) -> tuple[str, str]:
    """Who declared a wait begun before the wizard counted it, as the report names people, and the
    finding naming them so (the check knows only their username)."""
    username = str(evidence["declared_by"])
    try:
        name = names.get(uuid.UUID(str(evidence.get("declared_by_id"))), "")
    except ValueError:
        name = ""
    person = _person(name, username)
    return person, declarer_named(found, evidence, person)


@dataclass
class ChecklistOnly:
    """The document's checklist as last checked, without the rest of the report (the exports)."""

    loaded: Any
    last_run: VerificationRun | None
    items: list[ChecklistItem]


async def build_checklist(session: AsyncSession, library: PlaybookLibrary, onboarding_id: uuid.UUID) -> ChecklistOnly:
    """The checklist alone: the exports need no timeline, plans or audit-chain check (it verifies the
    chain's whole stretch, and the events export streams in constant memory)."""
    loaded = await load(session, library, onboarding_id)
    last_run, results = await latest_results(session, onboarding_id)
    names = await OperatorRepository(session).display_names()
    return ChecklistOnly(loaded, last_run, checklist_items(loaded, results, names))


def checklist_items(loaded: Any, results: dict[str, Any], names: dict[Any, str]) -> list[ChecklistItem]:
    playbook = loaded.playbook
    known, apps = _known_objects(list(loaded.records.values()))
    checklist: list[ChecklistItem] = []
    for section in playbook.sections:
        for step in section.steps:
            if not loaded.scope.condition(step.when):
                continue
            checks = [check for check in step.checks if loaded.scope.condition(check.when)]
            if not checks:  # the document's step is listed all the same, with how it was done
                checklist += _unchecked_step(loaded, section.title, step, known)
            for check in checks:
                attestation = loaded.attestations.get(check.key)
                result = results.get(check.key)
                status: str
                evidence = dict(result.evidence) if result is not None and result.evidence else {}
                objects: list[EvidenceObject] = []
                attested_by = ""
                accepted: Attestation | None = None
                if attestation is not None:
                    attested_by = _person(names.get(attestation.operator_id, ""), attestation.operator_name)
                    status, found = CheckStatus.attested, f"Attested by {attested_by}"
                elif result is not None:
                    objects = _objects(evidence, known, apps)
                    status, found = result.status, _in_words(result.found or "", objects, known)
                    if evidence.get("declared_by"):  # a person declared the wait begun earlier
                        attested_by, found = _declared_by(evidence, names, found)
                    if status == CheckStatus.accepted:  # Okta fails it; an attestation accepted it
                        accepted = loaded.attestations.get(str(evidence.get(ACCEPTED_BY) or ""))
                        if accepted is not None:
                            attested_by = _person(names.get(accepted.operator_id, ""), accepted.operator_name)
                else:
                    status, found = CheckStatus.not_verified, "Not verified yet"
                checklist.append(ChecklistItem(
                    section=section.title, step=f"{step.number} {step.title}", label=check.label, status=status,
                    found=found, evidence=evidence, attestation=attestation, attested_by=attested_by,
                    objects=objects, accepted=accepted, unmet=str(evidence.get(UNMET) or "")))
    return checklist


def _unchecked_step(loaded: Any, section: str, step: StepSpec, known: dict[str, _Known]) -> list[ChecklistItem]:
    """A step of the document with no check of its own, as the checklist lists it (the exports had
    only checked items, and so left out the document's guided steps and the wizard's actions that a
    later step checks: QA walk 23, M4): each action with its state and the object it made or found;
    a person's step as the instructions it is, which the wizard neither checks nor records as done;
    else a step to read."""
    if (step.checks or step.actions) and not any(loaded.scope.condition(a.when) for a in step.actions):
        conditions = [when for when in [*(c.when for c in step.checks), *(a.when for a in step.actions)] if when]
        if conditions and all("input." in when and "fact." not in when for when in conditions):
            # Sentinel's 15-minute wait after a role assigned, none assigned: not a person's step done (walk 25, M1).
            return [_step_item(section, step, "Not needed here", ItemKind.not_needed, ItemKind.not_needed,
                               "Its checks apply only with other values than those given (see the values given)")]
        # Authomize's smoke test before the wizard keeps the client secret: not "not needed", not yet.
        return [_step_item(section, step, "Not checked yet", ItemKind.information, ItemKind.information,
                           "Its check is made once what an earlier step does is there (not yet)")]
    rows = []
    for action in step.actions:
        if not loaded.scope.condition(action.when):
            continue
        record = loaded.records.get(action.key)
        # Named as the page names it: what applying said, else what it will do (not its key).
        label = (record.summary if record is not None else None) or \
            action_registry()[action.kind](action.params).preview(loaded.scope)
        state = record.state if record is not None else ActionState.pending
        objects = []
        found = known.get(record.object_id) if record is not None and record.object_id else None
        if record is not None and found is not None and record.object_type != "schema_attribute":
            # Named as the evidence names it (a schema attribute's summary names the attributes).
            objects.append(EvidenceObject(OBJECT_WORDS.get(found.object_type, "Okta object"), str(record.object_id),
                                          found.label))
        rows.append(_step_item(section, step, label, ItemKind.action, state,
                               f"{_action_words(record)}; no check of its own at this step", objects))
    if rows:
        return rows
    if step.actor != "wizard" and step.task is not None:
        # Described, not claimed: the wizard has no record that a person did it (review).
        where = DONE_WHERE.get(step.actor, "outside the wizard")
        return [_step_item(section, step, "A person's step", ItemKind.instructions, ItemKind.instructions,
                           f"The document's instructions for the operator {where}, as the wizard showed them; the "
                           "wizard cannot check this step and keeps no record that it was done")]
    shown = [paste.label for paste in step.task.paste] if step.task is not None else []
    return [_step_item(section, step, "To read", ItemKind.information, ItemKind.information,
                       f"Shown to copy: {', '.join(shown)}" if shown else "Shown to the operator; nothing to do")]


def _action_words(record: OnboardingAction | None) -> str:
    """What became of a step's action, in words (its state, and for one applied, what applying did)."""
    if record is None or record.state in (ActionState.pending, ActionState.applying):
        return "Not applied yet"
    if record.state == ActionState.done:
        done = applied_words(record.outcome or record.state, record.created_by_us)
        return f"{done[:1].upper()}{done[1:]} on {stamp(record.updated_at)}"  # when, as a check's finding says it
    if record.state == ActionState.failed:
        error = (record.error or "").strip().splitlines()
        return "Failed when applied" + (f": {error[0][:200]}" if error else "")
    words: dict[str, str] = {ActionState.undone: "Undone: removed from Okta by Undo",
                             ActionState.kept: "Kept in Okta when the onboarding was undone"}
    return words.get(record.state, record.state)


def _step_item(section: str, step: StepSpec, label: str, kind: ItemKind, status: str, found: str,
               objects: list[EvidenceObject] | None = None) -> ChecklistItem:
    return ChecklistItem(section=section, step=f"{step.number} {step.title}", label=label, status=status,
                         found=found, evidence={}, objects=objects or [], kind=kind)

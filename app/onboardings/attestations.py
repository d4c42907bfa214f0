"""Attestations: what a named person confirms that only a person can (a licence, a vendor's console),
refused where it cannot be true yet, and withdrawn (kept for the record) when it no longer holds: a
value pasted in the vendor's console changed since, or the person says it was given by mistake."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common.moments import stamp
from app.common.text import counted
from app.common.validation import ValidationFailed
from app.engine.requirements import INPUT_PREFIX, describe, missing_required, unapplied_before, unmet
from app.engine.runtime import admin_info, fill_inputs, org_info
from app.engine.scope import Scope, references
from app.engine.status import held_by_waits, timer_until
from app.onboardings.dead_ends import dead_end_reads
from app.playbooks.schema import CheckSpec, Playbook, StepSpec
from app.store.models import Attestation, OktaConnection, Onboarding
from app.store.repositories.checkpoints import action_rows
from app.store.repositories.progress import (
    add_attestation,
    destroy_kept_secrets,
    latest_results,
    live_attestations,
    live_kept_secrets,
    withdraw_attestation,
)
from app.store.repositories.state import learn, touch
from app.store.statuses import ActionState
from app.vault import Vault


class NotAllowed(Exception):
    pass


class AlreadyAttested(Exception):
    """Given already (pressed again in a page drawn before it was: a second tab): nothing is
    recorded a second time (the trail had two "Attested" a second apart: QA walk 21, L1)."""

    def __init__(self, given: Attestation) -> None:
        super().__init__("already attested")
        self.given = given

    def words(self, by: str) -> str:
        """What the page says, ``by`` the name of who gave it as the page names people."""
        return f"Already attested by {by} on {stamp(self.given.attested_at.timestamp())}: nothing was recorded again."


# A fact: by attestation key, the warning the wizard gave as it was asked (app/onboardings/connection_proof.py),
# drawn beside it until it is given.
KEPT_WARNINGS = "attestation_warnings"


def input_label(playbook: Playbook, key: str) -> str:
    """An input as the page names it (the trail and the report are read by people, not by code)."""
    try:
        return playbook.input(key).label
    except KeyError:
        return key  # an attribute the org's schema asked for: its name is what the page shows


async def scope_of(session: AsyncSession, playbook: Playbook, onboarding: Onboarding) -> Scope:
    """The onboarding's scope as its actions see it: facts, org, and the inputs saved or defaulted."""
    connection = await session.get(OktaConnection, onboarding.connection_id)
    scope = Scope(facts=dict(onboarding.facts or {}), org=org_info(connection) if connection else None,
                  admin=admin_info(connection) if connection else {})
    fill_inputs(playbook, dict(onboarding.inputs or {}), scope)
    return scope


async def attest(session: AsyncSession, vault: Vault, playbook: Playbook, onboarding: Onboarding, check_key: str,
                 note: str, actor: Actor, *, now: float, warning: str | None = None) -> Attestation:
    """``warning``: what the wizard warned of and the person confirmed despite (Okta showed no use of
    the service account's token: app/onboardings/connection_proof.py), kept with the attestation."""
    # The onboarding's row first (its revision: an UPDATE), so a second press at the same moment waits
    # for this one and then finds it given (review: two presses both found none, and both wrote).
    await touch(session, onboarding.id)
    step, check = await attestable(session, playbook, onboarding, check_key, actor, now=now)
    attestation = Attestation(onboarding_id=onboarding.id, step_key=step.key, check_key=check.key,
                              operator_id=actor.id, operator_name=actor.name, note=note or None, warning=warning)
    await add_attestation(session, attestation)
    kept = (onboarding.facts or {}).get(KEPT_WARNINGS) or {}
    if check.key in kept:  # given: its warning is in the record now, no longer one to draw
        await learn(session, onboarding, {KEPT_WARNINGS: {key: value for key, value in kept.items()
                                                          if key != check.key}})
    # A secret kept for this step (a client secret to paste, say) is destroyed once it is attested.
    destroyed = await destroy_kept_secrets(session, vault, onboarding.id, check.destroys)
    await record(session, action="attest", actor=actor, onboarding_id=onboarding.id, subject_type="check",
                 subject_id=check.key, summary=f"Attested: {check.label}" + (f". {warning}" if warning else "")
                 + (f" ({note})" if note else ""), details={"warning": warning} if warning else None)
    if destroyed:  # on record, as every other destruction: an auditor sees when the wizard stopped holding it
        await record(session, action="secrets_destroyed", actor=actor, onboarding_id=onboarding.id,
                     subject_type="onboarding", subject_id=str(onboarding.id),
                     summary=f"Attested “{check.label}”, so the {counted(destroyed, 'value')} kept for that step "
                             f"{'was' if destroyed == 1 else 'were'} destroyed")
    return attestation


async def attestable(session: AsyncSession, playbook: Playbook, onboarding: Onboarding, check_key: str,
                     actor: Actor, *, now: float) -> tuple[StepSpec, CheckSpec]:
    """The step and attestation ``check_key`` names, once nothing refuses it now (read only: asked
    too before Okta is read for an attestation that proves the vendor connected)."""
    found = [(step, check) for step, check in playbook.checks() if check.key == check_key and check.kind == "attest"]
    if not found:
        raise LookupError("There is nothing to attest under that name.")
    step, check = found[0]
    if actor.id is None:
        raise NotAllowed("attestations need a named operator")
    given = (await live_attestations(session, onboarding.id)).get(check.key)
    if given is not None:
        raise AlreadyAttested(given)
    scope = await scope_of(session, playbook, onboarding)
    empty = missing_required((playbook.input(key), scope.inputs.get(key)) for key in step.inputs)
    if empty:
        # Sentinel's workspace: attesting its step would leave later steps with nothing to paste.
        names = " and ".join(f"“{label}”" for label in empty)
        raise ValidationFailed({}, f"Not attested: {names} is empty. Write it on step {step.number} and save, "
                               "then attest.")
    await refuse_before_the_wizard(session, playbook, onboarding, step, scope)
    refuse_during_a_wait(playbook, step, scope, now)
    await _refuse_a_dead_end(session, playbook, onboarding, check)
    return step, check


async def refuse_before_the_wizard(session: AsyncSession, playbook: Playbook, onboarding: Onboarding,
                                   step: StepSpec, scope: Scope, *, refused: str = "Not attested",
                                   then: str = "attest") -> None:
    """Oort's "Test Connectivity succeeded" was accepted on a draft with no service account yet; so
    was the start of Sentinel's connector timer before the token it is made with (``refused`` and
    ``then``: the words for what is refused, and what to do once it may be)."""
    states = {key: row.state for key, row in (await action_rows(session, onboarding.id)).items()}
    earlier = unapplied_before(playbook, scope, states, step.key)
    if earlier is not None and earlier.task is not None and earlier.task.kind == "service_token":
        raise ValidationFailed({}, f"{refused}: the vendor needs the service account's token for this, and no token "
                               f"is verified yet. Make it as the account and paste it on step {earlier.number} "
                               f"({earlier.title}) first, then {then}.")
    if earlier is not None:
        awaited = [r for spec in earlier.actions
                   if scope.condition(spec.when) and states.get(spec.key) != ActionState.done
                   for r in unmet(scope, spec.requires) if r.startswith(INPUT_PREFIX)]
        if awaited:  # Oort's 4.5b before the AWS values of 4.4 were given: the log stream is not made yet
            raise ValidationFailed({}, f"{refused}: this step comes after step {earlier.number} ({earlier.title}), "
                                   f"which runs once {describe(playbook, awaited)}. Give them and save; once the "
                                   f"wizard has done that step, {then}.")
        raise ValidationFailed({}, f"{refused}: this step comes after step {earlier.number} ({earlier.title}), "
                               f"which the wizard has not applied yet. Apply the plan first, then {then}.")


def refuse_during_a_wait(playbook: Playbook, step: StepSpec, scope: Scope, now: float, *,
                         refused: str = "Not attested", then: str = "attest") -> None:
    """Sentinel's "The OktaSystemLogs table shows Okta's events" was accepted seconds after the
    connector was made, where the document says the table takes up to 30 minutes to appear; its
    connector was attested, and its timer started, during the 15 minutes an Azure role takes."""
    waited = held_by_waits(playbook, scope, now).get(step.key)
    if waited is None:
        return
    wait = playbook.step(waited)
    why = "before going on" if wait.task is not None and step.key in wait.task.holds else "before this can be seen"
    until = timer_until(scope.facts, waited)
    if until is None:
        raise ValidationFailed({}, f"{refused}: the document asks to wait after step {wait.number} ({wait.title}) "
                               f"{why}, and its timer is not started. Start it there, then {then} once the wait is "
                               "over.")
    raise ValidationFailed({}, f"{refused}: the document asks to wait after step {wait.number} ({wait.title}) "
                           f"{why}; the wait ends at {stamp(until)}. {then[:1].upper()}{then[1:]} then.")


async def _refuse_a_dead_end(session: AsyncSession, playbook: Playbook, onboarding: Onboarding,
                             check: CheckSpec) -> None:
    """Attesting ``check`` destroys the values kept for its step. When a check still reads one of
    them (Authomize's client-credentials test reads the client secret) and has not passed, the
    onboarding could never be verified after it: refuse, and say to verify first."""
    kept = await live_kept_secrets(session, onboarding.id)
    if not any(check.destroys(secret) for secret in kept):
        return
    _run, results = await latest_results(session, onboarding.id)
    readers = dead_end_reads(playbook, check, kept, {key: result.status for key, result in results.items()})
    if readers:
        raise ValidationFailed({}, f"Verify first: the check “{readers[0].label}” needs the value kept for this "
                               "step, and attesting the step destroys it. Press Verify; once that check has "
                               "passed, attest.")


async def withdraw_pasted(session: AsyncSession, playbook: Playbook, onboarding: Onboarding, changed: Sequence[str],
                           actor: Actor) -> list[str]:
    """A person attested a step whose values they pasted in the vendor's console (Drata's drawer);
    a value of those changed since, the console holds the old one: the attestation is withdrawn
    (kept, for the record) and the step asks again, rather than the checklist passing on a value
    the vendor never got."""
    live = await live_attestations(session, onboarding.id) if changed else {}
    reopened = []
    for _section, step in playbook.steps():
        pasted = {name for row in (step.task.paste if step.task else []) for namespace, name in references(row.value)
                  if namespace == "input"}
        moved = [input_label(playbook, key) for key in changed if key in pasted]
        attested = [(check, live[check.key]) for check in step.checks if check.kind == "attest" and check.key in live]
        if not moved or not attested:
            continue
        names = " and ".join(f"“{label}”" for label in moved)
        for check, attestation in attested:
            await withdraw_attestation(session, attestation)
            await record(session, action="attestation_withdrawn", actor=actor, onboarding_id=onboarding.id,
                         subject_type="check", subject_id=check.key,
                         summary=f"Attestation withdrawn: {check.label} ({names} changed since "
                                 f"{attestation.operator_name} attested it)")
        reopened.append(f"Step {step.number} is open again: {names} changed after it was attested, and the "
                        "vendor's console still has the old value. Enter the new one there, then attest again.")
    return reopened


async def withdraw(session: AsyncSession, playbook: Playbook, onboarding: Onboarding, check_key: str, reason: str,
                   actor: Actor) -> Attestation:
    """Withdraw an attestation given by mistake (Oort's "saved in Oort" pressed before it was), with
    the reason: kept for the record, no longer counted, and the step asks again. A value destroyed
    when it was attested (a client secret) stays destroyed."""
    found = next((check for _step, check in playbook.checks() if check.key == check_key and check.kind == "attest"),
                 None)
    attestation = (await live_attestations(session, onboarding.id)).get(check_key)
    if found is None or attestation is None:
        raise LookupError("There is no attestation to withdraw under that name.")
    await _withdrawn(session, onboarding, found, attestation, reason, actor)
    await touch(session, onboarding.id)
    return attestation


async def _withdrawn(session: AsyncSession, onboarding: Onboarding, check: CheckSpec, attestation: Attestation,
                     reason: str, actor: Actor) -> None:
    """Withdraw ``attestation`` of ``check`` for ``reason``, and say so in the trail."""
    await withdraw_attestation(session, attestation)
    await record(session, action="attestation_withdrawn", actor=actor, onboarding_id=onboarding.id,
                 subject_type="check", subject_id=check.key,
                 summary=f"Attestation withdrawn: {check.label} (given by {attestation.operator_name}; {reason})",
                 details={"reason": reason, "attested_by": attestation.operator_name})


# Why the attestations that the vendor holds the token are asked again when another token replaces it.
TOKEN_CHANGED = "the token changed ({was} replaced by {now}): the vendor must be given the new one"  # noqa: S105


def given_the_token(playbook: Playbook) -> list[CheckSpec]:
    """The attestations that rest on the vendor holding the service account's token: those of the
    steps where it is pasted in the vendor's console (``copied_token``) and those that prove the
    vendor connected (``proves_connection``), given while it held the token of then."""
    return [check for _section, step in playbook.steps() for check in step.checks if check.kind == "attest" and (
        check.proves_connection is not None
        or any(row.copied_token for row in (step.task.paste if step.task else [])))]


async def withdraw_for_a_new_token(session: AsyncSession, playbook: Playbook, onboarding: Onboarding,
                                   was: str, now: str, actor: Actor) -> list[str]:
    """A new token replaced the verified one (``was``, the id of the one the vendor was given): what
    was attested of the old one no longer holds (the onboarding read Completed on Defender's "enabled"
    while Defender held a revoked token: QA walk 12, M1). Withdrawn, kept for the record; the labels."""
    live = await live_attestations(session, onboarding.id)
    withdrawn = []
    for check in given_the_token(playbook):
        attestation = live.get(check.key)
        if attestation is None:
            continue
        await _withdrawn(session, onboarding, check, attestation, TOKEN_CHANGED.format(was=was, now=now), actor)
        withdrawn.append(check.label)
    return withdrawn

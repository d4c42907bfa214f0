"""What an action waits for before it may run, and which inputs can no longer change.

An action's ``requires`` names facts (``service_token_verified``: the service account's token was
pasted and verified) or inputs the operator gives only later in the document (``input.aws_region``:
values Oort shows once its integration exists). Either way the action is in the plan from the
start, and runs on the first apply after its requirements are met. An input is fixed once an
action that used it has acted in Okta, so the records never disagree with the values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from app.common.text import and_list
from app.engine import asked_inputs
from app.engine.scope import Scope, references
from app.playbooks.schema import ActionSpec, InputSpec, Playbook, StepSpec
from app.playbooks.tasks import TOKEN_VERIFIED
from app.playbooks.templates import clauses
from app.store.models import OnboardingPlan
from app.store.repositories.plans import is_stale, settings_changed
from app.store.statuses import ACTED, ActionState

INPUT_PREFIX = "input."
# What each known fact means to an operator; other facts are described by their name.
FACT_LABELS = {
    TOKEN_VERIFIED: "the service account's token is verified",
}
ACTED_STATES = ACTED


def is_met(scope: Scope, requirement: str) -> bool:
    if requirement.startswith(INPUT_PREFIX):
        value = scope.inputs.get(requirement[len(INPUT_PREFIX):])
        return value not in (None, "", [])
    return bool(scope.facts.get(requirement))


def unmet(scope: Scope, requires: Iterable[str]) -> list[str]:
    """The requirements not met yet, in the order the playbook lists them."""
    return [requirement for requirement in requires if not is_met(scope, requirement)]


def waits_for_inputs(requirements: Iterable[str]) -> bool:
    return any(r.startswith(INPUT_PREFIX) for r in requirements)


def describe(playbook: Playbook, requirements: Iterable[str]) -> str:
    """The requirements in words: "the service account's token is verified", "'AWS account id',
    'Event source name' and 'Region' are given" (values named once, not "is given and ... is given")."""
    values: list[str] = []
    parts: list[str] = []
    for requirement in requirements:
        if requirement.startswith(INPUT_PREFIX):
            name = requirement[len(INPUT_PREFIX):]
            try:
                values.append(f"“{playbook.input(name).label}”")
            except KeyError:
                values.append(name)
        else:
            parts.append(FACT_LABELS.get(requirement, requirement.replace("_", " ") + " is known"))
    if values:
        named = and_list(values)
        parts.insert(0, f"{named} {'is' if len(values) == 1 else 'are'} given")
    return " and ".join(parts)


def _with_defaults(playbook: Playbook, names: Iterable[str]) -> set[str]:
    """``names`` and the inputs their defaults refer to (the email defaults to the login)."""
    defaults: dict[str, Any] = {spec.key: spec.default for spec in playbook.inputs}
    found: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        pending.extend(n for namespace, n in references(defaults.get(name)) if namespace == "input")
    return found


def locked_inputs(playbook: Playbook, states: Mapping[str, str]) -> set[str]:
    """Inputs an action has used in Okta (``states``: action key -> state). Defaults that refer to
    another input (the email defaults to the login) lock that input too."""
    return _with_defaults(playbook, (name for _step, action in playbook.actions()
                                     if states.get(action.key) in ACTED_STATES
                                     for namespace, name in references(action.params) if namespace == "input"))


def token_step(playbook: Playbook, scope: Scope) -> StepSpec | None:
    """The step that takes the service account's token (the first shown), while none is verified."""
    if scope.facts.get(TOKEN_VERIFIED):
        return None
    return next((step for _s, step in playbook.steps()
                 if step.task is not None and step.task.kind == "service_token" and scope.condition(step.when)), None)


def unapplied_before(playbook: Playbook, scope: Scope, states: Mapping[str, str], step_key: str) -> StepSpec | None:
    """The first step before ``step_key`` in the document with an action not applied yet
    (``states``: action key -> state), or None. A step that comes after the wizard's work cannot have
    happened before it; an action that waits for values the person gives later does not count.
    (An action waiting for values a step before ``step_key`` asks for counts: they are the person's to give.)
    Likewise a step at or after one that gives the vendor the service account's token cannot have
    happened before the token exists (Oort's "saved in Oort" was attested with no token yet): then
    the step that takes the token."""
    # The step that takes the token, while none is verified (found once, not per step walked).
    taking_token = token_step(playbook, scope)
    asked: set[str] = set()  # the values the steps walked ask for
    for _section, earlier in playbook.steps():
        if not scope.condition(earlier.when):
            if earlier.key == step_key:
                return None
            continue
        if taking_token and earlier.task is not None and any(row.copied_token for row in earlier.task.paste):
            return taking_token
        if earlier.key == step_key:
            return None
        asked.update(earlier.inputs)
        for spec in earlier.actions:
            if scope.condition(spec.when) and states.get(spec.key) != ActionState.done \
                    and not _waits_for_later_values(unmet(scope, spec.requires), asked):
                return earlier
    return None


def _waits_for_later_values(missing: list[str], asked: set[str]) -> bool:
    """Whether an action not applied waits only for values no step before the one attested asks for
    (the vendor's console shows them later): it does not hold that step back. Values asked before it
    (Oort's AWS values at 4.4) do: a step after the action they feed (4.5b, the event source
    associated) cannot have happened before it runs."""
    values = [r[len(INPUT_PREFIX):] for r in missing if r.startswith(INPUT_PREFIX)]
    return bool(values) and not asked.intersection(values)


def plan_depends_on(playbook: Playbook, facts: Mapping[str, Any] | None) -> set[str]:
    """The inputs a plan depends on: ``planned_inputs`` and the profile attributes it asked for
    (kept in ``facts``)."""
    return planned_inputs(playbook) | {a.key for a in asked_inputs.asked(facts or {})}


class Stale(StrEnum):
    """Why a plan no longer shows what Apply would do."""

    values = "values"  # the operator saved a value it depends on
    settings = "settings"  # an administrator changed a vendor setting its actions still to apply use


def action_settings(spec: ActionSpec) -> set[str]:
    """The vendor settings an action uses: in its parameters or its ``when:``."""
    return {name for namespace, name in references(spec.params) if namespace == "setting"} | \
        {c.name for c in clauses(spec.when) if c.namespace == "setting"}


def plan_is_stale(playbook: Playbook, plan: OnboardingPlan, inputs: Mapping[str, Any] | None,
                  facts: Mapping[str, Any] | None, settings: Mapping[str, Any] | None = None) -> Stale | None:
    """Why ``plan`` is out of date, or None: a value it depends on was saved different since it was
    made, or one of ``settings`` (those the actions still to apply use, as kept now) differs from
    the one it was made with (not compared when None: saving values changes no setting)."""
    if is_stale(plan, inputs, plan_depends_on(playbook, facts)):
        return Stale.values
    if settings is not None and settings_changed(plan, settings):
        return Stale.settings
    return None


def missing_required(specs: Iterable[tuple[InputSpec, Any]]) -> list[str]:
    """The labels of required values still empty (each input with its value, defaults filled in):
    a step's attestation waits for them, on the page and in the service alike."""
    return [spec.label for spec, value in specs if spec.required and spec.when is None and value in (None, "", [])]


def planned_inputs(playbook: Playbook) -> set[str]:
    """The inputs a plan depends on: those its actions send (their parameters), those that decide
    which actions run (a step's or an action's ``when:``) and those an action waits for. A value
    only a person pastes elsewhere (Sentinel's workspace) is not one: saving it leaves the plan."""
    names: list[str] = []
    for step, action in playbook.actions():
        names += [name for namespace, name in references(action.params) if namespace == "input"]
        names += [c.name for c in clauses(step.when) + clauses(action.when) if c.namespace == "input"]
        names += [r[len(INPUT_PREFIX):] for r in action.requires if r.startswith(INPUT_PREFIX)]
    return _with_defaults(playbook, names)

"""The values an onboarding was given (the service account's login, the group names, the name of the
integration in the vendor's console, the AWS account...), as its steps asked for them: an auditor
reads what the wizard acted on and what the person was told to type in the vendor's console, not
only that it was done. No value is a secret: tokens and client secrets are never inputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine import asked_inputs
from app.engine.runtime import Loaded
from app.engine.status import AS_PROPOSED
from app.onboardings.token_name import TOKEN_NAME_INPUT
from app.playbooks.schema import InputSpec
from app.playbooks.templates import references


@dataclass(frozen=True)
class GivenValue:
    step: str  # "3 Create the custom role": where the document asks for it
    label: str
    value: str
    # Nobody saved it: the playbook's default, shown in its box and used as it is (QA walk 16, L1:
    # the hand-off summary listed defaults as values a person had given).
    default: bool = False

    @property
    def words(self) -> str:
        return f"{self.value} (the wizard's default, unchanged)" if self.default else self.value


def in_words(spec: InputSpec, value: Any) -> str:
    """A value as the form showed it: a choice by its text, yes/no, a list joined, "—" for none."""
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(str(item) for item in value) or "—"
    if value in (None, ""):
        return "—"
    return dict(spec.choices).get(str(value), str(value))


def _declared(loaded: Loaded, key: str) -> bool:
    return any(spec.key == key for spec in loaded.playbook.inputs)


def given_values(loaded: Loaded) -> list[GivenValue]:
    """Each value once, at the first step of the document that asks for it, in the document's order."""
    scope, seen, given = loaded.scope, set[str](), list[GivenValue]()
    saved = loaded.onboarding.inputs or {}
    proposed = set(loaded.scope.facts.get(AS_PROPOSED) or [])  # saved as the wizard proposed them
    for _section, step in loaded.playbook.steps():
        if not scope.condition(step.when):
            continue
        # Asked on the step, asked by the plan there (attributes the org's schema needs), or a value
        # of the playbook its actions or pasted values use (the custom role's name, the token's).
        used = references([[a.params for a in step.actions if scope.condition(a.when)],
                           [paste.value for paste in step.task.paste] if step.task is not None else []])
        keys = list(step.inputs) + [name for space, name in used if space == "input" and name not in step.inputs]
        specs = [loaded.playbook.input(key) for key in dict.fromkeys(keys) if _declared(loaded, key)]
        specs += [asked.spec() for asked in asked_inputs.asked(scope.facts, step.key)]
        for spec in specs:
            if spec.key in seen or not scope.condition(spec.when):
                continue
            seen.add(spec.key)
            value = in_words(spec, scope.inputs.get(spec.key))
            unsaved = (saved.get(spec.key) in (None, "") or spec.key in proposed) \
                and scope.inputs.get(spec.key) not in (None, "", [])
            if spec.key == TOKEN_NAME_INPUT:
                value = _token_named(scope.facts, value)
                unsaved = unsaved and not scope.facts.get(TOKEN_NAME_INPUT)  # the name of the token pasted
            given.append(GivenValue(step=f"{step.number} {step.title}", label=spec.label, value=value, default=unsaved))
    return given


def _token_named(facts: Mapping[str, Any], proposed: str) -> str:
    """The token's name as verified, where the person gave it another than the one proposed (a
    re-pasted "Microsoft Sentinel 2" read as the first token's name: QA walk 10, L6)."""
    verified = str(facts.get(TOKEN_NAME_INPUT) or "")  # the verified token's name is the fact of that name
    if not verified or verified.casefold() == proposed.casefold():
        return proposed
    return f"{verified} (the token verified; the name proposed was {proposed})"

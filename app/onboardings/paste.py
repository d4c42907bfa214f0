"""The values a step's task gives to paste elsewhere (the vendor's console), each with the words
the page shows when it is not known yet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import NamedTuple

from app.engine.scope import Scope, TemplateError
from app.onboardings.token_name import TOKEN_NAME_INPUT, TokenName
from app.playbooks.schema import PasteValue, StepSpec
from app.playbooks.templates import references
from app.store.models import OnboardingSecret


class PasteRow(NamedTuple):
    """One value to paste. ``copy`` is False for words that are not the value itself (where the
    person finds it, "leave it empty", a value the earlier steps have not produced yet): those are
    never offered to the clipboard."""

    label: str
    text: str
    note: str
    copy: bool
    # The kept secret the row stands for (its purpose): once it is revealed on the page, the row
    # says so rather than still asking to reveal it (QA walk 12, L7).
    secret: str | None = None

# A kept secret's row before the wizard keeps it, and once it is destroyed.
NOT_KEPT_YET = "Not kept yet: the wizard keeps it once the step that makes it has run"
KEPT_NO_LONGER = "No longer kept: the wizard destroyed it once its step was attested"


def paste_row(scope: Scope, paste: PasteValue, written_at: dict[str, StepSpec],
              secrets: Mapping[str, OnboardingSecret] | None = None, token_name: TokenName | None = None) -> PasteRow:
    """One value of a step's task to paste, as the page shows it. ``secrets``: the onboarding's
    kept secrets by purpose (destroyed ones too), for a row that is one of them. ``token_name``:
    the name proposed for the service account's token, given in place of the input, and why."""
    if paste.secret is not None:
        kept = (secrets or {}).get(paste.secret)
        destroyed = kept is not None and kept.destroyed_at is not None
        text = NOT_KEPT_YET if kept is None else KEPT_NO_LONGER if destroyed else paste.where
        # Once destroyed, its note ("Destroyed once you attest …") is not said beside it (QA walk 19, L5).
        return PasteRow(paste.label, text or "", "" if destroyed else paste.note, copy=False,
                        secret=paste.secret if text == paste.where else None)
    if paste.value is None:
        return PasteRow(paste.label, paste.where or "", paste.note, copy=False)
    note = paste.note
    if token_name is not None and token_name.reason and ("input", TOKEN_NAME_INPUT) in references(paste.value):
        scope = replace(scope, inputs={**scope.inputs, TOKEN_NAME_INPUT: token_name.name})
        note = " ".join(part for part in (token_name.reason, paste.note) if part)
    try:
        value = str(scope.render(paste.value))
    except TemplateError:
        # A value the operator writes on an earlier step (Sentinel's workspace) names that step.
        missing = [written_at[name] for space, name in references(paste.value)
                   if space == "input" and name in written_at and scope.inputs.get(name) in (None, "")]
        where = f"Written at step {missing[0].number} ({missing[0].title})" if missing else \
            "Known once the earlier steps are done"
        return PasteRow(paste.label, where, note, copy=False)
    if not value.strip():
        return PasteRow(paste.label, "Leave it empty", note, copy=False)
    return PasteRow(paste.label, value, note, copy=True)

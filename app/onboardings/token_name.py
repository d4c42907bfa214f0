"""The name the wizard proposes for the service account's API token (the playbook input
``service_token_name``), and the step that asks for the token.

Okta lists a token's name, never its value, so the paste finds the token by this name. An account
the wizard adopted may already have a token by it (a first onboarding of the vendor made one): a
second token by the same name left the paste unable to tell which was pasted (QA walk, M5). The
wizard then proposes a name none of the account's tokens has, and says why. The account's tokens
are those Okta listed once, as the account was adopted (app/engine/actions/users.py): no call here."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.common.moments import okta_moment, stamp
from app.engine.actions.users import TOKENS_HELD
from app.engine.runtime import Loaded
from app.playbooks.tasks import ServiceTokenTask

TOKEN_NAME_INPUT = "service_token_name"  # noqa: S105 - an input key: the name the wizard proposes
MAX_LENGTH = 100  # the input's and the paste form's limit
_NUMBERED = re.compile(r"(.*\S)\s+(\d{1,4})")


def token_task(loaded: Loaded) -> ServiceTokenTask:
    """The parameters of the step that asks for the token (the first one shown, if a playbook
    has one per mode); the defaults if none declares any."""
    for _section, step in loaded.playbook.steps():
        if step.task is not None and step.task.kind == "service_token" and loaded.scope.condition(step.when):
            return ServiceTokenTask.model_validate(step.task.params)
    return ServiceTokenTask()


def _key(name: object) -> str:
    return str(name or "").strip().casefold()


@dataclass(frozen=True)
class TokenName:
    """The name proposed (``name``) for the name given (``given``: the operator's value or the
    playbook's default); ``same`` of the adopted account's tokens already had ``given``, the newest
    made at ``created`` (Okta's time)."""

    name: str
    given: str
    same: int = 0
    created: str | None = None

    @property
    def reason(self) -> str:
        """Why the name is not the one given, in words ("" when it is)."""
        if not self.same:
            return ""
        what = f"a token named “{self.given}”" if self.same == 1 else f"{self.same} tokens named “{self.given}”"
        moment = okta_moment(self.created)
        when = "" if moment is None else f" ({'' if self.same == 1 else 'the newest '}created {stamp(moment)})"
        return (f"The service account already has {what}{when}, made before this onboarding: name this one "
                f"“{self.name}”, so that the wizard can tell the token you paste from it.")


def propose(given: str, held: Sequence[Mapping[str, Any]]) -> TokenName:
    """``given``, or when the account's tokens (``held``) have it already, the first of "given 2",
    "given 3", ... they do not have ("Oort 3" after "Oort 2", not "Oort 2 2")."""
    names = {_key(token.get("name")) for token in held}
    if not given or _key(given) not in names:
        return TokenName(given, given)
    same = [token for token in held if _key(token.get("name")) == _key(given)]
    newest = max((str(token.get("created") or "") for token in same), default="") or None
    numbered = _NUMBERED.fullmatch(given)
    base, number = (numbered.group(1), int(numbered.group(2)) + 1) if numbered else (given, 2)
    while True:
        suffix = f" {number}"
        name = base[:MAX_LENGTH - len(suffix)].rstrip() + suffix
        if _key(name) not in names:
            return TokenName(name, given, len(same), newest)
        number += 1


def token_name_of(loaded: Loaded) -> TokenName:
    """The name the wizard proposes for this onboarding's service account token."""
    given = str(loaded.scope.inputs.get(TOKEN_NAME_INPUT) or "").strip()
    held = loaded.scope.facts.get(TOKENS_HELD.format(fact=token_task(loaded).user_fact))
    return propose(given, [token for token in held if isinstance(token, Mapping)] if isinstance(held, list) else [])

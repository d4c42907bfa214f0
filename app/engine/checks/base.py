"""A check proves one item of a document's verification list against Okta (passed, or failed
with what was found and what to do), or asks a named person to attest what Okta cannot show."""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from app.common.registry import KindRegistry
from app.engine.context import Context
from app.engine.scope import Scope, TemplateError
from app.playbooks.schema import CheckSpec
from app.store.statuses import CheckStatus


class CheckParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# What a person does when a check finds gone from Okta what the wizard made. The plan reads again
# what it can make again (a role, a grant, an attribute: actions that ``restore``) once a
# verification failed; what carries more than itself (the service account and its token, an app or
# integration and the client secret the vendor holds) is made again only by a new onboarding.
MAKE_AGAIN = "Make the plan again and confirm it: the wizard reads Okta again and makes again only what is gone"
START_AGAIN = ("undo this onboarding (it removes what the wizard made that is left) and start a new one, "
               "which makes it again")

# An accepted outcome's evidence (``CheckStatus.accepted``): the key of the attestation it rests on,
# and what Okta shows instead of the item ("Okta shows 3 email domains"), for the report's Result.
ACCEPTED_BY = "accepted_by"
UNMET = "unmet"
# A ``from_facts`` outcome that is a read of Okta made outside a verification (the org's engine, read
# when the connection was checked): when it was made, in seconds since the epoch. The page shows it
# until a verification reads Okta again, and a newer run's result over it.
READ_AT = "read_at"


@dataclass
class CheckOutcome:
    status: CheckStatus
    found: str
    remedy: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    # Facts the engine keeps for later runs and templates (e.g. when a smoke test last passed).
    facts: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def passed(cls, found: str, **evidence: Any) -> CheckOutcome:
        return cls(CheckStatus.passed, found, None, evidence)

    @classmethod
    def failed(cls, found: str, remedy: str, **evidence: Any) -> CheckOutcome:
        return cls(CheckStatus.failed, found, remedy, evidence)

    @classmethod
    def waiting(cls, found: str, remedy: str, **evidence: Any) -> CheckOutcome:
        """Not yet, and not a fault: a wait the document asks for is running or not started."""
        return cls(CheckStatus.waiting, found, remedy, evidence)


@dataclass
class CheckState:
    """What the engine knows besides Okta: action checkpoints and attestations."""

    actions: dict[str, dict[str, Any]] = field(default_factory=dict)
    attestations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The API tokens other onboardings on the same org (not undone or closed) verified as theirs:
    # their own token checks watch them, so a service account two onboardings share is not told of
    # the other's token as one nobody watches (app/engine/checks/other_tokens.py).
    tokens_elsewhere: frozenset[str] = frozenset()


class Check(ABC):
    kind: ClassVar[str]
    params_model: ClassVar[type[CheckParams]]
    manual: ClassVar[bool] = False
    # Whether it asks Okta (an attestation, a fact the wizard keeps, a timer do not): a run in which
    # no check that asks Okta was answered could not use the connection at all.
    reads_okta: ClassVar[bool] = True
    # The facts its outcome may keep (``CheckOutcome.facts``), as names or patterns filled from the
    # parameters, like ``Action.produces``.
    produces: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, key: str, raw_params: dict[str, Any]) -> None:
        self.key = key
        self.raw_params = raw_params

    def params(self, ctx: Context) -> Any:
        return self.params_model.model_validate(ctx.scope.render(self.raw_params))

    def unready(self) -> CheckOutcome | None:
        """What the check reports while a value its parameters name is not known yet (the step
        that learns it has not run), or None when that cannot happen to it."""
        return None

    def from_facts(self, scope: Scope, state: CheckState) -> CheckOutcome | None:
        """What the check finds from the onboarding's facts and attestations alone (no Okta call)
        once they answer it, so the page shows it at once (a pasted token's proof, an attestation
        that accepts what the last verification found), not only after the next verification;
        None for a check that reads Okta, or while they do not answer it yet."""
        return None

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        """Render the parameters and `check` them against Okta; a parameter an earlier step has not
        produced yet gives the check's `unready` outcome (a check that names none fails loudly)."""
        try:
            params = self.params(ctx)
        except TemplateError:
            outcome = self.unready()
            if outcome is None:
                raise
            return outcome
        return await self.check(ctx, state, params)

    async def check(self, ctx: Context, state: CheckState, params: Any) -> CheckOutcome:
        """The check itself, with its parameters rendered (checks that override `evaluate` skip it)."""
        raise NotImplementedError(f"{type(self).__name__} overrides neither check nor evaluate")


CHECKS: KindRegistry[Check] = KindRegistry("check", "app.engine.checks")
register = CHECKS.register


def check_registry() -> dict[str, type[Check]]:
    """Every check kind; each module of this package registers its checks when imported."""
    return CHECKS.all()


def reads_okta(kind: str) -> bool:
    found = check_registry().get(kind)
    return found is None or found.reads_okta


def answered_by_facts(spec: CheckSpec, scope: Scope, state: CheckState) -> CheckOutcome | None:
    """What the check finds from the facts and attestations alone, or None (see `Check.from_facts`)."""
    return check_registry()[spec.kind](spec.key, spec.params).from_facts(scope, state)


def settles(answer: CheckOutcome | None) -> bool:
    """Whether what the facts answer of a check settles it: passed, or accepted on an attestation."""
    return answer is not None and answer.status in (CheckStatus.passed, CheckStatus.accepted)

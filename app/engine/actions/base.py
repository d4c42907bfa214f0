"""An action is an idempotent command on one Okta object, found by its natural key (a login, a
role label, an attribute name): plan it (read only), apply it (adopt what exists, create what
does not, refuse to overwrite what differs), and undo it (remove only what it created).

Before any write, an action checkpoints its intent. If the server dies between Okta's answer
and the checkpoint of the result, the next attempt sees the intent, looks the object up again
(patiently: Okta is eventually consistent) and records it as created by us, not adopted."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from app.common.registry import KindRegistry
from app.engine.context import Context
from app.engine.scope import Scope
from app.okta.errors import OktaNotFound
from app.store.statuses import ActionOutcome, ActionState, Verdict

T = TypeVar("T")


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActionError(Exception):
    """The action cannot proceed; ``message`` tells the operator why and what to do."""

    def __init__(self, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.conflict = conflict


@dataclass
class PlanItem:
    verdict: Verdict
    summary: str
    calls: list[str] = field(default_factory=list)
    object_type: str | None = None
    object_id: str | None = None
    detail: str | None = None
    # What the plan learned that later items can use (the id of an object it will adopt).
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Applied:
    outcome: ActionOutcome
    summary: str
    object_type: str | None = None
    object_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def created(self) -> bool:
        return self.outcome == ActionOutcome.created


@dataclass
class Record:
    """The action's checkpoint as the engine last saved it."""

    state: str = ActionState.pending
    outcome: str | None = None
    created_by_us: bool = False
    object_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def intent(self) -> str | None:
        value = self.details.get("intent")
        return str(value) if value else None


class Action(ABC):
    kind: ClassVar[str]
    params_model: ClassVar[type[Params]]
    # Shown in preflight: which actions fail without a Super Administrator credential.
    needs_super_admin: ClassVar[bool] = True
    description: ClassVar[str] = ""
    # ``preview``'s words: parameters named in braces, how one is said, and its words until known.
    preview_words: ClassVar[str] = "{what}: {label}"
    shown: ClassVar[dict[str, Callable[[Any], str]]] = {}
    unknown: ClassVar[dict[str, str]] = {}
    # The facts its plan or apply may set (``PlanItem.facts``, ``Applied.facts``), so playbooks are
    # checked at load: a fact name, or a pattern filled from the parameters ("{fact}_login": the
    # value of the ``fact`` parameter, or its default, then "_login"; none when that value is None).
    produces: ClassVar[frozenset[str]] = frozenset()
    # Whether a plan made after a verification found something wrong may make it again when it is
    # gone from Okta since it was done (a role unassigned, a grant revoked: drift), or make its own
    # change again when its plan proposes one (an attribute's user permission, in a user type added
    # since). Never what its plan calls a conflict: that is not the wizard's to overwrite. Not for what
    # carries more than itself: a service account (its token), an app or integration (the client
    # secret the vendor holds), a log stream (the vendor's event source), or what removes things.
    restores: ClassVar[bool] = False

    def __init__(self, raw_params: dict[str, Any]) -> None:
        self.raw_params = raw_params

    def may_restore(self) -> bool:
        """Whether this instance is made again when gone (``restores``; a parameter may say no)."""
        return self.restores

    def preview(self, scope: Scope) -> str:
        """What it does, in words, before a plan has read Okta: a step lists its actions by it (two
        read "The wizard does this through the Okta API" side by side: QA walk 11, L5). The class's
        ``preview_words`` with its parameters the scope can fill, each as ``shown`` says it, else as
        ``unknown`` says it, and ``what`` its ``description`` (a parameter of that name is Okta's
        description of a role: QA walk 12, M3); the ``description`` alone where a parameter is neither."""
        values = dict(self.unknown)
        for key, value in self.raw_params.items():
            if scope.can_render(value) and (shown := self.shown.get(key, str)(scope.render(value))):
                values[key] = shown
        try:
            return self.preview_words.format_map({**values, "what": self.description})
        except KeyError:
            return self.description

    def params(self, ctx: Context) -> Any:
        return self.params_model.model_validate(ctx.scope.render(self.raw_params))

    @abstractmethod
    async def plan(self, ctx: Context) -> PlanItem: ...

    @abstractmethod
    async def apply(self, ctx: Context, record: Record) -> Applied: ...

    async def undo(self, ctx: Context, record: Record) -> str | None:
        """Remove what apply created (only called when the record says we created or changed
        something). Returns a summary, or None if there was nothing left to remove."""
        return None

    def undo_words(self, record: Record) -> str | None:
        """What undo will do, for its confirmation page, where "remove" (created) or "restore the
        previous value" (changed) does not say it: None for those."""
        return None


async def settled(ctx: Context, read: Callable[[], Awaitable[T]]) -> T:
    """Read something that exists (an object this onboarding has just made, say). Okta serves
    reads from replicas, so one may answer 404 for a moment after the write: look again, as
    patiently as ``Context.look_again`` does, before believing it."""
    attempt = 1
    while True:
        try:
            return await read()
        except OktaNotFound:
            if attempt >= ctx.settle_attempts:
                raise
            await ctx.clock.sleep(ctx.settle_delay_seconds * attempt)
            attempt += 1


ACTIONS: KindRegistry[Action] = KindRegistry("action", "app.engine.actions")
register = ACTIONS.register


def registry() -> dict[str, type[Action]]:
    """Every action kind. Each module of this package registers its actions when imported, so
    adding a kind of Okta object is adding a module."""
    return ACTIONS.all()

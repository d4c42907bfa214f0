"""Checking a playbook at load, beyond its shape (app/playbooks/schema.py): a playbook that would
fail only once an onboarding reaches it stops the server instead, with a message naming the file
and the step.

- Every action's ``kind`` is an action kind, every check's ``kind`` a check kind (of the catalog
  the engine supplies), with exactly the parameters that kind takes.
- Every template (``{input.x}``, ``{fact.x}``, ``{setting.x}``, ``{org.x}``, ``{admin.x}``) and
  every ``when:`` and ``requires:`` names something that exists: an input or setting of the
  playbook, a value of the org or of its administrator, or a fact something produces.
- A fact is produced by an action (its kind's ``produces``), a check (the same), or a person's
  task (a verified service token, a started timer: app/playbooks/tasks.py); and it must be
  produced *before* it is used, in playbook order:
    - an action's parameters and ``when:`` use facts of earlier actions and of earlier steps'
      tasks (the plan fills an action's parameters from what the actions before it found);
    - an action's ``requires:`` may also wait for this step's own task (that is what it is for);
    - a step's ``when:`` uses facts of earlier steps;
    - a step's paste values use facts of this step and earlier ones;
    - checks, inputs' and settings' defaults and inputs' ``when:`` may use a fact of any step:
      verification runs after every action, wherever the document lists the check, and a check's
      own facts are kept by one verification for the next.
- An attestation that ``proves_connection`` (the vendor shows Okta's data) comes after the step
  that takes the service account's token, whose use in Okta the wizard reads when it is given.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from app.playbooks.kinds import Kind, KindCatalog, ProducesError, produced
from app.playbooks.schema import ActionSpec, CheckSpec, Playbook, StepSpec
from app.playbooks.tasks import TOKEN_VERIFIED, ServiceTokenTask, task_facts
from app.playbooks.templates import ADMIN_NAMES, NAMESPACES, ORG_NAMES, clauses, references

INPUT_PREFIX = "input."  # in ``requires:``, an input to wait for; anything else is a fact


class PlaybookError(Exception):
    pass


def _hint(name: str, known: Iterable[str], namespace: str | None = None) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if not close:
        return ""
    return f"; did you mean {namespace + '.' if namespace else ''}{close[0]}?"


@dataclass
class _Checker:
    playbook: Playbook
    kinds: KindCatalog
    source: str  # the playbook's file name, to say where
    # Every fact something in the playbook produces, and where (for "produced only later").
    everywhere: dict[str, str] = field(default_factory=dict)

    def fail(self, where: str, message: str) -> PlaybookError:
        return PlaybookError(f"{self.source}, {where}: {message}")

    # -- kinds ------------------------------------------------------------------------------

    def kind(self, where: str, what: str, spec: ActionSpec | CheckSpec, known: Mapping[str, Kind]) -> Kind:
        found = known.get(spec.kind)
        if found is None:
            raise self.fail(where, f"{what} '{spec.key}' has unknown kind {spec.kind} (not a registered {what} "
                                   f"kind{_hint(spec.kind, known)})")
        self.params(where, f"{what} '{spec.key}'", found.params_model, spec.params)
        return found

    def params(self, where: str, what: str, model: type[BaseModel], params: dict[str, Any]) -> None:
        fields = model.model_fields
        unknown = set(params) - set(fields)
        if unknown:
            raise self.fail(where, f"{what} has unknown parameters {sorted(unknown)}")
        missing = [name for name, info in fields.items() if info.is_required() and name not in params]
        if missing:
            raise self.fail(where, f"{what} lacks required parameters {missing}")

    def produced(self, where: str, what: str, kind: Kind, params: Mapping[str, Any]) -> set[str]:
        try:
            return produced(kind, params)
        except ProducesError as exc:
            raise self.fail(where, f"{what}: {exc}") from None

    # -- names ------------------------------------------------------------------------------

    def name(self, where: str, namespace: str, name: str, facts: Collection[str], shown: str) -> None:
        """``shown`` is how the playbook wrote it: "{fact.x}", "when: fact.x"..."""
        inputs = {spec.key for spec in self.playbook.inputs}
        if namespace == "fact":
            if name in facts:
                return
            later = self.everywhere.get(name)
            if later is not None:
                raise self.fail(where, f"{shown}: fact {name} is produced only later, by {later}")
            raise self.fail(where, f"{shown}: fact {name} is not produced by any earlier step"
                                   f"{_hint(name, facts, 'fact')}")
        table: Collection[str] = {"input": inputs, "setting": self.playbook.settings, "org": ORG_NAMES,
                                  "admin": ADMIN_NAMES}.get(namespace, ())
        if namespace not in NAMESPACES:
            raise self.fail(where, f"{shown}: unknown namespace {namespace} (one of {', '.join(sorted(NAMESPACES))})")
        if name not in table:
            what = {"input": "input", "setting": "setting", "org": "value of the org",
                    "admin": "value of the administrator"}[namespace]
            raise self.fail(where, f"{shown}: undefined {what} {name}{_hint(name, table, namespace)}")

    def templates(self, where: str, value: Any, facts: Collection[str]) -> None:
        for namespace, name in references(value):
            self.name(where, namespace, name, facts, f"{{{namespace}.{name}}}")

    def condition(self, where: str, expression: str | None, facts: Collection[str]) -> None:
        for clause in clauses(expression):
            if not clause.name:
                raise self.fail(where, f"when: {expression!r}: {clause.reference!r} is not namespace.name "
                                       "(input.x, fact.x...)")
            self.name(where, clause.namespace, clause.name, facts, f"when: {clause.reference}")

    def requires(self, where: str, action: ActionSpec, facts: Collection[str]) -> None:
        for requirement in action.requires:
            if requirement.startswith(INPUT_PREFIX):
                self.name(where, "input", requirement[len(INPUT_PREFIX):], facts, f"requires: {requirement}")
            else:
                self.name(where, "fact", requirement, facts, f"requires: {requirement}")

    # -- the playbook -----------------------------------------------------------------------

    def collect(self) -> None:
        """Every fact the playbook's steps produce, for inputs' defaults and better messages."""
        actions, checks = self.kinds.actions(), self.kinds.checks()
        for _section, step in self.playbook.steps():
            where = f"step '{step.key}'"
            for fact in self.task(step):
                self.everywhere.setdefault(fact, f"the task of step '{step.key}'")
            for action in step.actions:
                kind = self.kind(where, "action", action, actions)
                for fact in self.produced(where, f"action '{action.key}'", kind, action.params):
                    self.everywhere.setdefault(fact, f"action '{action.key}' of step '{step.key}'")
            for check in step.checks:
                kind = self.kind(where, "check", check, checks)
                for fact in self.produced(where, f"check '{check.key}'", kind, check.params):
                    self.everywhere.setdefault(fact, f"check '{check.key}' of step '{step.key}'")

    def task(self, step: StepSpec) -> set[str]:
        if step.task is None:
            return set()
        params: ServiceTokenTask | None = None
        if step.task.kind == "service_token":
            try:
                params = ServiceTokenTask.model_validate(step.task.params)
            except ValidationError as exc:
                raise self.fail(f"step '{step.key}'", f"invalid token task parameters: {exc.errors()[0]['msg']}"
                                ) from exc
        return task_facts(step.key, step.task.kind, params)

    def check(self) -> None:
        self.collect()
        anywhere = set(self.everywhere)
        for spec in self.playbook.inputs:
            self.templates(f"input '{spec.key}'", spec.default, anywhere)
            self.condition(f"input '{spec.key}'", spec.when, anywhere)
        for key, setting in self.playbook.settings.items():
            self.templates(f"setting '{key}'", setting.default, anywhere)
        actions, checks = self.kinds.actions(), self.kinds.checks()
        known: set[str] = set()  # facts produced so far, in playbook order
        for _section, step in self.playbook.steps():
            where = f"step '{step.key}'"
            self.condition(where, step.when, known)
            own_task = self.task(step)
            if step.task is not None and step.task.kind == "service_token":
                # The token task waits for the account whose id it names.
                user_fact = ServiceTokenTask.model_validate(step.task.params).user_fact
                self.name(where, "fact", user_fact, known, f"task user_fact: {user_fact}")
            for action in step.actions:
                what = f"{where}, action '{action.key}'"
                self.templates(what, action.params, known)
                self.condition(what, action.when, known)
                self.requires(what, action, known | own_task)
                known |= self.produced(where, f"action '{action.key}'", self.kind(where, "action", action, actions),
                                       action.params)
            known |= own_task
            if step.task is not None:
                for value in step.task.paste:
                    if value.value is not None:
                        self.templates(f"{where}, paste '{value.label}'", value.value, known)
                    if value.copied_token and not any(s.task is not None and s.task.kind == "service_token"
                                                      for _section, s in self.playbook.steps()):
                        raise self.fail(where, f"paste '{value.label}': copied_token, but no step takes the "
                                        "service account's token")
                    if value.secret is not None and value.secret not in step.task.reveals:
                        raise self.fail(where, f"paste '{value.label}': secret {value.secret} is not one the step "
                                        f"reveals ({', '.join(step.task.reveals) or 'none'})")
            for check in step.checks:
                what = f"{where}, check '{check.key}'"
                self.templates(what, check.params, anywhere)
                self.condition(what, check.when, anywhere)
                self.proof(what, check, known)
                known |= self.produced(where, f"check '{check.key}'", self.kind(where, "check", check, checks),
                                       check.params)


    def proof(self, where: str, check: CheckSpec, known: Collection[str]) -> None:
        """``proves_connection``: a person's word that the vendor connected, which the wizard weighs
        against the token's use in Okta; so only an attestation, after the token is pasted (its
        words are said when it is attested: the facts known by then)."""
        if check.proves_connection is None:
            return
        if check.kind != "attest":
            raise self.fail(where, "proves_connection is for an attestation (a check Okta answers proves itself)")
        if TOKEN_VERIFIED not in known:
            raise self.fail(where, "proves_connection, but no earlier step takes the service account's token (the "
                                   "wizard reads the token's use in Okta)")
        for text in (check.proves_connection.where, check.proves_connection.seen, check.proves_connection.first_call):
            self.templates(f"{where}, proves_connection", text, known)


def validate(playbook: Playbook, kinds: KindCatalog, source: str) -> Playbook:
    """The playbook, once every kind, parameter, name and fact it uses is known to exist
    (``source``: its file name, said in errors); else PlaybookError."""
    _Checker(playbook, kinds, source).check()
    return playbook

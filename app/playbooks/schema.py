"""The shape of a playbook. A playbook mirrors its vendor document: the document's sections in
order; in each, numbered steps titled as the document titles them (short titles only, no prose),
who acts, the inputs, the Okta actions, the checks that prove the step, and the notes and
warnings. ``doc`` on every step names the section and step numbers of the document it covers.

``kind:`` means four different things, by where it is written:

- on an input (``InputKind``): the kind of form field and its validation (text, email, choice...);
  a fixed list, checked here;
- on an action (``ActionKind``): which Okta object it creates or adopts, a kind of the engine's
  action registry (app/engine/actions); checked at load against that registry only;
- on a check (``CheckKind``): which verification it runs, a kind of the engine's check registry
  (app/engine/checks), ``attest`` for what a person confirms; checked against that registry only;
- on a task (``TaskKind``): what a person does for the step (follow instructions, paste the
  service account's token, wait for a timer); a fixed list, checked here.

Action and check kinds are only names here: the loader checks them against the catalog the engine
supplies (app/playbooks/kinds.py, app/playbooks/validation.py)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
Actor = Literal["wizard", "okta_console", "service_account", "vendor_console", "cloud_console"]
InputKind = Literal["text", "email", "choice", "boolean", "aws_account", "aws_region", "aws_event_source",
                    "group_names", "user_logins", "lines"]
TaskKind = Literal["instructions", "service_token", "timer", "choose"]
ActionKind = Annotated[str, Field(description="a kind of the engine's action registry, e.g. okta_user")]
CheckKind = Annotated[str, Field(description="a kind of the engine's check registry, e.g. user_roles, attest")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compiles(value: str) -> str:
    try:
        re.compile(value)  # a bad expression stops the playbook from loading, not a form
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    return value


# A regular expression a value (or each item of a list) must match whole.
Regex = Annotated[str, AfterValidator(_compiles)]


class DocRef(Strict):
    section: str
    steps: list[str] = Field(default_factory=list)  # "1", "2", "P1"... as the document numbers them


class SettingSpec(Strict):
    """A value the api map marks unsure; administrators can override it in Settings."""

    label: str
    default: str | list[str]
    help: str
    unsure: bool = True
    # For a list: the whole of each item must match (an Okta permission or scope name, say), and
    # what to tell the administrator when one does not; Settings refuses the list.
    item_pattern: Regex | None = None
    item_hint: str = ""


class InputSpec(Strict):
    key: str
    label: str
    kind: InputKind = "text"  # the form field
    default: str | None = None
    help: str = ""
    required: bool = True
    max_length: int = 200
    # For text: a regular expression the whole value must match, and what to tell the operator.
    pattern: Regex | None = None
    pattern_hint: str = ""
    choices: list[tuple[str, str]] = Field(default_factory=list)
    when: str | None = None  # e.g. "input.mode == read_write"


class ActionSpec(Strict):
    key: str
    kind: ActionKind
    params: dict[str, Any] = Field(default_factory=dict)
    # Facts that must be true before this action may run, e.g. "service_token_verified".
    requires: list[str] = Field(default_factory=list)
    when: str | None = None


class ConnectionProof(Strict):
    """An attestation that proves the vendor connected with the service account's token (Sentinel's
    "The OktaSystemLogs table shows Okta's events"): before it is recorded, the wizard reads from
    Okta whether the token was used since it was pasted, and warns when there is no sign of it."""

    # Where, per the vendor's document, the person checks that what they saw is this org's data
    # read with this token (a template: "{input.workspace_name}"). Said in the warning.
    where: str = Field(min_length=1, max_length=600)
    # What the person saw, in the attestation's own words ("the Defender table shows the instance as
    # enabled"): the warning's "If <seen> all the same" (it read Sentinel's "Okta's data" for every
    # vendor: QA walk 12, L3).
    seen: str = Field(min_length=1, max_length=300)
    # When the vendor first calls Okta with the token (connectors read on a schedule): the warning
    # says the vendor may simply not have called yet, and that waiting beats confirming (walk 12, L3).
    first_call: str = Field(min_length=1, max_length=300)


class CheckSpec(Strict):
    key: str
    kind: CheckKind  # a check of the library, or "attest" for what only a person can confirm
    label: str
    params: dict[str, Any] = Field(default_factory=dict)
    when: str | None = None
    # For attestations: a secret of the onboarding that is destroyed once this is attested.
    destroys_secret: str | None = None
    # For attestations: it proves the vendor connected (app/onboardings/connection_proof.py).
    proves_connection: ConnectionProof | None = None

    def names(self) -> set[str]:
        """Its parameters' values as plain text: a kept secret the check reads is named among them
        (``secret: authomize_client_secret``)."""
        return {str(value) for value in self.params.values()}

    def destroys(self, secret: Any) -> bool:
        """Whether attesting this check destroys ``secret`` (an onboarding's kept secret row)."""
        return bool(secret.destroy_on == self.key or secret.purpose == self.destroys_secret)


class PasteValue(Strict):
    """One value the person pastes into the vendor's console. Either ``value``, a template the
    wizard fills in and offers to copy ("{org.display_domain}"), or ``where``: a value the wizard
    does not hold (the token the person copied, a secret revealed elsewhere), said in words and never
    offered to copy."""

    label: str
    value: str | None = None
    where: str | None = None
    note: str = ""
    # The kept secret (by purpose, one the step ``reveals``) the value is: ``where`` is said while it
    # is kept; before the wizard keeps it, and after it is destroyed, the page says so instead.
    secret: str | None = None
    # The service account's API token, which a person copied when they made it and the wizard never
    # keeps: once it is verified, whoever takes the onboarding over needs it from that person.
    copied_token: bool = False

    @model_validator(mode="after")
    def one_source(self) -> PasteValue:
        if (self.value is None) == (self.where is None):
            raise ValueError(f"paste '{self.label}' needs exactly one of value (a template the wizard fills in) "
                             "or where (words for a value the wizard does not hold)")
        return self


class TaskSpec(Strict):
    """What a person does for this step, with the exact places to click and values to paste."""

    kind: TaskKind = "instructions"
    instructions: list[str] = Field(default_factory=list)
    console_path: str | None = None  # a path in the Okta Admin Console, linked for the operator
    paste: list[PasteValue] = Field(default_factory=list)
    timer_minutes: int | None = None
    # Kept secrets (by purpose, e.g. activation_link) this step needs: offered for reveal right here.
    reveals: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    # A timer's wait the document asks to finish "before proceeding" (Sentinel's 15 minutes for an
    # Azure role): the later steps (by key) that cannot be done while it runs, or while it is due and
    # not started. Their timers and attestations are refused, and the card shows the wait instead.
    holds: list[str] = Field(default_factory=list)


class StepSpec(Strict):
    key: str
    number: str
    title: str = Field(max_length=90)
    actor: Actor
    doc: DocRef
    notes: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    inputs: list[str] = Field(default_factory=list)  # keys of playbook inputs asked at this step
    actions: list[ActionSpec] = Field(default_factory=list)
    checks: list[CheckSpec] = Field(default_factory=list)
    task: TaskSpec | None = None
    when: str | None = None
    waiting_for: Literal["service_token", "vendor_console", "timer", "operator"] | None = None
    # The document calls the step optional: its attestation, asked for once chosen after the
    # onboarding completed (Drata's User Access Review), is an open item, not a reason to undo it.
    optional: bool = False


class SectionSpec(Strict):
    key: str
    title: str
    notes: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    steps: list[StepSpec]


class OutlineSection(Strict):
    """A section of the vendor document and the numbers of its steps, as the document numbers them."""

    title: str
    steps: list[str] = Field(default_factory=list)


class EvidenceSpec(Strict):
    """Where the watch looks, after completion, for evidence that the vendor uses what was set up
    (besides a service token's use, which every playbook with a token check gets): the System Log's
    token grants to an OAuth client. Both values are templates (a fact, a setting)."""

    kind: Literal["oauth_token_grants"]
    client_id: str  # e.g. "{fact.authomize_client_id}"
    event_types: str  # e.g. "{setting.token_grant_event_types}"


class Playbook(Strict):
    key: str
    version: str
    name: str
    vendor: str
    document: str  # file name under the vendor documents
    document_title: str
    summary: str
    needs: list[str]
    settings: dict[str, SettingSpec] = Field(default_factory=dict)
    inputs: list[InputSpec] = Field(default_factory=list)
    evidence: EvidenceSpec | None = None
    # Where, in the vendor's console, a new API token of the service account replaces the old one,
    # in the document's own words (an instruction that follows "give it to the vendor"): the token
    # remedies name the vendor's place. None where the document does not say; the generic words stay.
    token_place: str | None = None
    # The document's own structure: every section and numbered step must be covered by a step.
    outline: list[OutlineSection]
    sections: list[SectionSpec]

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9-]{1,62}", value):
            raise ValueError("playbook key must be lowercase letters, digits and dashes")
        return value

    @model_validator(mode="after")
    def _unique_keys(self) -> Playbook:
        seen: set[str] = set()
        for section in self.sections:
            for step in section.steps:
                for key in [step.key] + [a.key for a in step.actions] + [c.key for c in step.checks]:
                    if not KEY.match(key):
                        raise ValueError(f"{key!r} is not a valid key")
                for key in [f"step:{step.key}"] + [f"action:{a.key}" for a in step.actions] + \
                        [f"check:{c.key}" for c in step.checks]:
                    if key in seen:
                        raise ValueError(f"duplicate {key}")
                    seen.add(key)
                for name in step.inputs:
                    if name not in {i.key for i in self.inputs}:
                        raise ValueError(f"step {step.key} asks for unknown input {name}")
        outline = {o.title: set(o.steps) for o in self.outline}
        covered: dict[str, set[str]] = {title: set() for title in outline}
        for section in self.sections:
            for step in section.steps:
                if step.doc.section not in outline:
                    raise ValueError(f"step {step.key} refers to section '{step.doc.section}', which is not in the "
                                     "document outline")
                unknown = set(step.doc.steps) - outline[step.doc.section]
                if unknown:
                    raise ValueError(f"step {step.key} refers to steps {sorted(unknown)} that section "
                                     f"'{step.doc.section}' does not have")
                covered[step.doc.section].update(step.doc.steps or ["(section)"])
        for title, numbers in outline.items():
            missing = numbers - covered[title]
            if missing or not covered[title]:
                raise ValueError(f"document section '{title}' step(s) {sorted(missing) or ['(section)']} are "
                                 "covered by no playbook step")
        return self

    @model_validator(mode="after")
    def _holds(self) -> Playbook:
        order = [step.key for _section, step in self.steps()]
        for _section, step in self.steps():
            held = step.task.holds if step.task is not None else []
            if held and (step.task is None or step.task.kind != "timer"):
                raise ValueError(f"step {step.key} holds steps, but only a timer's wait can hold them")
            for key in held:
                if key not in order or order.index(key) <= order.index(step.key):
                    raise ValueError(f"step {step.key} holds '{key}', which is not a step after it")
        return self

    # -- navigation --
    def steps(self) -> list[tuple[SectionSpec, StepSpec]]:
        return [(section, step) for section in self.sections for step in section.steps]

    def step(self, key: str) -> StepSpec:
        for _section, step in self.steps():
            if step.key == key:
                return step
        raise KeyError(key)

    def actions(self) -> list[tuple[StepSpec, ActionSpec]]:
        return [(step, action) for _section, step in self.steps() for action in step.actions]

    def checks(self) -> list[tuple[StepSpec, CheckSpec]]:
        return [(step, check) for _section, step in self.steps() for check in step.checks]

    def input(self, key: str) -> InputSpec:
        for spec in self.inputs:
            if spec.key == key:
                return spec
        raise KeyError(key)

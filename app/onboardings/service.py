"""What operators do to an onboarding besides running the engine: start one, give the inputs,
start a step's timer, attest a manual item, reveal a kept secret, send a test event. The service
account's token has its own module (`tokens.py`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common.aws import AWS_ACCOUNT_TYPED, AWS_REGIONS, EVENT_SOURCE, account_digits
from app.common.text import and_list
from app.common.validation import Fields, ValidationFailed
from app.engine import asked_inputs
from app.engine.checks.systemlog import LOG_DELAY_WORDS
from app.engine.engine import Engine
from app.engine.requirements import locked_inputs, plan_is_stale
from app.engine.runtime import load
from app.engine.scope import TemplateError
from app.engine.status import AS_PROPOSED, DRAFT_NEW, PERSON_CHANGED, changed_now, event_made_for
from app.okta.errors import OktaError
from app.onboardings import notes
from app.onboardings.attestations import (
    input_label,
    scope_of,
    withdraw_pasted,
)
from app.playbooks.schema import InputSpec, Playbook
from app.playbooks.templates import references
from app.store.base import utcnow
from app.store.models import OktaConnection, Onboarding, OnboardingPlan
from app.store.repositories.checkpoints import action_rows
from app.store.repositories.plans import same_value
from app.store.repositories.progress import (
    kept_secret_row,
)
from app.store.repositories.secrets import SecretDestroyed, SecretMismatch, SecretRepository, onboarding_owner
from app.store.repositories.state import add_onboarding, get_onboarding, learn, set_inputs, touch
from app.store.statuses import OnboardingStatus, Outcome
from app.vault import SealError, Secret, Vault

EMAIL = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


async def create_onboarding(session: AsyncSession, playbook: Playbook, connection: OktaConnection,
                            actor: Actor) -> Onboarding:
    onboarding = Onboarding(id=uuid.uuid4(), vendor=playbook.key, playbook_version=playbook.version,
                            connection_id=connection.id, org_origin=connection.org_origin,
                            status=OnboardingStatus.draft,
                            created_by_id=actor.id, assignee_id=actor.id, inputs={}, facts={},
                            status_note=DRAFT_NEW)
    await add_onboarding(session, onboarding)
    await record(session, action="onboarding_create", actor=actor, onboarding_id=onboarding.id,
                 subject_type="onboarding", subject_id=str(onboarding.id),
                 summary=f"{playbook.name} onboarding started for {connection.org_origin}")
    return onboarding


def check_input(form: Fields, spec: InputSpec) -> Any:
    """The input's value as the actions use it (a list of lines, a flag), or an error on the input.
    A value that holds a secret (an API token pasted into the wrong box) is refused: values are kept
    as typed and shown on the page, the report and the exports (security review, L3)."""
    value = _checked(form, spec)
    text = "\n".join(value) if isinstance(value, list) else value if isinstance(value, str) else ""
    found = notes.masked(text).masked if text else ()
    if found and spec.key not in form.errors:
        form.errors[spec.key] = (f"{spec.label} holds what looks like a secret ({and_list(found)}): it is not kept "
                                 "here, where values are shown as typed. Paste a secret only where a step asks for it.")
    return value


def _checked(form: Fields, spec: InputSpec) -> Any:
    name, label = spec.key, spec.label
    if spec.kind == "email":
        return form.text(name, label=label, required=spec.required, max_length=spec.max_length, pattern=EMAIL,
                         pattern_hint=f"{label} must be an email address, like name@example.com.")
    if spec.kind == "choice":
        return form.choice(name, label=label, choices=[c for c, _ in spec.choices], required=spec.required)
    if spec.kind == "boolean":
        return form.boolean(name)
    if spec.kind == "aws_account":
        # "1234-5678-9012", as AWS shows it, read "must be at most 12 characters" (QA walk 22, L2).
        return account_digits(form.text(name, label=label, required=spec.required, max_length=14,
                                        pattern=AWS_ACCOUNT_TYPED,
                                        pattern_hint="An AWS account id is exactly 12 digits."))
    if spec.kind == "aws_region":
        return form.choice(name, label=label, choices=AWS_REGIONS, required=spec.required)
    if spec.kind == "aws_event_source":
        return form.text(name, label=label, required=spec.required, max_length=75, pattern=EVENT_SOURCE,
                         pattern_hint="Use 1 to 75 letters, digits, dots, dashes or underscores (no spaces).")
    if spec.kind == "user_logins":
        return _logins(form, spec)
    if spec.kind in ("group_names", "lines"):
        text = form.text(name, label=label, required=spec.required, max_length=spec.max_length, multiline=True)
        return [line.strip() for line in text.splitlines() if line.strip()]
    return form.text(name, label=label, required=spec.required, max_length=spec.max_length,
                     pattern=re.compile(spec.pattern) if spec.pattern else None,
                     pattern_hint=spec.pattern_hint or f"{label} is not in the form it must have.")


LOGIN_SEPARATORS = re.compile(r"[\n,;]+")
OKTA_LOGIN_MAX = 100  # Okta's limit for a user's login


def _logins(form: Fields, spec: InputSpec) -> list[str]:
    """Okta logins, one a line (commas and semicolons, as in a pasted list of addresses, separate
    them too). A login has no spaces and at most 100 characters; whether Okta has each one is
    the plan's to say."""
    text = form.text(spec.key, label=spec.label, required=spec.required, max_length=spec.max_length,
                     multiline=True)
    logins = [entry.strip() for entry in LOGIN_SEPARATORS.split(text) if entry.strip()]
    bad = [login for login in logins if len(login) > OKTA_LOGIN_MAX or any(c.isspace() for c in login)]
    if bad and spec.key not in form.errors:
        # Every one, not the first only: the next was found at the next save (QA walk 19, L2).
        shown = and_list([f"“{login if len(login) <= 60 else login[:59] + '…'}”" for login in bad])
        form.errors[spec.key] = (f"{shown} {'is not an Okta login' if len(bad) == 1 else 'are not Okta logins'}: a "
                                 f"login has no spaces and at most {OKTA_LOGIN_MAX} characters (usually an email "
                                 "address, like ada@acme.com). Put one login on each line.")
    return logins


@dataclass
class Saved:
    """What a save did besides saving: the values sent empty that kept their value (by label), and
    the attestations it withdrew (each in words: the step, and the values that changed)."""

    empty: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    changed: bool = False  # whether any value differs from the one the page showed

    def said(self) -> str:
        """The save in words before what followed it (the plan it was pressed for), or "" when it
        changed nothing and left nothing out: the card's Make the plan saves what was typed too."""
        return " ".join((["Values saved."] if self.changed else []) + ([self.left_empty()] if self.empty else [])
                        + self.reopened)

    def left_empty(self) -> str:
        names = " and ".join(f"“{label}”" for label in self.empty)
        keeps = "it keeps" if len(self.empty) == 1 else "they keep"
        return f"{names} left empty, so not saved: {keeps} the value shown."


async def save_inputs(session: AsyncSession, playbook: Playbook, onboarding: Onboarding, typed: Mapping[str, str],
                      keys: Sequence[str], actor: Actor, steps: Sequence[str] = (),
                      required_now: Sequence[str] | None = None, quiet: bool = False) -> Saved:
    """Save the values of ``keys`` (the inputs of ``steps``, the steps the page's form holds) all
    at once, from ``typed``: what the operator typed, by input key (a box ticked is "on"). One
    invalid value saves none, and every error is reported, keyed by its input. A required value left
    empty is an error only among ``required_now`` (the step whose Save was pressed; all of ``keys``
    when None): another step's value may not be known yet (Oort's AWS values come after the first
    apply), and it is asked for when that step is saved or planned. Returns the labels of those
    sent empty that had a value (cleared, not saved: each keeps it), which the page says rather
    than silently showing it again (a value not given yet is not one), and the attestations of
    values pasted in a vendor's console that the save changed, withdrawn. ``quiet``: a save that
    changed nothing is not recorded (it came with Make the plan, not from a Save button)."""
    values = dict(onboarding.inputs or {})
    form = Fields(typed)
    given = [key for key in keys if required_now is None or key in required_now
             or not playbook.input(key).required or typed.get(key, "").strip()]
    skipped = [key for key in keys if key not in given and key in typed]
    for key in given:
        values[key] = check_input(form, playbook.input(key))
    # The steps' inputs the last plan added (required profile attributes of the org's schema).
    extra = [attribute for step in steps for attribute in asked_inputs.asked(onboarding.facts or {}, step)]
    for attribute in extra:
        values[attribute.key] = attribute.read(form, check_input)
    keys = [*given, *(attribute.key for attribute in extra)]
    form.raise_if_invalid("The values were not saved.")
    states = {key: row.state for key, row in (await action_rows(session, onboarding.id)).items()}
    # Compare with the values the actions used: what was saved, or else the default.
    used = (await scope_of(session, playbook, onboarding)).inputs
    locked = locked_inputs(playbook, states)
    changed_locked = [key for key in keys if key in locked and values.get(key) != used.get(key)]
    if changed_locked:
        raise ValidationFailed({key: f"{playbook.input(key).label} can no longer change: the wizard has "
                                "already acted on it in Okta. Undo the onboarding to start again with other values."
                                for key in changed_locked}, "The values were not saved.")
    if any(row for row in [onboarding.facts.get("service_account_id")]) and \
            values.get("service_account_login") != (onboarding.inputs or {}).get("service_account_login"):
        raise ValidationFailed({"service_account_login": "The service account already exists; its login "
                                "can no longer change here."})
    # The page's one form sends every step's values: the trail names those this save changed (from
    # what was saved before, or else the default the page showed).
    changed = [key for key in keys if not same_value(values.get(key), used.get(key))]
    # A value sent as its box showed it, the wizard's default, never saved before: one made from
    # another value is not saved, and follows that value (the e-mail that defaults to the login kept
    # the old login's address when the login changed, and Okta made the account with an address
    # nobody chose: QA walk 17, H1); any other is saved, as it was (one made from the connection's
    # owner must not move when a colleague continues with their own connection), and kept as
    # proposed: "Values given" says it is the wizard's default, unchanged.
    before, facts = onboarding.inputs or {}, onboarding.facts or {}
    proposed = set(facts.get(AS_PROPOSED) or []) - set(changed)
    for key in given:
        default = playbook.input(key).default
        if key in changed or before.get(key) not in (None, "") or default is None:
            continue
        if any(space == "input" for space, _name in references(default)):
            values.pop(key, None)
        else:
            proposed.add(key)
    await set_inputs(session, onboarding, values)
    # What the last verification found of a value changed since is not current: each changed value, when.
    learned: dict[str, Any] = {AS_PROPOSED: sorted(proposed)} \
        if sorted(proposed) != sorted(facts.get(AS_PROPOSED) or []) else {}
    if changed:
        learned[PERSON_CHANGED] = changed_now(facts, [f"input:{key}" for key in changed], utcnow().timestamp())
    if learned:
        await learn(session, onboarding, learned)
    emptied = [playbook.input(key).label for key in skipped if used.get(key) not in (None, "", [])]
    if quiet and not changed and not emptied:
        # Make the plan sends the page's values with it: a press that changed none is the plan's alone
        # (the trail read "Values saved, none changed" before every "Plan made").
        return Saved()
    await record(session, action="inputs_save", actor=actor, onboarding_id=onboarding.id,
                 subject_type="onboarding", subject_id=str(onboarding.id),
                 summary=("Values saved: " + ", ".join(input_label(playbook, key) for key in changed)) if changed
                 else "Values saved, none changed",
                 details={k: values[k] for k in changed if not isinstance(values[k], list)})
    return Saved(empty=emptied,
                 reopened=await withdraw_pasted(session, playbook, onboarding, changed, actor), changed=bool(changed))


def saved_note(playbook: Playbook, plan: OnboardingPlan | None, onboarding: Onboarding, saved: Saved) -> str:
    """What saving values means for the plan (the first is still to be made; an earlier one is out of
    date once a value it depends on differs from those it was made from), and what was left empty."""
    if plan is not None and plan_is_stale(playbook, plan, onboarding.inputs, onboarding.facts):
        note = "Values saved. The plan no longer matches them: make the plan again, review it, then confirm."
    elif plan is not None:
        note = "Values saved. The plan still holds: none of the values it depends on changed."
    else:
        note = "Values saved. Make the plan to see what the wizard will do."
    return " ".join([note, *([saved.left_empty()] if saved.empty else []), *saved.reopened])


async def reveal_secret(session: AsyncSession, vault: Vault, onboarding: Onboarding, purpose: str,
                        actor: Actor) -> tuple[str, Secret]:
    secret = await kept_secret_row(session, onboarding.id, purpose)

    async def refused(reason: str, message: str) -> ValidationFailed:
        # Recorded like a reveal: who asked for what, and why nothing was shown.
        await record(session, action="secret_reveal_refused", actor=actor, onboarding_id=onboarding.id,
                     subject_type="onboarding_secret", subject_id=purpose[:64], outcome=Outcome.denied,
                     summary=f"Reveal refused: {reason}")
        return ValidationFailed({}, message)

    if secret is None or secret.destroyed_at is not None:
        raise await refused("the value is no longer kept",
                            "That value is no longer kept: it was destroyed when its step was done.")
    try:
        value = await SecretRepository(session, vault).read(
            secret.secret_id, purpose=f"onboarding:{purpose}", owner=onboarding_owner(onboarding.id))
    except SecretDestroyed:
        raise await refused("the value was destroyed", "That value was destroyed.") from None
    except (SecretMismatch, SealError, KeyError):
        # The row points at a secret that is not this onboarding's (a swapped reference): never opened.
        raise await refused("the stored reference does not point at this onboarding's secret",
                            "That value cannot be shown: its record does not match this onboarding. "
                            "The attempt was recorded; tell an administrator.") from None
    secret.reveal_count += 1
    await touch(session, onboarding.id, activity=False)
    await record(session, action="secret_reveal", actor=actor, onboarding_id=onboarding.id,
                 subject_type="onboarding_secret", subject_id=purpose,
                 summary=f"Revealed: {secret.label} (reveal #{secret.reveal_count})")
    return secret.label, value


async def generate_test_event(engine: Engine, onboarding_id: uuid.UUID, check_key: str, actor: Actor) -> str:
    """Make Okta write a harmless, audited System Log event for a check that found none: a partial
    update of the title of the user the check names (the service account), stamped with the time
    so the profile really changes (Okta logs only real changes)."""
    async with engine.db.sessions() as session:
        loaded = await load(session, engine.library, onboarding_id)
    found = [check for step, check in loaded.playbook.checks()
             if check.key == check_key and check.kind == "system_log_recent" and check.params.get("test_event_user")
             and loaded.scope.condition(step.when) and loaded.scope.condition(check.when)]
    if not found:
        raise ValidationFailed({}, "This step cannot generate a test event.")
    try:
        user_id = str(loaded.scope.render(found[0].params["test_event_user"]))
    except TemplateError:
        raise ValidationFailed({}, "Create the service account first (apply the plan): the test event changes its "
                                   "title.") from None
    moment = datetime.fromtimestamp(engine.clock.now(), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    title = f"Onboarding wizard test event {moment}"
    # A person waits on the button: the onboarding's client without a job (person-facing patience) says
    # Okta's rate limit or silence within seconds instead of waiting out its window.
    async with engine.okta_for(loaded, actor) as admin:
        try:
            user = await admin.users.update_profile(user_id, {"title": title})
        except OktaError as exc:
            raise ValidationFailed({}, f"Okta did not take the test change: {exc.message}") from None
    async with engine.db.session() as session:
        # What the check found before the event is not current: the page asks to verify again.
        onboarding = await get_onboarding(session, onboarding_id)  # its facts now, not as read before the call
        await learn(session, onboarding, {PERSON_CHANGED: changed_now(
            onboarding.facts or {}, [event_made_for(check_key)], utcnow().timestamp())})
        await record(session, action="test_event", actor=actor, onboarding_id=onboarding_id, subject_type="user",
                     subject_id=user.id, summary=f"Generated a System Log event: set the title of "
                                                 f"{user.profile.login} to “{title}”",
                     details={"check": check_key, "title": title})
    await engine.refresh_status(onboarding_id)
    return (f"Okta recorded a profile update of {user.profile.login}. Verify again to see it ({LOG_DELAY_WORDS}: "
            "if the check still finds none, verify again in a minute).")

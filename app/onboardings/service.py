"""What operators do to an onboarding besides running the engine: start one, give the inputs,
paste the service account's token once (verified, never stored), fix its network condition,
attest a manual item, reveal a kept secret."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common.validation import FormReader, ValidationFailed
from app.engine import asked_inputs
from app.engine.checks.library import network_text
from app.engine.engine import Engine
from app.engine.requirements import locked_inputs
from app.engine.runtime import Loaded, admin_info, fill_inputs, load, org_info
from app.engine.scope import Scope, TemplateError
from app.engine.status import timer_fact
from app.okta.credentials import ApiTokenCredential, static_secret
from app.okta.errors import OktaError, OktaUnauthorized
from app.okta.gateway import OktaGateway
from app.okta.models import ApiToken
from app.playbooks.schema import InputSpec, Playbook
from app.playbooks.tasks import ServiceTokenTask
from app.store.base import utcnow
from app.store.models import Attestation, OktaConnection, Onboarding, OnboardingAction, OnboardingSecret
from app.store.repositories.secrets import SecretDestroyed, SecretMismatch, SecretRepository, onboarding_owner
from app.store.repositories.state import touch
from app.store.statuses import OnboardingStatus
from app.vault import SealError, Secret, Vault

EMAIL = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
AWS_ACCOUNT = re.compile(r"\d{12}")
EVENT_SOURCE = re.compile(r"[A-Za-z0-9.\-_]{1,75}")
AWS_REGIONS = ["ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1",
               "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3",
               "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2"]


class NotAllowed(Exception):
    pass


async def create_onboarding(session: AsyncSession, playbook: Playbook, connection: OktaConnection,
                            actor: Actor) -> Onboarding:
    onboarding = Onboarding(id=uuid.uuid4(), vendor=playbook.key, playbook_version=playbook.version,
                            connection_id=connection.id, org_origin=connection.org_origin,
                            status=OnboardingStatus.draft,
                            created_by_id=actor.id, assignee_id=actor.id, inputs={}, facts={},
                            status_note="Check the values, then make the plan.")
    session.add(onboarding)
    await session.flush()
    await record(session, action="onboarding_create", actor=actor, onboarding_id=onboarding.id,
                 subject_type="onboarding", subject_id=str(onboarding.id),
                 summary=f"{playbook.name} onboarding started for {connection.org_origin}")
    return onboarding


def read_input(form: FormReader, spec: InputSpec) -> Any:
    name, label = f"input_{spec.key}", spec.label
    if spec.kind == "email":
        return form.text(name, label=label, required=spec.required, max_length=spec.max_length, pattern=EMAIL,
                         pattern_hint=f"{label} must be an email address, like name@example.com.")
    if spec.kind == "choice":
        return form.choice(name, label=label, choices=[c for c, _ in spec.choices], required=spec.required)
    if spec.kind == "boolean":
        return form.boolean(name)
    if spec.kind == "aws_account":
        return form.text(name, label=label, required=spec.required, max_length=12, pattern=AWS_ACCOUNT,
                         pattern_hint="An AWS account id is exactly 12 digits.")
    if spec.kind == "aws_region":
        return form.choice(name, label=label, choices=AWS_REGIONS, required=spec.required)
    if spec.kind == "aws_event_source":
        return form.text(name, label=label, required=spec.required, max_length=75, pattern=EVENT_SOURCE,
                         pattern_hint="Use 1 to 75 letters, digits, dots, dashes or underscores (no spaces).")
    if spec.kind in ("group_names", "user_logins", "lines"):
        text = form.text(name, label=label, required=spec.required, max_length=spec.max_length, multiline=True)
        return [line.strip() for line in text.splitlines() if line.strip()]
    return form.text(name, label=label, required=spec.required, max_length=spec.max_length,
                     pattern=re.compile(spec.pattern) if spec.pattern else None,
                     pattern_hint=spec.pattern_hint or f"{label} is not in the form it must have.")


async def save_inputs(session: AsyncSession, playbook: Playbook, onboarding: Onboarding, form: FormReader,
                      keys: Sequence[str], actor: Actor) -> dict[str, Any]:
    values = dict(onboarding.inputs or {})
    for key in keys:
        values[key] = read_input(form, playbook.input(key))
    # The step's inputs the last plan added (required profile attributes of the org's schema).
    extra = asked_inputs.asked(onboarding.facts or {}, form.text("step", label="Step", required=False,
                                                                 max_length=64))
    for attribute in extra:
        values[attribute.key] = attribute.read(form, read_input)
    keys = [*keys, *(attribute.key for attribute in extra)]
    form.raise_if_invalid("The values were not saved.")
    states = {row.action_key: row.state for row in (await session.execute(select(OnboardingAction).where(
        OnboardingAction.onboarding_id == onboarding.id))).scalars()}
    connection = await session.get(OktaConnection, onboarding.connection_id)
    # Compare with the values the actions used: what was saved, or else the default.
    used = fill_inputs(playbook, dict(onboarding.inputs or {}), Scope(
        facts=dict(onboarding.facts or {}), org=org_info(connection) if connection else None,
        admin=admin_info(connection) if connection else {}))
    locked = locked_inputs(playbook, states)
    changed_locked = [key for key in keys if key in locked and values.get(key) != used.get(key)]
    if changed_locked:
        raise ValidationFailed({f"input_{key}": f"{playbook.input(key).label} can no longer change: the wizard has "
                                "already acted on it in Okta. Undo the onboarding to start again with other values."
                                for key in changed_locked}, "The values were not saved.")
    if any(row for row in [onboarding.facts.get("service_account_id")]) and \
            values.get("service_account_login") != (onboarding.inputs or {}).get("service_account_login"):
        raise ValidationFailed({"input_service_account_login": "The service account already exists; its login "
                                "can no longer change here."})
    onboarding.inputs = values
    await touch(session, onboarding.id)
    await record(session, action="inputs_save", actor=actor, onboarding_id=onboarding.id,
                 subject_type="onboarding", subject_id=str(onboarding.id),
                 summary="Values saved: " + ", ".join(sorted(keys)),
                 details={k: values[k] for k in keys if not isinstance(values[k], list)})
    return values


def _token_task(loaded: Loaded) -> ServiceTokenTask:
    """The parameters of the step that asks for the token (the first one shown, if a playbook
    has one per mode); the defaults if none declares any."""
    for _section, step in loaded.playbook.steps():
        if step.task is not None and step.task.kind == "service_token" and loaded.scope.condition(step.when):
            return ServiceTokenTask.model_validate(step.task.params)
    return ServiceTokenTask()


TOKEN_NAME_INPUT = "service_token_name"  # noqa: S105 - an input key: the name the wizard proposes
TOKEN_ID = re.compile(r"[A-Za-z0-9]{1,40}")


def proposed_token_name(loaded: Loaded) -> str:
    """The name the wizard proposes for the service account's token (a playbook input)."""
    return str(loaded.scope.inputs.get(TOKEN_NAME_INPUT) or "").strip()


def any_ip_required(loaded: Loaded) -> bool:
    """Whether a token check of this onboarding requires Any IP (only where the vendor's document
    asks for it); elsewhere the token's network setting is shown as information."""
    return any(check.kind == "service_token" and check.params.get("any_ip") is True
               and loaded.scope.condition(step.when) and loaded.scope.condition(check.when)
               for step, check in loaded.playbook.checks())


def _network_text(token: ApiToken) -> str:
    return network_text(token.network)


def _candidate(token: ApiToken) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "created": token.created, "expires_at": token.expiresAt,
            "network": _network_text(token)}


def match_token(tokens: Sequence[ApiToken], name: str, chosen_id: str | None) -> ApiToken | None:
    """The service account's token the operator pasted, never a guess: the one they picked by id;
    else the only one with the name they gave it; else the account's only token (the pasted one
    authenticated as the account, so it is that one). None when it is ambiguous: ask."""
    if chosen_id:
        return next((token for token in tokens if token.id == chosen_id), None)
    wanted = name.strip().casefold()
    named = [token for token in tokens if (token.name or "").strip().casefold() == wanted] if wanted else []
    if len(named) == 1:
        return named[0]
    if not named and len(tokens) == 1:
        return tokens[0]
    return None


async def verify_service_token(engine: Engine, onboarding_id: uuid.UUID, token: Secret, actor: Actor,
                               user_fact: str | None = None, *, token_name: str | None = None,
                               token_id: str | None = None) -> dict[str, Any]:
    """Prove the pasted token is the service account's, run the step's probes with it (each a
    boolean fact: may the token read this?), find its metadata, keep only its id and a
    fingerprint. The token itself is dropped when this returns.

    Okta lists token metadata, never values, so the token is found among the account's tokens by
    the name the operator gave it (``token_name``, by default the name the wizard proposed). When
    several of the account's tokens have that name, or none has it and the account has several,
    the candidates are kept as a fact and the operator is asked to paste again and pick one
    (``token_id``)."""
    async with engine.db.sessions() as session:
        loaded = await load(session, engine.library, onboarding_id)
    task = _token_task(loaded)
    service_account = loaded.scope.facts.get(user_fact or task.user_fact)
    if not service_account:
        raise ValidationFailed({}, "Create the service account first (apply the plan).")
    name = (token_name if token_name is not None else proposed_token_name(loaded)).strip()
    chosen = (token_id or "").strip() or None
    if chosen is not None and not TOKEN_ID.fullmatch(chosen):
        raise ValidationFailed({"service_token_id": "Pick one of the tokens listed."})
    gateway: OktaGateway = engine.gateway
    org = gateway.stored_org(loaded.connection, loaded.custom_domains)
    async with gateway.client(org, ApiTokenCredential(static_secret(token)), actor=actor,
                              onboarding_id=onboarding_id) as as_service:
        try:
            owner = await as_service.users.me()
        except OktaUnauthorized:
            raise ValidationFailed({"service_token": "Okta does not accept this token: check you copied all of "
                                    "it, and that it was created in this org."}) from None
        except OktaError as exc:
            raise ValidationFailed({"service_token": f"The token could not be checked: {exc.message}"}) from None
        if owner.id != service_account:
            raise ValidationFailed({"service_token": f"This token belongs to {owner.profile.login}, not to the "
                                    "service account. Sign in as the service account and create the token there."})
        probed: dict[str, bool] = {}
        for probe in task.probes:
            try:
                probed[probe.fact] = await as_service.access.can_read(probe.path)
            except OktaError as exc:
                raise ValidationFailed({"service_token": f"The token belongs to the service account, but checking "
                                        f"what it may read ({probe.path}) failed: {exc.message} Paste it again "
                                        "in a moment."}) from None
    async with gateway.client(org, gateway.stored_credential(loaded.connection), actor=actor,
                              onboarding_id=onboarding_id) as admin:
        tokens = await admin.tokens.of_user(service_account)
    if not tokens:
        raise ValidationFailed({"service_token": "The token works, but Okta lists no token metadata for the "
                                "service account yet. Wait a moment and paste it again."})
    matched = match_token(tokens, name, chosen)
    if matched is None:
        await _ask_which_token(engine, onboarding_id, actor, tokens, name, chosen)
    facts: dict[str, Any] = {
        "service_token_verified": True, "service_token_id": matched.id,
        "service_token_fingerprint": token.fingerprint(), "service_token_name": matched.name,
        "service_token_network": matched.network_connection, "service_token_network_text": _network_text(matched),
        "service_token_owner": owner.profile.login, "service_token_any_ip_required": any_ip_required(loaded),
        "service_token_candidates": [], **probed}
    how = ("picked by the operator among " if chosen else "named ") + (
        f"{len(tokens)} tokens of the account" if chosen else f"'{name}'" if name else "(no name given)")
    if not chosen and (matched.name or "").strip().casefold() != name.casefold():
        how = f"the account's only token (named '{matched.name}', not '{name}')"
    async with engine.db.session() as session:
        onboarding = await session.get(Onboarding, onboarding_id)
        assert onboarding is not None
        onboarding.facts = {**(onboarding.facts or {}), **facts}
        await record(session, action="service_token_verify", actor=actor, onboarding_id=onboarding_id,
                     subject_type="api_token", subject_id=matched.id,
                     summary=f"Service account token verified: '{matched.name}' ({matched.id}), {how}, fingerprint "
                             f"{token.fingerprint()}, network {_network_text(matched)}"
                             + "".join(f"; {probe.path} {'readable' if probed[probe.fact] else 'refused (403)'}"
                                       for probe in task.probes),
                     details={"token_id": matched.id, "fingerprint": token.fingerprint(), "matched_by": how,
                              "candidates": len(tokens), "probes": probed})
    await engine.refresh_status(onboarding_id)
    return facts


async def _ask_which_token(engine: Engine, onboarding_id: uuid.UUID, actor: Actor, tokens: Sequence[ApiToken],
                           name: str, chosen: str | None) -> NoReturn:
    """Keep the account's tokens as a fact for the page to list, then raise: the operator pastes
    again and picks one. Nothing is verified meanwhile."""
    candidates = [_candidate(t) for t in sorted(tokens, key=lambda t: (t.created or "", t.id))]
    same = sum(1 for t in tokens if (t.name or "").strip().casefold() == name.casefold()) if name else 0
    if chosen:
        message = "The token you picked is not one of the service account's tokens: paste it again and pick it."
    else:
        message = (f"The service account has {same} tokens named '{name}'" if same else
                   f"None of the service account's {len(tokens)} tokens is named '{name}'") + \
            ": paste the token again and pick the one you pasted (their names and creation dates are listed)."
    async with engine.db.session() as session:
        onboarding = await session.get(Onboarding, onboarding_id)
        assert onboarding is not None
        onboarding.facts = {**(onboarding.facts or {}), "service_token_candidates": candidates}
        await record(session, action="service_token_ambiguous", actor=actor, onboarding_id=onboarding_id,
                     subject_type="onboarding", subject_id=str(onboarding_id),
                     summary=f"Which of the service account's {len(tokens)} tokens was pasted is not certain: "
                             + message.split(":", 1)[0],
                     details={"candidates": [c["id"] for c in candidates], "name": name, "picked": chosen})
    raise ValidationFailed({"service_token_id": message}, message)


async def set_token_any_ip(engine: Engine, onboarding_id: uuid.UUID, actor: Actor) -> None:
    """Set the matched token (the one the operator pasted, by its id) to Any IP; no other token."""
    async with engine.db.sessions() as session:
        loaded = await load(session, engine.library, onboarding_id)
    token_id = loaded.scope.facts.get("service_token_id")
    if not token_id or not loaded.scope.facts.get("service_token_verified"):
        raise ValidationFailed({}, "No token has been verified yet.")
    gateway = engine.gateway
    async with gateway.client(gateway.stored_org(loaded.connection, loaded.custom_domains),
                              gateway.stored_credential(loaded.connection),
                              actor=actor, onboarding_id=onboarding_id) as admin:
        token = await admin.tokens.get(str(token_id))
        if token is None:
            raise ValidationFailed({}, "The token no longer exists in Okta.")
        service_account = loaded.scope.facts.get(_token_task(loaded).user_fact)
        if token.userId != service_account:
            raise ValidationFailed({}, f"Token {token.id} is not the service account's: nothing was changed.")
        await admin.tokens.set_network(token.id, token.name or "API token", {"connection": "ANYWHERE"})
    async with engine.db.session() as session:
        onboarding = await session.get(Onboarding, onboarding_id)
        assert onboarding is not None
        onboarding.facts = {**(onboarding.facts or {}), "service_token_network": "ANYWHERE",
                            "service_token_network_text": "Any IP"}
        await touch(session, onboarding.id, activity=False)
        await record(session, action="token_network_fix", actor=actor, onboarding_id=onboarding_id,
                     subject_type="api_token", subject_id=str(token_id),
                     summary=f"Token '{token.name}' ({token.id}) network set to Any IP")


async def start_timer(session: AsyncSession, playbook: Playbook, onboarding: Onboarding, step_key: str,
                      now: float, actor: Actor) -> dict[str, float]:
    """Start (or restart) the wait a step asks for; the page and the checks count down from it."""
    try:
        step = playbook.step(step_key)
    except KeyError:
        raise ValidationFailed({}, "There is no such step.") from None
    if step.task is None or step.task.kind != "timer" or not step.task.timer_minutes:
        raise ValidationFailed({}, "This step has no timer.")
    timer = {"started": now, "until": now + step.task.timer_minutes * 60}
    onboarding.facts = {**(onboarding.facts or {}), timer_fact(step.key): timer}
    await touch(session, onboarding.id)
    await record(session, action="timer_start", actor=actor, onboarding_id=onboarding.id, subject_type="step",
                 subject_id=step.key, summary=f"Started the {step.task.timer_minutes}-minute wait of '{step.title}'")
    return timer


async def attest(session: AsyncSession, vault: Vault, playbook: Playbook, onboarding: Onboarding, check_key: str,
                 note: str, actor: Actor) -> Attestation:
    found = [(step, check) for step, check in playbook.checks() if check.key == check_key and check.kind == "attest"]
    if not found:
        raise ValidationFailed({}, "There is nothing to attest under that name.")
    step, check = found[0]
    if actor.id is None:
        raise NotAllowed("attestations need a named operator")
    attestation = Attestation(onboarding_id=onboarding.id, step_key=step.key, check_key=check.key,
                              operator_id=actor.id, operator_name=actor.name, note=note or None)
    session.add(attestation)
    # A secret kept for this step (a client secret to paste, say) is destroyed once it is attested.
    secrets = (await session.execute(select(OnboardingSecret).where(
        OnboardingSecret.onboarding_id == onboarding.id, OnboardingSecret.destroyed_at.is_(None)))).scalars().all()
    repo = SecretRepository(session, vault)
    for secret in secrets:
        if secret.destroy_on == check.key or secret.purpose == check.destroys_secret:
            await repo.destroy(secret.secret_id, purpose=f"onboarding:{secret.purpose}",
                               owner=onboarding_owner(onboarding.id))
            secret.destroyed_at = utcnow()
    await touch(session, onboarding.id)
    await record(session, action="attest", actor=actor, onboarding_id=onboarding.id, subject_type="check",
                 subject_id=check.key, summary=f"Attested: {check.label}" + (f" ({note})" if note else ""))
    return attestation


async def reveal_secret(session: AsyncSession, vault: Vault, onboarding: Onboarding, purpose: str,
                        actor: Actor) -> tuple[str, Secret]:
    secret = (await session.execute(select(OnboardingSecret).where(
        OnboardingSecret.onboarding_id == onboarding.id, OnboardingSecret.purpose == purpose))).scalar_one_or_none()

    async def refused(reason: str, message: str) -> ValidationFailed:
        # Recorded like a reveal: who asked for what, and why nothing was shown.
        await record(session, action="secret_reveal_refused", actor=actor, onboarding_id=onboarding.id,
                     subject_type="onboarding_secret", subject_id=purpose[:64], summary=f"Reveal refused: {reason}")
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
    stamp = datetime.fromtimestamp(engine.clock.now(), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    title = f"Onboarding wizard test event {stamp}"
    gateway = engine.gateway
    async with gateway.client(gateway.stored_org(loaded.connection, loaded.custom_domains),
                              gateway.stored_credential(loaded.connection),
                              actor=actor, onboarding_id=onboarding_id) as admin:
        try:
            user = await admin.users.update_profile(user_id, {"title": title})
        except OktaError as exc:
            raise ValidationFailed({}, f"Okta did not take the test change: {exc.message}") from None
    async with engine.db.session() as session:
        await record(session, action="test_event", actor=actor, onboarding_id=onboarding_id, subject_type="user",
                     subject_id=user.id, summary=f"Generated a System Log event: set the title of "
                                                 f"{user.profile.login} to '{title}'",
                     details={"check": check_key, "title": title})
    await engine.refresh_status(onboarding_id)
    return f"Okta recorded a profile update of {user.profile.login}. Verify again to see it."

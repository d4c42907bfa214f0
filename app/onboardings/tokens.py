"""The service account's API token, which only a person can create (signed in as the account):
pasted once, matched to the token Okta lists for the account, checked for the document's network
condition (Any IP), used for the checks that need it and never stored; and the one-click fix of
its network condition."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn

from app.audit import Actor, record
from app.common.validation import ValidationFailed
from app.engine.checks.library import network_text
from app.engine.engine import Engine
from app.engine.runtime import Loaded, load
from app.engine.status import PERSON_CHANGED, TOKEN_NETWORK, changed_now
from app.okta.client import OktaClient
from app.okta.credentials import ApiTokenCredential, static_secret
from app.okta.errors import OktaError, OktaUnauthorized
from app.okta.gateway import OktaGateway
from app.okta.models import ApiToken
from app.okta.ratelimit import INTERACTIVE
from app.onboardings.attestations import withdraw_for_a_new_token
from app.onboardings.step_state import served_by_the_token
from app.onboardings.token_name import token_name_of, token_task
from app.playbooks.tasks import TOKEN_CREATED, TOKEN_VERIFIED, TOKEN_VERIFIED_AT
from app.store.base import utcnow
from app.store.repositories.progress import destroy_kept_secrets
from app.store.repositories.state import get_onboarding, learn
from app.store.repositories.watch import (
    FIRST_CALL_SEEN,
    TOKEN_EXPIRES,
    VENDOR_EVIDENCE,
    WATCH_STARTED,
    holding_token,
    watch_now,
)
from app.store.statuses import Outcome
from app.vault import Secret

TOKEN_ID = re.compile(r"[A-Za-z0-9]{1,40}")
# In what a paste returns, not a fact: the attestations asked again since this token replaced another.
WITHDRAWN = "withdrawn_attestations"


def proposed_token_name(loaded: Loaded) -> str:
    """The name the wizard proposes for the service account's token (a playbook input; another
    where the adopted account already has a token by it: app/onboardings/token_name.py)."""
    return token_name_of(loaded).name


def any_ip_required(loaded: Loaded) -> bool:
    """Whether a token check of this onboarding requires Any IP (only where the vendor's document
    asks for it); elsewhere the token's network setting is shown as information."""
    return any(check.kind == "service_token" and check.params.get("any_ip") is True
               and loaded.scope.condition(step.when) and loaded.scope.condition(check.when)
               for step, check in loaded.playbook.checks())


def _network_text(token: ApiToken) -> str:
    return network_text(token.network)


async def _zone_names(admin: OktaClient, token: ApiToken) -> dict[str, str]:
    """The names of the network zones a zone-limited token is limited to, read once (one call per
    zone; none for an Any IP token), so the page and the trail name them rather than give ids. A
    credential that may not read zones (okta.networkZones.read) leaves them by id."""
    names: dict[str, str] = {}
    for zone_id in dict.fromkeys(str(z) for key in ("include", "exclude") for z in token.network.get(key) or []):
        try:
            zone = await admin.tokens.zone(zone_id)
        except OktaError:
            break
        if zone is not None:
            names[zone_id] = zone.name
    return names


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
    """`_verify` the pasted token; a refused paste (another person's token, a mistyped one) is in
    the audit trail with the reason, never with the token."""
    try:
        return await _verify(engine, onboarding_id, token, actor, user_fact, token_name=token_name,
                             token_id=token_id)
    except ValidationFailed as exc:
        if exc.errors.get("service_token_id") and exc.message:
            raise  # asked which of several tokens it is: recorded as such
        reason = "; ".join(exc.errors.values()) or exc.message
        async with engine.db.session() as session:
            await record(session, action="service_token_verify", outcome=Outcome.failed, actor=actor,
                         onboarding_id=onboarding_id, subject_type="service_token", subject_id="pasted",
                         summary=f"Service account token refused: {reason}")
        raise


# Above the form when Okta, not the token, failed the paste (it read "Some values need attention").
OKTA_FAILED = "Okta could not check the token now (an error on its side, or its rate limit): nothing was kept."


def _okta_failed(text: str, exc: OktaError) -> ValidationFailed:
    return ValidationFailed({"service_token": text}, OKTA_FAILED if exc.transient else None)


async def _not_anothers(engine: Engine, loaded: Loaded, token: Secret, service_account: str) -> None:
    """Refuse, before any call to Okta, the service token another onboarding of this org keeps (by
    its fingerprint) for another account: a call with it would move its expiry in Okta, which the
    watch reads as that vendor's use ("Vendor connected: found", an unused-token alert resolved),
    and revoking it, as the refusal advised, would cut that vendor off (QA walk 18, H1)."""
    async with engine.db.sessions() as session:
        other = await holding_token(session, loaded.onboarding.org_origin, token.fingerprint(),
                                    but=loaded.onboarding.id)
    facts = (other.facts or {}) if other is not None else {}
    if other is None or facts.get("service_account_id") == service_account:
        return
    vendor = engine.library.get(other.vendor).name if other.vendor in engine.library else other.vendor
    raise ValidationFailed({"service_token": (
        f"This is the service token of the {vendor} onboarding #{str(other.id)[:8]} (its account "
        f"{facts.get('service_token_owner') or facts.get('service_account_id')}), not this service account's: "
        f"nothing was sent to Okta with it. Keep it: {vendor} uses it. Sign in as this onboarding's service "
        "account and create its own token there.")})


async def _verify(engine: Engine, onboarding_id: uuid.UUID, token: Secret, actor: Actor,
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
    task = token_task(loaded)
    service_account = loaded.scope.facts.get(user_fact or task.user_fact)
    if not service_account:
        raise ValidationFailed({}, "Create the service account first (apply the plan).")
    name = (token_name if token_name is not None else proposed_token_name(loaded)).strip()
    chosen = (token_id or "").strip() or None
    if chosen is not None and not TOKEN_ID.fullmatch(chosen):
        raise ValidationFailed({"service_token_id": "Pick one of the tokens listed."})
    await _not_anothers(engine, loaded, token, service_account)
    gateway: OktaGateway = engine.gateway
    org = gateway.stored_org(loaded.connection, loaded.custom_domains)
    # A person waits on the paste: Okta's rate limit or silence fails it within seconds (INTERACTIVE),
    # and nothing is learnt until every call has answered.
    async with gateway.client(org, ApiTokenCredential(static_secret(token)), actor=actor,
                              onboarding_id=onboarding_id, patience=INTERACTIVE) as as_service:
        try:
            owner = await as_service.users.me()
        except OktaUnauthorized:
            raise ValidationFailed({"service_token": "Okta does not accept this token: check you copied all of "
                                    "it, and that it was created in this org."}) from None
        except OktaError as exc:
            raise _okta_failed(f"The token could not be checked. {exc.message}", exc) from None
        if owner.id != service_account:
            # What became of the token, for a person who pasted their own by mistake (a Super Administrator's:
            # nothing said it was used, nor kept: QA walk 18, L6).
            raise ValidationFailed({"service_token": f"This token belongs to {owner.profile.login}, not to the "
                                    "service account. Sign in as the service account and create the token there. "
                                    "The wizard used the token pasted only to ask Okta whose it is, and did not keep "
                                    "it; if it should not have been shared, revoke it in Okta (Security > API > "
                                    "Tokens)."})
        probed: dict[str, bool] = {}
        for probe in task.probes:
            try:
                probed[probe.fact] = await as_service.access.can_read(probe.path)
            except OktaError as exc:
                raise _okta_failed(f"The token belongs to the service account, but checking what it may read "
                                   f"({probe.path}) failed: {exc.message} Paste it again in a moment.", exc) from None
    async with engine.okta_for(loaded, actor) as admin:
        try:
            tokens = await admin.tokens.of_user(service_account)
        except OktaError as exc:
            raise _okta_failed("The token belongs to the service account, but its details could not be read. "
                               f"{exc.message}", exc) from None
        if not tokens:
            raise ValidationFailed({"service_token": "The token works, but Okta lists no token metadata for the "
                                    "service account yet. Wait a moment and paste it again."})
        matched = match_token(tokens, name, chosen)
        if matched is None:
            await _ask_which_token(engine, onboarding_id, actor, tokens, name, chosen)
        zone_names = await _zone_names(admin, matched)
    facts: dict[str, Any] = {
        TOKEN_VERIFIED: True, "service_token_id": matched.id,
        "service_token_fingerprint": token.fingerprint(), "service_token_name": matched.name,
        "service_token_network": matched.network_connection, "service_token_zone_names": zone_names,
        "service_token_network_text": network_text(matched.network, zone_names),
        "service_token_owner": owner.profile.login, "service_token_any_ip_required": any_ip_required(loaded),
        # Okta moves a token's expiry at each use: the watch compares later runs with this one.
        TOKEN_EXPIRES: matched.expiresAt,
        "service_token_candidates": [], **probed,
        # When Okta made it (Okta's clock): what the vendor does with it cannot have begun before.
        TOKEN_CREATED: matched.created,
        # When (the database's clock, as a verification run's): a failed result from before is out of date.
        TOKEN_VERIFIED_AT: utcnow().timestamp()}
    how = ("picked by the operator among " if chosen else "named ") + (
        f"{len(tokens)} tokens of the account" if chosen else f"“{name}”" if name else "(no name given)")
    if not chosen and (matched.name or "").strip().casefold() != name.casefold():
        how = f"the account's only token (named “{matched.name}”, not “{name}”)"
    # The token the vendor was given, when another replaces it: what was attested of it is asked again.
    was = loaded.scope.facts.get("service_token_id") if loaded.scope.facts.get(TOKEN_VERIFIED) else None
    withdrawn: list[str] = []
    async with engine.db.session() as session:
        onboarding = await get_onboarding(session, onboarding_id)
        # ...and whatever a token check found of the token before, passed or failed (app/engine/status.py):
        # merged into the facts as they are now, not as read before the Okta calls (review).
        facts[PERSON_CHANGED] = changed_now(onboarding.facts or {}, [TOKEN_NETWORK], utcnow().timestamp())
        if not was or was == matched.id:
            await learn(session, onboarding, facts)
        else:
            # A new token: the vendor's first call with it is yet to be seen, evidence of its calls is
            # looked for from now on (Drata's earlier grants set "first call seen" again), and the watch
            # looks from the next tick on as often as after completion, not a day on (review, M4).
            now = datetime.fromtimestamp(engine.clock.now(), UTC)
            await learn(session, onboarding, {**facts, FIRST_CALL_SEEN: None, VENDOR_EVIDENCE: None,
                                              WATCH_STARTED: now.isoformat()})
            await watch_now(session, onboarding_id, now)
            withdrawn = await withdraw_for_a_new_token(session, loaded.playbook, onboarding, str(was),
                                                                matched.id, actor)
        await record(session, action="service_token_verify", actor=actor, onboarding_id=onboarding_id,
                     subject_type="api_token", subject_id=matched.id,
                     summary=f"Service account token verified: “{matched.name}” ({matched.id}), {how}, fingerprint "
                             f"{token.fingerprint()}, network {network_text(matched.network, zone_names)}"
                             + "".join(f"; {probe.path} {'readable' if probed[probe.fact] else 'refused (403)'}"
                                       for probe in task.probes),
                     details={"token_id": matched.id, "fingerprint": token.fingerprint(), "matched_by": how,
                              "candidates": len(tokens), "probes": probed})
        # The account made this token signed in as itself, so what only its person's steps needed
        # (the activation link) has served: destroyed now, not kept until the onboarding completes.
        served = served_by_the_token(loaded.playbook)
        destroyed = await destroy_kept_secrets(session, engine.vault, onboarding_id,
                                               lambda secret: secret.purpose in served)
        if destroyed:
            await record(session, action="secrets_destroyed", actor=actor, onboarding_id=onboarding_id,
                         subject_type="onboarding", subject_id=str(onboarding_id),
                         summary="Service account token verified, so the account's activation link is no "
                                 "longer needed: destroyed")
    await engine.refresh_status(onboarding_id)
    return {**facts, WITHDRAWN: withdrawn}


def asked_again(pasted: dict[str, Any]) -> str:
    """The paste's words for what it withdrew (short: a flash keeps 300 characters)."""
    labels = pasted.get(WITHDRAWN) or []
    if not labels:
        return ""
    return f" The vendor has the old one: give it this one, then attest {' and '.join(f'“{a}”' for a in labels)} again."


async def _ask_which_token(engine: Engine, onboarding_id: uuid.UUID, actor: Actor, tokens: Sequence[ApiToken],
                           name: str, chosen: str | None) -> NoReturn:
    """Keep the account's tokens as a fact for the page to list, then raise: the operator pastes
    again and picks one. Nothing is verified meanwhile."""
    candidates = [_candidate(t) for t in sorted(tokens, key=lambda t: (t.created or "", t.id))]
    same = sum(1 for t in tokens if (t.name or "").strip().casefold() == name.casefold()) if name else 0
    # Said once: why above the form, what to do beside the list (the two were one sentence, shown
    # as the form's message and again as the list's error: QA walk, M5).
    if chosen:
        message = "The token you picked is not one of the service account's tokens."
    elif same:
        message = f"The service account has {same} tokens named “{name}”: the wizard cannot tell which you pasted."
    else:
        message = f"None of the service account's {len(tokens)} tokens is named “{name}”."
    pick = "Pick the token you pasted (each is listed with when it was created), then paste it again."
    async with engine.db.session() as session:
        await learn(session, await get_onboarding(session, onboarding_id), {"service_token_candidates": candidates})
        await record(session, action="service_token_ambiguous", actor=actor, onboarding_id=onboarding_id,
                     subject_type="onboarding", subject_id=str(onboarding_id),
                     summary=f"Which of the service account's {len(tokens)} tokens was pasted is not certain: "
                             + message.split(":", 1)[0].rstrip("."),
                     details={"candidates": [c["id"] for c in candidates], "name": name, "picked": chosen})
    raise ValidationFailed({"service_token_id": pick}, message)


async def set_token_any_ip(engine: Engine, onboarding_id: uuid.UUID, actor: Actor) -> None:
    """Set the matched token (the one the operator pasted, by its id) to Any IP; no other token."""
    async with engine.db.sessions() as session:
        loaded = await load(session, engine.library, onboarding_id)
    token_id = loaded.scope.facts.get("service_token_id")
    if not token_id or not loaded.scope.facts.get(TOKEN_VERIFIED):
        raise ValidationFailed({}, "No token has been verified yet.")
    # A person waits on the button: the onboarding's client without a job (person-facing patience) says
    # Okta's rate limit or silence within seconds, on the page; a job's waited out the window, minutes
    # on one 429, and its error was a page with a reference only.
    async with engine.okta_for(loaded, actor) as admin:
        try:
            token = await admin.tokens.get(str(token_id))
            if token is None:
                raise ValidationFailed({}, "The token no longer exists in Okta.")
            service_account = loaded.scope.facts.get(token_task(loaded).user_fact)
            if token.userId != service_account:
                raise ValidationFailed({}, f"Token {token.id} is not the service account's: nothing was changed.")
            await admin.tokens.set_network(token, {"connection": "ANYWHERE"})
        except OktaError as exc:
            raise ValidationFailed({}, f"The token could not be set to Any IP. {exc.message}") from None
    async with engine.db.session() as session:
        onboarding = await get_onboarding(session, onboarding_id)  # its facts now, not as read before the call
        await learn(session, onboarding, {"service_token_network": "ANYWHERE", "service_token_network_text": "Any IP",
                                          PERSON_CHANGED: changed_now(onboarding.facts or {}, [TOKEN_NETWORK],
                                                                      utcnow().timestamp())})
        await record(session, action="token_network_fix", actor=actor, onboarding_id=onboarding_id,
                     subject_type="api_token", subject_id=str(token_id),
                     summary=f"Token “{token.name}” ({token.id}) network set to Any IP")

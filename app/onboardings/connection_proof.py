"""An attestation that proves the vendor connected (Sentinel's "The OktaSystemLogs table shows
Okta's events"; the playbook marks it ``proves_connection``), weighed against what Okta shows. A
person who sees the vendor's data while Okta has no sign that the vendor ever used the service
account's token may be looking at another workspace or table, or at a vendor connected with another
credential or org; the onboarding was called complete on it (QA walk 10, M1).

So, as such an attestation is given, the wizard reads the token from Okta once: its expiry moves on
at each call made with it (app/watch/findings.py infers use the same way). With a sign of use the
attestation is recorded as ever; without one it is not, yet: the page warns at the attestation
(what Okta shows, what it may mean, where to check, from the playbook) and asks the person to
confirm. Confirmed, the attestation keeps the warning, and the audit trail and the report say it."""

from __future__ import annotations

import uuid
from typing import Any

from app.audit import Actor
from app.common.moments import okta_moment, stamp
from app.common.validation import ValidationFailed
from app.engine.engine import Engine
from app.engine.runtime import Loaded, load
from app.okta.errors import OktaError
from app.onboardings.attestations import KEPT_WARNINGS, attestable
from app.onboardings.handoffs import may_use_credential
from app.playbooks.schema import CheckSpec
from app.playbooks.tasks import TOKEN_VERIFIED_AT
from app.store.repositories.state import get_onboarding, learn
from app.watch.findings import used_since_paste


class NoSignOfUse(ValidationFailed):
    """Not attested yet: Okta shows no use of the token. The warning is kept (``KEPT_WARNINGS``) for
    the page to draw at the attestation, with the box that confirms it."""


# What the record says of a confirmation (the attestation's warning, the trail, the report).
CONFIRMED = "Confirmed despite the wizard's warning: "


async def before_attesting(engine: Engine, onboarding_id: uuid.UUID, check_key: str, actor: Actor, *,
                           now: float, confirmed: bool) -> str | None:
    """For an attestation that proves the vendor connected: the warning it is recorded with (None:
    Okta shows the token used, or the attestation proves nothing of the kind); raises NoSignOfUse
    when Okta shows no use and the person has not confirmed the warning given (``confirmed``: they
    ticked the box beside it). Refusals come first: a refused attestation costs no Okta call."""
    async with engine.db.sessions() as session:
        loaded = await load(session, engine.library, onboarding_id)
        _step, check = await attestable(session, loaded.playbook, loaded.onboarding, check_key, actor, now=now)
    if check.proves_connection is None:
        return None
    kept = (loaded.scope.facts.get(KEPT_WARNINGS) or {}).get(check.key)
    if confirmed and kept:
        # Confirmed beside the warning the page showed: recorded with what that read found, and
        # Okta is not asked again. The plain button asks again (the vendor may have called since).
        return CONFIRMED + str(kept["shown"])
    shown = await _token_use(engine, loaded, actor)
    if shown is None:
        if kept:
            await _keep(engine, onboarding_id, check.key, None)
        return None
    await _keep(engine, onboarding_id, check.key, {"shown": shown, **_warning(loaded, check, shown), "at": now})
    raise NoSignOfUse({}, f"Not attested yet: {shown[:1].upper()}{shown[1:]}. The warning at ‘{check.label}’ "
                          "says what to check.")


async def _token_use(engine: Engine, loaded: Loaded, actor: Actor) -> str | None:
    """What Okta shows of the token's use since the paste, in words for the record; None: it was used.

    Costs one call, ``GET /api/v1/api-tokens/{id}`` with the onboarding's stored credential (the org's
    rate limits are shared with the customer), made only here, when a person gives an attestation
    that proves the vendor connected; never when a page is drawn, and not on the confirmation that
    follows a warning."""
    facts = loaded.scope.facts
    token_id = str(facts.get("service_token_id") or "")
    if not token_id:
        return "no service account token is verified for this onboarding"
    if actor.id is None or not may_use_credential(loaded.connection, actor.id):
        return ("the wizard could not ask Okta whether the service account's API token was used: this onboarding's "
                "Okta connection is another person's")
    try:
        async with engine.okta_for(loaded, actor) as admin:
            token = await admin.tokens.get(token_id)
    except OktaError as exc:
        return f"the wizard could not ask Okta whether the service account's API token was used ({exc.message})"
    if token is None:
        return (f"Okta no longer lists the service account's API token {token_id} (revoked, or expired): the vendor "
                "cannot be reading Okta with it")
    expires = okta_moment(token.expiresAt)
    used = used_since_paste(expires, facts) if expires is not None else None
    if used:
        return None
    if used is None or expires is None:
        return ("Okta's expiry of the service account's API token at its paste was not kept, so the wizard cannot "
                "tell whether it was used since")
    pasted = facts.get(TOKEN_VERIFIED_AT)
    return ("Okta shows no use of the service account's API token since it was pasted"
            + (f" on {stamp(float(pasted))}" if pasted else "")
            + f": its expiry, {stamp(expires)}, had not moved when the wizard read it on {stamp(engine.clock.now())}")


def _warning(loaded: Loaded, check: CheckSpec, shown: str) -> dict[str, Any]:
    """The warning at the attestation: what Okta shows, then the two things it may mean, each with
    what to do: the vendor may simply not have called yet (then waiting is better than confirming: QA
    walk 12, L3), or it is looking elsewhere (where to check); in the item's own words (the
    playbook's ``seen``). Short sentences and one "despite", at the box (QA walk 16, L5: one paragraph
    of 170 words said "despite" three times)."""
    proof = check.proves_connection
    assert proof is not None
    where = str(loaded.scope.render(proof.where))
    seen = str(loaded.scope.render(proof.seen))
    first_call = str(loaded.scope.render(proof.first_call))
    return {"words": f"{shown[:1].upper()}{shown[1:]}. Okta moves a token's expiry on at each call made with it.",
            "advice": [f"{first_call[:1].upper()}{first_call[1:]}: if it was set up only a little while ago, it may "
                       "simply not have called Okta yet. Then wait, and attest again later (the wizard asks Okta "
                       "again then): that is better than confirming now.",
                       f"If {seen} all the same, check {where}: you may be looking at another place than the one set "
                       "up here, or it may be connected with another token or to another Okta org."]}


async def _keep(engine: Engine, onboarding_id: uuid.UUID, check_key: str, warning: dict[str, Any] | None) -> None:
    """Keep (or, with None, drop) the warning given at ``check_key``, for the page to draw."""
    async with engine.db.session() as session:
        onboarding = await get_onboarding(session, onboarding_id)
        kept = {key: value for key, value in ((onboarding.facts or {}).get(KEPT_WARNINGS) or {}).items()
                if key != check_key}
        if warning is not None:
            kept[check_key] = warning
        await learn(session, onboarding, {KEPT_WARNINGS: kept})

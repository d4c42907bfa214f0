"""A service account deactivated in Okta after its token was verified (the watch's alert, QA walk 10,
M3): its owner gets it back from the wizard. The remedy used to rely on Okta's activation e-mail,
which may never reach an account the wizard made without one (``sendEmail=false``); now Okta
reactivates it without e-mail and answers with a new activation link, shown once to the person who
pressed the button, as the first activation's link is revealed on its step. The link is never kept
(not even sealed), logged, or written to the audit trail; pressed again, Okta makes a new one and the
earlier stops working. A press from a page drawn before the last link was given (a double submit, a
second tab) is refused without asking Okta: it would have voided the link just shown (QA, M2).

The lifecycle call follows the account's status (api-map "Activate"; the spec's activateUser and
reactivateUser): a DEPROVISIONED account is activated (``POST /api/v1/users/{id}/lifecycle/activate
?sendEmail=false`` answers ``activationUrl``), one PROVISIONED since (waiting for its person, the
link lost) is reactivated (``.../lifecycle/reactivate?sendEmail=false``: a new link)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.audit import Actor, record
from app.common.moments import stamp
from app.common.validation import ValidationFailed
from app.engine.checks.library import REACTIVATE, give_to_vendor
from app.engine.engine import Engine
from app.engine.runtime import Loaded, load
from app.okta.errors import OktaError
from app.okta.models import User
from app.onboardings.lost_token import RELINKED_AT, RELINKED_BY, relinked_since
from app.onboardings.token_name import token_task
from app.playbooks.tasks import TOKEN_VERIFIED, TOKEN_VERIFIED_AT
from app.store.base import utcnow
from app.store.models import CheckResult, VerificationRun
from app.store.repositories.progress import latest_results
from app.store.repositories.state import get_onboarding, learn, touch
from app.store.statuses import CheckStatus
from app.vault import Secret
from app.watch.alerts import note_reactivated
from app.watch.findings import ACCOUNT_CHECK_KIND, check_kinds

LINK_LABEL = "New activation link of the service account"
PURPOSE = "reactivation_link"  # how the page knows the revealed value (never a kept secret's purpose)
AGAIN = "Get a new activation link"
# Fact: a press asking Okta for a new link now ({"at": timestamp, "by": name}), and how long it may.
ASKING = "service_account_relinking"
ASKING_SECONDS = 120


@dataclass(frozen=True)
class Offer:
    """The button the page shows, for the service account the latest run found down."""

    user_id: str
    status: str  # as the latest run found it: DEPROVISIONED, or PROVISIONED after an earlier press
    button: str
    check: str = ""  # the account's status check, on whose open alert the reactivation is noted
    since: str = ""  # when the last link was given, as the page knew it ("" if never): its form sends it back


def offered(loaded: Loaded, results: Mapping[str, CheckResult], run: VerificationRun | None = None) -> Offer | None:
    """Whether to offer a new activation link: the latest run (``run``) found the service account
    deactivated, or waiting for its person again, once its token had been verified. Before that, a
    PROVISIONED account is on its first activation, whose link its own step keeps and reveals. Once
    a link was given since the run, the button offers a new one, not to reactivate it again."""
    facts = loaded.scope.facts
    account = facts.get(token_task(loaded).user_fact)
    if not account or not facts.get(TOKEN_VERIFIED):
        return None
    if run is not None and float(facts.get(TOKEN_VERIFIED_AT) or 0) > run.finished_at.timestamp():
        return None  # a token pasted since: Okta accepted it, so the account is active again
    kinds = check_kinds(loaded.playbook)
    since = _since(facts)
    for key, result in sorted(results.items()):
        evidence = result.evidence or {}
        if kinds.get(key) != ACCOUNT_CHECK_KIND or result.status != CheckStatus.failed \
                or evidence.get("user_id") != account:
            continue
        status = str(evidence.get("status") or "")
        if status in ("DEPROVISIONED", "PROVISIONED"):
            if relinked_since(loaded, run):
                return Offer(str(account), "PROVISIONED", AGAIN, key, since)
            return Offer(str(account), status, REACTIVATE if status == "DEPROVISIONED" else AGAIN, key, since)
    return None


async def new_activation_link(engine: Engine, onboarding_id: uuid.UUID, actor: Actor, since: str
                              ) -> tuple[str, Secret]:
    """Reactivate the service account without e-mail; its new activation link, to show once.
    ``since``: the offer's, as the page that was pressed had it."""
    async with engine.db.sessions() as session:
        loaded = await load(session, engine.library, onboarding_id)
        run, results = await latest_results(session, onboarding_id)
    offer = offered(loaded, results, run)
    if offer is None:
        raise ValidationFailed({}, "The last verification did not find the service account deactivated: nothing "
                                   "was changed in Okta. Re-verify to see it as Okta has it now.")
    if since != offer.since:
        raise ValidationFailed({}, _given_since(loaded.scope.facts))
    await _claim(engine, onboarding_id, actor, since)
    try:
        user, answer = await _lifecycle(engine, loaded, offer, actor)
    except BaseException:
        await _let_go(engine, onboarding_id)
        raise
    login = user.profile.login
    link = answer.get("activationUrl")
    was = "deactivated" if user.status == "DEPROVISIONED" else "waiting for its activation"
    async with engine.db.session() as session:
        now = utcnow()
        # The card leads to the token step from here on (QA walk 12, H1): the paste proves it active.
        given = {RELINKED_AT: now.timestamp(), RELINKED_BY: actor.name} if link else {}
        await learn(session, await get_onboarding(session, onboarding_id), {**given, ASKING: None})
        # The watch's alert no longer says the account is deactivated (Okta has it waiting for its
        # person now), until its next run reads it again.
        await note_reactivated(session, onboarding_id, f"check:{offer.check}", login=login or "The service account",
                               by=actor.name, at=now, remedy=_remedy(loaded))
        await touch(session, onboarding_id)
        # Who, what and when; never the link nor its token.
        await record(session, action="service_account_reactivate", actor=actor, onboarding_id=onboarding_id,
                     subject_type="user", subject_id=user.id,
                     summary=f"Service account {login} ({was}) given a new activation link in Okta, without e-mail"
                             + ("; the link was shown once to the person who asked, and not kept" if link else
                                "; Okta returned no link"))
    if not link:
        raise ValidationFailed({}, f"Okta reactivated {login} but returned no activation link: press the button "
                                   "again to ask Okta for a new one.")
    # Remembered by the log redactor from here on, whatever repeats it.
    return f"{LINK_LABEL} {login}", Secret(str(link))


async def _lifecycle(engine: Engine, loaded: Loaded, offer: Offer, actor: Actor) -> tuple[User, dict[str, Any]]:
    """The account as Okta has it now, and Okta's answer to the one lifecycle call its status allows."""
    try:
        async with engine.okta_for(loaded, actor) as admin:
            # Two calls, only when a person presses the button: the account as Okta has it now (an
            # admin may have reactivated it in the Admin Console since the last run), then the one
            # lifecycle call its status allows.
            user = await admin.users.get(offer.user_id)
            if user is None:
                raise ValidationFailed({}, "The service account is no longer in Okta (deleted?): it cannot be "
                                           "reactivated. Undo this onboarding and start a new one.")
            if user.status == "DEPROVISIONED":
                return user, await admin.users.activate(user.id, send_email=False)
            if user.status == "PROVISIONED":
                return user, await admin.users.reactivate(user.id, send_email=False)
            raise ValidationFailed({}, f"{user.profile.login} is {user.status} in Okta now, not deactivated: "
                                       "nothing was changed. Re-verify to see it as Okta has it now.")
    except OktaError as exc:
        raise ValidationFailed({}, f"Okta did not reactivate the service account: {exc.message}") from None


async def _claim(engine: Engine, onboarding_id: uuid.UUID, actor: Actor, since: str) -> None:
    """Mark that this press is asking Okta, unless another is: two presses at once (two tabs, two
    people) both reached Okta, and the second link voided the first as it was shown (QA walk 14).
    A compare-and-set on the onboarding's revision, so only one of two at once gets it; a claim
    left by a server stopped mid-call lapses after ``ASKING_SECONDS``. A link given since the offer
    was read (a press that ended meanwhile) refuses it too, as an older page's press is refused."""
    now = utcnow().timestamp()
    async with engine.db.session() as session:
        onboarding = await get_onboarding(session, onboarding_id)
        facts = dict(onboarding.facts or {})
        if _since(facts) != since:
            raise ValidationFailed({}, _given_since(facts))
        held = facts.get(ASKING)
        if isinstance(held, dict) and now - float(held.get("at") or 0) < ASKING_SECONDS:
            raise ValidationFailed({}, _asking(str(held.get("by") or "")))
        facts[ASKING] = {"at": now, "by": actor.name}
        if not await touch(session, onboarding_id, activity=False, if_revision=onboarding.revision, facts=facts):
            raise ValidationFailed({}, _asking(""))


async def _let_go(engine: Engine, onboarding_id: uuid.UUID) -> None:
    """This press asks Okta no more (refused, or Okta did not answer): the next may."""
    async with engine.db.session() as session:
        await learn(session, await get_onboarding(session, onboarding_id), {ASKING: None})


def _asking(by: str) -> str:
    who = f"{by} pressed" if by else "Someone pressed"
    return (f"{who} this button a moment ago, and the wizard is asking Okta for that new activation link now. "
            "Nothing more was asked of Okta, so the link shown to them stays good. Reload this page in a moment to "
            "see it given.")


def _since(facts: Mapping[str, Any]) -> str:
    """When the last link was given, as the page's form carries it ("" if never)."""
    at = facts.get(RELINKED_AT)
    return str(at) if isinstance(at, int | float) else ""


def _given_since(facts: Mapping[str, Any]) -> str:
    """Why a press from a page drawn before the last link was given changes nothing: as the database
    knows it, no Okta call (a new link would void the one just shown)."""
    return (f"The service account was reactivated in Okta by {facts.get(RELINKED_BY) or 'someone'} on "
            f"{stamp(float(facts[RELINKED_AT]))}, after the page you pressed was drawn; its new link was shown "
            f"then. Nothing was changed in Okta: that link still works. Lost it? Press “{AGAIN}”.")


def _remedy(loaded: Loaded) -> str:
    """What is left to do once the account is reactivated (the alert's remedy said to press the button)."""
    return ("Open the new activation link as the service account (choose its password and enrol its MFA), sign in "
            "to Okta as it, create a new API token, paste it on the token step and "
            f"{give_to_vendor(loaded.playbook.token_place or '')}. Lost the link? Press “{AGAIN}” on this "
            "onboarding's page: Okta makes a new one, and the earlier one stops working.")

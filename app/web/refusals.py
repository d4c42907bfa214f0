"""Refused attempts in the audit trail. A signed-in person who posts what their role or their
assignment does not allow (an auditor changing their own role, an operator acting on a colleague's
onboarding) gets a 403 page; the trail an auditor reads says who tried what, on what, and that it
was refused, once per attempt.

Only requests that would change something are recorded (POST and the like). A GET of a page one's
role cannot see changes nothing and is how links, bookmarks and a colleague's shared address lead
people there innocently; recording each would bury the attempts that matter and make every such
read take the database's write lock. The pages refuse those reads just the same.

The event is written in a short unit of work of its own, after the request's session has ended
(rolled back by the refusal): the request may hold a read-only session (a form that calls Okta),
and what it half-did is not committed with the record. Nothing posted is recorded: only the route,
the ids in its address, and who asked."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from app.audit import Actor, record
from app.store.models import NotificationChannel, OktaConnection, Onboarding, Operator
from app.store.statuses import Outcome
from app.web.deps import client_ip
from app.web.state import app_state

log = logging.getLogger("onboard.refusals")

# Methods that only read: refusing them is not recorded (see the module's docstring).
READING = frozenset({"GET", "HEAD", "OPTIONS"})

# What each state-changing route does, as the trail says what was tried ("Refused: <words>"); {}
# is the object its address names. tests/web/test_refusals_audited.py checks that every such route
# a role or an assignment guards is here, so none is recorded as its bare address.
ATTEMPTS: dict[str, str] = {
    "operator_create": "add an account",
    "operator_role": "change the role of {}",
    "operator_disable": "disable {}",
    "operator_enable": "enable {}",
    "operator_unlock": "unlock the sign-in of {}",
    "operator_password": "reset the password of {}",
    "operator_email": "change the e-mail address of {}",
    "connection_add": "add an Okta connection",
    "connection_add_sandbox": "add the sandbox Okta connection",
    "connection_check": "check {}",
    "connection_retire": "retire {}",
    "connection_sharing": "change who may use {}",
    "settings_domains": "change the custom Okta domains",
    "settings_playbook": "change the settings of {}",
    "settings_oidc": "change sign-in with the identity provider",
    "notifications_add_webhook": "add a webhook for alerts",
    "notifications_add_email": "add an e-mail channel for alerts",
    "notifications_remove": "remove {}",
    "notifications_test": "send a test message through {}",
    "notifications_assignee": "change whether {} also tells each onboarding's assignee",
    "onboarding_create": "start an onboarding",
    "onboarding_inputs": "save the values of {}",
    "onboarding_plan": "plan {}",
    "onboarding_confirm": "confirm the plan of {}",
    "onboarding_apply": "apply the plan of {}",
    "onboarding_verify": "verify {}",
    "onboarding_reverify": "re-verify {}",
    "onboarding_undo": "undo {}",
    "onboarding_token": "give {} the service account's token",
    "onboarding_token_any_ip": "let the service account's token of {} be used from any address",
    "onboarding_reactivate": "make a new activation link for the service account of {}",
    "onboarding_test_event": "make a test event in Okta for {}",
    "onboarding_timer": "start a timer of {}",
    "onboarding_reveal": "reveal a kept value of {}",
    "onboarding_attest": "attest a step of {}",
    "onboarding_attest_withdraw": "withdraw an attestation of {}",
    "onboarding_summary_read": "mark the handoff summary of {} as read",
    "onboarding_handoff": "hand off {}",
    "onboarding_take": "take {} from the help-desk queue",
    "onboarding_close": "close {}",
    "onboarding_connection": "change the Okta credential of {}",
    "onboarding_watch_period": "change how often {} is re-verified",
}

# The ids an address may carry: the subject type the trail uses, the row, and how an id that
# names nothing is said.
_SUBJECTS: dict[str, tuple[str, Any, str]] = {
    "operator_id": ("operator", Operator, "an unknown account"),
    "connection_id": ("okta_connection", OktaConnection, "an unknown Okta connection"),
    "channel_id": ("notification_channel", NotificationChannel, "an unknown notification channel"),
    "onboarding_id": ("onboarding", Onboarding, "an unknown onboarding"),
}


@dataclass(frozen=True)
class _Subject:
    words: str = "it"
    type: str | None = None
    id: str | None = None
    onboarding_id: uuid.UUID | None = None


def mark_recorded(request: Request) -> None:
    """The route recorded this refusal itself, in words of its own: the error page adds none."""
    request.state.refusal_recorded = True


def _route_name(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "name", "") or "")


def _named(request: Request, row: Any) -> str:
    """How the summary names an object the address names (never a secret: a username, a label)."""
    if isinstance(row, Operator):
        return f"account {row.username}"
    if isinstance(row, OktaConnection):
        return f"the Okta connection “{row.label}”"
    if isinstance(row, NotificationChannel):
        return f"the notification channel “{row.label}”"
    library = app_state(request).library
    return f"the {library.get(row.vendor).name if row.vendor in library else row.vendor} onboarding"


async def _subject(request: Request, session: AsyncSession) -> _Subject:
    """The object the address names, if it exists; an id that names nothing is kept as given
    (clipped): a prober's guesses are worth reading too."""
    params = request.path_params
    for key, (kind, model, unknown) in _SUBJECTS.items():
        if key not in params:
            continue
        raw = str(params[key])
        try:
            row = await session.get(model, uuid.UUID(raw))
        except ValueError:
            row = None
        if row is None:
            return _Subject(unknown, kind, raw[:64])
        return _Subject(_named(request, row), kind, str(row.id),
                        row.id if isinstance(row, Onboarding) else None)
    if "playbook_key" in params:
        key = str(params["playbook_key"])[:64]
        library = app_state(request).library
        return _Subject(library.get(key).name if key in library else f"the vendor “{key}”", "setting",
                        f"playbook:{key}")
    return _Subject()


def _attempt(request: Request, subject: _Subject) -> str:
    words = ATTEMPTS.get(_route_name(request))
    if words is None:
        route = request.scope.get("route")
        return f"{request.method} {getattr(route, 'path', request.url.path)}"
    return words.format(subject.words)


async def record_refusal(request: Request, reason: str) -> None:
    """Record that the signed-in person was refused this request, if it would have changed
    something and the route did not record it already. Never raises: the person still gets the
    page that says why, and a failed write is logged."""
    me = getattr(request.state, "operator", None)
    if me is None or request.method in READING or getattr(request.state, "refusal_recorded", False):
        return
    request.state.refusal_recorded = True
    actor = Actor(id=me.id, name=me.username, source_ip=client_ip(request),
                  user_agent=request.headers.get("user-agent"))
    params = request.path_params
    # Keys of the address other than ids (the check, step or kept value it names), for the reader.
    details = {"route": _route_name(request) or None, "method": request.method,
               **{k: str(v)[:64] for k, v in params.items() if k not in _SUBJECTS and k != "playbook_key"}}
    try:
        async with app_state(request).db.session() as session:
            subject = await _subject(request, session)
            await record(session, action="access_refused", outcome=Outcome.denied, actor=actor,
                         onboarding_id=subject.onboarding_id, subject_type=subject.type, subject_id=subject.id,
                         details=details, summary=f"Refused: {_attempt(request, subject)}. {reason}")
    except Exception:
        log.exception("could not record a refused %s %s", request.method, request.url.path)

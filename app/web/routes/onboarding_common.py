"""What every onboarding route shares: finding the onboarding (404), whether this operator may act
on it and use its credential (403), drawing its page, and going back to it with a message."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.audit import record
from app.common.validation import ValidationFailed
from app.connections.service import list_connections
from app.engine.status import held_by_waits, timer_until
from app.onboardings import handoffs, reactivation
from app.onboardings.next_step import credential_refused, header_line, kept_to_its_owner
from app.onboardings.run_ended import STOPPED, run_ended_words
from app.onboardings.view import build_view
from app.store.models import OktaConnection, Onboarding, Operator
from app.store.repositories.progress import latest_handoff, latest_job
from app.store.repositories.state import find_onboarding
from app.store.statuses import FINISHED, Outcome
from app.vault.redaction import REDACTOR
from app.watch.audience import told
from app.watch.health import evidence_for
from app.web.deps import actor_for, uuid_or_404
from app.web.flash import FLASH_COOKIE, set_flash
from app.web.refusals import mark_recorded
from app.web.responses import redirect
from app.web.state import app_state
from app.web.templating import render


async def onboarding_or_404(db: AsyncSession, onboarding_id: str) -> Onboarding:
    """The onboarding the address names, or Not Found (a malformed id too)."""
    found = await find_onboarding(db, uuid_or_404(onboarding_id))
    if found is None:
        raise HTTPException(404)
    return found


async def acting(request: Request, db: Any, onboarding_id: str, operator: Any, *, okta: bool = False
                  ) -> Onboarding:
    """The onboarding, if this operator may act on it (and, for Okta calls, use its credential)."""
    found = await onboarding_or_404(db, onboarding_id)
    assignee = await db.get(Operator, found.assignee_id) if found.assignee_id else None
    try:
        handoffs.require_act(found, operator.id, operator.role, assignee.display_name if assignee else None)
    except handoffs.NotYours as exc:
        raise HTTPException(403, str(exc)) from None
    if okta:
        connection = await db.get(OktaConnection, found.connection_id)
        if connection is not None and not handoffs.may_use_credential(connection, operator.id):
            raise HTTPException(403, "The stored Okta credential of this onboarding belongs to someone else and may "
                                "not be reused: continue with your own credential (on the onboarding page).")
    return found


async def assignee_only(request: Request, db: Any, found: Onboarding, operator: Any, purpose: str) -> None:
    """Kept secrets go only to the person the onboarding is assigned to, whatever their role: anyone
    else is refused (403), recorded as a refused reveal (the error page then records nothing more)."""
    if found.assignee_id == operator.id:
        return
    await record(db, action="secret_reveal_refused", actor=actor_for(request, operator), onboarding_id=found.id,
                 subject_type="onboarding_secret", subject_id=purpose[:64], outcome=Outcome.denied,
                 summary="Reveal refused: not the operator this onboarding is assigned to")
    await db.commit()
    mark_recorded(request)
    raise HTTPException(403, "Only the operator this onboarding is assigned to can reveal its kept secrets.")


def back(request: Request, onboarding_id: uuid.UUID | str, message: str | None = None, level: str = "success",
         anchor: str = "", *, ended: str | None = None) -> Response:
    """Back to the onboarding's page (at ``anchor``), with ``message`` shown once (``ended``: it
    announces a job, and once that job has ended the page says this instead)."""
    response = redirect(request, str(request.url_for("onboarding", onboarding_id=str(onboarding_id))) + anchor)
    if message:
        set_flash(request, response, message, level, ended=ended)
    return response


async def draw_page(request: Request, db: Any, onboarding_id: uuid.UUID, *, status_code: int = 200,
                    errors: dict[str, str] | None = None, message: str | None = None,
                    revealed: tuple[str, str, str] | None = None, typed: Mapping[str, str] | None = None) -> Response:
    """The onboarding's page as the database has it, with a refused form's errors or a revealed secret."""
    state = app_state(request)
    view = await build_view(db, state.library, onboarding_id, state.clock.now())
    me = request.state.operator
    onboarding = view.onboarding
    latest = await latest_handoff(db, onboarding_id)
    people = {str(op.id): op for op in view.operators}
    labels = {check.key: check.label for _step, check in view.loaded.playbook.checks()}
    credential_ok = handoffs.may_use_credential(view.loaded.connection, me.id)
    retired = view.loaded.connection.retired_at is not None
    refused_now = credential_refused(view)
    own = [] if credential_ok and not retired and not refused_now else [
        c for c in await list_connections(db)
        if c.org_origin == onboarding.org_origin and c.id != onboarding.connection_id
        and handoffs.may_use_credential(c, me.id) and not c.refused]
    context = {
        "view": view, "errors": errors or {}, "typed": dict(typed or {}), "message": message, "revealed": revealed,
        "now": state.clock.now(),
        "may_act": handoffs.may_act(onboarding, me.id, me.role),
        "latest_handoff": latest, "people": people,
        # For its receiver: the colleague it went to, or whoever took it from the queue (anyone while it is there).
        "handoff_unread": latest is not None and latest.acknowledged_at is None
                          and (latest.to_operator_id or onboarding.assignee_id) in (None, me.id),
        "handoff_targets": [op for op in people.values() if op.is_active and op.role != "auditor"
                            and op.id != onboarding.assignee_id],
        "credential_ok": credential_ok, "own_connections": own, "credential_refused": refused_now,
        # Whoever may act on it but not use its credential: the card asks for their own connection.
        "own_card": kept_to_its_owner(view, _added_by(view, people)) if handoffs.may_act(onboarding, me.id, me.role)
        and not credential_ok and not retired and not view.finished and view.job is None else None,
        # A token added by the connection's creator, of the same account, replaces its token; anyone
        # else's is a connection of their own (app/connections/service.py, `_same_account`).
        "renews_connection": view.loaded.connection.created_by_id == me.id,
        "token_to_pass_on": handoffs.token_to_pass_on(view),
        # Steps after a wait the document asks for, still running: their attestation waits too.
        "held_waits": {key: (view.loaded.playbook.step(wait), timer_until(view.loaded.scope.facts, wait))
                       for key, wait in held_by_waits(view.loaded.playbook, view.loaded.scope, view.now).items()},
        "is_assignee": onboarding.assignee_id == me.id,
        "line": header_line(view),  # the status line, or the card's step where they part
        # The service account found deactivated since its token: a new activation link, without e-mail.
        "reactivation": None if view.finished else reactivation.offered(view.loaded, view.results, view.last_run),
        "reactivation_purpose": reactivation.PURPOSE, "reactivation_label": reactivation.LINK_LABEL,
        "token_place": view.loaded.playbook.token_place,
        # Once completed: what Okta shows of the vendor's use (the watch's evidence), and the attestations
        # that it connected given despite Okta showing no use then (QA walk 16, M2).
        "evidence": evidence_for(state.library, onboarding, view.results),
        "confirmed_despite": [(people[str(a.operator_id)].display_name if str(a.operator_id) in people
                               else a.operator_name, labels.get(a.check_key, a.check_key), a.attested_at)
                              for a in view.loaded.attestations.values() if a.warning],
        # Once watched: who its alerts are sent to (the channels, and its assignee where a channel says so).
        "told": await told(db, onboarding) if onboarding.completed_at and onboarding.status not in FINISHED
        else None,
        # How often the watch looks while the vendor's first call is awaited (its pace, if shorter).
        "first_call_hours": min(onboarding.watch_every_hours or state.settings.watch_every_hours,
                                state.settings.watch_first_call_hours),
        "usual_hours": state.settings.watch_every_hours,  # the pace an empty "Check it every" keeps
        # Its pace now (before its first look is set: "again on its schedule" said no time: QA walk 20, L7).
        "pace_hours": (state.watch.period(onboarding).total_seconds() / 3600) if state.watch is not None else None,
        # A run announced by the last press that ended before this page was drawn: what it did.
        "run_ended": await _run_ended(request, db, view.job, onboarding_id), "STOPPED": STOPPED,
    }
    return render(request, "onboardings/detail.html", context, status_code=status_code,
                  page_url=request.url_for("onboarding", onboarding_id=str(onboarding_id)).path)




async def _run_ended(request: Request, db: Any, running: Any, onboarding_id: uuid.UUID) -> str | None:
    """Only read with a message waiting to be shown (a flash), and no run going on."""
    if running is not None or not request.cookies.get(FLASH_COOKIE):
        return None
    job = await latest_job(db, onboarding_id)
    return await run_ended_words(db, job) if job is not None else None


async def settle(request: Request, db: Any, onboarding_id: uuid.UUID) -> None:
    """Commit what the request wrote, then derive the onboarding's status from it (the engine reads
    in a session of its own, so only once the write is committed)."""
    await db.commit()
    await app_state(request).engine.refresh_status(onboarding_id)


async def refused(request: Request, db: Any, onboarding_id: uuid.UUID, exc: ValidationFailed,
                  typed: Mapping[str, str] | None = None) -> Response:
    """A form the service refused: nothing half-written (rolled back), and the page drawn again from
    the database as it was, with the errors by field and the values as ``typed`` (none is lost).
    A refusal that repeats what was typed ("None of the tokens is named '…'") never repeats a
    secret pasted there by mistake."""
    await db.rollback()
    errors = {field: REDACTOR.text(message) for field, message in exc.errors.items()}
    return await draw_page(request, db, onboarding_id, status_code=400, errors=errors,
                           message=REDACTOR.text(exc.message), typed=typed)


def _added_by(view: Any, people: Mapping[str, Operator]) -> str:
    """Who added the onboarding's connection, by name."""
    added = people.get(str(view.loaded.connection.created_by_id))
    return added.display_name if added is not None else "another operator"

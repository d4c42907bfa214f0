"""Handing an onboarding to a colleague or the help-desk queue, taking it, reading its handoff
summary, closing it, and switching it to the operator's own Okta credential."""

from __future__ import annotations

import contextlib
import uuid

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.common.validation import ValidationFailed
from app.engine.jobs import JobBusy
from app.onboardings import handoffs, notes
from app.onboardings.elsewhere import guided_steps
from app.onboardings.person_steps import checked_by_okta
from app.onboardings.view import build_view
from app.reports.values import given_values
from app.store.repositories.operators import OperatorRepository
from app.store.repositories.progress import handoffs_of
from app.store.statuses import NOT_AGAINST, ActionState
from app.web.deps import ActingOperator, CurrentOperator, DbSession, actor_for, form_values, read_input
from app.web.flash import set_flash
from app.web.responses import redirect
from app.web.routes.onboarding_common import acting, back, onboarding_or_404, refused, settle
from app.web.state import app_state
from app.web.templating import render

router = APIRouter(prefix="/onboardings")


@router.get("/{onboarding_id}/summary", name="onboarding_summary")
async def summary(request: Request, db: DbSession, onboarding_id: str, operator: CurrentOperator) -> Response:
    found = await onboarding_or_404(db, onboarding_id)
    state = app_state(request)
    view = await build_view(db, state.library, found.id, state.clock.now())
    history = await handoffs_of(db, found.id)
    names = await OperatorRepository(db).display_names_by_text_id()
    # The wizard's own steps whose work is done and whose checks against Okta never ran yet (the
    # service account made, a choice saved): to be confirmed, not work the taker must do again. So
    # too a person's step done as attested whose Okta side no verification has read yet. A person's
    # step still to do (the token's) or one whose action waits stays work.
    still_to_do = view.still_to_do
    to_confirm = [(section, sv) for section, steps in view.sections for sv in steps
                  if (sv.as_attested or (sv.step.actor == "wizard" and (section, sv) in still_to_do))
                  and all(action.state == ActionState.done for action in sv.actions) and checked_by_okta(view, sv)
                  and all(check.status in NOT_AGAINST for check in sv.checks)]
    # Steps elsewhere the document puts past where it stands are still to do, not to ask about; one
    # before it whose values are still empty is not done either, whoever says so.
    elsewhere, ahead = guided_steps(view)
    empty = [(section, sv) for section, sv in elsewhere if sv.missing_values]
    order = {sv.step.key: i for i, sv in enumerate(sv for _section, steps in view.sections for sv in steps)}
    return render(request, "onboardings/summary.html", {
        "view": view, "history": history, "names": names, "token_to_pass_on": handoffs.token_to_pass_on(view),
        "to_confirm": to_confirm, "values": given_values(view.loaded),
        "still": sorted([item for item in still_to_do if item not in to_confirm] + empty + ahead,
                        key=lambda item: order[item[1].step.key]),
        "elsewhere": [item for item in elsewhere if item not in empty]})


@router.post("/{onboarding_id}/summary/read", name="onboarding_summary_read")
async def summary_read(request: Request, db: DbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    found = await onboarding_or_404(db, onboarding_id)
    if found.assignee_id != operator.id:
        # Reading the handoff summary is the receiver's act: it tells the sender the work was taken up.
        raise HTTPException(403, "Only the operator this onboarding is assigned to can mark its handoff as read.")
    await handoffs.acknowledge(db, found, actor_for(request, operator))
    return back(request, found.id)


@router.post("/{onboarding_id}/handoff", name="onboarding_handoff")
async def hand_off(request: Request, db: DbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    found = await acting(request, db, onboarding_id, operator)
    asked = await read_input(request, handoffs.HandoffRequest)
    try:
        handed = await handoffs.hand_off(db, found, asked, actor_for(request, operator))
    except ValidationFailed as exc:  # the note and the choice stay as written, a token in the note masked
        kept = notes.masked(asked.note)
        said = ValidationFailed(exc.errors, notes.sentences(exc.message, notes.masked_words(kept.masked)))
        return await refused(request, db, found.id, said, typed={"handoff_to": asked.to, "handoff_note": kept.text})
    where = handed.to.display_name if handed.to else "the help-desk queue"
    return _told(request, found.id, f"Handed off to {where}.", handed.masked)


@router.post("/{onboarding_id}/take", name="onboarding_take")
async def take(request: Request, db: DbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    found = await onboarding_or_404(db, onboarding_id)
    try:
        await handoffs.take(db, found, actor_for(request, operator), operator.role)
    except handoffs.NotYours as exc:
        raise HTTPException(403, str(exc)) from None
    await db.commit()
    response = redirect(request, str(request.url_for("onboarding_summary", onboarding_id=str(found.id))))
    set_flash(request, response, "It is yours now. Read the handoff summary, then continue.")
    return response


@router.post("/{onboarding_id}/close", name="onboarding_close")
async def close(request: Request, db: DbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await acting(request, db, onboarding_id, operator)
    asked = await read_input(request, handoffs.CloseRequest)
    try:
        closed = await handoffs.close(db, state.vault, found, asked, actor_for(request, operator))
    except ValidationFailed as exc:  # what was typed is kept (the reason of a close refused while a run works)
        return await refused(request, db, found.id, exc, typed={"reason": notes.masked(asked.reason).text})
    return _told(request, found.id, closed.said, closed.masked,
                 where="your reason")


def _told(request: Request, onboarding_id: uuid.UUID, done: str, masked: tuple[str, ...],
          where: str = "your note") -> Response:
    """Back to the page saying what was done, and what of the person's words was masked (a warning:
    the colleague will not find it there)."""
    if not masked:
        return back(request, onboarding_id, done)
    return back(request, onboarding_id, notes.sentences(done, notes.masked_words(masked, where)), level="warning")


@router.post("/{onboarding_id}/connection", name="onboarding_connection")
async def switch_connection(request: Request, db: DbSession, onboarding_id: str,
                            operator: ActingOperator) -> Response:
    found = await acting(request, db, onboarding_id, operator)
    connection = (await form_values(request)).get("connection", "")
    try:
        chosen = await handoffs.switch_connection(db, found, connection, actor_for(request, operator))
    except ValidationFailed as exc:
        return await refused(request, db, found.id, exc)
    await settle(request, db, found.id)  # a retired connection blocked it
    said = f"The onboarding now uses the connection “{chosen.label}”."
    if found.completed_at is not None:
        # Asked of Okta with it now: its status came back "Completed" from the run before, with no
        # call, even on a connection Okta refused too (QA walk 22, H1).
        state = app_state(request)
        with contextlib.suppress(JobBusy):
            await state.jobs.submit(found.id, "reverify", operator.id)
            return back(request, found.id, f"{said} The wizard is verifying the checklist against Okta with it.",
                        anchor="#progress")
    return back(request, found.id, said, anchor="#next-step")

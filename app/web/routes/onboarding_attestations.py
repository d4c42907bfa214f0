"""Attesting a step of an onboarding, and withdrawing an attestation given by mistake. Each route
parses the form, calls the attestation service, and returns to the page (or draws it with the
refusal and what was typed)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.common.validation import Fields, ValidationFailed
from app.onboardings import attestations
from app.store.models import Onboarding
from app.web.deps import ActingOperator, DbSession, actor_for, form_values
from app.web.routes.onboarding_common import acting, back, draw_page, settle
from app.web.state import AppState, app_state

router = APIRouter(prefix="/onboardings")


async def _read(request: Request, db: DbSession, onboarding_id: str, operator: ActingOperator
                ) -> tuple[AppState, Onboarding, Fields, dict[str, str]]:
    """The onboarding this operator attests on (or 403/404), and the form as posted."""
    found = await acting(request, db, onboarding_id, operator)
    posted = await form_values(request)
    return app_state(request), found, Fields(posted), posted


@router.post("/{onboarding_id}/attest/{check_key}", name="onboarding_attest")
async def attest(request: Request, db: DbSession, onboarding_id: str, check_key: str,
                 operator: ActingOperator) -> Response:
    state, found, form, posted = await _read(request, db, onboarding_id, operator)
    note = form.text("note", label="Note", required=False, max_length=1000, multiline=True)
    typed = {f"note-{check_key}": posted.get("note", "")}  # the page keeps the note typed when it refuses
    if form.errors:
        return await draw_page(request, db, found.id, status_code=400, errors=form.errors, message="Not attested.")
    try:
        await attestations.attest(db, state.vault, state.library.get(found.vendor), found, check_key, note,
                                  actor_for(request, operator), now=state.clock.now())
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    except ValidationFailed as exc:  # refused before anything is written (verify first): the page says why
        return await draw_page(request, db, found.id, status_code=409, message=exc.message, typed=typed)
    await settle(request, db, found.id)
    return back(request, found.id, f"Attested by {operator.display_name}.", anchor="#next-step")


@router.post("/{onboarding_id}/attest/{check_key}/withdraw", name="onboarding_attest_withdraw")
async def withdraw(request: Request, db: DbSession, onboarding_id: str, check_key: str,
                   operator: ActingOperator) -> Response:
    state, found, form, posted = await _read(request, db, onboarding_id, operator)
    reason = form.text("reason", label="Why it is withdrawn", max_length=1000, min_length=5, multiline=True,
                       missing="Say why it is withdrawn (the trail keeps it).")
    if form.errors:
        errors = {f"withdraw-{check_key}": message for message in form.errors.values()}
        return await draw_page(request, db, found.id, status_code=400, errors=errors, message="Not withdrawn.",
                               typed={f"withdraw-{check_key}": posted.get("reason", "")})
    try:
        await attestations.withdraw(db, state.library.get(found.vendor), found, check_key, reason,
                                    actor_for(request, operator))
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    await settle(request, db, found.id)
    return back(request, found.id, "Attestation withdrawn: the step asks for it again.", anchor="#next-step")

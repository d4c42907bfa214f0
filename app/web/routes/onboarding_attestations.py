"""Attesting a step of an onboarding, and withdrawing an attestation given by mistake. Each route
parses the form, calls the attestation service, and returns to the page (or draws it with the
refusal and what was typed)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.common.validation import Fields, ValidationFailed
from app.engine.jobs import JobBusy
from app.onboardings import attestations, connection_proof, handoffs, notes
from app.onboardings.view import build_view
from app.store.models import Onboarding, Operator
from app.store.repositories.state import get_onboarding
from app.web.deps import ActingOperator, DbSession, ReadDbSession, actor_for, form_values
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
async def attest(request: Request, db: ReadDbSession, onboarding_id: str, check_key: str,
                 operator: ActingOperator) -> Response:
    """A read session: an attestation that proves the vendor connected reads Okta first
    (connection_proof), and no write lock is held while Okta answers; the attestation is written
    in a unit of work of its own."""
    state, found, form, posted = await _read(request, db, onboarding_id, operator)
    # Kept with the attestation, in the report and its exports: a token pasted in it is not.
    note = notes.written(form, "note", label="Note", required=False, max_length=1000, multiline=True)
    # Ticked beside the warning that Okta shows no use of the service account's token.
    despite = form.boolean("despite_no_use")
    # The page keeps the note typed when it refuses, a token in it masked (and says so).
    typed = {f"note-{check_key}": notes.masked(posted.get("note", "")).text}
    masked = notes.masked_words(note.masked)
    if form.errors:
        return await draw_page(request, db, found.id, status_code=400, errors=form.errors,
                               message=notes.sentences("Not attested.", masked), typed=typed)
    actor = actor_for(request, operator)
    try:
        warning = await connection_proof.before_attesting(state.engine, found.id, check_key, actor,
                                                          now=state.clock.now(), confirmed=despite)
        async with state.db.session() as session:
            await attestations.attest(session, state.vault, state.library.get(found.vendor),
                                      await get_onboarding(session, found.id), check_key, note.text, actor,
                                      now=state.clock.now(), warning=warning)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    except attestations.AlreadyAttested as exc:
        given = exc.given
        by = await db.get(Operator, given.operator_id) if given.operator_id is not None else None
        return back(request, found.id, exc.words(by.display_name if by is not None else given.operator_name),
                    "warning", anchor="#next-step")
    except ValidationFailed as exc:  # refused before anything is written (verify first): the page says why
        oid = found.id
        await db.rollback()  # drawn as it is now: a warning kept since this request began is shown
        return await draw_page(request, db, oid, status_code=409, message=notes.sentences(exc.message, masked),
                               typed=typed)
    await settle(request, db, found.id)
    attested = f"Attested by {operator.display_name}." + (
        " Recorded as confirmed despite the warning that Okta shows no use of the token." if warning else "")
    level = "warning" if masked else "success"  # the note is not as typed: the person is told why
    if await _verify_if_last(request, db, state, found, operator):
        return back(request, found.id, notes.sentences(
            attested, masked, "Nothing else is left: the wizard is verifying the checklist against Okta."),
            level, anchor="#progress")
    return back(request, found.id, notes.sentences(attested, masked), level, anchor="#next-step")


async def _verify_if_last(request: Request, db: DbSession, state: AppState, found: Onboarding,
                          operator: ActingOperator) -> bool:
    """After the attestation that leaves nothing but to verify, verify at once, as the person
    would next (they pressed "Verify again" after the last one: QA walk 9, M2); only someone who
    may use the onboarding's Okta credential, and only when no run is under way."""
    await db.commit()  # the request's write transaction ends here: the job is queued in a session of its own
    async with state.db.sessions() as session:
        view = await build_view(session, state.library, found.id, state.clock.now())
    connection = view.loaded.connection
    if not view.next.finishes or view.job is not None \
            or not handoffs.may_use_credential(connection, operator.id):
        return False
    try:
        await state.jobs.submit(found.id, "reverify" if view.last_run else "verify", operator.id)
    except JobBusy:
        return False
    return True


@router.post("/{onboarding_id}/attest/{check_key}/withdraw", name="onboarding_attest_withdraw")
async def withdraw(request: Request, db: DbSession, onboarding_id: str, check_key: str,
                   operator: ActingOperator) -> Response:
    state, found, form, posted = await _read(request, db, onboarding_id, operator)
    reason = notes.written(form, "reason", label="Why it is withdrawn", max_length=1000, min_length=5,
                           multiline=True, missing="Say why it is withdrawn (the trail keeps it).")
    masked = notes.masked_words(reason.masked, "your reason")
    if form.errors:
        errors = {f"withdraw-{check_key}": message for message in form.errors.values()}
        return await draw_page(request, db, found.id, status_code=400, errors=errors,
                               message=notes.sentences("Not withdrawn.", masked),
                               typed={f"withdraw-{check_key}": notes.masked(posted.get("reason", "")).text})
    try:
        await attestations.withdraw(db, state.library.get(found.vendor), found, check_key, reason.text,
                                    actor_for(request, operator))
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    await settle(request, db, found.id)
    return back(request, found.id, notes.sentences("Attestation withdrawn: the step asks for it again.", masked),
                "warning" if masked else "success", anchor="#next-step")

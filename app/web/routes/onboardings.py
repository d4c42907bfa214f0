"""The onboarding screens: start one, the stepper page, and every operator action on it (the
handoff routes: onboarding_handoffs.py). Each route parses, calls one service or the engine, and
redirects back to the page."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.common.moments import stamp
from app.common.validation import ValidationFailed
from app.connections.service import list_connections
from app.engine.engine import EngineError
from app.engine.jobs import JobBusy
from app.engine.status import timer_runs
from app.okta.errors import OktaUnauthorized
from app.onboardings import handoffs, notes, service, timers
from app.onboardings.run_ended import ENDED, STOPPED, run_ended_words
from app.store.base import utcnow
from app.store.models import OktaConnection
from app.store.repositories.onboardings import open_onboardings
from app.store.repositories.plans import newest_plan
from app.store.repositories.progress import active_job, latest_job
from app.store.statuses import ACTIVE_JOBS, RUNNING_WORDS, OnboardingStatus, Verdict, WaitingFor
from app.web.csrf import csrf_token
from app.web.deps import (
    ActingOperator,
    CurrentOperator,
    DbSession,
    ReadDbSession,
    actor_for,
    form_values,
    read_form,
    uuid_or_404,
)
from app.web.flash import FLASH_COOKIE, FLASH_LIMIT, set_flash
from app.web.routes.home import home
from app.web.routes.onboarding_common import (
    acting,
    assignee_only,
    back,
    draw_page,
    onboarding_or_404,
    refused,
    settle,
)
from app.web.state import app_state
from app.web.templating import render

router = APIRouter(prefix="/onboardings")


# -- start ------------------------------------------------------------------------------------

@router.get("/new", name="onboarding_new")
async def new_onboarding(request: Request, db: DbSession, operator: ActingOperator) -> Response:
    state = app_state(request)
    return render(request, "onboardings/new.html", {
        "playbooks": state.library.all(), "connections": await _usable(db, operator), "errors": {},
        "chosen": request.query_params.get("vendor", ""), "sandbox_available": state.sandbox is not None,
        # Started from a connection's row ("Start an onboarding on it"): that org, chosen.
        "chosen_connection": request.query_params.get("connection", "")[:64]})


@router.get("", name="onboarding_list")
async def onboarding_list(request: Request, db: DbSession, operator: CurrentOperator) -> Response:
    """The onboardings, as the home page lists them (its tabs and filters from the query): what a
    person opening /onboardings expects (it showed the start form: QA walk 8, finding 14). A refused
    start, which the form posts here, names the form's own address for the address bar (``page_url``)."""
    return await home(request, db, operator)


def _new_address(request: Request, vendor: str, connection: str) -> str:
    """The start form's address with what was chosen, shown instead of the form's after a refusal."""
    chosen = {name: value for name, value in (("vendor", vendor), ("connection", connection)) if value}
    return request.url_for("onboarding_new").path + (f"?{urlencode(chosen)}" if chosen else "")


async def _usable(db: Any, operator: Any) -> list[Any]:
    """The connections whose credential this operator may use (one kept to its owner is not offered),
    and Okta accepts (one it refused was offered first, selected, for a draft that could do nothing:
    QA walk 22, H2; Okta connections says how to renew it)."""
    return [c for c in await list_connections(db) if handoffs.may_use_credential(c, operator.id)
            and not c.refused]


@router.post("", name="onboarding_create")
async def create_onboarding(request: Request, db: DbSession, operator: ActingOperator) -> Response:
    state = app_state(request)
    form = await read_form(request)
    vendor = form.choice("vendor", label="Vendor", choices=[p.key for p in state.library.all()])
    connection_value = form.text("connection", label="Okta connection", max_length=64,
                                 missing="Choose the Okta org to work on, or add a connection first.")
    connection = None
    if connection_value and "connection" not in form.errors:
        try:
            connection = await db.get(OktaConnection, uuid.UUID(connection_value))
        except ValueError:
            connection = None
        if connection is None or connection.retired_at is not None:
            form.errors["connection"] = "Choose one of the listed Okta connections."
        elif not handoffs.may_use_credential(connection, operator.id):
            form.errors["connection"] = ("This connection's credential is used only by whoever added it: add a "
                                         "connection of your own to this org, or choose another.")
    if form.errors:
        return render(request, "onboardings/new.html", {
            "playbooks": state.library.all(), "connections": await _usable(db, operator), "errors": form.errors,
            # What was chosen stays chosen (a vendor or connection not listed matches nothing).
            "chosen": vendor, "chosen_connection": connection_value,
            "sandbox_available": state.sandbox is not None}, status_code=400,
            page_url=_new_address(request, vendor, connection_value))
    assert connection is not None
    # A second onboarding of one vendor on one org is usually a mistake (two service accounts, two
    # roles): say which is open already, and start another only when the person ticks that they mean it.
    open_ones = await open_onboardings(db, vendor, connection.org_origin)
    if open_ones and not form.boolean("start_another"):
        return render(request, "onboardings/new.html", {
            "playbooks": state.library.all(), "connections": await _usable(db, operator), "errors": {},
            "chosen": vendor, "chosen_connection": str(connection.id), "already_open": open_ones,
            "sandbox_available": state.sandbox is not None},  # a question, as the retire page asks its first
            page_url=_new_address(request, vendor, str(connection.id)))
    onboarding = await service.create_onboarding(db, state.library.get(vendor), connection,
                                                 actor_for(request, operator))
    return back(request, onboarding.id, f"{state.library.get(vendor).name} onboarding started.")


# -- the page ---------------------------------------------------------------------------------

@router.get("/{onboarding_id}", name="onboarding")
async def onboarding_page(request: Request, db: DbSession, onboarding_id: str, operator: CurrentOperator) -> Response:
    state = app_state(request)
    found = await onboarding_or_404(db, onboarding_id)
    if found.waiting_for == WaitingFor.timer:
        # A running timer's minutes change with no write: the page is drawn afresh. Its end changes
        # what the onboarding waits for: then (once) the status is derived again, never "waiting" past it.
        if not timer_runs(state.library.get(found.vendor), found.facts or {}, state.clock.now()):
            await state.engine.refresh_status(found.id)
            await db.commit()  # end this session's read snapshot (taken before the refresh), then read again
            await db.refresh(found)
        return await draw_page(request, db, found.id)
    # A blocked one waits on what is kept outside it (another connection to add for a retired one):
    # drawn afresh, so the connection just added is offered at once.
    cacheable = FLASH_COOKIE not in request.cookies and found.status != OnboardingStatus.blocked
    key = (found.id, found.revision, operator.id, operator.role, csrf_token(request),
           request.headers.get("hx-request"), request.headers.get("hx-target"))
    if not cacheable:
        return await draw_page(request, db, found.id)
    return await state.pages.page(key, lambda: draw_page(request, db, found.id))


@router.get("/{onboarding_id}/progress", name="onboarding_progress")
async def onboarding_progress(request: Request, db: DbSession, onboarding_id: str,
                              operator: CurrentOperator) -> Response:
    found = await onboarding_or_404(db, onboarding_id)
    job = await latest_job(db, found.id)
    active = job is not None and job.state in ACTIVE_JOBS
    headers = {} if active else {"HX-Refresh": "true"}
    response = render(request, "onboardings/_progress.html", {"job": job, "onboarding": found, "active": active,
                                                               "now": app_state(request).clock.now()},
                      headers=headers, block="progress")
    ended = await run_ended_words(db, job) if job is not None and not active else None
    if ended:  # said on the page the panel reloads (QA walk 16, M3)
        set_flash(request, response, ended, "error" if ended == STOPPED else "success")
    return response


# -- values and plan --------------------------------------------------------------------------

INPUT = "input_"  # the prefix of an input's field on the page (templates/onboardings/_step.html)

@router.post("/{onboarding_id}/inputs", name="onboarding_inputs")
async def save_inputs(request: Request, db: DbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    form = await form_values(request)
    # "Save and make the plan" also reads Okta: the operator must be allowed its credential.
    then_plan = form.get("then") == "plan"
    found = await acting(request, db, onboarding_id, operator, okta=then_plan)
    return await _save_values(request, db, found, operator, form, then_plan=then_plan)


async def _save_values(request: Request, db: Any, found: Any, operator: Any, form: dict[str, str], *,
                       then_plan: bool, quiet: bool = False) -> Response:
    state = app_state(request)
    playbook = state.library.get(found.vendor)
    # One form holds the values of every step still open ("steps"); a single step's form ("step")
    # is what older pages and scripts send.
    steps = [key for key in (form.get("steps") or form.get("step") or "").split(",") if key]
    try:
        keys = [key for step in steps for key in playbook.step(step).inputs]
    except KeyError:
        raise HTTPException(404) from None
    if not steps:
        raise HTTPException(404)
    # The step whose Save was pressed must be complete; the others' missing values can wait.
    at = form.get("at") if form.get("at") in steps else None
    required_now = playbook.step(at).inputs if at else [] if "steps" in form else None
    # Each input's field is named input_<key>; the service takes (and names errors by) the key.
    typed = {name.removeprefix(INPUT): value for name, value in form.items() if name.startswith(INPUT)}
    try:
        saved = await service.save_inputs(db, playbook, found, typed, keys, actor_for(request, operator),
                                          steps=steps, required_now=required_now, quiet=quiet)
    except ValidationFailed as exc:
        errors = ValidationFailed({INPUT + key: error for key, error in exc.errors.items()}, exc.message)
        # What was typed comes back, a secret in it masked (never shown back: security review, L3).
        return await refused(request, db, found.id, errors,
                             typed={name: notes.masked(value).text for name, value in form.items()})
    await db.commit()  # the plan, and the status line, read the values in their own session
    if then_plan:
        return await _make_plan(request, found.id, operator, saved=saved.said())
    await state.engine.refresh_status(found.id)  # the line follows the plan (make it again, or not)
    note = service.saved_note(playbook, await newest_plan(db, found.id), found, saved)
    return back(request, found.id, note, anchor=f"#step-{at or steps[0]}")


@router.post("/{onboarding_id}/plan", name="onboarding_plan")
async def make_plan(request: Request, db: DbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    found = await acting(request, db, onboarding_id, operator, okta=True)
    form = await form_values(request)
    if "steps" in form:  # pressed with the page's values, typed and not saved yet (the card's: QA walk 16, H1)
        return await _save_values(request, db, found, operator, form, then_plan=True, quiet=True)
    await db.commit()  # no write lock held while Okta answers
    return await _make_plan(request, found.id, operator)


async def _make_plan(request: Request, onboarding_id: uuid.UUID, operator: Any, *, saved: str = "") -> Response:
    state = app_state(request)
    # What the save said, unless it would crowd out the plan's own news (the message is kept short).
    done = f"{saved} " if len(saved) <= FLASH_LIMIT // 3 else "Values saved. " if saved else ""
    async with state.db.sessions() as session:
        job = await active_job(session, onboarding_id)
    if job is not None:
        # Not while a run works in Okta: a plan would read it half-way, and Okta's rate limit the run
        # waits out refused it in words that said nothing of the run (QA walk 18, M4).
        doing = RUNNING_WORDS.get(job.kind, "The wizard is working in Okta.")
        return back(request, onboarding_id, f"{done}Not planned while a run works in Okta: {doing} Make the plan "
                    "again once it has stopped, so that it reads Okta as the run leaves it.", "warning",
                    anchor="#progress")
    asked_at = utcnow()
    try:
        plan = await state.engine.plan(onboarding_id, actor_for(request, operator))
    except Exception as exc:  # an Okta failure while reading: say so on the page
        message = getattr(exc, "message", None) or str(exc)
        if isinstance(exc, OktaUnauthorized):
            # The card asks for a new token or another connection; the whole advice here was cut off
            # at the message's length (QA walk 22, H2).
            await state.engine.mark_refused(onboarding_id, asked_at)
            message = f"Okta did not accept the credential of this onboarding's Okta connection ({exc.okta_said})."
        async with state.db.sessions() as session:
            earlier = await newest_plan(session, onboarding_id)
        if earlier is not None:
            # Beside it the card still says "Read the plan": of the earlier one (QA walk 9, L8).
            message += f" The plan shown is the earlier one, made {stamp(earlier.created_at)}."
        return back(request, onboarding_id, f"{done}The plan could not be made: {message}", "error")
    conflicts = sum(1 for item in plan.items if item.get("verdict") == Verdict.conflict)
    if conflicts:
        many = "" if conflicts == 1 else "s"
        return back(request, onboarding_id, f"{done}Plan made, with {conflicts} conflict{many} to resolve before it "
                    "can be confirmed.", "warning", anchor="#plan")
    return back(request, onboarding_id, f"{done}Plan ready: review it, then confirm to apply.", anchor="#plan")


@router.post("/{onboarding_id}/plans/{plan_id}/confirm", name="onboarding_confirm")
async def confirm_plan(request: Request, db: ReadDbSession, onboarding_id: str, plan_id: str,
                       operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await acting(request, db, onboarding_id, operator, okta=True)
    actor = actor_for(request, operator)
    try:
        earlier = await state.engine.is_confirmed(found.id, uuid_or_404(plan_id))
        await state.engine.confirm_plan(found.id, uuid_or_404(plan_id), actor)
        if earlier and not await state.engine.has_work(found.id):
            # Confirmed again from a page left open while it was applied: nothing to run twice.
            return back(request, found.id, "This plan is confirmed and everything it can do now is done: nothing "
                        "left to apply.", "info", anchor="#next-step")
        await state.jobs.submit(found.id, "apply", operator.id)
    except EngineError as exc:  # said as a refusal: the page's own notice may say why in like words
        return back(request, found.id, f"Not confirmed, nothing applied. {exc}", "error")
    except JobBusy as exc:
        return back(request, found.id, str(exc), "error")
    return back(request, found.id, "Plan confirmed: the wizard is applying it.", anchor="#progress",
                ended="Plan confirmed: the wizard has applied it; what it did is below.")


async def _submit(request: Request, db: Any, onboarding_id: str, operator: Any, kind: str, note: str) -> Response:
    state = app_state(request)
    found = await acting(request, db, onboarding_id, operator, okta=True)
    refused = await state.engine.why_not_apply(found.id) if kind == "apply" else None
    if refused:
        return back(request, found.id, refused, "error", anchor="#plan")
    try:
        await state.jobs.submit(found.id, kind, operator.id)
    except JobBusy as exc:
        return back(request, found.id, str(exc), "warning")
    return back(request, found.id, note, anchor="#progress", ended=ENDED[kind])


@router.post("/{onboarding_id}/apply", name="onboarding_apply")
async def apply(request: Request, db: ReadDbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    return await _submit(request, db, onboarding_id, operator, "apply", "Applying: the wizard continues from the "
                         "first step not yet done.")


@router.post("/{onboarding_id}/verify", name="onboarding_verify")
async def verify(request: Request, db: ReadDbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    return await _submit(request, db, onboarding_id, operator, "verify", "Verifying against Okta.")


@router.post("/{onboarding_id}/reverify", name="onboarding_reverify")
async def reverify(request: Request, db: ReadDbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    return await _submit(request, db, onboarding_id, operator, "reverify", "Re-verifying: looking for drift.")


@router.get("/{onboarding_id}/undo", name="onboarding_undo_confirm")
async def undo_confirm(request: Request, db: DbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await acting(request, db, onboarding_id, operator, okta=True)
    items = await state.engine.undo_list(found.id)
    shared = await state.engine.shared_with(found.id)
    return render(request, "onboardings/undo.html", {"onboarding": found, "items": items, "shared": shared,
                                                     "said": await state.engine.undo_words(found.id),
                                                     "playbook": state.library.get(found.vendor)})


@router.post("/{onboarding_id}/undo", name="onboarding_undo")
async def undo(request: Request, db: ReadDbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    form = await request.form()
    if form.get("remove_shared") == "yes":
        return await _submit(request, db, onboarding_id, operator, "undo_shared", "Undoing: removing what this "
                             "onboarding created, including objects other onboardings use, newest first.")
    return await _submit(request, db, onboarding_id, operator, "undo", "Undoing: removing what this onboarding "
                         "created, newest first; objects other onboardings use are kept.")


# -- operator steps ---------------------------------------------------------------------------

@router.post("/{onboarding_id}/timers/{step_key}", name="onboarding_timer")
async def start_timer(request: Request, db: DbSession, onboarding_id: str, step_key: str,
                      operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await acting(request, db, onboarding_id, operator)
    values = await form_values(request)
    ago = values.get("minutes_ago", "")
    try:
        timer = await timers.start_timer(db, state.library.get(found.vendor), found, step_key, state.clock.now(),
                                          actor_for(request, operator), minutes_ago=ago,
                                          reopen=values.get("reopen") == "yes")
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    except ValidationFailed as exc:
        # Said at the step's own field (its id): the minutes given, as typed, or the box to tick; else a
        # wait or the token first.
        errors = {f"{name}-{step_key}": words for name, words in exc.errors.items()}
        return await refused(request, db, found.id, ValidationFailed(errors, exc.message),
                             typed={f"minutes_ago-{step_key}": ago, f"reopen-{step_key}": values.get("reopen", "")})
    await settle(request, db, found.id)
    return back(request, found.id, timers.timer_started_note(timer, state.clock.now()), anchor=f"#step-{step_key}")


@router.get("/{onboarding_id}/secrets/{purpose}", name="onboarding_reveal_again")
async def reveal_again(request: Request, db: ReadDbSession, onboarding_id: str, purpose: str,
                       operator: CurrentOperator) -> Response:
    """The address of a reveal opened again (a reload, the back button, a copied link): a value is
    shown only when its Reveal button is pressed, so this goes back to the step that offers it."""
    found = await onboarding_or_404(db, onboarding_id)
    playbook = app_state(request).library.get(found.vendor)
    step = next((step.key for _section, step in playbook.steps() if step.task and purpose in step.task.reveals), None)
    return back(request, found.id, "A kept value is shown only when you press its Reveal button, and only once.",
                "info", anchor=f"#step-{step}" if step else "")


@router.post("/{onboarding_id}/secrets/{purpose}", name="onboarding_reveal")
async def reveal(request: Request, db: DbSession, onboarding_id: str, purpose: str,
                 operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await onboarding_or_404(db, onboarding_id)
    await assignee_only(request, db, found, operator, purpose)
    try:
        label, value = await service.reveal_secret(db, state.vault, found, purpose, actor_for(request, operator))
    except ValidationFailed as exc:
        await db.commit()  # the refusal's audit event
        return back(request, found.id, exc.message, "warning")
    await db.commit()
    return await draw_page(request, db, found.id, revealed=(label, value.reveal(), purpose))

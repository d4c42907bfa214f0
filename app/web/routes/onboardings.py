"""The onboarding screens: start one, the stepper page, and every operator action on it. Each
route parses, calls one service or the engine, and redirects back to the page."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.audit import record
from app.common.validation import FormReader, ValidationFailed
from app.connections.service import list_connections
from app.engine.engine import EngineError
from app.engine.jobs import JobBusy
from app.onboardings import handoffs, service, tokens
from app.onboardings.view import build_view
from app.store.models import Job, OktaConnection, Onboarding, Operator
from app.store.statuses import ACTIVE_JOBS
from app.vault import Secret
from app.web.csrf import csrf_token
from app.web.deps import ActingOperator, CurrentOperator, DbSession, ReadDbSession, actor_for
from app.web.flash import FLASH_COOKIE, set_flash
from app.web.responses import redirect
from app.web.state import app_state
from app.web.templating import render

router = APIRouter(prefix="/onboardings")


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise HTTPException(404) from None


async def _onboarding(db: Any, onboarding_id: str) -> Onboarding:
    found = await db.get(Onboarding, _uuid(onboarding_id))
    if found is None:
        raise HTTPException(404)
    return found  # type: ignore[no-any-return]


async def _acting(request: Request, db: Any, onboarding_id: str, operator: Any, *, okta: bool = False
                  ) -> Onboarding:
    """The onboarding, if this operator may act on it (and, for Okta calls, use its credential)."""
    found = await _onboarding(db, onboarding_id)
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


async def _form(request: Request) -> FormReader:
    data = await request.form()
    return FormReader({k: v for k, v in data.items() if isinstance(v, str)})


def _back(request: Request, onboarding_id: uuid.UUID | str, message: str | None = None, level: str = "success",
          anchor: str = "") -> Response:
    response = redirect(request, str(request.url_for("onboarding", onboarding_id=str(onboarding_id))) + anchor)
    if message:
        set_flash(request, response, message, level)
    return response


async def _page(request: Request, db: Any, onboarding_id: uuid.UUID, *, status_code: int = 200,
                errors: dict[str, str] | None = None, message: str | None = None,
                revealed: tuple[str, str] | None = None) -> Response:
    state = app_state(request)
    view = await build_view(db, state.library, onboarding_id)
    me = request.state.operator
    onboarding = view.onboarding
    latest = await handoffs.latest_handoff(db, onboarding_id)
    people = {str(op.id): op for op in view.operators}
    credential_ok = handoffs.may_use_credential(view.loaded.connection, me.id)
    own = [] if credential_ok else [
        c for c in await list_connections(db)
        if c.org_origin == onboarding.org_origin and c.id != onboarding.connection_id
        and handoffs.may_use_credential(c, me.id)]
    context = {
        "view": view, "errors": errors or {}, "message": message, "revealed": revealed, "now": state.clock.now(),
        "may_act": handoffs.may_act(onboarding, me.id, me.role),
        "latest_handoff": latest, "people": people,
        "handoff_unread": latest is not None and latest.acknowledged_at is None
                          and latest.to_operator_id in (None, me.id),
        "handoff_targets": [op for op in people.values() if op.is_active and op.role != "auditor"
                            and op.id != onboarding.assignee_id],
        "credential_ok": credential_ok, "own_connections": own,
        "is_assignee": onboarding.assignee_id == me.id,
    }
    return render(request, "onboardings/detail.html", context, status_code=status_code)


# -- start ------------------------------------------------------------------------------------

@router.get("/new", name="onboarding_new")
async def new_onboarding(request: Request, db: DbSession, operator: ActingOperator) -> Response:
    state = app_state(request)
    return render(request, "onboardings/new.html", {
        "playbooks": state.library.all(), "connections": await list_connections(db), "errors": {},
        "chosen": request.query_params.get("vendor", ""), "sandbox_available": state.sandbox is not None})


@router.post("", name="onboarding_create")
async def create_onboarding(request: Request, db: DbSession, operator: ActingOperator) -> Response:
    state = app_state(request)
    form = await _form(request)
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
    if form.errors:
        return render(request, "onboardings/new.html", {
            "playbooks": state.library.all(), "connections": await list_connections(db), "errors": form.errors,
            "chosen": vendor, "sandbox_available": state.sandbox is not None}, status_code=400)
    assert connection is not None
    onboarding = await service.create_onboarding(db, state.library.get(vendor), connection,
                                                 actor_for(request, operator))
    return _back(request, onboarding.id, f"{state.library.get(vendor).name} onboarding started.")


# -- the page ---------------------------------------------------------------------------------

@router.get("/{onboarding_id}", name="onboarding")
async def onboarding_page(request: Request, db: DbSession, onboarding_id: str, operator: CurrentOperator) -> Response:
    state = app_state(request)
    found = await _onboarding(db, onboarding_id)
    cacheable = FLASH_COOKIE not in request.cookies
    key = (found.id, found.revision, operator.id, operator.role, csrf_token(request),
           request.headers.get("hx-request"), request.headers.get("hx-target"))
    if not cacheable:
        return await _page(request, db, found.id)
    return await state.pages.page(key, lambda: _page(request, db, found.id))


@router.get("/{onboarding_id}/progress", name="onboarding_progress")
async def onboarding_progress(request: Request, db: DbSession, onboarding_id: str,
                              operator: CurrentOperator) -> Response:
    found = await _onboarding(db, onboarding_id)
    job = (await db.execute(select(Job).where(Job.onboarding_id == found.id).order_by(Job.created_at.desc())
                            .limit(1))).scalar_one_or_none()
    active = job is not None and job.state in ACTIVE_JOBS
    headers = {} if active else {"HX-Refresh": "true"}
    return render(request, "onboardings/_progress.html", {"job": job, "onboarding": found, "active": active},
                  headers=headers, block="progress")


# -- values and plan --------------------------------------------------------------------------

@router.post("/{onboarding_id}/inputs", name="onboarding_inputs")
async def save_inputs(request: Request, db: DbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await _acting(request, db, onboarding_id, operator)
    playbook = state.library.get(found.vendor)
    form = await _form(request)
    step_key = form.text("step", label="Step", max_length=64)
    try:
        keys = playbook.step(step_key).inputs
    except KeyError:
        raise HTTPException(404) from None
    try:
        await service.save_inputs(db, playbook, found, form, keys, actor_for(request, operator))
    except ValidationFailed as exc:
        oid = found.id
        await db.rollback()  # nothing half-written; the page is drawn from the database as it was
        return await _page(request, db, oid, status_code=400, errors=exc.errors, message=exc.message)
    return _back(request, found.id, "Values saved. Make the plan to see what the wizard will do.",
                 anchor=f"#step-{step_key}")


@router.post("/{onboarding_id}/plan", name="onboarding_plan")
async def make_plan(request: Request, db: ReadDbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await _acting(request, db, onboarding_id, operator, okta=True)
    try:
        await state.engine.plan(found.id, actor_for(request, operator))
    except Exception as exc:  # an Okta failure while reading: say so on the page
        message = getattr(exc, "message", None) or str(exc)
        return _back(request, found.id, f"The plan could not be made: {message}", "error")
    return _back(request, found.id, "Plan ready: review it, then confirm to apply.", anchor="#plan")


@router.post("/{onboarding_id}/plans/{plan_id}/confirm", name="onboarding_confirm")
async def confirm_plan(request: Request, db: ReadDbSession, onboarding_id: str, plan_id: str,
                       operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await _acting(request, db, onboarding_id, operator, okta=True)
    actor = actor_for(request, operator)
    try:
        await state.engine.confirm_plan(found.id, _uuid(plan_id), actor)
        await state.jobs.submit(found.id, "apply", operator.id)
    except (EngineError, JobBusy) as exc:
        return _back(request, found.id, str(exc), "error")
    return _back(request, found.id, "Plan confirmed: the wizard is applying it.", anchor="#progress")


async def _submit(request: Request, db: Any, onboarding_id: str, operator: Any, kind: str, note: str) -> Response:
    state = app_state(request)
    found = await _acting(request, db, onboarding_id, operator, okta=True)
    if kind == "apply" and await state.engine.confirmed_plan(found.id) is None:
        return _back(request, found.id, "Make and confirm the plan first: nothing is written before that.", "error")
    try:
        await state.jobs.submit(found.id, kind, operator.id)
    except JobBusy as exc:
        return _back(request, found.id, str(exc), "warning")
    return _back(request, found.id, note, anchor="#progress")


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
    found = await _acting(request, db, onboarding_id, operator, okta=True)
    items = await state.engine.undo_list(found.id)
    shared = await state.engine.shared_with(found.id)
    return render(request, "onboardings/undo.html", {"onboarding": found, "items": items, "shared": shared,
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

@router.post("/{onboarding_id}/token", name="onboarding_token")
async def paste_token(request: Request, db: ReadDbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await _acting(request, db, onboarding_id, operator, okta=True)
    form = await _form(request)
    value = form.secret("service_token", label="Token value", max_length=500,
                        missing="Paste the token value you copied as the service account.")
    # The name the operator gave the token (prefilled with the wizard's proposal), and, when the
    # wizard asked which of the account's tokens it is, the one they picked.
    name = form.text("service_token_name", label="Token name", required=False, max_length=100)
    picked = form.text("service_token_id", label="Token", required=False, max_length=40)
    try:
        form.raise_if_invalid()
        facts = await tokens.verify_service_token(state.engine, found.id, Secret(value.strip()),
                                                   actor_for(request, operator), token_name=name or None,
                                                   token_id=picked or None)
    except ValidationFailed as exc:
        oid = found.id
        await db.rollback()  # read again: the tokens to pick from were just kept as a fact
        return await _page(request, db, oid, status_code=400, errors=exc.errors, message=exc.message)
    note = ("Token verified: it belongs to the service account. Its value was not kept. It is the account's token "
            f"'{facts.get('service_token_name')}' ({facts.get('service_token_id')}).")
    if facts.get("service_token_network") != "ANYWHERE":
        note += (" It is limited to network zones; the vendor's document asks for Any IP: set it on this step."
                 if facts.get("service_token_any_ip_required") else
                 f" Its network setting: {facts.get('service_token_network_text')} (for information).")
    return _back(request, found.id, note)


@router.post("/{onboarding_id}/token/any-ip", name="onboarding_token_any_ip")
async def token_any_ip(request: Request, db: ReadDbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await _acting(request, db, onboarding_id, operator, okta=True)
    try:
        await tokens.set_token_any_ip(state.engine, found.id, actor_for(request, operator))
    except ValidationFailed as exc:
        return _back(request, found.id, exc.message, "error")
    return _back(request, found.id, "The token now allows Any IP.")


@router.post("/{onboarding_id}/test-event/{check_key}", name="onboarding_test_event")
async def test_event(request: Request, db: ReadDbSession, onboarding_id: str, check_key: str,
                     operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await _acting(request, db, onboarding_id, operator, okta=True)
    try:
        note = await service.generate_test_event(state.engine, found.id, check_key, actor_for(request, operator))
    except ValidationFailed as exc:
        return _back(request, found.id, exc.message, "error")
    return _back(request, found.id, note)


@router.post("/{onboarding_id}/attest/{check_key}", name="onboarding_attest")
async def attest(request: Request, db: DbSession, onboarding_id: str, check_key: str,
                 operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await _acting(request, db, onboarding_id, operator)
    form = await _form(request)
    note = form.text("note", label="Note", required=False, max_length=1000, multiline=True)
    if form.errors:
        return await _page(request, db, found.id, status_code=400, errors=form.errors, message="Not attested.")
    try:
        await service.attest(db, state.vault, state.library.get(found.vendor), found, check_key, note,
                             actor_for(request, operator))
    except ValidationFailed as exc:
        raise HTTPException(404, exc.message) from None
    await db.commit()
    await state.engine.refresh_status(found.id)
    return _back(request, found.id, f"Attested by {operator.display_name}.")


@router.post("/{onboarding_id}/timers/{step_key}", name="onboarding_timer")
async def start_timer(request: Request, db: DbSession, onboarding_id: str, step_key: str,
                      operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await _acting(request, db, onboarding_id, operator)
    try:
        timer = await service.start_timer(db, state.library.get(found.vendor), found, step_key, state.clock.now(),
                                          actor_for(request, operator))
    except ValidationFailed as exc:
        raise HTTPException(404, exc.message) from None
    await db.commit()
    await state.engine.refresh_status(found.id)
    minutes = round((timer["until"] - timer["started"]) / 60)
    return _back(request, found.id, f"Timer started: {minutes} minutes.", anchor=f"#step-{step_key}")


@router.post("/{onboarding_id}/secrets/{purpose}", name="onboarding_reveal")
async def reveal(request: Request, db: DbSession, onboarding_id: str, purpose: str,
                 operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await _onboarding(db, onboarding_id)
    if found.assignee_id != operator.id:
        # Kept secrets go only to the person the onboarding is assigned to, whatever their role.
        await record(db, action="secret_reveal_refused", actor=actor_for(request, operator), onboarding_id=found.id,
                     subject_type="onboarding_secret", subject_id=purpose[:64],
                     summary="Reveal refused: not the operator this onboarding is assigned to")
        await db.commit()
        raise HTTPException(403, "Only the operator this onboarding is assigned to can reveal its kept secrets.")
    try:
        label, value = await service.reveal_secret(db, state.vault, found, purpose, actor_for(request, operator))
    except ValidationFailed as exc:
        await db.commit()  # the refusal's audit event
        return _back(request, found.id, exc.message, "warning")
    await db.commit()
    return await _page(request, db, found.id, revealed=(label, value.reveal()))


# -- handoffs ---------------------------------------------------------------------------------

@router.get("/{onboarding_id}/summary", name="onboarding_summary")
async def summary(request: Request, db: DbSession, onboarding_id: str, operator: CurrentOperator) -> Response:
    found = await _onboarding(db, onboarding_id)
    state = app_state(request)
    view = await build_view(db, state.library, found.id)
    history = await handoffs.handoffs(db, found.id)
    names = {str(op.id): op.display_name for op in (await db.execute(select(Operator))).scalars()}
    return render(request, "onboardings/summary.html", {"view": view, "history": history, "names": names})


@router.post("/{onboarding_id}/summary/read", name="onboarding_summary_read")
async def summary_read(request: Request, db: DbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    found = await _onboarding(db, onboarding_id)
    if found.assignee_id != operator.id:
        # Reading the handoff summary is the receiver's act: it tells the sender the work was taken up.
        raise HTTPException(403, "Only the operator this onboarding is assigned to can mark its handoff as read.")
    await handoffs.acknowledge(db, found, actor_for(request, operator))
    return _back(request, found.id)


@router.post("/{onboarding_id}/handoff", name="onboarding_handoff")
async def hand_off(request: Request, db: DbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    found = await _acting(request, db, onboarding_id, operator)
    form = await _form(request)
    try:
        handoff = await handoffs.hand_off(db, found, form, actor_for(request, operator))
    except ValidationFailed as exc:
        oid = found.id
        await db.rollback()  # nothing half-written; the page is drawn from the database as it was
        return await _page(request, db, oid, status_code=400, errors=exc.errors, message=exc.message)
    target = await db.get(Operator, handoff.to_operator_id) if handoff.to_operator_id else None
    return _back(request, found.id, f"Handed off to {target.display_name if target else 'the help-desk queue'}.")


@router.post("/{onboarding_id}/take", name="onboarding_take")
async def take(request: Request, db: DbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    found = await _onboarding(db, onboarding_id)
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
    found = await _acting(request, db, onboarding_id, operator)
    form = await _form(request)
    try:
        await handoffs.close(db, state.vault, found, form, actor_for(request, operator))
    except ValidationFailed as exc:
        oid = found.id
        await db.rollback()  # nothing half-written; the page is drawn from the database as it was
        return await _page(request, db, oid, status_code=400, errors=exc.errors, message=exc.message)
    return _back(request, found.id, "Onboarding closed; its kept secrets were destroyed.")


@router.post("/{onboarding_id}/connection", name="onboarding_connection")
async def switch_connection(request: Request, db: DbSession, onboarding_id: str,
                            operator: ActingOperator) -> Response:
    found = await _acting(request, db, onboarding_id, operator)
    form = await _form(request)
    try:
        await handoffs.switch_connection(db, found, form.data.get("connection", ""), actor_for(request, operator))
    except ValidationFailed as exc:
        oid = found.id
        await db.rollback()  # nothing half-written; the page is drawn from the database as it was
        return await _page(request, db, oid, status_code=400, errors=exc.errors, message=exc.message)
    return _back(request, found.id, "The onboarding now uses your own Okta credential.")

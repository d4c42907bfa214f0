"""Okta connections: the orgs the wizard may work on and the credential for each (never shown)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.common.validation import ValidationFailed
from app.connections import service
from app.okta.gateway import ConnectionUnusable
from app.store.models import OktaConnection, Operator
from app.store.repositories.onboardings import onboardings_using
from app.store.repositories.operators import OperatorRepository
from app.store.statuses import OnboardingStatus
from app.vault.redaction import REDACTOR
from app.web.deps import ActingOperator, CurrentOperator, DbSession, ReadDbSession, actor_for, read_input, uuid_or_404
from app.web.flash import FLASH_LIMIT, set_flash
from app.web.responses import redirect
from app.web.state import app_state
from app.web.templating import render

router = APIRouter(prefix="/connections")


async def _page(request: Request, db: DbSession | ReadDbSession, *, status_code: int = 200,
                errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                message: str | None = None) -> Response:
    state = app_state(request)
    return render(request, "connections/list.html", {
        "connections": await service.list_connections(db), "errors": errors or {}, "values": values or {},
        "people": await OperatorRepository(db).display_names_by_text_id(),
        "message": message, "sandbox_available": state.sandbox is not None,
        "sandbox_url": state.settings.sandbox_url,
        # The connection just added: its row invites to start an onboarding on it.
        "added": request.query_params.get("added", "")[:64],
    }, status_code=status_code, page_url=request.url_for("connections").path)


@router.get("", name="connections")
async def connections_page(request: Request, db: DbSession, operator: CurrentOperator) -> Response:
    return await _page(request, db)


@router.post("", name="connection_add")
async def connection_add(request: Request, db: ReadDbSession, operator: ActingOperator) -> Response:
    state = app_state(request)
    new = await read_input(request, service.NewConnection)
    try:
        connection, report = await service.add_connection(
            state.db, state.vault, state.gateway, new, actor_for(request, operator),
            await service.allowed_custom_domains(db))
    except ValidationFailed as exc:
        # A token pasted in the wrong box is not written back, in the box or in what is said of it.
        values = {name: "" if REDACTOR.text(typed) != typed else typed
                  for name, typed in (("org_url", new.org_url), ("label", new.label))}
        errors = {name: REDACTOR.text(words) for name, words in exc.errors.items()}
        if new.api_token.strip() and "api_token" not in errors:
            # Never shown back: the box is empty, and the list at the top says so (QA walk 16, L2).
            errors["api_token"] = "Paste the API token again: it is never shown back."  # noqa: S105
        return await _page(request, db, status_code=400, errors=errors, values=values,
                           message=REDACTOR.text(exc.message))
    if report.replaced:
        await _renewed(request, connection.id)
    response = redirect(request, f"{request.url_for('connections')}?added={connection.id}")
    typed = (new.label or "").strip()
    # The connection kept is the one there was: a name typed for a second one is not silently lost.
    kept_name = (f" Its name stays “{report.replaced}”, not “{typed}”."
                 if report.replaced and typed and typed != report.replaced else "")
    # Named as the lists and the new-onboarding form name it (QA walk 26): a name not typed was chosen here.
    owner = f" belongs to {report.owner.get('login')}" + (" (Super Administrator)." if report.is_super_admin else
                                                          " (not a Super Administrator: some steps will fail).")
    said = ((f"You already had the connection “{report.replaced}” to {report.domain} with this account: it now "
             "uses the token just pasted, and the token" if report.replaced else
             f"Connection “{connection.label}” to {report.domain} added: the token") + owner + kept_name
            + " Next: start an onboarding on it.")
    if len(said) > FLASH_LIMIT:  # a long name would cut the warning and the next step: said without it (review)
        said = ("Your connection to this org now uses the token just pasted, and the token" if report.replaced
                else f"Connection to {report.domain} added: the token") + owner + " Next: start an onboarding on it."
    set_flash(request, response, said)
    return response


@router.post("/sandbox", name="connection_add_sandbox")
async def connection_add_sandbox(request: Request, db: ReadDbSession, operator: ActingOperator) -> Response:
    state = app_state(request)
    demo = state.sandbox
    if demo is None:
        raise HTTPException(404)
    new = service.NewConnection(org_url=state.settings.sandbox_url, api_token=demo.admin_token,
                                default_label="Sandbox org (demo)")
    try:
        connection, report = await service.add_connection(state.db, state.vault, state.gateway, new,
                                                          actor_for(request, operator), [])
    except ValidationFailed as exc:
        return await _page(request, db, status_code=400, errors={}, message=exc.message)
    response = redirect(request, f"{request.url_for('connections')}?added={connection.id}")
    set_flash(request, response,
              f"You already had the connection “{report.replaced}” to the sandbox org at {report.domain}: no "
              "second one was made. Next: start an onboarding on it." if report.replaced else
              f"The sandbox org at {report.domain} is ready to use, as the connection “{connection.label}”. "
              "Next: start an onboarding on it.")
    return response


async def _manageable(db: DbSession | ReadDbSession, connection_id: str, operator: Operator) -> OktaConnection:
    """The connection, if this operator may run a preflight with it or retire it."""
    connection = await db.get(OktaConnection, uuid_or_404(connection_id))
    if connection is None:
        raise HTTPException(404)
    try:
        service.require_manage(connection, operator.id, operator.role)
    except service.NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    return connection


def _retired(connection: OktaConnection) -> str:
    return (f"The connection {connection.label} was retired: its credential was destroyed, so it cannot be "
            "checked or retired again. Add the connection again to use this org.")


@router.post("/{connection_id}/check", name="connection_check")
async def connection_check(request: Request, db: ReadDbSession, connection_id: str,
                           operator: ActingOperator) -> Response:
    state = app_state(request)
    connection = await _manageable(db, connection_id, operator)
    if connection.retired_at is not None:
        return await _page(request, db, status_code=409, message=_retired(connection))
    try:
        report = await service.recheck(state.db, state.gateway, connection.id, actor_for(request, operator),
                                       await service.allowed_custom_domains(db))
    except LookupError:
        raise HTTPException(404) from None
    except (ConnectionUnusable, ValidationFailed) as exc:
        # Said above the list, naming the connection, whose row says it too: it showed in the form
        # to add a connection, beside rows that still read "Super Admin" (QA walk 24, M3).
        response = redirect(request, str(request.url_for("connections")))
        said = exc.message if isinstance(exc, ValidationFailed) else str(exc)
        set_flash(request, response, f"The check of “{connection.label}” (#{str(connection.id)[:8]}) failed: {said}",
                  "error")
        return response
    await _renewed(request, connection.id)
    response = redirect(request, str(request.url_for("connections")))
    set_flash(request, response, f"Preflight of {report.domain} passed.")
    return response


async def _renewed(request: Request, connection_id: uuid.UUID) -> None:
    """Okta accepts the connection's token now: the onboardings a refusal of it blocked say so again
    from their records (their line kept "create a new token" after one was added: QA walk 22, M3)."""
    state = app_state(request)
    async with state.db.sessions() as session:
        blocked = [o.id for o in await onboardings_using(session, connection_id)
                   if o.status == OnboardingStatus.blocked]
    for onboarding_id in blocked:
        await state.engine.refresh_status(onboarding_id)


@router.post("/{connection_id}/sharing", name="connection_sharing")
async def connection_sharing(request: Request, db: DbSession, connection_id: str, operator: ActingOperator) -> Response:
    connection = await _manageable(db, connection_id, operator)
    if connection.retired_at is not None:
        return await _page(request, db, status_code=409, message=_retired(connection))
    shareable = (await request.form()).get("shareable") == "yes"
    await service.set_sharing(db, connection, shareable, actor_for(request, operator))
    response = redirect(request, str(request.url_for("connections")))
    owner = "yours" if connection.created_by_id == operator.id else "its owner's"  # an administrator's press
    set_flash(request, response, f"{connection.label}: " + (
        "colleagues may use its credential." if shareable else
        f"its credential is {owner} only now. Others taking over its onboardings continue with a connection "
        "of their own to the org."))
    return response


@router.post("/{connection_id}/retire", name="connection_retire")
async def connection_retire(request: Request, db: DbSession, connection_id: str, operator: ActingOperator) -> Response:
    connection = await _manageable(db, connection_id, operator)
    if connection.retired_at is not None:
        return await _page(request, db, status_code=409, message=_retired(connection))
    using = await onboardings_using(db, connection.id)
    # Retiring destroys the credential (and stops the onboardings that use it): only when the person
    # saw what it does, and the very list of onboardings it stops, and confirmed it.
    data = await request.form()
    seen = {value for value in data.getlist("onboarding") if isinstance(value, str)}
    confirmed = data.get("confirm") == "yes" and {str(o.id) for o in using} <= seen
    if not confirmed:
        library = app_state(request).library
        asked = data.get("confirming") == "yes"
        error = None
        if asked:
            error = ("Onboardings started using this connection since the list was shown: read it again."
                     if data.get("confirm") == "yes" else
                     "Tick the box to confirm, or keep the connection.")
        return render(request, "connections/retire.html", {
            "connection": connection, "error": error,
            "onboardings": [{"onboarding": o, "vendor": library.get(o.vendor).name if o.vendor in library
                             else o.vendor} for o in using],
        }, status_code=409 if asked else 200)
    connection = await service.retire(db, app_state(request).vault, connection.id, actor_for(request, operator))
    response = redirect(request, str(request.url_for("connections")))
    set_flash(request, response, f"Connection {connection.label} retired; its credential was destroyed.")
    return response

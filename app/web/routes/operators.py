"""The operators page: administrators add people, change roles, disable and enable accounts, and
set the e-mail address the watch's alerts about each person's onboardings go to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.auth import operators as service
from app.auth.signin import locked_addresses
from app.common.text import counted
from app.common.validation import ValidationFailed
from app.store.models import Operator, OperatorRole
from app.store.repositories.onboardings import owned_open
from app.store.repositories.operators import OperatorRepository
from app.web.deps import AdminOperator, DbSession, actor_for, read_input, uuid_or_404
from app.web.flash import set_flash
from app.web.responses import redirect
from app.web.templating import render

router = APIRouter(prefix="/operators")

ROLES = [(role.value, role.label) for role in OperatorRole]


async def _page(request: Request, db: DbSession, *, status_code: int = 200, errors: dict[str, str] | None = None,
                values: dict[str, str] | None = None, message: str | None = None,
                row_errors: dict[str, dict[str, str]] | None = None,
                row_typed: dict[str, dict[str, str]] | None = None) -> Response:
    operators = await OperatorRepository(db).list_all()
    locked = await locked_addresses(db, [person.username for person in operators])
    return render(request, "operators/list.html", {
        "operators": operators, "roles": ROLES, "errors": errors or {}, "values": values or {}, "locked": locked,
        "message": message, "row_errors": row_errors or {}, "row_typed": row_typed or {},
    }, status_code=status_code, page_url=request.url_for("operators").path)


@router.get("", name="operators")
async def operators_page(request: Request, db: DbSession, admin: AdminOperator) -> Response:
    return await _page(request, db)


@router.post("", name="operator_create")
async def operator_create(request: Request, db: DbSession, admin: AdminOperator) -> Response:
    new = await read_input(request, service.NewOperator)
    try:
        created = await service.create_operator(db, new, actor_for(request, admin), password_given=True)
    except ValidationFailed as exc:
        await db.rollback()
        values = {"username": new.username, "display_name": new.display_name, "role": new.role}
        return await _page(request, db, status_code=400, errors=exc.errors, values=values, message=exc.message)
    response = redirect(request, str(request.url_for("operators")))
    # "Account": an auditor or an administrator is no operator ("Operator audrey.auditor added as Auditor").
    set_flash(request, response, f"Account {created.username} added as {created.role_enum.label}.")
    return response


async def _owned(db: DbSession, operator: Operator) -> str:
    """What an operator who can no longer act leaves behind: the onboardings they own wait for
    someone to take them over (nothing said so, and their pages still named them as owner)."""
    count = await owned_open(db, operator.id)
    if not count:
        return ""
    return (f" They own {counted(count, 'open onboarding')}: {'it waits' if count == 1 else 'they wait'} in the "
            "help-desk queue for a colleague to take, or hand "
            f"{'it' if count == 1 else 'them'} on from {'its' if count == 1 else 'each'} page.")


async def _row_action(request: Request, db: DbSession, operator_id: str, action: str, admin: AdminOperator) -> Response:
    target = uuid_or_404(operator_id)
    actor = actor_for(request, admin)
    email = await read_input(request, service.EmailChange) if action == "email" else None
    try:
        if email is not None:
            changed = await service.set_email(db, target, email, actor)
            note = (f"The e-mail address of {changed.username} is now {changed.email}." if changed.email
                    else f"{changed.username} has no e-mail address now.")
        elif action == "role":
            changed = await service.change_role(db, target, await read_input(request, service.RoleChange), actor)
            note = f"{changed.username} is now {changed.role_enum.label}." + (
                await _owned(db, changed) if changed.role == "auditor" else "")
        elif action == "disable":
            changed = await service.set_active(db, target, False, actor)
            note = f"{changed.username} is disabled and signed out everywhere." + await _owned(db, changed)
        elif action == "enable":
            changed = await service.set_active(db, target, True, actor)
            note = f"{changed.username} is enabled."
        elif action == "unlock":
            changed, addresses = await service.unlock(db, target, actor)
            note = (f"{changed.username} is unlocked ({addresses} address{'es' if addresses != 1 else ''})."
                    if addresses else f"{changed.username} was not locked.")
        else:
            changed = await service.reset_password(db, target, await read_input(request, service.PasswordReset), actor)
            note = f"The password of {changed.username} was reset; their sessions have ended and it is unlocked."
    except service.OperatorNotFound:
        raise HTTPException(404) from None
    except ValidationFailed as exc:
        await db.rollback()
        row = dict(exc.errors) or {"row": exc.message}
        if "row" not in row:
            row["row"] = next(iter(exc.errors.values()))
        # What was typed stays in its field, to be corrected.
        typed = {operator_id: {"email": email.email}} if email is not None else None
        return await _page(request, db, status_code=400, row_errors={operator_id: row}, row_typed=typed)
    response = redirect(request, str(request.url_for("operators")))
    set_flash(request, response, note)
    return response


def _row_route(action: str) -> Callable[..., Awaitable[Response]]:
    async def route(request: Request, db: DbSession, operator_id: str, admin: AdminOperator) -> Response:
        return await _row_action(request, db, operator_id, action, admin)

    return route


# One form per row action, each at its own address (operator_role, operator_disable, ...).
for _action in ("role", "disable", "enable", "unlock", "password", "email"):
    router.add_api_route(f"/{{operator_id}}/{_action}", _row_route(_action), methods=["POST"],
                         name=f"operator_{_action}")

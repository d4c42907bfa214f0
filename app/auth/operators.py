"""Managing operators: add, change role, disable and enable, reset a password, set the e-mail
address the watch's alerts about their onboardings go to.

Guards: nobody disables or demotes themselves, and the last active administrator stays one,
so the application can never be left without someone able to manage it.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.auth import signin
from app.auth.passwords import hash_password, password_problems, verify_password
from app.auth.sessions import end_all_sessions
from app.common.text import counted
from app.common.validation import EMAIL_ADDRESS, EMAIL_ADDRESS_LENGTH, Fields, ValidationFailed
from app.store.models import Operator, OperatorRole
from app.store.repositories.operators import OperatorRepository
from app.store.statuses import SessionEnd
from app.vault import Secret

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@+-]{1,63}", re.IGNORECASE)
USERNAME_HINT = (
    "Use 2 to 64 characters: letters, digits and . _ @ + - (starting with a letter or digit)."
)
ROLE_CHOICES = [role.value for role in OperatorRole]


def role_label(role: str) -> str:
    """A role as the pages name it ("Administrator"), for the audit trail's sentences too."""
    return OperatorRole(role).label


def sessions_ended(count: int) -> str:
    """What an audit sentence adds when an operator's sessions were ended: "; 2 sessions ended"."""
    return f"; {counted(count, 'session')} ended" if count else ""


class OperatorNotFound(Exception):
    pass


# What a page or the command line asks of this service. Passwords are left out of the repr, so an
# input that reaches a log line or a traceback does not carry them.

@dataclass(frozen=True)
class NewOperator:
    username: str
    display_name: str
    role: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class RoleChange:
    role: str


@dataclass(frozen=True)
class EmailChange:
    email: str  # empty: no address


@dataclass(frozen=True)
class PasswordReset:
    password: str = field(repr=False)


@dataclass(frozen=True)
class PasswordChange:
    current_password: str = field(repr=False)
    password: str = field(repr=False)
    password_again: str = field(repr=False)


async def _audit(session: AsyncSession, actor: Actor, action: str, operator: Operator, summary: str,
                 details: dict[str, Any] | None = None) -> None:
    """Every change to an operator account is an audit event about that operator."""
    await record(session, action=action, actor=actor, subject_type="operator", subject_id=str(operator.id),
                 summary=summary, details=details)


async def _get(session: AsyncSession, operator_id: uuid.UUID) -> Operator:
    operator = await OperatorRepository(session).get(operator_id)
    if operator is None:
        raise OperatorNotFound(str(operator_id))
    return operator


def _refuse_weak_password(form: Fields, password: str, username: str, display_name: str, *,
                          confirm: str | None = None, previous: str | None = None) -> None:
    """Every password chosen here meets the same rules (and, when changed, differs from the last)."""
    if not password or "password" in form.errors:
        return
    problems = password_problems(password, username=username, confirm=confirm, context=[display_name])
    if previous is not None and password == previous:
        problems.append("Choose a password other than the one you were given.")
    if problems:
        form.errors["password"] = " ".join(problems)


async def create_operator(session: AsyncSession, new: NewOperator, actor: Actor, *,
                          password_given: bool = False) -> Operator:
    """A new operator account. ``password_given``: an administrator chose the password for someone
    else (the page), so the person must choose their own at first sign-in; the command line is run by
    the person whose account it is, or sets up the first one, and is not."""
    repo = OperatorRepository(session)
    form = Fields.of(new)
    username = form.text("username", label="Username", max_length=64, pattern=USERNAME_PATTERN,
                         pattern_hint=USERNAME_HINT).lower()
    display_name = form.text("display_name", label="Display name", max_length=200)
    role = form.choice("role", label="Role", choices=ROLE_CHOICES)
    password = form.secret("password", label="Initial password", max_length=1024)
    _refuse_weak_password(form, password, username, display_name)
    if username and "username" not in form.errors and await repo.by_username(username) is not None:
        form.errors["username"] = "An operator with this username already exists."
    form.raise_if_invalid()
    operator = Operator(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=await asyncio.to_thread(hash_password, Secret(password, remember=False)),
        is_active=True,
        must_change_password=password_given,  # the administrator knows this one
    )
    repo.add(operator)
    await session.flush()
    await _audit(session, actor, "operator_create", operator,
                 f"Operator {username} created with role {role_label(role)}", {"username": username, "role": role})
    return operator


async def change_role(session: AsyncSession, operator_id: uuid.UUID, change: RoleChange, actor: Actor) -> Operator:
    operator = await _get(session, operator_id)
    form = Fields.of(change)
    role = form.choice("role", label="Role", choices=ROLE_CHOICES)
    form.raise_if_invalid()
    if role == operator.role:
        return operator
    if operator.id == actor.id:
        raise ValidationFailed({"role": "You cannot change your own role. Ask another administrator."})
    if operator.role == OperatorRole.ADMIN.value and operator.is_active:
        if await OperatorRepository(session).count_active_admins() <= 1:
            raise ValidationFailed({"role": "This is the last active administrator; make another one first."})
    old = operator.role
    # Roles are read from the database on every request, so the change applies at once.
    operator.role = role
    await _audit(session, actor, "operator_role_change", operator,
                 f"Role of {operator.username} changed from {role_label(old)} to {role_label(role)}",
                 {"from": old, "to": role})
    return operator


async def set_active(session: AsyncSession, operator_id: uuid.UUID, active: bool, actor: Actor) -> Operator:
    operator = await _get(session, operator_id)
    if operator.is_active == active:
        return operator
    if not active:
        if operator.id == actor.id:
            raise ValidationFailed({}, "You cannot disable your own account.")
        if operator.role == OperatorRole.ADMIN.value and await OperatorRepository(session).count_active_admins() <= 1:
            raise ValidationFailed({}, "This is the last active administrator; make another one first.")
    operator.is_active = active
    operator.disabled_by_provider = False  # an administrator's decision, either way
    ended = 0
    if not active:
        ended = await end_all_sessions(session, operator, SessionEnd.disabled)
    await _audit(session, actor, "operator_enable" if active else "operator_disable", operator,
                 f"Operator {operator.username} {'enabled' if active else 'disabled'}{sessions_ended(ended)}")
    return operator


async def set_email(session: AsyncSession, operator_id: uuid.UUID, change: EmailChange, actor: Actor) -> Operator:
    """An administrator sets or clears the address the watch's alerts about the onboardings assigned
    to this operator go to (through the e-mail channels set to send to the assignee). Their choice
    stays: the identity provider's verified address fills only an address no administrator chose,
    a cleared one included (app/auth/oidc_signin.py). Audited, the address in the trail (it is not
    a secret; who was to be told is what the trail is for)."""
    operator = await _get(session, operator_id)
    form = Fields.of(change)
    email = form.text("email", label="E-mail address", required=False, max_length=EMAIL_ADDRESS_LENGTH,
                      pattern=EMAIL_ADDRESS, pattern_hint="Enter one address like name@example.com, or leave it "
                                                          "empty for none.")
    form.raise_if_invalid(f"The e-mail address of {operator.username} was not changed.")
    if operator.email_by_admin and (operator.email or "") == email:
        return operator
    previous, operator.email, operator.email_by_admin = operator.email, email or None, True
    await _audit(session, actor, "operator_email", operator,
                 f"E-mail address of {operator.username} set to {email}" if email
                 else f"E-mail address of {operator.username} cleared",
                 {"from": previous, "to": operator.email, "by": "administrator"})
    return operator


async def reset_password(session: AsyncSession, operator_id: uuid.UUID, reset: PasswordReset,
                         actor: Actor) -> Operator:
    operator = await _get(session, operator_id)
    form = Fields.of(reset)
    if operator.external_issuer is not None:
        # A password would open a second way in that the provider (which ends access by removing
        # the person from its groups) knows nothing of.
        form.errors["password"] = (f"{operator.username} signs in with the company's identity provider; "
                                   "their password is kept there, not here.")
        form.raise_if_invalid()
    password = form.secret("password", label="New password", max_length=1024)
    _refuse_weak_password(form, password, operator.username, operator.display_name)
    form.raise_if_invalid()
    operator.password_hash = await asyncio.to_thread(hash_password, Secret(password, remember=False))
    operator.must_change_password = True  # the administrator knows this one
    await end_all_sessions(session, operator, SessionEnd.password_reset)
    locked = await signin.unlock(session, operator)  # a new password starts with a clean slate
    await _audit(session, actor, "operator_password_reset", operator, f"Password of {operator.username} reset"
                 + (f"; unlocked ({locked} address{'es' if locked != 1 else ''})" if locked else ""))
    return operator


async def unlock(session: AsyncSession, operator_id: uuid.UUID, actor: Actor) -> tuple[Operator, int]:
    """An administrator ends the sign-in locks of an account (from every address), audited."""
    operator = await _get(session, operator_id)
    locked = await signin.unlock(session, operator)
    await _audit(session, actor, "operator_unlock", operator,
                 f"Sign-in of {operator.username} unlocked ({locked} address{'es' if locked != 1 else ''})")
    return operator, locked


async def _plain_check(operator: Operator, current: Secret) -> str | None:
    assert operator.password_hash is not None
    if await asyncio.to_thread(verify_password, operator.password_hash, current):
        return None
    return "This is not your current password."


async def change_own_password(session: AsyncSession, operator_id: uuid.UUID, change: PasswordChange,
                              actor: Actor, this_session: str | None = None,
                              check: Callable[[Operator, Secret], Awaitable[str | None]] = _plain_check) -> Operator:
    """An operator replaces their password (required after an administrator set it): the current
    one proves it is them; the new one meets the same rules and differs from it. Their other
    sessions end (someone who learnt the old password and signed in with it is out: security probe,
    M2); ``this_session``, the cookie of the one that asked, stays. Audited."""
    operator = await _get(session, operator_id)
    if operator.external_issuer is not None or not operator.password_hash:
        # No password here to change, and setting one would open a second way in.
        raise ValidationFailed({}, f"{operator.username} signs in with the company's identity provider; the "
                                   "password is kept there, not here.")
    form = Fields.of(change)
    current = form.secret("current_password", label="Current password", max_length=1024)
    password = form.secret("password", label="New password", max_length=1024)
    again = form.secret("password_again", label="New password again", max_length=1024)
    # ``check``: the current password as the route checks it (counted as a sign-in attempt).
    if current and (wrong := await check(operator, Secret(current, remember=False))):
        form.errors["current_password"] = wrong
    _refuse_weak_password(form, password, operator.username, operator.display_name, confirm=again, previous=current)
    form.raise_if_invalid("Your password was not changed.")
    operator.password_hash = await asyncio.to_thread(hash_password, Secret(password, remember=False))
    operator.must_change_password = False
    ended = await end_all_sessions(session, operator, SessionEnd.password_changed, but=this_session)
    await _audit(session, actor, "operator_password_changed", operator,
                 f"{operator.username} chose a new password"
                 + (f"; {counted(ended, 'other session')} signed out" if ended else ""))
    return operator

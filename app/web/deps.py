"""Request dependencies: the database session (committed at the request boundary), the signed-in
operator, role checks, and the actor recorded in the audit trail."""

from __future__ import annotations

import dataclasses
import ipaddress
import typing
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request

from app.audit import Actor
from app.auth.sessions import resolve_session, touch_session
from app.common.validation import Fields, ticked
from app.store.db import unit_of_work
from app.store.models import Operator, OperatorRole
from app.web.csrf import SESSION_COOKIE
from app.web.state import app_state


class NotSignedIn(Exception):
    pass


class PasswordChangeRequired(Exception):
    """An administrator set this operator's password: they choose their own before anything else."""


@dataclass(frozen=True)
class OperatorView:
    """What pages show of the signed-in operator. A plain copy, so error pages can still render
    it after the request's database session rolled back."""

    id: uuid.UUID
    username: str
    display_name: str
    role: str

    @property
    def role_enum(self) -> OperatorRole:
        return OperatorRole(self.role)

    @classmethod
    def of(cls, operator: Operator) -> OperatorView:
        return cls(operator.id, operator.username, operator.display_name, operator.role)


class RoleRequired(Exception):
    def __init__(self, allowed: tuple[OperatorRole, ...], operator: OperatorView) -> None:
        self.allowed = allowed
        self.operator = operator
        super().__init__("role required")


async def _db_session(request: Request) -> AsyncIterator[AsyncSession]:
    db = app_state(request).db
    # Pages read; forms write. On SQLite a writing request takes the write lock when it begins.
    factory = db.sessions if request.method in ("GET", "HEAD") else db.write_sessions
    async with unit_of_work(factory) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit is an
# error page, never a success page for work that was not saved.
DbSession = Annotated[AsyncSession, Depends(_db_session, scope="function")]


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with app_state(request).db.sessions() as session:
        yield session


# For form posts that call Okta: the request itself only reads, and the services it calls write
# their results in short units of work of their own. No write lock is held while Okta answers.
ReadDbSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]


async def optional_operator(request: Request) -> Operator | None:
    """The signed-in operator, read in a short session of its own that is closed at once: a
    request holds no database connection for the operator while it works (or waits on Okta)."""
    token = request.cookies.get(SESSION_COOKIE)
    operator = None
    if token:
        state = app_state(request)
        async with state.db.sessions() as session:
            active = await resolve_session(session, token, state.settings)
        operator = active.operator if active else None
        if active is not None and active.needs_touch:
            # A separate short write, so reading pages never holds the database's write lock.
            async with state.db.session() as writer:
                await touch_session(writer, active.session_id)
    request.state.operator = OperatorView.of(operator) if operator else None
    return operator


# Where an operator who must choose their own password may still go.
PASSWORD_CHANGE_PATHS = ("/account/password", "/sign-out")


async def signed_in_operator(
    request: Request, operator: Annotated[Operator | None, Depends(optional_operator)],
) -> Operator:
    if operator is None:
        raise NotSignedIn()
    if operator.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequired()
    return operator


CurrentOperator = Annotated[Operator, Depends(signed_in_operator)]


class RoleGate:
    """A dependency that lets only the given roles through (``Depends(gate.dependency)``)."""

    def __init__(self, roles: tuple[OperatorRole, ...]) -> None:
        self.roles = roles

        async def check(operator: CurrentOperator) -> Operator:
            if operator.role_enum not in self.roles:
                raise RoleRequired(self.roles, OperatorView.of(operator))
            return operator

        self.dependency = Depends(check)
        self.check = check


def require_role(*roles: OperatorRole) -> RoleGate:
    return RoleGate(roles)


AdminOperator = Annotated[Operator, require_role(OperatorRole.ADMIN).dependency]
# Anyone who may change onboardings: not auditors.
ActingOperator = Annotated[Operator, require_role(OperatorRole.ADMIN, OperatorRole.OPERATOR).dependency]
# Administrators and auditors: the audit trail.
AuditReader = Annotated[Operator, require_role(OperatorRole.ADMIN, OperatorRole.AUDITOR).dependency]


def client_ip(request: Request) -> str | None:
    """The client's address, or None when it is not an IP address: behind a trusted proxy it comes
    from X-Forwarded-For, which may carry anything (``=HYPERLINK(...)`` for a spreadsheet, say)."""
    host = request.client.host if request.client else None
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def actor_for(request: Request, operator: Operator | None) -> Actor:
    ua = request.headers.get("user-agent")
    if operator is None:
        return Actor(id=None, name="anonymous", source_ip=client_ip(request), user_agent=ua)
    return Actor(id=operator.id, name=operator.username, source_ip=client_ip(request), user_agent=ua)


def uuid_or_404(value: str) -> uuid.UUID:
    """An id taken from the URL: one that is not a UUID names nothing, so it is a 404 (not a 500 or
    a 422 that would tell a prober how ids look)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise HTTPException(404) from None


async def form_values(request: Request) -> dict[str, str]:
    """The posted form's text fields (an uploaded file is never a text field)."""
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


async def read_form(request: Request) -> Fields:
    return Fields(await form_values(request))


Input = TypeVar("Input")


def typed_input(kind: type[Input], values: dict[str, str]) -> Input:
    """A service's typed input (a dataclass) from a form: each field from the form field of the
    same name, text as typed (the service checks it), a checkbox as whether it was ticked."""
    hints = typing.get_type_hints(kind)
    fields = {}
    for field in dataclasses.fields(kind):  # type: ignore[arg-type]
        raw = values.get(field.name, "")
        fields[field.name] = ticked(raw) if hints[field.name] is bool else raw
    return kind(**fields)


async def read_input(request: Request, kind: type[Input]) -> Input:
    """The posted form as the service's typed input (`typed_input`)."""
    return typed_input(kind, await form_values(request))

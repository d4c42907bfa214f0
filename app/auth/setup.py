"""First run: a one-time link, printed by the server, with which the first administrator
chooses a username and password. It works only while no operator exists."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.auth.operators import USERNAME_HINT, USERNAME_PATTERN
from app.auth.passwords import hash_password, password_problems
from app.auth.tokens import new_token, token_hash
from app.common.validation import Fields, ValidationFailed
from app.settings import Settings
from app.store.base import utcnow
from app.store.models import Operator, OperatorRole, SetupToken
from app.store.repositories.operators import OperatorRepository
from app.store.repositories.sessions import SetupTokenRepository
from app.vault import Secret


class SetupUnavailable(Exception):
    """The link is unknown, used, expired, or setup is already done; the message says which."""


async def needs_setup(session: AsyncSession) -> bool:
    return await OperatorRepository(session).count() == 0


async def issue_setup_token(session: AsyncSession, settings: Settings) -> str | None:
    """A fresh one-time token if no operator exists yet; earlier unused links stop working."""
    if not await needs_setup(session):
        return None
    repo = SetupTokenRepository(session)
    now = utcnow()
    await repo.retire_unused(now)
    token = new_token()
    repo.add(SetupToken(token_hash=token_hash(token), created_at=now,
                        expires_at=now + timedelta(hours=settings.setup_token_hours)))
    await session.flush()
    return token


async def check_setup_token(session: AsyncSession, token: str, *, lock: bool = False) -> SetupToken:
    if not await needs_setup(session):
        raise SetupUnavailable("Setup is already complete. Sign in instead.")
    query = select(SetupToken).where(SetupToken.token_hash == token_hash(token or ""))
    if lock:
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise SetupUnavailable(
            "This setup link is not valid. Use the newest link printed by the server, "
            "or print a new one with `onboard setup-link`."
        )
    if found.used_at is not None:
        raise SetupUnavailable("This setup link was already used.")
    if found.expires_at <= utcnow():
        raise SetupUnavailable(
            "This setup link has expired or was replaced. Print a new one with `onboard setup-link`."
        )
    return found


@dataclass(frozen=True)
class FirstAdministrator:
    username: str
    display_name: str
    password: str = field(repr=False)
    confirm_password: str = field(repr=False)


async def complete_setup(session: AsyncSession, token: str, first: FirstAdministrator, actor: Actor) -> Operator:
    setup_token = await check_setup_token(session, token, lock=True)
    form = Fields.of(first)
    username = form.text("username", label="Username", max_length=64, pattern=USERNAME_PATTERN,
                         pattern_hint=USERNAME_HINT).lower()
    display_name = form.text("display_name", label="Your name", missing="Enter your name.", max_length=200)
    password = form.secret("password", label="Password", max_length=1024)
    confirm = form.secret("confirm_password", label="Password again", max_length=1024)
    if password and "password" not in form.errors:
        problems = password_problems(password, username=username, confirm=confirm or None, context=[display_name])
        if problems:
            form.errors["password"] = " ".join(problems)
    form.raise_if_invalid()
    if not await needs_setup(session):
        raise ValidationFailed({}, "Setup was completed by someone else a moment ago. Sign in instead.")
    operator = Operator(
        username=username,
        display_name=display_name,
        role=OperatorRole.ADMIN.value,
        password_hash=await asyncio.to_thread(hash_password, Secret(password, remember=False)),
        is_active=True,
        last_sign_in_at=utcnow(),  # setup signs them in
    )
    OperatorRepository(session).add(operator)
    setup_token.used_at = utcnow()
    await session.flush()
    await record(session, action="setup_complete", actor=Actor(operator.id, operator.username,
                                                              actor.source_ip, actor.user_agent),
                 summary=f"First administrator {username} created through the setup link",
                 subject_type="operator", subject_id=str(operator.id))
    return operator

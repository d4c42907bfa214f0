"""Server-side sessions: created at sign-in (always a new token), checked on every request,
ended at sign-out or when an operator is disabled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.tokens import new_token, token_hash
from app.settings import Settings
from app.store.base import utcnow
from app.store.models import Operator, WebSession
from app.store.repositories.sessions import SessionRepository

# last_seen_at is written at most this often, so reading pages does not mean writing on each.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class ActiveSession:
    session_id: object
    operator: Operator


async def start_session(
    session: AsyncSession, operator: Operator, settings: Settings, *, source_ip: str | None,
    user_agent: str | None
) -> str:
    token = new_token()
    now = utcnow()
    SessionRepository(session).add(
        WebSession(
            token_hash=token_hash(token),
            operator_id=operator.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_hours),
            source_ip=source_ip,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    await session.flush()
    return token


async def resolve_session(session: AsyncSession, token: str, settings: Settings) -> ActiveSession | None:
    repo = SessionRepository(session)
    found = await repo.by_token_hash(token_hash(token))
    if found is None:
        return None
    now = utcnow()
    idle_limit = found.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if now >= found.expires_at or now >= idle_limit or not found.operator.is_active:
        await repo.delete_by_token_hash(found.token_hash)
        return None
    if now - found.last_seen_at >= TOUCH_EVERY:
        await repo.touch(found.id, now)
    return ActiveSession(session_id=found.id, operator=found.operator)


async def end_session(session: AsyncSession, token: str) -> None:
    await SessionRepository(session).delete_by_token_hash(token_hash(token))


async def end_all_sessions(session: AsyncSession, operator: Operator) -> int:
    return await SessionRepository(session).delete_for_operator(operator.id)

"""Server-side sessions: created at sign-in (always a new token), checked on every request,
ended at sign-out or when an operator is disabled."""

from __future__ import annotations

import uuid
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
    session_id: uuid.UUID
    operator: Operator
    needs_touch: bool = False


async def start_session(
    session: AsyncSession, operator: Operator, settings: Settings, *, source_ip: str | None,
    user_agent: str | None
) -> str:
    token = new_token()
    now = utcnow()
    repo = SessionRepository(session)
    await repo.delete_expired(now)
    repo.add(
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
        # Expired sessions are refused here; the row is cleared by the next sign-in or sign-out
        # write (this may be a read-only request).
        return None
    return ActiveSession(session_id=found.id, operator=found.operator,
                         needs_touch=now - found.last_seen_at >= TOUCH_EVERY)


async def touch_session(session: AsyncSession, session_id: uuid.UUID) -> None:
    await SessionRepository(session).touch(session_id, utcnow())


async def end_session(session: AsyncSession, token: str) -> None:
    await SessionRepository(session).delete_by_token_hash(token_hash(token))


async def end_all_sessions(session: AsyncSession, operator: Operator) -> int:
    return await SessionRepository(session).delete_for_operator(operator.id)

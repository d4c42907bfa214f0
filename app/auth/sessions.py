"""Server-side sessions: created at sign-in (always a new token), checked on every request,
ended at sign-out or when an operator is disabled or given a new password; and why one ended, for
the sign-in page the person lands on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.tokens import new_token, token_hash
from app.common.moments import stamp
from app.settings import Settings
from app.store.base import utcnow
from app.store.models import Operator, WebSession
from app.store.repositories.sessions import SessionRepository
from app.store.statuses import SessionEnd

# last_seen_at is written at most this often, so reading pages does not mean writing on each.
TOUCH_EVERY = timedelta(seconds=60)

ACCOUNT_DISABLED = "This account is disabled. Ask an administrator to enable it."
SESSION_ENDED = "Your session has ended. Sign in again."


@dataclass(frozen=True)
class Ended:
    """Why a session cookie no longer signs its holder in, in words (the sign-in page's, and the
    page a form posted with it is answered with); ``may_sign_in``: whether signing in again helps."""

    words: str
    may_sign_in: bool = True


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
    if now >= found.expires_at or now >= idle_limit or not found.operator.is_active or found.ended_at is not None:
        # Expired and ended sessions are refused here; the row is cleared by the next sign-in or
        # sign-out write once it expires (this may be a read-only request).
        return None
    return ActiveSession(session_id=found.id, operator=found.operator,
                         needs_touch=now - found.last_seen_at >= TOUCH_EVERY)


async def touch_session(session: AsyncSession, session_id: uuid.UUID) -> None:
    await SessionRepository(session).touch(session_id, utcnow())


async def end_session(session: AsyncSession, token: str) -> None:
    await SessionRepository(session).delete_by_token_hash(token_hash(token))


async def end_all_sessions(session: AsyncSession, operator: Operator, reason: SessionEnd,
                           but: str | None = None) -> int:
    """End the operator's sessions everywhere, now (but the session of the cookie ``but``: the one
    that asked); the number of them that were live."""
    repo = SessionRepository(session)
    kept = await repo.by_token_hash(token_hash(but)) if but else None
    return await repo.end_for_operator(operator.id, reason, utcnow(), keep=kept.id if kept is not None else None)


async def why_ended(session: AsyncSession, token: str, settings: Settings) -> Ended | None:
    """What the sign-in page says to someone whose session cookie no longer signs them in: why,
    as far as it is theirs to know (None while the session is live). The cookie was this account's
    session, so its holder is told what the account's owner would be told at sign-in, and when an
    administrator disabled it (the moment its sessions ended), no more."""
    found = await SessionRepository(session).by_token_hash(token_hash(token))
    if found is None:  # cleared once it expired, or the database was replaced
        return Ended(SESSION_ENDED)
    operator = found.operator
    if not operator.is_active:
        if found.ended_reason == SessionEnd.disabled and found.ended_at is not None \
                and not operator.disabled_by_provider:
            return Ended(f"Your session has ended: an administrator disabled this account on {stamp(found.ended_at)}. "
                         "Ask an administrator to enable it.", may_sign_in=False)
        return Ended(f"Your session has ended. {ACCOUNT_DISABLED}", may_sign_in=False)
    if found.ended_reason == SessionEnd.password_changed and found.ended_at is not None:
        return Ended(f"Your session has ended: the password of this account was changed on {stamp(found.ended_at)}, "
                     "in another session. Sign in with the new password; if you did not change it, tell an "
                     "administrator.")
    if found.ended_reason == SessionEnd.password_reset:
        return Ended("Your session has ended: an administrator set a new password for this account. Ask them for "
                     "it, then sign in and choose your own.")
    if found.ended_at is not None:  # disabled, and enabled again since
        return Ended(SESSION_ENDED)
    now = utcnow()
    if now >= found.expires_at:
        return Ended(f"Your session has ended: a session lasts at most {settings.session_max_hours} hours. "
                     "Sign in again.")
    if now >= found.last_seen_at + timedelta(minutes=settings.session_idle_minutes):
        return Ended(f"Your session has ended after {settings.session_idle_minutes} minutes without activity. "
                     "Sign in again.")
    return None

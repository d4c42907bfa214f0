"""Queries for sign-in sessions, sign-in throttles and setup tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.store.models import SetupToken, SignInThrottle, WebSession


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_token_hash(self, token_hash: str) -> WebSession | None:
        result = await self.session.execute(select(WebSession).where(WebSession.token_hash == token_hash))
        return result.unique().scalar_one_or_none()

    def add(self, web_session: WebSession) -> None:
        self.session.add(web_session)

    async def delete_by_token_hash(self, token_hash: str) -> None:
        await self.session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))

    async def end_for_operator(self, operator_id: uuid.UUID, reason: str, now: datetime,
                               keep: uuid.UUID | None = None) -> int:
        """End every live session of an operator (but ``keep``), keeping why (until it would have expired)."""
        result = await self.session.execute(
            update(WebSession).where(WebSession.operator_id == operator_id, WebSession.ended_at.is_(None),
                                     WebSession.id != keep if keep is not None else true())
            .values(ended_at=now, ended_reason=reason))
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_expired(self, now: datetime) -> None:
        await self.session.execute(delete(WebSession).where(WebSession.expires_at < now))

    async def touch(self, session_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now)
        )


class ThrottleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> SignInThrottle | None:
        return await self.session.get(SignInThrottle, key)

    def add(self, throttle: SignInThrottle) -> None:
        self.session.add(throttle)

    async def clear(self, key: str) -> None:
        await self.session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))


class SetupTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_hash(self, token_hash: str) -> SetupToken | None:
        result = await self.session.execute(select(SetupToken).where(SetupToken.token_hash == token_hash))
        return result.scalar_one_or_none()

    def add(self, token: SetupToken) -> None:
        self.session.add(token)

    async def retire_unused(self, now: datetime) -> None:
        await self.session.execute(
            update(SetupToken).where(SetupToken.used_at.is_(None)).values(expires_at=now)
        )

"""Queries for onboarding lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.store.models import Onboarding, Operator


class OnboardingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def recent(self, limit: int = 50) -> Sequence[Any]:
        assignee = aliased(Operator)
        query = (select(Onboarding, assignee.display_name.label("assignee_name"))
                 .outerjoin(assignee, assignee.id == Onboarding.assignee_id)
                 .order_by(Onboarding.last_activity_at.desc(), Onboarding.id).limit(limit))
        return (await self.session.execute(query)).all()

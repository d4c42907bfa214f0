"""Queries for operators."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.store.models import Operator, OperatorRole


class OperatorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, operator_id: uuid.UUID) -> Operator | None:
        return await self.session.get(Operator, operator_id)

    async def by_username(self, username: str) -> Operator | None:
        result = await self.session.execute(select(Operator).where(Operator.username == username))
        return result.scalar_one_or_none()

    async def by_external_identity(self, issuer: str, subject: str) -> Operator | None:
        """The operator linked to an identity at the company's identity provider."""
        result = await self.session.execute(
            select(Operator).where(Operator.external_issuer == issuer, Operator.external_subject == subject)
        )
        return result.scalar_one_or_none()

    async def count(self) -> int:
        return int((await self.session.execute(select(func.count()).select_from(Operator))).scalar_one())

    async def count_active_admins(self) -> int:
        query = select(func.count()).select_from(Operator).where(
            Operator.role == "admin", Operator.is_active.is_(True)
        )
        return int((await self.session.execute(query)).scalar_one())

    async def list_all(self) -> Sequence[Operator]:
        result = await self.session.execute(
            select(Operator).order_by(Operator.is_active.desc(), Operator.username)
        )
        return result.scalars().all()

    async def list_active(self) -> Sequence[Operator]:
        result = await self.session.execute(
            select(Operator).where(Operator.is_active.is_(True)).order_by(Operator.display_name)
        )
        return result.scalars().all()

    async def by_display_name(self, *, assignable: bool = False) -> Sequence[Operator]:
        """Every operator by the name people see (the list's filter, a handoff's colleagues);
        `assignable`: only those who may hold an onboarding (not auditors)."""
        query = select(Operator).order_by(Operator.display_name)
        if assignable:
            query = query.where(Operator.role != OperatorRole.AUDITOR)
        return (await self.session.execute(query)).scalars().all()

    async def display_names(self) -> dict[uuid.UUID, str]:
        """Every operator's name as pages and reports show it, by id (removed ones included)."""
        return {op.id: op.display_name for op in await self.by_display_name()}

    async def display_names_by_text_id(self) -> dict[str, str]:
        """``display_names`` keyed by the id as text, as templates look an id up."""
        return {str(op_id): name for op_id, name in (await self.display_names()).items()}

    def add(self, operator: Operator) -> None:
        self.session.add(operator)

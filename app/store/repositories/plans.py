"""An onboarding's plans, and what binds a plan to the values it was made from.

A plan shows exactly what the wizard will create, adopt or leave alone *for the values given when
it was made*. Once a value changes (the service account's login, a group's name), that plan no
longer describes what Apply would do: it is stale. The plan keeps the values it was made with
(defaults included) and their digest, for the record; a stale plan cannot be confirmed, and Apply
refuses to run on a confirmed plan that has gone stale. Plans made before the values were kept have
none and are taken as they are.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.store.base import utcnow
from app.store.models import OnboardingPlan
from app.store.repositories.state import touch


def inputs_digest(inputs: Mapping[str, Any] | None) -> str:
    """The SHA-256 of the inputs in a canonical JSON form (keys sorted; an empty value is kept, so
    clearing a field changes the digest)."""
    canonical = json.dumps(dict(inputs or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == []


def same_value(value: Any, before: Any) -> bool:
    """Whether a saved value is what was there: nothing given (empty, unticked) equals nothing."""
    return value == before or (_empty(value) and _empty(before))


def is_stale(plan: OnboardingPlan, inputs: Mapping[str, Any] | None, depends_on: Iterable[str]) -> bool:
    """Whether a value the operator saved, among those the plan ``depends_on``, differs from the one
    ``plan`` was made with. The plan keeps the values it used, defaults included, so saving the
    value a default already gave (pressing Save without a change), an empty value where there was
    none, or a value it does not depend on, leaves the plan as it was. (Plans made before it kept
    only those values kept every value: ``depends_on`` comes from the playbook, not from the plan.)"""
    if plan.inputs is None:
        return False
    saved = inputs or {}
    return any(key in saved and not same_value(saved[key], plan.inputs.get(key)) for key in depends_on)


def settings_changed(plan: OnboardingPlan, settings: Mapping[str, Any]) -> list[str]:
    """The names of the settings in ``settings`` (as kept now) that differ from those ``plan`` was
    made with. A setting the plan did not use (its action was done before it) is not compared."""
    return settings_changed_names(plan.settings or {}, settings)


def settings_changed_names(kept: Mapping[str, Any], settings: Mapping[str, Any]) -> list[str]:
    """The names in both whose values differ (``kept``: as a plan was made with them)."""
    return [name for name, value in settings.items() if name in kept and not same_value(value, kept[name])]


def new_plan(onboarding_id: uuid.UUID, actor_id: uuid.UUID | None, items: list[dict[str, Any]],
             inputs: Mapping[str, Any] | None, settings: Mapping[str, Any] | None = None) -> OnboardingPlan:
    """A plan bound to the inputs it was made from (every value it used, saved or default) and to
    the vendor settings its actions still to apply use."""
    return OnboardingPlan(id=uuid.uuid4(), onboarding_id=onboarding_id, created_by_id=actor_id, items=items,
                          inputs=dict(inputs or {}), inputs_digest=inputs_digest(inputs),
                          settings=dict(settings or {}))


async def add_plan(session: AsyncSession, plan: OnboardingPlan) -> None:
    """Keep a plan just made (the newest, so the one that can be confirmed): flushed, so the
    status line drawn from the newest plan in this transaction sees it."""
    session.add(plan)
    await session.flush()


async def plan_of(session: AsyncSession, onboarding_id: uuid.UUID, plan_id: uuid.UUID) -> OnboardingPlan | None:
    """The plan by its id if it is one of this onboarding's (a plan id from another is None)."""
    plan = await session.get(OnboardingPlan, plan_id)
    return plan if plan is not None and plan.onboarding_id == onboarding_id else None


async def confirm(session: AsyncSession, plan: OnboardingPlan, actor_id: uuid.UUID | None) -> None:
    """Mark the plan confirmed by `actor_id` now: Apply carries it out. The onboarding's page shows it."""
    plan.confirmed_at = utcnow()
    plan.confirmed_by_id = actor_id
    await touch(session, plan.onboarding_id)


async def newest_plan(session: AsyncSession, onboarding_id: uuid.UUID) -> OnboardingPlan | None:
    """The plan made last (confirmed or not): the only one that can be confirmed."""
    found: OnboardingPlan | None = (await session.execute(
        select(OnboardingPlan).where(OnboardingPlan.onboarding_id == onboarding_id)
        .order_by(OnboardingPlan.created_at.desc()).limit(1))).scalar_one_or_none()
    return found


async def confirmed_plans(session: AsyncSession, onboarding_id: uuid.UUID) -> list[OnboardingPlan]:
    """Every plan confirmed, the first first: what each Apply carried out, for the record."""
    return list((await session.execute(
        select(OnboardingPlan).where(OnboardingPlan.onboarding_id == onboarding_id,
                                     OnboardingPlan.confirmed_at.is_not(None))
        .order_by(OnboardingPlan.confirmed_at))).scalars().all())


async def confirmed_plan(session: AsyncSession, onboarding_id: uuid.UUID) -> OnboardingPlan | None:
    """The plan confirmed last: what Apply carries out."""
    found: OnboardingPlan | None = (await session.execute(
        select(OnboardingPlan).where(OnboardingPlan.onboarding_id == onboarding_id,
                                     OnboardingPlan.confirmed_at.is_not(None))
        .order_by(OnboardingPlan.confirmed_at.desc()).limit(1))).scalar_one_or_none()
    return found

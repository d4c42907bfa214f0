"""Signing in with a username and password: slowed after a few failures, locked after more."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.auth.passwords import burn_equivalent_time, hash_password, needs_rehash, verify_password
from app.settings import Settings
from app.store.base import utcnow
from app.store.db import dialect_name
from app.store.models import Operator, SignInThrottle
from app.store.repositories.operators import OperatorRepository
from app.vault import Secret

GENERIC_FAILURE = "The username or password is incorrect."
STALE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class SignInOutcome:
    operator: Operator | None
    message: str | None = None
    delay_seconds: float = 0.0
    locked_until: datetime | None = None


def normalise_username(username: str) -> str:
    return username.strip().lower()[:200]


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 59) // 60)


def lock_message(locked_until: datetime, now: datetime) -> str:
    minutes = _minutes_until(locked_until, now)
    return (
        f"Too many failed sign-ins for this account. It is locked until {locked_until:%H:%M} UTC "
        f"(about {minutes} minute{'s' if minutes != 1 else ''}). Try again then, or ask an administrator."
    )


async def _locked_throttle(session: AsyncSession, key: str, now: datetime) -> SignInThrottle:
    """The throttle row for ``key``, created if needed and locked for this transaction."""
    insert = pg_insert if dialect_name(session) == "postgresql" else sqlite_insert
    await session.execute(
        insert(SignInThrottle)
        .values(key=key, failures=0, window_started_at=now, last_failure_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    query = select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
    return (await session.execute(query.execution_options(populate_existing=True))).scalar_one()


async def sign_in(
    session: AsyncSession, settings: Settings, username: str, password: Secret, actor: Actor
) -> SignInOutcome:
    key = normalise_username(username)
    now = utcnow()
    # Counters for names nobody has tried for a day are of no use; keep the table small.
    await session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.last_failure_at < now - STALE_AFTER,
            (SignInThrottle.locked_until.is_(None)) | (SignInThrottle.locked_until < now),
        )
    )
    throttle = await _locked_throttle(session, key, now)

    if throttle.locked_until is not None and throttle.locked_until > now:
        await record(session, action="sign_in", outcome="denied", actor=actor,
                     summary=f"Sign-in refused for '{key}': account locked", subject_type="operator",
                     subject_id=key)
        return SignInOutcome(None, lock_message(throttle.locked_until, now), locked_until=throttle.locked_until)

    operator = await OperatorRepository(session).by_username(key)
    if operator is None or operator.password_hash is None:
        await asyncio.to_thread(burn_equivalent_time, password)
        valid = False
    else:
        valid = await asyncio.to_thread(verify_password, operator.password_hash, password)

    if valid and operator is not None:
        if not operator.is_active:
            await record(session, action="sign_in", outcome="denied", actor=actor,
                         summary=f"Sign-in refused for '{key}': account disabled",
                         subject_type="operator", subject_id=str(operator.id))
            return SignInOutcome(None, "This account is disabled. Ask an administrator to enable it.")
        await session.delete(throttle)
        operator.last_sign_in_at = now
        if operator.password_hash and needs_rehash(operator.password_hash):
            operator.password_hash = await asyncio.to_thread(hash_password, password)
        await record(session, action="sign_in", actor=Actor(operator.id, operator.username,
                                                            actor.source_ip, actor.user_agent),
                     summary=f"{operator.username} signed in", subject_type="operator",
                     subject_id=str(operator.id))
        return SignInOutcome(operator)

    window = timedelta(minutes=settings.signin_window_minutes)
    if now - throttle.window_started_at > window or throttle.failures == 0:
        throttle.failures = 0
        throttle.window_started_at = now
    throttle.failures += 1
    throttle.last_failure_at = now
    throttle.locked_until = None
    message = GENERIC_FAILURE
    delay = 0.0
    if throttle.failures >= settings.signin_lock_after:
        throttle.locked_until = now + timedelta(minutes=settings.signin_lock_minutes)
        message = lock_message(throttle.locked_until, now)
    else:
        left = settings.signin_lock_after - throttle.failures
        if throttle.failures >= settings.signin_slow_after:
            delay = min(
                settings.signin_delay_seconds * 2 ** (throttle.failures - settings.signin_slow_after),
                settings.signin_delay_max_seconds,
            )
            message += (
                f" {left} more failed attempt{'s' if left != 1 else ''} will lock this account for "
                f"{settings.signin_lock_minutes} minutes."
            )
    await record(session, action="sign_in", outcome="failed", actor=actor,
                 summary=f"Failed sign-in for '{key}' ({throttle.failures} in a row)",
                 subject_type="operator", subject_id=key,
                 details={"failures": throttle.failures,
                          "locked": throttle.locked_until is not None})
    return SignInOutcome(None, message, delay_seconds=delay, locked_until=throttle.locked_until)

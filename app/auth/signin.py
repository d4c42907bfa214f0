"""Signing in with a username and password: slowed after a few failures, locked after more.

Failures count per account and source address (one attacker cannot lock a person out from
elsewhere) and per source address (a flood from one address is paused, whatever accounts it
tries). Administrators unlock an account from the operators page, and a password reset unlocks it."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.auth.passwords import burn_equivalent_time, hash_password, needs_rehash, verify_password
from app.auth.sessions import ACCOUNT_DISABLED
from app.settings import Settings
from app.store.base import utcnow
from app.store.db import Database, dialect_name
from app.store.models import Operator, SignInThrottle
from app.store.repositories.operators import OperatorRepository
from app.store.statuses import Outcome
from app.vault import Secret

T = TypeVar("T")
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


def _until(moment: datetime) -> str:
    """The lock's end as the messages say it ("13:43 UTC"): the sign-in page draws it in the
    reader's own time zone, as every other time on the pages (QA walk 13, L4)."""
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def lock_message(locked_until: datetime, now: datetime) -> str:
    minutes = _minutes_until(locked_until, now)
    return (
        f"Too many failed sign-ins for this account. It is locked until {_until(locked_until)} "
        f"(about {minutes} minute{'s' if minutes != 1 else ''}). Try again then, or ask an administrator."
    )


# Password hashing is CPU-bound (argon2id, several lanes): at most this many sign-in hashes run at
# once, so a flood of attempts queues here instead of taking every core from the requests of people
# at work (bench/signin_flood.py). Half the cores, at least one.
HASH_SLOTS = max(1, (os.cpu_count() or 2) // 2)
_slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}


async def _hashing(function: Callable[..., T], *args: Any) -> T:
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        for stale in [other for other in _slots if other.is_closed()]:
            del _slots[stale]
        slots = _slots[loop] = asyncio.Semaphore(HASH_SLOTS)
    async with slots:
        return await asyncio.to_thread(function, *args)


def source_of(source_ip: str | None) -> str:
    """The address failures count against: an IPv4 address, or an IPv6 address's /64, the block one
    machine is given (each of its 2^64 addresses was a fresh budget: security probe, L5)."""
    if not source_ip:
        return "-"
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return source_ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def account_key(username: str, source_ip: str | None) -> str:
    """The lock counts failures per account *and* source address, so an attacker elsewhere cannot
    lock a person out. The name is hashed: a password typed into the username field is not kept."""
    return f"a:{_digest(normalise_username(username))}|{source_of(source_ip)}"


def account_prefix(username: str) -> str:
    return f"a:{_digest(normalise_username(username))}|"


def source_key(source_ip: str | None) -> str:
    """Failures from one address, whatever the account: a flood from one source is held back too."""
    return f"s:{source_of(source_ip)}"


def _digest(text: str) -> str:
    return hashlib.sha256(("onboard-sign-in\x00" + text).encode()).hexdigest()[:40]


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


@dataclass(frozen=True)
class _Found:
    operator_id: uuid.UUID | None
    username: str | None
    password_hash: str | None
    is_active: bool
    locked_until: datetime | None  # the later of the account-and-source and the source locks
    source_locked: bool


async def _look(db: Database, key: str, username: str, source_ip: str | None, now: datetime) -> _Found:
    async with db.sessions() as session:
        operator = await OperatorRepository(session).by_username(username)
        rows = {row.key: row for row in (await session.execute(select(SignInThrottle).where(
            SignInThrottle.key.in_([key, source_key(source_ip)])))).scalars()}
    locks = [(row.locked_until, row.key.startswith("s:")) for row in rows.values()
             if row.locked_until is not None and row.locked_until > now]
    until = max((lock for lock, _ in locks), default=None)
    return _Found(operator.id if operator else None, operator.username if operator else None,
                  operator.password_hash if operator else None, bool(operator and operator.is_active), until,
                  any(source for _, source in locks))


def _subject(found: _Found) -> tuple[str | None, str]:
    """The audit subject and the name to show: an operator's id and name, or nothing of what was
    typed when no such account exists (it may be a password typed into the wrong field)."""
    if found.operator_id is None:
        return None, "an unknown username"
    return str(found.operator_id), f"“{found.username}”"


async def sign_in(
    db: Database, settings: Settings, username: str, password: Secret, actor: Actor
) -> SignInOutcome:
    """Check a username and password. No database transaction is open while the password is
    hashed (argon2 takes a good fraction of a second): on SQLite a transaction that writes holds
    the database's only write lock, and anonymous attempts must not stall everyone's work."""
    name = normalise_username(username)
    key = account_key(name, actor.source_ip)
    now = utcnow()
    found = await _look(db, key, name, actor.source_ip, now)
    subject_id, shown = _subject(found)

    if found.locked_until is None:
        # The attempt is counted before the password is checked: attempts sent together each found
        # the count below the limit while the others were still hashing, and 60 at once got 60
        # answers where the lock allows 6 (security probe, H1).
        found = await _reserve(db, settings, key, actor.source_ip, found, now)
    if found.locked_until is not None:
        async with db.session() as session:
            await record(session, action="sign_in", outcome=Outcome.denied, actor=actor,
                         summary=f"Sign-in refused for {shown}: "
                                 + ("too many failures from this address" if found.source_locked else "account locked"),
                         subject_type="operator", subject_id=subject_id)
        message = source_lock_message(found.locked_until, now) if found.source_locked else \
            lock_message(found.locked_until, now)
        return SignInOutcome(None, message, locked_until=found.locked_until)

    if found.password_hash is None:
        await _hashing(burn_equivalent_time, password)
        valid = False
    else:
        valid = await _hashing(verify_password, found.password_hash, password)
    new_hash = None
    if valid and found.password_hash and needs_rehash(found.password_hash):
        new_hash = await _hashing(hash_password, password)

    async with db.session() as session:
        if valid and found.operator_id is not None:
            operator = await session.get(Operator, found.operator_id)
            if operator is None or operator.password_hash != found.password_hash:
                # Changed between the read and now (a reset, say): as if the password were wrong.
                valid = False
            elif not operator.is_active:
                # The right password: not a failure to count (retrying locked the person out).
                await _give_back(session, settings, key, actor.source_ip, now)
                await record(session, action="sign_in", outcome=Outcome.denied, actor=actor,
                             summary=f"Sign-in refused for {shown}: account disabled",
                             subject_type="operator", subject_id=subject_id)
                return SignInOutcome(None, ACCOUNT_DISABLED)
            else:
                await _give_back(session, settings, key, actor.source_ip, now)
                operator.last_sign_in_at = now
                if new_hash:
                    operator.password_hash = new_hash
                await record(session, action="sign_in", actor=Actor(operator.id, operator.username,
                                                                    actor.source_ip, actor.user_agent),
                             summary=f"{operator.username} signed in", subject_type="operator",
                             subject_id=str(operator.id))
                return SignInOutcome(operator)
        return await _failed(session, settings, key, actor, subject_id, shown, now)


async def _reserve(db: Database, settings: Settings, key: str, source_ip: str | None, found: _Found,
                   now: datetime) -> _Found:
    """Count this attempt as a failure, before its password is checked, in one short transaction
    that holds both counters' rows; the attempt that reaches a limit sets its lock then, so that
    those sent beside it are refused without a check. A success gives its count back (``_give_back``).
    Returns ``found`` with the lock that refuses this attempt, if one does: one taken by the attempts
    before it."""
    window = timedelta(minutes=settings.signin_window_minutes)
    lock_for = timedelta(minutes=settings.signin_lock_minutes)
    async with db.session() as session:
        # Counters for names nobody has tried for a day are of no use; keep the table small.
        await session.execute(
            delete(SignInThrottle).where(
                SignInThrottle.last_failure_at < now - STALE_AFTER,
                (SignInThrottle.locked_until.is_(None)) | (SignInThrottle.locked_until < now),
            )
        )
        source = await _locked_throttle(session, source_key(source_ip), now)
        throttle = await _locked_throttle(session, key, now)
        for row, is_source in ((source, True), (throttle, False)):
            if row.locked_until is not None and row.locked_until > now:
                return _Found(found.operator_id, found.username, found.password_hash, found.is_active,
                              row.locked_until, is_source)
        for row in (source, throttle):
            if now - row.window_started_at > window or row.failures == 0:
                row.failures = 0
                row.window_started_at = now
            row.failures += 1
            row.last_failure_at = now
            row.locked_until = None
        if source.failures >= settings.signin_source_limit:
            source.locked_until = now + lock_for
        elif throttle.failures >= settings.signin_lock_after:
            throttle.locked_until = now + lock_for
    return found


async def _give_back(session: AsyncSession, settings: Settings, key: str, source_ip: str | None,
                     now: datetime) -> None:
    """A right password gives back what its reservation counted: the account's row goes, and the
    address's count drops by one. The address's row first, then the account's: the order _reserve
    takes them in (the other order let a right and a wrong password sent together deadlock on Postgres)."""
    await _release_source(session, settings, source_ip, now)
    await session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))


async def _release_source(session: AsyncSession, settings: Settings, source_ip: str | None, now: datetime) -> None:
    """A sign-in that succeeded gives back the failure its reservation counted from its address (and
    the pause that count set, if it was the one that reached the limit)."""
    row = (await session.execute(select(SignInThrottle).where(SignInThrottle.key == source_key(source_ip))
                                 .with_for_update())).scalar_one_or_none()
    if row is None or row.failures == 0:
        return
    row.failures -= 1
    if row.failures < settings.signin_source_limit and row.locked_until is not None and row.locked_until > now:
        row.locked_until = None


async def _failed(session: AsyncSession, settings: Settings, key: str, actor: Actor, subject_id: str | None,
                  shown: str, now: datetime) -> SignInOutcome:
    """A wrong password (or no such account): counted when it was reserved; what to say, and how long
    to wait before saying it, from the counts as they stand."""
    rows = {row.key: row for row in (await session.execute(select(SignInThrottle).where(
        SignInThrottle.key.in_([key, source_key(actor.source_ip)])))).scalars()}
    source, throttle = rows.get(source_key(actor.source_ip)), rows.get(key)
    source_failures = source.failures if source is not None else 0
    failures = throttle.failures if throttle is not None else 0
    message = GENERIC_FAILURE
    delay = 0.0
    locked_until = None
    if source is not None and source.locked_until is not None and source.locked_until > now:
        locked_until = source.locked_until
        message = source_lock_message(source.locked_until, now)
    elif throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        locked_until = throttle.locked_until
        message = lock_message(throttle.locked_until, now)
    else:
        left = max(1, settings.signin_lock_after - failures)
        if failures >= settings.signin_slow_after:
            delay = min(
                settings.signin_delay_seconds * 2 ** (failures - settings.signin_slow_after),
                settings.signin_delay_max_seconds,
            )
            message += (
                f" {left} more failed attempt{'s' if left != 1 else ''} will lock this account for "
                f"{settings.signin_lock_minutes} minutes."
            )
    await record(session, action="sign_in", outcome=Outcome.failed, actor=actor,
                 summary=f"Failed sign-in for {shown} ({failures} in a row from this address)",
                 subject_type="operator", subject_id=subject_id,
                 details={"failures": failures, "failures_from_address": source_failures,
                          "locked": locked_until is not None})
    return SignInOutcome(None, message, delay_seconds=delay, locked_until=locked_until)


async def check_current_password(db: Database, settings: Settings, username: str, password_hash: str,
                                 password: Secret, actor: Actor) -> str | None:
    """The current password typed by someone signed in (to change it), counted as a sign-in attempt
    of that account from that address: a session left open could guess it without limit (security
    probe, M2). None when it is right; otherwise what the form says."""
    key = account_key(username, actor.source_ip)
    now = utcnow()
    found = await _reserve(db, settings, key, actor.source_ip,
                           _Found(None, username, password_hash, True, None, False), now)
    if found.locked_until is not None:
        return source_lock_message(found.locked_until, now) if found.source_locked else \
            _signed_in_lock(found.locked_until, now)
    valid = await _hashing(verify_password, password_hash, password)
    async with db.session() as session:
        if valid:
            await _give_back(session, settings, key, actor.source_ip, now)
            return None
        throttle = await session.get(SignInThrottle, key)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        return _signed_in_lock(throttle.locked_until, now)
    failures = throttle.failures if throttle is not None else 0
    left = settings.signin_lock_after - failures
    # Said before the lock, as the sign-in page says it (the lock came unannounced: review).
    warning = (f" {left} more wrong password{'s' if left != 1 else ''} will lock this account for "
               f"{settings.signin_lock_minutes} minutes, here and at sign-in.")
    return "This is not your current password." + (warning if failures >= settings.signin_slow_after else "")


def _signed_in_lock(locked_until: datetime, now: datetime) -> str:
    """The lock, in words for someone signed in (not "failed sign-ins": they typed their password here)."""
    minutes = _minutes_until(locked_until, now)
    return (f"Too many wrong passwords for this account. It is locked until {_until(locked_until)} (about "
            f"{minutes} minute{'s' if minutes != 1 else ''}), here and at sign-in. Try again then, or ask an "
            "administrator.")


def source_lock_message(locked_until: datetime, now: datetime) -> str:
    minutes = _minutes_until(locked_until, now)
    return (
        f"Too many failed sign-ins from your address. Sign-in from it is paused until {_until(locked_until)} "
        f"(about {minutes} minute{'s' if minutes != 1 else ''})."
    )


async def unlock(session: AsyncSession, operator: Operator) -> int:
    """End every lock and failure count of ``operator``'s account, from every address (an
    administrator's unlock, a password reset). Returns how many addresses were locked."""
    prefix = account_prefix(operator.username)
    rows = (await session.execute(select(SignInThrottle).where(SignInThrottle.key.startswith(prefix, autoescape=True))
                                  )).scalars().all()
    now = utcnow()
    locked = sum(1 for row in rows if row.locked_until is not None and row.locked_until > now)
    await session.execute(delete(SignInThrottle).where(SignInThrottle.key.startswith(prefix, autoescape=True)))
    return locked


async def locked_addresses(session: AsyncSession, usernames: list[str]) -> dict[str, int]:
    """For each username, how many addresses its account is locked for now (the operators page)."""
    now = utcnow()
    rows = (await session.execute(select(SignInThrottle.key).where(
        SignInThrottle.key.startswith("a:"), SignInThrottle.locked_until > now))).scalars().all()
    by_prefix = {account_prefix(name): name for name in usernames}
    counts: dict[str, int] = {}
    for key in rows:
        name = by_prefix.get(key.split("|", 1)[0] + "|")
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
    return counts

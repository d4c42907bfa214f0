"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from app.vault import Secret

MIN_LENGTH = 12
MAX_LENGTH = 256

# OWASP's argon2id baseline (m=19 MiB, t=2, p=1) is the floor; this is a little above it.
_PRODUCTION = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2)
# Tests hash thousands of passwords; the algorithm stays argon2id, only the cost drops.
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class PasswordHasherChoice:
    hasher: PasswordHasher = _PRODUCTION

    @classmethod
    def use_fast_hashing(cls) -> None:
        cls.hasher = _FAST


def hash_password(password: Secret) -> str:
    return str(PasswordHasherChoice.hasher.hash(password.reveal()))


def verify_password(stored_hash: str, password: Secret) -> bool:
    try:
        return bool(PasswordHasherChoice.hasher.verify(stored_hash, password.reveal()))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return bool(PasswordHasherChoice.hasher.check_needs_rehash(stored_hash))
    except InvalidHashError:
        return True


# Verified against when the username is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH: dict[int, str] = {}


def burn_equivalent_time(password: Secret) -> None:
    key = id(PasswordHasherChoice.hasher)
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = str(PasswordHasherChoice.hasher.hash("not-a-real-password-0000"))
    verify_password(_DUMMY_HASH[key], password)


# Words an attacker of this wizard would try first, beside the person's own names.
CONTEXT_WORDS = ("okta", "onboard", "onboarding", "wizard", "admin", "administrator", "helpdesk", "operator")
MIN_SCORE = 3  # zxcvbn's "safely unguessable: moderate protection from offline slow-hash attacks"


def _guessable(password: str, username: str, context: Iterable[str]) -> list[str]:
    """Why the password is too easy to guess (common, a keyboard pattern, the person's name or this
    product's words with digits), from zxcvbn's estimate; empty when it is strong enough."""
    words = [w for w in (username, *username.replace("@", ".").split("."), *context, *CONTEXT_WORDS) if w]
    result = zxcvbn(password[:72], user_inputs=words)
    if result["score"] >= MIN_SCORE:
        return []
    feedback = result.get("feedback") or {}
    said = " ".join(str(part) for part in (feedback.get("warning"), *(feedback.get("suggestions") or [])) if part)
    return [("This password is too easy to guess. " + said).strip()]


def password_problems(password: str, *, username: str = "", confirm: str | None = None,
                      context: Iterable[str] = ()) -> list[str]:
    """Reasons a chosen password is refused, phrased for the person choosing it."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    if password and password.strip() != password:
        problems.append("Do not start or end the password with a space.")
    if username and password.lower() == username.lower():
        problems.append("The password must not be the username.")
    if len(set(password)) < 5 and len(password) >= MIN_LENGTH:
        problems.append("Use more different characters.")
    elif MIN_LENGTH <= len(password) <= MAX_LENGTH and not problems:
        problems += _guessable(password, username, context)
    if confirm is not None and confirm != password:
        problems.append("The two passwords do not match.")
    return problems

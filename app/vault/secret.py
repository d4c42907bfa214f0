"""A value object for plaintext secrets that refuses to show itself by accident."""

from __future__ import annotations

import hmac
from typing import NoReturn

from app.vault.redaction import REDACTOR


class Secret:
    """Holds a plaintext secret. ``str``, ``repr`` and f-strings print ``***``; only
    :meth:`reveal` returns the value, so every place that uses the plaintext is greppable.

    Creating one also teaches the log redactor the value, so a plaintext that slips into a log
    line or an error message anyway is masked there: every occurrence, in every log line, audit
    event and export of the process. So what anyone may type unchecked is made with
    ``remember=False`` (a sign-in's password; a pasted token, until Okta accepts it): an anonymous
    sign-in with the password "signed in" masked those words in the audit trail's next sign-in, and
    a flood of them rebuilt the redactor's pattern on every request (security review, H1).
    """

    __slots__ = ("__value",)

    def __init__(self, value: str, *, remember: bool = True) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret holds text")
        self.__value = value
        if remember:
            REDACTOR.remember(value)

    def remember(self) -> Secret:
        """Teach the redactor the value now that it is known to be a secret (Okta accepted it)."""
        REDACTOR.remember(self.__value)
        return self

    def reveal(self) -> str:
        return self.__value

    def fingerprint(self) -> str:
        """A short, non-reversible identifier (SHA-256 prefix) to show and record instead."""
        import hashlib

        return "sha256:" + hashlib.sha256(self.__value.encode()).hexdigest()[:16]

    def __len__(self) -> int:
        return len(self.__value)

    def __bool__(self) -> bool:
        return bool(self.__value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self.__value.encode(), other.__value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self.fingerprint()))

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")

"""Masks secrets in text that leaves the process: log lines, error pages, audit details, exports.

Two nets: patterns that look like credentials (``SSWS …``, ``Bearer …``, ``client_secret=…``),
and the exact plaintexts this process has handled, which every :class:`Secret` registers.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

MASK = "***"
_MIN_REMEMBERED = 6
_MAX_REMEMBERED = 2_000

_PATTERNS = [
    # Authorization header values and their schemes.
    re.compile(r"(?i)\b(SSWS|Bearer|Basic|DPoP)\s+[A-Za-z0-9._~+/=\-]{6,}"),
    # key=value and "key": "value" pairs whose key names a secret.
    re.compile(
        r"(?i)((?:client_secret|clientSecret|password|passwd|secret|api[_-]?token|access_token|"
        r"refresh_token|id_token|private_key|client_assertion|authorization|token)"
        r"[\"']?\s*[:=]\s*[\"']?)([^\"'\s&,;}]{4,})"
    ),
    # PEM blocks.
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
]

# A sentence's colon: "this token: check that…", "client secret: Found 'Drata - OIDC'".
# Only the bare words "token" and "secret" (a password or a client_secret keeps every value masked).
_PROSE_COLON = re.compile(r"(?i)^(?:token|secret):\s+$")


def _mask_pair(match: re.Match[str]) -> str:
    """A key naming a secret and its value, the value masked; except where the "value" is a plain
    word after a sentence's colon (the audit trail read "this token: *** you copied all of it").
    Values that look like credentials there (digits or symbols in them) are masked all the same,
    and so is any value after a password's or client_secret's key; known secrets were masked before
    this, whatever their shape."""
    key, found = match.group(1), match.group(2)
    if _PROSE_COLON.search(key) and found.isalpha():
        return match.group(0)
    return f"{key}{MASK}"


# Keys whose values are always masked in structured data (dicts), whatever the value looks like.
SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "password",
        "new_password",
        "confirm_password",
        "current_password",
        "token",
        "api_token",
        "apitoken",
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "clientsecret",
        "secret",
        "private_key",
        "client_assertion",
        "csrf_token",
        "activationtoken",
        "activation_token",
        "value",  # credentials.password.value in Okta user bodies
    }
)


class Redactor:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: OrderedDict[str, None] = OrderedDict()
        self._regex: re.Pattern[str] | None = None

    def remember(self, value: str) -> None:
        if len(value) < _MIN_REMEMBERED:
            return
        with self._lock:
            if value in self._values:
                self._values.move_to_end(value)
                return
            self._values[value] = None
            if len(self._values) > _MAX_REMEMBERED:
                self._values.popitem(last=False)
            self._regex = None

    def forget_all(self) -> None:
        """Drop every remembered plaintext (the patterns stay). Tests start each case from here, so
        one case's secrets do not mask another case's values."""
        with self._lock:
            self._values.clear()
            self._regex = None

    def _known(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._regex is None and self._values:
                ordered = sorted(self._values, key=len, reverse=True)
                self._regex = re.compile("|".join(re.escape(v) for v in ordered))
            return self._regex

    def text(self, value: str) -> str:
        known = self._known()
        if known is not None:
            value = known.sub(MASK, value)
        value = _PATTERNS[0].sub(lambda m: f"{m.group(1)} {MASK}", value)
        value = _PATTERNS[1].sub(_mask_pair, value)
        value = _PATTERNS[2].sub(MASK, value)
        return value

    def data(self, value: Any) -> Any:
        """Redact a JSON-like structure: sensitive keys are masked, every string is scrubbed."""
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if isinstance(key, str) and key.lower() in SENSITIVE_KEYS and item not in (None, ""):
                    out[key] = MASK
                else:
                    out[key] = self.data(item)
            return out
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value


REDACTOR = Redactor()

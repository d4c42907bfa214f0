"""Masks secrets in text that leaves the process or is kept: log lines, error pages, audit details,
exports, and what a person writes that is stored (a hand-off's note, an attestation's note).

Three nets: the exact plaintexts this process has handled, which every :class:`Secret` registers;
the shapes Okta gives its secrets (an API token, a client secret, an activation link), which a
person may paste by mistake and which a restarted process still knows; and patterns that look like
credentials (``SSWS …``, ``Bearer …``, ``client_secret=…``, a PEM private key).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

MASK = "***"
_MIN_REMEMBERED = 6
_MAX_REMEMBERED = 2_000

# What Okta's tokens and secrets are made of (base64url), and a run of them standing alone: a
# shape's length is the whole run's, so a longer run is not cut into one.
_RUN = r"A-Za-z0-9_\-"
_ALONE, _ENDS = rf"(?<![{_RUN}])", rf"(?![{_RUN}])"

# The shapes of what a person may paste by mistake, each with what it is in words. Okta's object ids
# (20 characters: 00u… users, 0oa… apps; a resource set's 21) are none of them, so "the app
# 0oa1b2c3d4e5f6g7h8i9j0 was created" stays readable.
_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # An Okta API token (SSWS): "00" and 40 characters, 42 in all, as the Admin Console shows it once.
    ("an Okta API token", re.compile(rf"{_ALONE}00[{_RUN}]{{40}}{_ENDS}")),
    # An access or ID token (a JWT): three base64url parts, the first two JSON ("eyJ" is '{"').
    ("an access token", re.compile(rf"{_ALONE}eyJ[{_RUN}]{{8,}}\.eyJ[{_RUN}]{{8,}}\.[{_RUN}]*")),
    # An Okta client secret: 64 characters (an OIDC app's) or 40 (an API service integration's),
    # with capitals and small letters both. A hex digest (a git commit, a SHA-256, the audit
    # trail's hashes) has no capitals and stays.
    ("an Okta client secret",
     re.compile(rf"{_ALONE}(?=[{_RUN}]*[A-Z])(?=[{_RUN}]*[a-z])(?:[{_RUN}]{{64}}|[{_RUN}]{{40}}){_ENDS}")),
)

# An activation link's token (Classic: /welcome/{token}; Identity Engine: /tokens/{token}/verify),
# and a password reset's: the address stays readable, the token is masked.
_LINK = re.compile(rf"(?i)(/(?:welcome|activate|signin/reset-password|reset_password)/"
                   rf"|/tokens/(?=[{_RUN}]{{6,}}/verify))([{_RUN}]{{6,}})")

# An Authorization header's scheme and its value.
_SCHEMES = re.compile(r"(?i)\b(SSWS|Bearer|Basic|DPoP)\s+([A-Za-z0-9._~+/=\-]{6,})")
_SCHEME_IS = {"ssws": "an Okta API token", "bearer": "an access token", "dpop": "an access token",
              "basic": "a password"}

# key=value and "key": "value" pairs whose key names a secret.
_PAIRS = re.compile(
    r"(?i)((?:client_secret|clientSecret|password|passwd|secret|api[_-]?token|access_token|"
    r"refresh_token|id_token|private_key|client_assertion|authorization|token)"
    r"[\"']?\s*[:=]\s*[\"']?)([^\"'\s&,;}]{4,})"
)

# PEM blocks.
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----")

# A sentence's colon: "this token: check that…", "client secret: Found 'Drata - OIDC'".
# Only the bare words "token" and "secret" (a password or a client_secret keeps every value masked).
_PROSE_COLON = re.compile(r"(?i)^(?:token|secret):\s+$")

# What the key of a pair says its value is, by the key's first word (lowercased, "-" as "_").
_PAIR_IS = {"client_secret": "an Okta client secret", "clientsecret": "an Okta client secret",
            "password": "a password", "passwd": "a password", "secret": "a secret",
            "api_token": "an Okta API token", "apitoken": "an Okta API token", "private_key": "a private key"}

# A plaintext this process handled, pasted back: said as its shape says it, or else this.
HANDLED = "a password or token the wizard has handled"


def _pair_is(key: str) -> str:
    word = re.match(r"[A-Za-z_\-]+", key)
    return _PAIR_IS.get(word.group().lower().replace("-", "_") if word else "", "a token")


def _is_prose(value: str) -> bool:
    """A plain word ("basic settings", "Bearer tokens"): a credential has digits, symbols or mixed
    capitals in it."""
    return value.isalpha() and (value.islower() or value.istitle())


def _scheme(match: re.Match[str]) -> tuple[str, str] | None:
    """An Authorization header's value, the scheme kept; a sentence's word after it is no credential."""
    scheme, found = match.group(1), match.group(2)
    return None if _is_prose(found) else (f"{scheme} ", _SCHEME_IS[scheme.lower()])


def _pair(match: re.Match[str]) -> tuple[str, str] | None:
    """A key naming a secret and its value, the value masked; except where the "value" is a plain
    word after a sentence's colon (the audit trail read "this token: *** you copied all of it"),
    or the scheme of a header whose value was judged already ("Authorization: SSWS ***"). Values
    that look like credentials there (digits or symbols in them) are masked all the same, and so
    is any value after a password's or client_secret's key; known secrets were masked before this,
    whatever their shape."""
    key, found = match.group(1), match.group(2)
    if _PROSE_COLON.search(key) and found.isalpha():
        return None
    if key.lower().startswith("authorization") and found.lower() in _SCHEME_IS:
        return None
    return key, _pair_is(key)


def _whole(what: str) -> Callable[[re.Match[str]], tuple[str, str]]:
    """A judge for a match that is a secret (``what``) from end to end."""
    return lambda _match: ("", what)


class Scrubbed(NamedTuple):
    """A text with its secrets masked, and what was masked, in words ("an Okta API token"), each once."""

    text: str
    found: tuple[str, ...]


def shape_of(value: str) -> str | None:
    """What ``value`` is, in words, when the whole of it has the shape of a secret Okta gives."""
    return next((what for what, shape in _SHAPES if shape.fullmatch(value)), None)


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
        # The values, longest first (a longer one containing a shorter is masked whole), as a tuple
        # read without the lock.
        self._longest_first: tuple[str, ...] = ()

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
            self._longest_first = tuple(sorted(self._values, key=len, reverse=True))

    def forget_all(self) -> None:
        """Drop every remembered plaintext (the patterns stay). Tests start each case from here, so
        one case's secrets do not mask another case's values."""
        with self._lock:
            self._values.clear()
            self._longest_first = ()

    def _known(self, text: str) -> re.Pattern[str] | None:
        """A pattern of the remembered values found in ``text``, or None. Only those: one pattern of
        every value was compiled again after each new one, seconds of a core at two thousand long
        values, on every request that logged a line (security review, H1). ``re`` caches the few
        patterns a process meets again."""
        present = [value for value in self._longest_first if value in text]
        return re.compile("|".join(map(re.escape, present))) if present else None

    def text(self, value: str) -> str:
        return self.scrub(value).text

    def scrub(self, value: str) -> Scrubbed:
        """``value`` masked, and what was masked. Known plaintexts first (a password may contain
        "secret=", and would otherwise be masked only from there on), then a private key's block
        (its lines are long base64 runs), the shapes, the links, the headers and the pairs."""
        found: list[str] = []

        def masking(judge: Callable[[re.Match[str]], tuple[str, str] | None]) -> Callable[[re.Match[str]], str]:
            """A substitution: ``judge`` says of a match what of it stays and what it is (None: no
            secret, left as it is); the rest is masked, and what it was noted."""
            def sub(match: re.Match[str]) -> str:
                judged = judge(match)
                if judged is None:
                    return match.group(0)
                kept, what = judged
                if what not in found:
                    found.append(what)
                return kept + MASK
            return sub

        known = self._known(value)
        if known is not None:
            value = known.sub(masking(lambda m: ("", shape_of(m.group()) or HANDLED)), value)
        value = _PEM.sub(masking(_whole("a private key")), value)
        for what, shape in _SHAPES:
            value = shape.sub(masking(_whole(what)), value)
        value = _LINK.sub(masking(lambda m: (m.group(1), "an activation link")), value)
        value = _SCHEMES.sub(masking(_scheme), value)
        value = _PAIRS.sub(masking(_pair), value)
        return Scrubbed(value, tuple(found))

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

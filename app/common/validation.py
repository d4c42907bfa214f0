"""Reading and checking submitted values, with messages meant for the person who typed them.

A service raises :class:`ValidationFailed` with one message per field; the page shows each next
to its field and keeps what was typed (never a password).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable, Mapping


class ValidationFailed(Exception):
    def __init__(self, errors: Mapping[str, str], message: str | None = None) -> None:
        self.errors = dict(errors)
        self.message = message or "Some values need attention."
        super().__init__(self.message)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# The header an Okta API token is sent in, pasted with it: "SSWS ", "Authorization: SSWS ".
_TOKEN_HEADER = re.compile(r"^(?:authorization\s*:\s*)?ssws(?:\s+|$)", re.IGNORECASE)


# One e-mail address as a person types it (name@example.com): no name or angle brackets around it,
# no list, no spaces, a domain of labels with a top-level name. It goes into an e-mail's To header
# as it is, so nothing that could end or add a header gets through.
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
                           r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
EMAIL_ADDRESS_LENGTH = 320


def is_email_address(value: str) -> bool:
    return len(value) <= EMAIL_ADDRESS_LENGTH and EMAIL_ADDRESS.fullmatch(value) is not None


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    if _CONTROL.search(value):
        return True
    return not multiline and ("\n" in value or "\r" in value or "\t" in value)


def without_control_characters(value: str) -> str:
    return _CONTROL.sub("", value).replace("\r", "").replace("\n", " ").replace("\t", " ")


# Names that keep their capital inside a sentence ("Enter the Okta address.").
PROPER_NOUNS = frozenset({"Okta", "AWS", "Microsoft", "Azure", "Sentinel", "Defender", "Drata", "Oort", "Authomize",
                          "Slack", "SMTP", "API", "URL", "ID"})


def in_sentence(label: str) -> str:
    """A field's label as it reads inside a sentence: "Display name" -> "display name", but
    "AWS account id" and "Okta address" keep their product names and acronyms as written."""
    first, _space, rest = label.partition(" ")
    if first in PROPER_NOUNS or (len(first) > 1 and first.isupper()):
        return label
    return first[:1].lower() + first[1:] + (" " + rest if rest else "")


def ticked(value: str) -> bool:
    """Whether a checkbox's submitted value means it was ticked (a browser sends "on")."""
    return value.strip().lower() in {"1", "true", "on", "yes"}


class Fields:
    """Checks named text values, collecting one error per field: a service checks its typed input
    with it (``Fields.of(request)``), whoever made that input (a page's form, the command line, a
    test). Each error is keyed by the input's field name, which the page shows next to the field of
    the same name."""

    def __init__(self, data: Mapping[str, object]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    @classmethod
    def of(cls, values: object) -> Fields:
        """The text fields of a service's input (a dataclass instance)."""
        return cls({field.name: getattr(values, field.name) for field in dataclasses.fields(values)  # type: ignore[arg-type]
                    if isinstance(getattr(values, field.name), str)})

    def _raw(self, name: str) -> str:
        value = self.data.get(name, "")
        return value if isinstance(value, str) else ""

    def _blank(self, name: str, value: str, required: bool, missing: str) -> bool:
        """Whether nothing was entered; ``missing`` is the field's error when it is required."""
        if not value and required:
            self.errors[name] = missing
        return not value

    def _first_problem(self, name: str, problems: Iterable[tuple[bool, str]]) -> None:
        """The field's error: the message of the first (found, message) that was found, if any."""
        message = next((message for found, message in problems if found), None)
        if message is not None:
            self.errors[name] = message

    def text(
        self,
        name: str,
        *,
        label: str,
        required: bool = True,
        max_length: int = 200,
        min_length: int = 0,
        multiline: bool = False,
        pattern: re.Pattern[str] | None = None,
        pattern_hint: str = "",
        strip: bool = True,
        missing: str | None = None,
    ) -> str:
        """``label`` is the field's name as the page shows it ("Display name")."""
        value = self._raw(name)
        if strip:
            value = value.strip()
        value = unicodedata.normalize("NFC", value)
        if self._blank(name, value, required, missing or f"Enter the {in_sentence(label)}."):
            return ""
        self._first_problem(name, [
            (len(value) > max_length, f"{label} must be at most {max_length} characters."),
            (len(value) < min_length, f"{label} must be at least {min_length} characters."),
            (has_control_characters(value, multiline=multiline), f"{label} contains characters that are not allowed."),
            (pattern is not None and not pattern.fullmatch(value),
             pattern_hint or f"{label} is not in the expected form."),
        ])
        return value

    def secret(self, name: str, *, label: str, required: bool = True, max_length: int = 4096,
               missing: str | None = None) -> str:
        """A password or token: not stripped (spaces may matter), never echoed back."""
        value = self._raw(name)
        if self._blank(name, value, required, missing or f"Enter the {in_sentence(label)}."):
            return ""
        self._first_problem(name, [
            (len(value) > max_length, f"{label} is too long (at most {max_length} characters)."),
            (has_control_characters(value), f"{label} contains characters that are not allowed."),
        ])
        return value

    def api_token(self, name: str, *, label: str, max_length: int = 500, missing: str | None = None) -> str:
        """An Okta API token as people paste it: with the header it goes in copied too
        (``SSWS 00ab…``, ``Authorization: SSWS 00ab…``) it is the same token, and Okta's refusal of
        the whole text said to check it was copied whole, which it was."""
        value = _TOKEN_HEADER.sub("", self.secret(name, label=label, max_length=max_length, missing=missing).strip(),
                                  count=1)
        if name in self.errors:
            return ""
        # Only spaces (an empty clipboard, then a space) went to Okta as "SSWS " and failed the
        # request (a 500 page: QA walk 21, H1); a letter no token has cannot go in a header at all.
        self._first_problem(name, [
            (not value, missing or f"Enter the {in_sentence(label)}."),
            (not value.isascii(), f"{label} holds a character no Okta API token has: copy it again from Okta."),
        ])
        return value if name not in self.errors else ""

    def choice(self, name: str, *, label: str, choices: Iterable[str], required: bool = True) -> str:
        value = self._raw(name).strip()
        allowed = list(choices)
        if self._blank(name, value, required, f"Choose the {in_sentence(label)}."):
            return ""
        if value not in allowed:
            self.errors[name] = f"Choose a {in_sentence(label)} from the list."
            return ""
        return value

    def boolean(self, name: str) -> bool:
        return ticked(self._raw(name))

    def raise_if_invalid(self, message: str | None = None) -> None:
        if self.errors:
            raise ValidationFailed(self.errors, message)

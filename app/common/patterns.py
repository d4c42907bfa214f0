"""One pydantic validator for "the whole value matches this pattern", so a parameter model states its
pattern and its message on the field instead of repeating a validator method per field."""

from __future__ import annotations

import re

from pydantic import AfterValidator


def matching(pattern: re.Pattern[str] | str, message: str) -> AfterValidator:
    """Refuse a value ``pattern`` does not match in full, with ``message`` (``{value!r}`` names it)."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(message.format(value=value))
        return value

    return AfterValidator(check)

"""Sentences shortened for a status line: never cut mid-word, and a cut says so."""

from __future__ import annotations

import re
from collections.abc import Sequence

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'‘“])")


def clip(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its words up to the limit and an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def first_sentence(text: str, limit: int = 240) -> str:
    """The first sentence of ``text`` (a full stop followed by a capital starts the next), clipped
    to ``limit``: what a status line shows of an error the page gives in full elsewhere."""
    return clip(_SENTENCE_END.split(" ".join(text.split()), 1)[0], limit)


def error_parts(text: str) -> tuple[str, str, str]:
    """An error as a page lays it out: what failed (its first sentence), what to do (the rest), and
    the service's own words (after "Okta said: "), each drawn apart. Authomize's install by hand was
    120 words of bold red, Okta's code among them (QA walk 17, M7)."""
    said = ""
    if " Okta said: " in text:
        text, said = text.split(" Okta said: ", 1)
    parts = _SENTENCE_END.split(" ".join(text.split()), 1)
    return parts[0], parts[1] if len(parts) > 1 else "", said


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """"1 line", "2 lines", "0 lines": a number with its noun, never "line(s)"."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


def lasted(seconds: float) -> str:
    """How long something lasted, in its two largest units: "3 days 4 hours", "2 hours 5 minutes",
    "12 minutes", "less than a minute"."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute"
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    units = ((days, "day"), (hours, "hour")) if days else ((hours, "hour"), (minutes, "minute"))
    return " ".join(counted(n, unit) for n, unit in units if n)


def and_list(items: Sequence[str]) -> str:
    """A list as a sentence says it: "a", "a and b", "a, b and c"."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"

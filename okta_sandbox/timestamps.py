"""Okta's timestamp format: ISO 8601 in UTC with milliseconds and a ``Z`` ("2026-06-29T12:00:00.000Z").
Every time the sandbox shows comes from the org's clock, so a fake clock controls all of them."""

from __future__ import annotations

from datetime import UTC, datetime

SECONDS_PER_DAY = 86_400


def iso(epoch_seconds: float) -> str:
    moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float | None:
    """Parse the ISO 8601 forms clients send (``Z`` or an offset; with or without fractions);
    None when the text is not a timestamp. A value without an offset is taken as UTC, as Okta does."""
    value = text.strip()
    if not value:
        return None
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()

"""A moment written in words the way findings, the trail and the report write it: "2026-12-05 18:46
UTC". The pages find these in a finding's text (``STAMP``) and draw each in the viewer's time zone,
so every module writes them with ``stamp``, in this one form."""

from __future__ import annotations

import re
from datetime import UTC, datetime

STAMP_FORMAT = "%Y-%m-%d %H:%M UTC"
# To the second, where two moments in one sentence may fall in the same minute (two client secrets
# made a few seconds apart: QA walk 12, M4); the pages draw it in the viewer's zone with its seconds.
SECONDS_FORMAT = "%Y-%m-%d %H:%M:%S UTC"
STAMP = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)? UTC)")


def stamp(moment: datetime | float, *, seconds: bool = False) -> str:
    """A datetime (naive ones are UTC, as the database keeps them) or seconds since the epoch."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(SECONDS_FORMAT if seconds else STAMP_FORMAT)


def parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, SECONDS_FORMAT if text.count(":") == 2 else STAMP_FORMAT).replace(tzinfo=UTC)


def okta_moment(text: object) -> datetime | None:
    """A moment as Okta writes it (ISO 8601, "2026-12-05T18:46:02.000Z"), or None when it is not one."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

"""Cursor pagination as Okta does it: ``limit`` and an opaque ``after`` cursor, with the next page
announced in a ``Link: <…>; rel="next"`` header (or, on ``/api/v1/iam`` lists, in ``_links.next``).

A cursor holds the position of the last item served: the item's creation sequence for lists in
creation order (so deletions between pages neither skip nor repeat items), or an offset for sorted
search results. It is base64url so clients treat it as the opaque token it is."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from app.sandbox.errors import validation_failed

T = TypeVar("T")


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"c{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("c"):
            raise ValueError(raw)
        return int(raw[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise validation_failed("after", "after: The cursor is not valid; follow the next link as given.") from None


def paginate(items: Sequence[T], *, after: str | None, limit: int,
             key: Callable[[T], int] | None = None) -> tuple[list[T], str | None]:
    """One page of ``items`` and the cursor of the next page (None on the last page).

    ``key`` gives each item's position (its creation sequence); without it, positions are list
    offsets, for results sorted some other way."""
    positions = [key(item) for item in items] if key else list(range(1, len(items) + 1))
    start = 0
    if after:
        last = decode_cursor(after)
        start = next((index for index, position in enumerate(positions) if position > last), len(items))
    page = list(items[start:start + limit])
    end = start + len(page)
    more = end < len(items)
    return page, (encode_cursor(positions[end - 1]) if more and page else None)

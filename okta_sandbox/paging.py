"""Cursor pagination as Okta does it: ``limit`` and an opaque ``after`` cursor, with the next page
announced in a ``Link: <…>; rel="next"`` header (or, on ``/api/v1/iam`` lists, in ``_links.next``).

A cursor holds the position of the last item served: the item's creation sequence for lists in
creation order (so deletions between pages neither skip nor repeat items), or an offset for sorted
search results. It is base64url so clients treat it as the opaque token it is.

Real Okta answers ``/api/v1/iam`` lists with links on the org's Admin Console host
(``https://acme-admin.okta.com/...`` for ``acme.okta.com``), not on the org host the client called;
clients must map them back to the org. The sandbox does the same on its admin alias
(:func:`admin_base_url`), so a client that only follows links on the exact origin it called fails
here as it would against a real org."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from okta_sandbox.errors import validation_failed

T = TypeVar("T")


def admin_base_url(base_url: str) -> str:
    """The sandbox's stand-in for Okta's ``{org}-admin`` host: ``http://127.0.0.1:8010`` becomes
    ``http://127-0-0-1-admin.localhost:8010``. A name under ``.localhost`` (reserved for loopback,
    RFC 6761) cannot belong to anyone else; the scheme and port stay the sandbox's own. The client
    recognises the same form (``app.okta.orgurl``) and sends such links to the org origin."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    label = host.replace(".", "-").replace(":", "-").strip("[]-")
    netloc = f"{label}-admin.localhost" + (f":{parts.port}" if parts.port is not None else "")
    return urlunsplit((parts.scheme, netloc, "", "", "")).rstrip("/")


def on_admin_host(base_url: str, url: str) -> str:
    """``url`` (on the sandbox's origin ``base_url``) moved to its admin alias, as Okta does."""
    if url.startswith(base_url):
        return admin_base_url(base_url) + url[len(base_url):]
    return url


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

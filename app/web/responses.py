"""Redirects that work for plain form posts and for htmx alike."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.web.templating import is_htmx


def _on_this_site(request: Request, url: str) -> str:
    """A URL of this site as a path: the host of one built from the request is whatever its Host
    header said, and a redirect to it sent the browser there (``Host: evil.example`` answered
    ``303 http://evil.example/…``: security probe, L4). Another site's URL (an identity provider's) stays."""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc == request.url.netloc:
        return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    return url


def redirect(request: Request, url: str) -> Response:
    """303 See Other for a browser; for htmx, ``HX-Redirect`` so the whole page navigates."""
    url = _on_this_site(request, url)
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: never another host, scheme, or a protocol-relative ``//host``."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target


__all__ = ["is_htmx", "redirect", "safe_next"]

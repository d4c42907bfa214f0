"""Redirects that work for plain form posts and for htmx alike."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.web.templating import is_htmx


def redirect(request: Request, url: str) -> Response:
    """303 See Other for a browser; for htmx, ``HX-Redirect`` so the whole page navigates."""
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

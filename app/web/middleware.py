"""One ASGI middleware for what every browser response needs: security headers, the CSRF
cookie, clearing a shown flash message, and the access log line."""

from __future__ import annotations

import logging
import time
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.tokens import new_token
from app.web.csrf import CSRF_COOKIE
from app.web.flash import FLASH_COOKIE

access_log = logging.getLogger("onboard.access")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

STATIC_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "content-security-policy": CONTENT_SECURITY_POLICY,
}


def _cookie_header(name: str, value: str, *, secure: bool, max_age: int | None, samesite: str = "Lax") -> str:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", f"SameSite={samesite}"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


class BrowserMiddleware:
    def __init__(self, app: ASGIApp, *, https_public: bool = False) -> None:
        self.app = app
        self.https_public = https_public  # Settings.https_public: cookies Secure and HSTS whatever the scheme

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        cookies = SimpleCookie()
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                try:
                    cookies.load(value.decode("latin-1"))
                except Exception:  # noqa: S110 - a malformed cookie header is treated as no cookies
                    pass
        state = scope.setdefault("state", {})
        new_csrf = None
        if CSRF_COOKIE in cookies and cookies[CSRF_COOKIE].value:
            state["csrf_seed"] = cookies[CSRF_COOKIE].value
        else:
            new_csrf = new_token()
            state["csrf_seed"] = new_csrf
        secure = self.https_public or scope.get("scheme") == "https"
        path: str = scope.get("path", "")
        status_holder = {"status": 0}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                for key, value in STATIC_HEADERS.items():
                    if key not in headers:
                        headers[key] = value
                if secure:
                    headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
                if not path.startswith("/static/"):
                    headers["cache-control"] = "no-store"
                if state.get("rotate_csrf"):
                    new_value = state["rotate_csrf"]
                    headers.append("set-cookie", _cookie_header(CSRF_COOKIE, new_value, secure=secure, max_age=None))
                elif new_csrf is not None and not path.startswith("/static/"):
                    headers.append("set-cookie", _cookie_header(CSRF_COOKIE, new_csrf, secure=secure, max_age=None))
                if state.get("clear_flash"):
                    headers.append("set-cookie", _cookie_header(FLASH_COOKIE, "", secure=secure, max_age=0))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %s %.1fms", scope.get("method"), path, status_holder["status"] or 500,
                            elapsed_ms)

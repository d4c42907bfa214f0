"""One-shot messages shown on the page after a redirect ("Operator added.").

The cookie is signed (HMAC-SHA256 with a key derived from the vault's primary key; older keys
still verify after a rotation), so nobody can plant a message of their choosing in someone's
browser ("Your session expired, call ...") through a cookie set by a sibling domain."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from starlette.requests import Request
from starlette.responses import Response

from app.vault.keyring import Key
from app.web.state import app_state, secure_cookies

FLASH_COOKIE = "onboard_flash"
LEVELS = ("success", "info", "warning", "error")
FLASH_LIMIT = 300  # characters of a message kept (the cookie is small)
_LABEL = b"onboard-flash-cookie\x00"


def _signature(key: Key, payload: bytes) -> str:
    derived = hmac.new(key.material, _LABEL, hashlib.sha256).digest()
    mac = hmac.new(derived, payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def set_flash(request: Request, response: Response, text: str, level: str = "success", *,
              ended: str | None = None) -> None:
    """``ended``: the message says a job was started ("Verifying against Okta."); the page drawn once
    that job has ended says this instead (it sat above "Completed" after the run: QA walk 11, L6; a
    run quicker than the page said nothing at all of the button pressed)."""
    body = json.dumps({"level": level if level in LEVELS else "info", "text": text[:FLASH_LIMIT],
                       "ended": ended[:300] if ended is not None else None}).encode()
    payload = base64.urlsafe_b64encode(body).decode().rstrip("=")
    signature = _signature(app_state(request).keys.ring().primary, payload.encode())
    response.set_cookie(FLASH_COOKIE, f"{payload}.{signature}", max_age=60, httponly=True, samesite="lax",
                        secure=secure_cookies(request), path="/")
    request.state.clear_flash = False  # a new message replaces the one this request showed


def pop_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    request.state.clear_flash = True
    payload, _, signature = raw.partition(".")
    ring = app_state(request).keys.ring()
    if not signature or not any(hmac.compare_digest(_signature(key, payload.encode()), signature)
                                for key in (ring.primary, *ring.previous)):
        return None  # not ours: never shown
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        level, text = str(data["level"]), str(data["text"])
    except (ValueError, KeyError, TypeError):
        return None
    ended = data.get("ended")
    return {"level": level if level in LEVELS else "info", "text": text[:FLASH_LIMIT],
            "running": "yes" if isinstance(ended, str) else "", "ended": ended if isinstance(ended, str) else ""}

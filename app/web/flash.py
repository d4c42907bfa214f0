"""One-shot messages shown on the page after a redirect ("Operator added.")."""

from __future__ import annotations

import json
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import Response

FLASH_COOKIE = "onboard_flash"
LEVELS = ("success", "info", "warning", "error")


def set_flash(request: Request, response: Response, text: str, level: str = "success") -> None:
    payload = quote(json.dumps({"level": level if level in LEVELS else "info", "text": text[:300]}))
    response.set_cookie(FLASH_COOKIE, payload, max_age=60, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def pop_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    request.state.clear_flash = True
    try:
        data = json.loads(unquote(raw))
        level, text = str(data["level"]), str(data["text"])
    except (ValueError, KeyError, TypeError):
        return None
    return {"level": level if level in LEVELS else "info", "text": text[:300]}

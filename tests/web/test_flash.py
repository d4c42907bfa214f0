"""The one-shot message after a redirect is the server's own: a flash cookie planted by someone
else (a sibling domain can set cookies for this one) is never shown (issue 12, finding 11)."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from app.settings import Settings
from app.web.flash import FLASH_COOKIE
from tests.support import add_operator, web_client

FORGED = "Your session expired. Call +1 555 0100 and read out your password."


def test_a_planted_flash_cookie_is_not_shown(settings: Settings) -> None:
    add_operator(settings, "ana", "admin")
    with web_client(settings) as web:
        web.sign_in("ana")
        body = base64.urlsafe_b64encode(json.dumps({"level": "error", "text": FORGED}).encode()).decode().rstrip("=")
        for planted in (quote(json.dumps({"level": "error", "text": FORGED})), f"{body}.forged-signature", body):
            web.set_cookie(FLASH_COOKIE, planted)
            assert FORGED not in web.get("/").text


def test_the_server_s_own_message_is_shown_once(settings: Settings) -> None:
    add_operator(settings, "ana", "admin")
    with web_client(settings) as web:
        web.sign_in("ana")
        web.get("/operators")
        done = web.post("/operators", {"username": "bea", "display_name": "Bea", "role": "operator",
                                       "password": "a long enough password 42"}, page="/operators")
        assert done.status_code == 303
        assert "Account bea added" in web.get("/operators").text
        assert "Account bea added" not in web.get("/operators").text

"""QA, M3: an operator whose account an administrator disabled while they were signed in, who then
submitted a form, read "Your session has ended. Sign in again, then repeat the action.": no reason,
and signing in again was refused. The page a form is answered with now says why, in the sign-in
page's words (`why_ended`), which now say when an administrator disabled the account; a page or a
panel opened leads to the sign-in page, which says the same."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import unquote

from app.settings import Settings
from app.store.base import utcnow
from tests.auth.conftest import SignedIn
from tests.auth.test_session_ended import _age_sessions, _as_boss, _landing
from tests.support import add_operator, web_client

DISABLED = (r"Your session has ended: an administrator disabled this account on \d{4}-\d\d-\d\d \d\d:\d\d UTC ?\. "
            r"Ask an administrator to enable it\.")
PASSWORD_FORM = {"current_password": "x", "password": "a new long password", "password_again": "a new long password"}


def _words(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_a_form_posted_after_being_disabled_says_why(settings: Settings, olga: SignedIn) -> None:
    web = olga.web
    assert web.get("/account/password").status_code == 200  # the form, with its token
    _as_boss(settings, f"/operators/{olga.operator_id}/disable")
    answer = web.post("/account/password", PASSWORD_FORM)
    assert answer.status_code == 401
    words = _words(answer.text)
    assert re.search(f"Signed out {DISABLED} Nothing was changed\\. Go to the home page", words), words
    assert "Sign in again" not in words and "repeat the action" not in words
    # The time is drawn in the reader's zone, like every other on the pages.
    assert '<time datetime="' in answer.text
    # Opening a page, or a panel polling, leads to the sign-in page, which says the same.
    assert re.fullmatch(DISABLED, _landing(web, "/onboardings"))


def test_a_panel_asking_after_being_disabled_leads_to_the_reason(settings: Settings, olga: SignedIn) -> None:
    web = olga.web
    _as_boss(settings, f"/operators/{olga.operator_id}/disable")
    asked = web.client.get("/onboardings", headers={"HX-Request": "true",
                                                    "HX-Current-URL": "http://testserver/health"})
    assert asked.status_code == 401
    url = asked.headers["HX-Redirect"]
    assert unquote(url) == "/sign-in?next=/health"
    assert re.search(DISABLED, _words(web.get(url).text))


def test_a_form_posted_after_the_session_ran_out_says_so_and_to_sign_in(settings: Settings) -> None:
    add_operator(settings, "olga")
    with web_client(settings) as web:
        web.sign_in("olga")
        assert web.get("/account/password").status_code == 200
        _age_sessions(settings, last_seen_at=utcnow() - timedelta(minutes=settings.session_idle_minutes + 1))
        answer = web.post("/account/password", PASSWORD_FORM).text
        words = _words(answer)
        assert (f"Your session has ended after {settings.session_idle_minutes} minutes without activity. Sign in "
                "again. Nothing was changed; repeat the action once you are signed in.") in words, words
        # How to keep what was typed, and a way back to the page, signed in (QA walk 23, M3).
        assert "To keep what you typed, go back in your browser and copy it first." in words
        assert 'href="/sign-in?next=%2Faccount%2Fpassword"' in answer, answer


def test_a_form_posted_by_a_browser_that_dropped_its_cookies_says_the_session_ended(settings: Settings) -> None:
    """Both cookies gone (cleared, or dropped as the browser closed): the page spoke of the form's
    "security cookie", nothing a person can mend, where their session is what ended (QA walk 23, L5)."""
    add_operator(settings, "olga")
    with web_client(settings) as web:
        web.sign_in("olga")
        page = web.get("/account/password").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        web.client.cookies.clear()
        answer = web.client.post("/account/password", data={**PASSWORD_FORM, "csrf_token": token.group(1)},
                                 headers={"Referer": "http://testserver/account/password"})
        assert answer.status_code == 401
        words = _words(answer.text)
        assert "Your session has ended. Sign in again. Nothing was changed; repeat the action once you are signed " \
               "in." in words, words
        assert "security cookie" not in words
        assert 'href="/sign-in?next=%2Faccount%2Fpassword"' in answer.text, re.findall(r"href=\"[^\"]*\"", answer.text)
        # A sign-in posted without its cookie is still refused for the cookie: nobody was signed in.
        web.client.cookies.clear()
        refused = web.client.post("/sign-in", data={"username": "olga", "password": "x"})
        assert refused.status_code == 403 and "security cookie" in _words(refused.text)

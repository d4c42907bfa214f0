"""Signed out by the server (disabled by an administrator, a new password, a session that ran out),
a person lands on the sign-in page; it says why, once. It showed a bare sign-in form, and a disabled
person learnt why only after typing their password (QA walk 13, L3)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import update

from app.settings import Settings
from app.store.base import utcnow
from app.store.db import create_sync_engine
from app.store.models import WebSession
from tests.auth.conftest import SignedIn
from tests.support import PASSWORD, Web, add_operator, csrf_from, no_sleep, web_client

ENDED = re.compile(r'<div class="notice notice--info" role="status"><p>(.*?)</p></div>')


def _landing(web: Web, page: str = "/health") -> str:
    """What the person reads after clicking ``page`` with their old cookie: the sign-in page's notice."""
    found = ENDED.search(_sign_in_page(web, page))
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else ""


def _sign_in_page(web: Web, page: str) -> str:
    response = web.get(page)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")
    landed = web.get(response.headers["location"])
    assert landed.status_code == 200 and "Sign in" in landed.text
    return str(landed.text)


def _as_boss(settings: Settings, url: str, data: dict[str, str] | None = None) -> None:
    with web_client(settings) as boss:
        boss.sign_in("boss")
        assert boss.post(url, data or {}, page="/operators").status_code == 303


def _age_sessions(settings: Settings, **values: object) -> None:
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.begin() as conn:
        conn.execute(update(WebSession).values(**values))
    engine.dispose()


def test_disabled_by_an_administrator_the_person_is_told_so_once(settings: Settings, olga: SignedIn) -> None:
    web = olga.web
    assert web.get("/").status_code == 200
    _as_boss(settings, f"/operators/{olga.operator_id}/disable")
    assert re.fullmatch(r"Your session has ended: an administrator disabled this account on \d{4}-\d\d-\d\d "
                        r"\d\d:\d\d UTC\. Ask an administrator to enable it\.", _landing(web))
    # Said once: the old cookie is gone, and the page is a plain sign-in page again.
    assert web.client.cookies.get("onboard_session") is None
    assert ENDED.search(web.get("/sign-in").text) is None


def test_enabled_again_the_old_session_stays_ended(settings: Settings, olga: SignedIn) -> None:
    web = olga.web
    _as_boss(settings, f"/operators/{olga.operator_id}/disable")
    _as_boss(settings, f"/operators/{olga.operator_id}/enable")
    assert _landing(web) == "Your session has ended. Sign in again."
    assert web.sign_in("olga").status_code == 303
    assert web.get("/").status_code == 200


def test_a_new_password_set_by_an_administrator_is_said(settings: Settings, olga: SignedIn) -> None:
    web = olga.web
    _as_boss(settings, f"/operators/{olga.operator_id}/password", {"password": "a brand new password"})
    assert _landing(web, "/onboardings") == ("Your session has ended: an administrator set a new password for "
                                             "this account. Ask them for it, then sign in and choose your own.")


def test_the_form_on_that_page_signs_in(settings: Settings, olga: SignedIn) -> None:
    """The page's form is for the browser without the old cookie (the page deletes it): its token is
    bound to no session, or the form would be refused as out of date."""
    web = olga.web
    _as_boss(settings, f"/operators/{olga.operator_id}/disable")
    _as_boss(settings, f"/operators/{olga.operator_id}/enable")
    page = _sign_in_page(web, "/health")
    signed_in = web.client.post("/sign-in", data={"csrf_token": csrf_from(page), "username": "olga",
                                                  "password": PASSWORD, "next": "/health"})
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == "/health"


def test_a_session_left_idle_or_too_long_says_so(settings: Settings) -> None:
    add_operator(settings, "olga")
    with web_client(settings) as web:
        web.sign_in("olga")
        _age_sessions(settings, last_seen_at=utcnow() - timedelta(minutes=settings.session_idle_minutes + 1))
        assert _landing(web) == (f"Your session has ended after {settings.session_idle_minutes} minutes without "
                                 "activity. Sign in again.")
        web.sign_in("olga")
        _age_sessions(settings, expires_at=utcnow() - timedelta(minutes=1))
        assert _landing(web) == (f"Your session has ended: a session lasts at most {settings.session_max_hours} "
                                 "hours. Sign in again.")


def test_nobody_signed_in_and_a_sign_out_are_not_an_ended_session(settings: Settings) -> None:
    add_operator(settings, "olga")
    with web_client(settings) as web:
        assert _landing(web) == ""  # a first visit
        web.sign_in("olga")
        signed_out = web.sign_out()
        page = web.get(signed_out.headers["location"]).text
        assert "You are signed out." in page and "session has ended" not in page


def test_choosing_a_new_password_signs_out_the_other_sessions_and_says_why(settings: Settings, olga: SignedIn
                                                                          ) -> None:
    """Changing one's own password left every other session signed in: someone who had learnt the
    old one and signed in with it stayed in (security probe, M2). The session that changed it goes on."""
    new = "a pass phrase olga chose herself"
    with web_client(settings) as laptop:
        assert laptop.sign_in("olga").status_code == 303
        changed = laptop.post("/account/password", {"current_password": PASSWORD, "password": new,
                                                    "password_again": new}, page="/account/password")
        assert changed.status_code == 303
        assert laptop.get("/").status_code == 200  # this one goes on
    assert re.fullmatch(r"Your session has ended: the password of this account was changed on \d{4}-\d\d-\d\d "
                        r"\d\d:\d\d UTC, in another session\. Sign in with the new password; if you did not change "
                        r"it, tell an administrator\.", _landing(olga.web))
    assert olga.web.sign_in("olga", new).status_code == 303


def test_the_current_password_cannot_be_guessed_from_a_session_left_open(settings: Settings, olga: SignedIn
                                                                         ) -> None:
    """The form that changes one's password took any number of wrong current passwords: a session
    left open was a way to guess it (security probe, M2). Each counts as a failed sign-in."""
    web, new = olga.web, "a pass phrase olga chose herself"
    web.client.app.state.onboard.sleep = no_sleep  # type: ignore[attr-defined]
    said = [web.post("/account/password", {"current_password": f"guess {n}", "password": new, "password_again": new},
                     page="/account/password") for n in range(settings.signin_lock_after)]
    assert all(response.status_code == 400 for response in said)
    assert "This is not your current password.</" in said[0].text
    # Said before it comes, as the sign-in page says it (review), in words for someone signed in.
    assert "This is not your current password. 1 more wrong password will lock this account for 15 minutes, here " \
        "and at sign-in." in html.unescape(said[-2].text)
    assert "Too many wrong passwords for this account. It is locked until" in said[-1].text
    right = web.post("/account/password", {"current_password": PASSWORD, "password": new, "password_again": new},
                     page="/account/password")
    assert right.status_code == 400 and "Too many wrong passwords for this account" in right.text
    web.sign_out()
    assert web.sign_in("olga", PASSWORD).status_code == 429  # the account is locked, as after six failed sign-ins

"""CSRF: every state-changing request needs the page's token; nothing changes without it."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.tokens import derive
from app.settings import Settings
from app.store.db import create_sync_engine
from app.store.models import Operator
from tests.support import PASSWORD, add_operator, csrf_from, web_client

NEW_OPERATOR = {"username": "newbie", "display_name": "New Person", "role": "operator",
                "password": "a long enough password"}


def _operator_count(settings: Settings) -> int:
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(Operator)).scalar_one()
    engine.dispose()
    return int(count)


class TestCsrf:
    def test_form_post_without_token_is_refused_and_changes_nothing(self, settings: Settings) -> None:
        add_operator(settings, "boss", "admin")
        with web_client(settings) as web:
            web.sign_in("boss")
            response = web.post("/operators", NEW_OPERATOR, csrf=False)
        assert response.status_code == 403
        assert "security token is missing or out of date" in response.text
        assert "Nothing was changed" in response.text
        assert _operator_count(settings) == 1

    def test_token_from_another_session_is_refused(self, settings: Settings) -> None:
        add_operator(settings, "boss", "admin")
        with web_client(settings) as other:
            other.sign_in("boss")
            foreign = csrf_from(other.get("/operators").text)
        with web_client(settings) as web:
            web.sign_in("boss")
            response = web.post("/operators", {**NEW_OPERATOR, "csrf_token": foreign})
        assert response.status_code == 403
        assert _operator_count(settings) == 1

    def test_token_in_the_htmx_header_is_accepted(self, settings: Settings) -> None:
        add_operator(settings, "boss", "admin")
        with web_client(settings) as web:
            web.sign_in("boss")
            page = web.get("/operators").text
            token = csrf_from(page)
            assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in page
            response = web.client.post("/operators", data=NEW_OPERATOR,
                                       headers={"X-CSRF-Token": token, "HX-Request": "true"})
        assert response.status_code == 204
        assert response.headers["HX-Redirect"].endswith("/operators")
        assert _operator_count(settings) == 2

    def test_wrong_htmx_header_is_refused(self, settings: Settings) -> None:
        add_operator(settings, "boss", "admin")
        with web_client(settings) as web:
            web.sign_in("boss")
            web.get("/operators")
            response = web.client.post("/operators", data=NEW_OPERATOR,
                                       headers={"X-CSRF-Token": "0" * 64, "HX-Request": "true"})
        assert response.status_code == 403
        assert _operator_count(settings) == 1

    def test_cross_site_origin_is_refused_even_with_a_token(self, settings: Settings) -> None:
        add_operator(settings, "boss", "admin")
        with web_client(settings) as web:
            web.sign_in("boss")
            web.get("/operators")
            response = web.post("/operators", NEW_OPERATOR, headers={"Origin": "https://evil.example"})
        assert response.status_code == 403
        assert "came from another site" in response.text
        assert _operator_count(settings) == 1

    def test_sign_in_form_needs_the_token_too(self, settings: Settings) -> None:
        add_operator(settings, "boss", "admin")
        with web_client(settings) as web:
            response = web.post("/sign-in", {"username": "boss", "password": "x"}, csrf=False)
        assert response.status_code == 403

    def test_token_changes_at_sign_in(self, settings: Settings) -> None:
        add_operator(settings, "boss", "admin")
        with web_client(settings) as web:
            before = csrf_from(web.get("/sign-in").text)
            web.sign_in("boss")
            after = csrf_from(web.get("/").text)
        assert before != after

    def test_sign_out_needs_the_token(self, settings: Settings) -> None:
        add_operator(settings, "boss", "admin")
        with web_client(settings) as web:
            web.sign_in("boss")
            response = web.post("/sign-out", csrf=False)
            assert response.status_code == 403
            assert web.get("/").status_code == 200


def test_a_form_sent_after_signing_out_elsewhere_says_signed_out(settings: Settings) -> None:
    """Signed out in another tab, then a button pressed on a page left open: it read "The form's
    security token is missing or out of date" (QA walk 16, M4). Nothing changes, and it says why."""
    add_operator(settings, "boss", "admin")
    with web_client(settings) as web:
        web.sign_in("boss")
        token = csrf_from(web.get("/operators").text)
        web.sign_out()  # the other tab
        response = web.client.post("/operators", data={**NEW_OPERATOR, "csrf_token": token})
        again = web.client.post("/sign-out", data={"csrf_token": token})  # a second tab's Sign out
    assert response.status_code == 401
    assert "Signed out" in response.text and "security token" not in response.text
    assert "Your session has ended. Sign in again. Nothing was changed; repeat the action once you are signed in." \
        in response.text
    assert 'href="/sign-in?next=%2Foperators">Sign in</a>' in response.text
    assert _operator_count(settings) == 1
    assert again.status_code == 303 and again.headers["location"] == "/sign-in"


def test_a_token_made_from_a_planted_cookie_alone_is_refused(settings: Settings) -> None:
    """Security review, L2: the token was an HMAC of the cookie alone, so whoever could plant the cookie
    (a sibling subdomain) could make its token and sign a person in to an account of their own."""
    add_operator(settings, "boss", "admin")
    planted = "planted-seed-0123456789abcdef"
    forged = derive(planted, "csrf|anonymous")  # what the cookie alone gives
    with web_client(settings) as web:
        refused = web.client.post("/sign-in", data={"username": "boss", "password": PASSWORD, "csrf_token": forged},
                                  headers={"cookie": f"onboard_csrf={planted}"})
        assert refused.status_code == 403 and "security token is missing or out of date" in refused.text
        # The page's own token, for the same cookie, is taken.
        page = web.client.get("/sign-in", headers={"cookie": f"onboard_csrf={planted}"})
        taken = web.client.post("/sign-in", data={"username": "boss", "password": PASSWORD,
                                                  "csrf_token": csrf_from(page.text)},
                                headers={"cookie": f"onboard_csrf={planted}"})
        assert taken.status_code == 303

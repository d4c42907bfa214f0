"""Signing in and out: cookies, session rotation, slowing and locking, disabled accounts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.settings import Settings
from app.store.base import utcnow
from app.store.db import create_sync_engine
from app.store.models import AuditEvent, SignInThrottle, WebSession
from tests.support import PASSWORD, add_operator, web_client


def _set_cookie_headers(response: object) -> list[str]:
    return response.headers.get_list("set-cookie")  # type: ignore[attr-defined]


class TestSignIn:
    def test_right_password_signs_in_and_lands_on_next(self, settings: Settings) -> None:
        add_operator(settings, "ana", "operator")
        with web_client(settings) as web:
            web.get("/sign-in?next=/operators")
            response = web.post("/sign-in", {"username": "ana", "password": PASSWORD, "next": "/operators"})
        assert response.status_code == 303
        assert response.headers["location"] == "/operators"

    def test_session_cookie_is_httponly_and_samesite_lax(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings) as web:
            response = web.sign_in("ana")
        cookie = next(c for c in _set_cookie_headers(response) if c.startswith("onboard_session="))
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
        assert "Secure" not in cookie

    def test_session_cookie_is_secure_over_https(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings, base_url="https://testserver") as web:
            response = web.sign_in("ana")
        cookie = next(c for c in _set_cookie_headers(response) if c.startswith("onboard_session="))
        assert "Secure" in cookie
        assert "strict-transport-security" in response.headers

    def test_username_is_case_insensitive(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings) as web:
            assert web.sign_in("  ANA ").status_code == 303

    def test_wrong_password_says_so_and_keeps_the_username(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings) as web:
            response = web.sign_in("ana", "wrong password!!")
        assert response.status_code == 401
        assert "The username or password is incorrect." in response.text
        assert 'value="ana"' in response.text

    def test_unknown_user_gets_the_same_message(self, settings: Settings) -> None:
        with web_client(settings) as web:
            response = web.sign_in("nobody", "whatever password")
        assert response.status_code == 401
        assert "The username or password is incorrect." in response.text

    def test_empty_form_asks_for_both_fields(self, settings: Settings) -> None:
        with web_client(settings) as web:
            web.get("/sign-in")
            response = web.post("/sign-in", {"username": "", "password": ""})
        assert response.status_code == 400
        assert "Enter your username and password." in response.text

    def test_a_username_with_control_characters_is_refused_by_its_field(self, settings: Settings) -> None:
        # Postgres cannot even compare a text value holding NUL: this must not reach the database.
        add_operator(settings, "ana")
        with web_client(settings) as web:
            web.get("/sign-in")
            response = web.post("/sign-in", {"username": "ana\x00", "password": "whatever it is"})
        assert response.status_code == 400
        assert "A username has no control characters or line breaks." in response.text
        assert 'value="ana"' in response.text

    def test_session_is_rotated_at_sign_in(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        add_operator(settings, "ben")
        with web_client(settings) as web:
            web.sign_in("ana")
            first = web.client.cookies.get("onboard_session")
            web.sign_in("ben")
            second = web.client.cookies.get("onboard_session")
            assert first and second and first != second
            # The first token no longer opens anything: it was ended at the second sign-in.
            web.set_cookie("onboard_session", first)
            assert web.get("/").status_code == 303

    def test_a_cookie_planted_before_sign_in_is_not_adopted(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings) as web:
            web.set_cookie("onboard_session", "planted-by-attacker")
            web.sign_in("ana")
            assert web.client.cookies.get("onboard_session") != "planted-by-attacker"

    def test_next_never_leaves_the_site(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings) as web:
            for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
                web.get("/sign-in")
                response = web.post("/sign-in", {"username": "ana", "password": PASSWORD, "next": target})
                assert response.headers["location"] == "/"

    def test_signed_in_visit_to_sign_in_goes_home(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings) as web:
            web.sign_in("ana")
            assert web.get("/sign-in").headers["location"] == "/"

    def test_disabled_operator_cannot_sign_in(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        engine = create_sync_engine(settings.resolved_database_url)
        with engine.begin() as conn:
            conn.execute(text_update_active(False))
        engine.dispose()
        with web_client(settings) as web:
            response = web.sign_in("ana")
        assert response.status_code == 401
        assert "This account is disabled" in response.text

    def test_sign_in_is_audited_without_the_password(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings) as web:
            web.sign_in("ana", "bad password 123")
            web.sign_in("ana")
        engine = create_sync_engine(settings.resolved_database_url)
        with engine.connect() as conn:
            events = conn.execute(select(AuditEvent).where(AuditEvent.action == "sign_in")
                                  .order_by(AuditEvent.seq)).all()
        engine.dispose()
        assert [e.outcome for e in events] == ["failed", "ok"]
        assert all("bad password" not in str(e.details) + e.summary for e in events)
        assert events[1].source_ip == "testclient"


def text_update_active(active: bool) -> object:
    from app.store.models import Operator

    return update(Operator).values(is_active=active)


class TestThrottle:
    def _fail(self, web: object, times: int) -> object:
        response = None
        for _ in range(times):
            response = web.sign_in("ana", "wrong password!!")  # type: ignore[attr-defined]
        return response

    def test_failures_beyond_the_threshold_are_slowed(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        delays: list[float] = []

        async def fake_sleep(seconds: float) -> None:
            delays.append(seconds)

        with web_client(settings) as web:
            web.client.app.state.onboard.sleep = fake_sleep  # type: ignore[attr-defined]
            response = self._fail(web, settings.signin_slow_after + 1)
        assert delays == [settings.signin_delay_seconds, settings.signin_delay_seconds * 2]
        assert "will lock this account" in response.text  # type: ignore[attr-defined]

    def test_account_locks_with_a_clear_message(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings) as web:
            web.client.app.state.onboard.sleep = _no_sleep  # type: ignore[attr-defined]
            response = self._fail(web, settings.signin_lock_after)
            assert response.status_code == 429  # type: ignore[attr-defined]
            assert "Too many failed sign-ins for this account. It is locked until" in response.text  # type: ignore[attr-defined]
            # Even the right password is refused while locked.
            right = web.sign_in("ana")
        assert right.status_code == 429
        assert "locked until" in right.text

    def test_lock_ends_after_its_time(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings) as web:
            web.client.app.state.onboard.sleep = _no_sleep  # type: ignore[attr-defined]
            self._fail(web, settings.signin_lock_after)
            engine = create_sync_engine(settings.resolved_database_url)
            with engine.begin() as conn:
                conn.execute(update(SignInThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
            engine.dispose()
            assert web.sign_in("ana").status_code == 303

    def test_success_clears_the_counter(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings) as web:
            self._fail(web, 2)
            web.sign_in("ana")
        engine = create_sync_engine(settings.resolved_database_url)
        with engine.connect() as conn:
            assert conn.execute(select(SignInThrottle)).first() is None
        engine.dispose()


async def _no_sleep(_seconds: float) -> None:
    return None


class TestSignOut:
    def test_sign_out_ends_the_session_on_the_server(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings) as web:
            web.sign_in("ana")
            token = web.client.cookies.get("onboard_session")
            response = web.sign_out()
            assert response.status_code == 303
            assert response.headers["location"] == "/sign-in"
            # Replaying the old cookie does not work: the server forgot the session.
            web.set_cookie("onboard_session", token)
            assert web.get("/").status_code == 303
        engine = create_sync_engine(settings.resolved_database_url)
        with engine.connect() as conn:
            assert conn.execute(select(WebSession)).first() is None
        engine.dispose()

    def test_idle_session_expires(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings) as web:
            web.sign_in("ana")
            engine = create_sync_engine(settings.resolved_database_url)
            with engine.begin() as conn:
                conn.execute(update(WebSession).values(
                    last_seen_at=utcnow() - timedelta(minutes=settings.session_idle_minutes + 1)))
            engine.dispose()
            assert web.get("/").status_code == 303

"""Signing in and out: cookies, session rotation, slowing and locking, disabled accounts."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.settings import Settings
from app.store.base import utcnow
from app.store.db import create_sync_engine
from app.store.models import AuditEvent, SignInThrottle, WebSession
from tests.support import PASSWORD, add_operator, csrf_from, no_sleep, web_client


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

    def test_cookies_are_secure_when_the_public_url_is_https_behind_a_proxy(self, settings: Settings) -> None:
        """Security review, L2: behind a proxy that ends TLS and is not trusted for its forwarded
        headers, every request reads as http: the session, CSRF and flash cookies went out without
        Secure, and no HSTS. The public URL says how people reach the wizard."""
        add_operator(settings, "ana")
        https = settings.model_copy(update={"public_url": "https://wizard.acme.example"})
        with web_client(https) as web:  # the request itself arrives as http
            first = web.client.get("/sign-in")
            # A client keeps a Secure cookie off http: the browser behind the proxy speaks https.
            csrf = next(c for c in _set_cookie_headers(first) if c.startswith("onboard_csrf="))
            response = web.client.post("/sign-in", data={"username": "ana", "password": PASSWORD,
                                                         "csrf_token": csrf_from(first.text)},
                                       headers={"cookie": csrf.split(";", 1)[0]})
        assert response.status_code == 303, response.text
        cookies = _set_cookie_headers(first) + _set_cookie_headers(response)
        assert {c.split("=", 1)[0] for c in cookies} >= {"onboard_session", "onboard_csrf"}, cookies
        assert all("Secure" in c for c in cookies), cookies
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
        with web_client(settings, client=("192.0.2.7", 50000)) as web:
            web.sign_in("ana", "bad password 123")
            web.sign_in("ana")
        engine = create_sync_engine(settings.resolved_database_url)
        with engine.connect() as conn:
            events = conn.execute(select(AuditEvent).where(AuditEvent.action == "sign_in")
                                  .order_by(AuditEvent.seq)).all()
        engine.dispose()
        assert [e.outcome for e in events] == ["failed", "ok"]
        assert all("bad password" not in str(e.details) + e.summary for e in events)
        assert events[1].source_ip == "192.0.2.7"


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
            web.client.app.state.onboard.sleep = no_sleep  # type: ignore[attr-defined]
            response = self._fail(web, settings.signin_lock_after)
            assert response.status_code == 429  # type: ignore[attr-defined]
            assert "Too many failed sign-ins for this account. It is locked until" in response.text  # type: ignore[attr-defined]
            # Even the right password is refused while locked.
            right = web.sign_in("ana")
        assert right.status_code == 429
        assert "locked until" in right.text

    def test_the_lock_s_end_is_in_the_reader_s_time_zone(self, settings: Settings) -> None:
        """It read "locked until 13:43 UTC" beside pages in the reader's zone (QA walk 13, L4): the
        end is a moment the page's script draws locally, UTC on hover, as every other time."""
        add_operator(settings, "ana")
        with web_client(settings) as web:
            web.client.app.state.onboard.sleep = no_sleep  # type: ignore[attr-defined]
            response = self._fail(web, settings.signin_lock_after)
        engine = create_sync_engine(settings.resolved_database_url)
        with engine.connect() as conn:
            ends = {row.locked_until for row in conn.execute(select(SignInThrottle)) if row.locked_until}
        engine.dispose()
        [end] = ends
        found = re.search(r'It is locked until <time datetime="([^"]+)" title="([^"]+)" class="local-time">'
                          r'(\d\d:\d\d UTC)</time> \(about 15 minutes\)\.', response.text)  # type: ignore[attr-defined]
        assert found is not None, response.text  # type: ignore[attr-defined]
        assert found[1] == end.strftime("%Y-%m-%dT%H:%M:%SZ") and found[3] == end.strftime("%H:%M UTC")
        assert found[2] == end.strftime("%Y-%m-%d %H:%M:%S UTC")

    def test_lock_ends_after_its_time(self, settings: Settings) -> None:
        add_operator(settings, "ana")
        with web_client(settings) as web:
            web.client.app.state.onboard.sleep = no_sleep  # type: ignore[attr-defined]
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
            # The account's count is gone; the address keeps its own (a flood is not reset by a success).
            keys = [row.key for row in conn.execute(select(SignInThrottle))]
        engine.dispose()
        assert [key[:2] for key in keys] == ["s:"]


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


def _throttle_keys(settings: Settings) -> list[str]:
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.connect() as conn:
        keys = [row.key for row in conn.execute(select(SignInThrottle))]
    engine.dispose()
    return keys


def _lock_from(settings: Settings, address: str, username: str, times: int) -> object:
    with web_client(settings, client=(address, 50000)) as attacker:
        attacker.client.app.state.onboard.sleep = no_sleep  # type: ignore[attr-defined]
        response = None
        for _ in range(times):
            response = attacker.sign_in(username, "wrong password!!")
    return response


class TestLockingCannotBeTurnedOnAPerson:
    """Issue 12, finding 4: six bad passwords from anywhere used to lock any account, every
    administrator included, and nobody could lift it."""

    def test_an_attacker_s_failures_do_not_lock_the_person_out_from_elsewhere(self, settings: Settings) -> None:
        add_operator(settings, "ana", "admin")
        locked = _lock_from(settings, "203.0.113.7", "ana", settings.signin_lock_after)
        assert locked.status_code == 429  # type: ignore[attr-defined]
        with web_client(settings, client=("198.51.100.20", 50000)) as ana:
            assert ana.sign_in("ana").status_code == 303

    def test_one_address_flooding_many_accounts_is_paused(self, settings: Settings) -> None:
        settings = settings.model_copy(update={"signin_source_limit": 8})
        with web_client(settings, client=("203.0.113.8", 50000)) as attacker:
            attacker.client.app.state.onboard.sleep = no_sleep  # type: ignore[attr-defined]
            answers = [attacker.sign_in(f"user{i}", "guess-guess-guess") for i in range(8)]
            assert [a.status_code for a in answers[:7]] == [401] * 7
            assert answers[7].status_code == 429
            assert "Too many failed sign-ins from your address" in answers[7].text
            add_operator(settings, "ben")
            assert attacker.sign_in("ben").status_code == 429  # even the right password, from there

    def test_an_administrator_unlocks_an_account_and_it_is_audited(self, settings: Settings) -> None:
        add_operator(settings, "ana", "admin")
        add_operator(settings, "bob", "operator")
        _lock_from(settings, "203.0.113.9", "bob", settings.signin_lock_after)
        with web_client(settings) as admin:
            assert admin.sign_in("ana").status_code == 303
            page = admin.get("/operators").text
            assert "Locked from 1 address" in page and "Unlock sign-in" in page
            bob_id = _operator_id(settings, "bob")
            done = admin.post(f"/operators/{bob_id}/unlock", {}, page="/operators")
            assert done.status_code == 303
            assert "Locked from" not in admin.get("/operators").text
        with web_client(settings, client=("203.0.113.9", 50000)) as bob:
            assert bob.sign_in("bob").status_code == 303
        assert [e.summary for e in _events(settings, "operator_unlock")] == ["Sign-in of bob unlocked (1 address)"]

    def test_only_administrators_may_unlock(self, settings: Settings) -> None:
        add_operator(settings, "olga", "operator")
        add_operator(settings, "bob", "operator")
        with web_client(settings) as olga:
            assert olga.sign_in("olga").status_code == 303
            olga.get("/")
            answer = olga.post(f"/operators/{_operator_id(settings, 'bob')}/unlock", {}, page="/")
            assert answer.status_code == 403

    def test_a_password_reset_unlocks(self, settings: Settings) -> None:
        add_operator(settings, "ana", "admin")
        add_operator(settings, "bob", "operator")
        _lock_from(settings, "203.0.113.10", "bob", settings.signin_lock_after)
        with web_client(settings) as admin:
            assert admin.sign_in("ana").status_code == 303
            admin.get("/operators")
            done = admin.post(f"/operators/{_operator_id(settings, 'bob')}/password",
                              {"password": "a-new-Password-for-bob-42"}, page="/operators")
            assert done.status_code == 303
        with web_client(settings, client=("203.0.113.10", 50000)) as bob:
            assert bob.sign_in("bob", "a-new-Password-for-bob-42").status_code == 303


class TestWhatFailedSignInsKeep:
    def test_a_name_that_is_no_account_is_not_stored(self, settings: Settings) -> None:
        typed = "Summer-Password-2026!"  # a password typed into the username field
        with web_client(settings) as web:
            web.client.app.state.onboard.sleep = no_sleep  # type: ignore[attr-defined]
            assert web.sign_in(typed, "whatever-else").status_code == 401
        assert not any(typed.lower() in key for key in _throttle_keys(settings))
        failed = _events(settings, "sign_in")
        assert failed and all(typed.lower() not in (e.summary + str(e.subject_id) + str(e.details)).lower()
                              for e in failed)
        assert "Failed sign-in for an unknown username" in failed[-1].summary


def _operator_id(settings: Settings, username: str) -> str:
    from app.store.models import Operator

    engine = create_sync_engine(settings.resolved_database_url)
    with engine.connect() as conn:
        found = conn.execute(select(Operator.id).where(Operator.username == username)).scalar_one()
    engine.dispose()
    return str(found)


def _events(settings: Settings, action: str) -> list[AuditEvent]:
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.connect() as conn:
        rows = list(conn.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))
    engine.dispose()
    return rows  # type: ignore[return-value]


class TestSignInHoldsNoLockWhileHashing:
    """Issue 12, finding 3: each attempt held SQLite's write lock while argon2 ran, so anonymous
    clients stalled every administrator's save. While the password is checked, another
    connection must be able to take the write lock at once."""

    def test_the_write_lock_is_free_while_the_password_is_checked(self, settings: Settings,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
        if not settings.resolved_database_url.startswith("sqlite"):
            pytest.skip("SQLite's single write lock; Postgres locks rows")
        from app.auth import passwords, signin

        add_operator(settings, "ana")
        seen: list[str] = []

        def checking(stored_hash: str, password: object) -> bool:
            path = settings.resolved_database_url.split("///", 1)[1]
            probe = sqlite3.connect(path, timeout=0.05)
            try:
                probe.execute("BEGIN IMMEDIATE")  # fails with "database is locked" if a writer holds it
                probe.execute("ROLLBACK")
                seen.append("free")
            except sqlite3.OperationalError as exc:
                seen.append(str(exc))
            finally:
                probe.close()
            return passwords.verify_password(stored_hash, password)  # type: ignore[arg-type]

        monkeypatch.setattr(signin, "verify_password", checking)
        with web_client(settings) as web:
            web.client.app.state.onboard.sleep = no_sleep  # type: ignore[attr-defined]
            assert web.sign_in("ana", "wrong password!!").status_code == 401
            assert web.sign_in("ana").status_code == 303
        assert seen == ["free", "free"]


class TestAttemptsSentTogether:
    """Security probe, H1: the lock was checked before the password and the failure counted after
    it, so attempts sent at once all passed the check: 60 wrong passwords and the right one, sent
    together from one address, got 60 answers and a session, where the lock allows 6 tries."""

    def test_attempts_sent_at_once_are_counted_before_their_passwords_are_checked(
            self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.audit import Actor
        from app.auth import passwords, signin
        from app.store.db import Database
        from app.vault import Secret

        add_operator(settings, "ana")
        checked: list[bool] = []

        def checking(stored_hash: str, password: Secret) -> bool:
            valid = passwords.verify_password(stored_hash, password)
            checked.append(valid)
            return valid

        monkeypatch.setattr(signin, "verify_password", checking)
        actor = Actor(None, "anonymous", "203.0.113.9", "test")

        async def flood() -> tuple[list[signin.SignInOutcome], signin.SignInOutcome]:
            db = Database(settings.resolved_database_url)
            try:
                wrong = await asyncio.gather(*(signin.sign_in(db, settings, "ana", Secret(f"guess number {n}"), actor)
                                               for n in range(20)))
                return list(wrong), await signin.sign_in(db, settings, "ana", Secret(PASSWORD), actor)
            finally:
                await db.dispose()

        wrong, right = asyncio.run(flood())
        # Six passwords were checked, as one at a time; the rest were refused unchecked, and so was
        # the right password, sent after them: the account is locked.
        assert len(checked) == settings.signin_lock_after and not any(checked)
        # Those refused unchecked say the account is locked, and so does the one that locked it (those
        # checked beside it may answer after the lock is set, and say so too).
        assert sum(outcome.locked_until is not None for outcome in wrong) >= 20 - settings.signin_lock_after + 1
        assert right.operator is None and right.locked_until is not None
        assert "Too many failed sign-ins for this account" in (right.message or "")

    def test_a_right_and_wrong_passwords_sent_together_all_get_an_answer(
            self, settings: Settings) -> None:
        """A success took the account's counter before the address's, the reverse of the reservation's
        order: sent together with failures, Postgres could deadlock one of them into a 500 (review)."""
        from app.audit import Actor
        from app.auth import signin
        from app.store.db import Database
        from app.vault import Secret

        add_operator(settings, "ana")
        actor = Actor(None, "anonymous", "203.0.113.10", "test")

        async def together() -> list[object]:
            db = Database(settings.resolved_database_url)
            try:
                attempts = [signin.sign_in(db, settings, "ana", Secret(PASSWORD if n % 2 else f"guess {n}"), actor)
                            for n in range(6)]
                return list(await asyncio.gather(*attempts, return_exceptions=True))
            finally:
                await db.dispose()

        outcomes = asyncio.run(together())
        assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
        assert any(getattr(o, "operator", None) is not None for o in outcomes)  # the right password got in

    def test_a_success_gives_its_count_back_to_the_address(self, settings: Settings) -> None:
        """Each attempt is counted from its address before its check; one that signs in is not a failure."""
        add_operator(settings, "ana")
        with web_client(settings) as web:
            web.client.app.state.onboard.sleep = no_sleep  # type: ignore[attr-defined]
            for _ in range(3):
                assert web.sign_in("ana").status_code == 303
                web.sign_out()
        engine = create_sync_engine(settings.resolved_database_url)
        try:
            with engine.connect() as conn:
                counts = conn.execute(select(SignInThrottle.key, SignInThrottle.failures)).all()
        finally:
            engine.dispose()
        assert all(failures == 0 for _key, failures in counts), counts


def test_failures_count_against_an_ipv6_address_s_block_of_64() -> None:
    """Security probe, L5: each of an IPv6 /64's addresses had a budget of its own."""
    from app.auth.signin import account_key, source_key

    assert source_key("2001:db8:1:2::1") == source_key("2001:db8:1:2:ffff::9") == "s:2001:db8:1:2::/64"
    assert source_key("2001:db8:1:3::1") != source_key("2001:db8:1:2::1")
    assert account_key("ana", "2001:db8:1:2::1") == account_key("ana", "2001:db8:1:2:aaaa::1")
    assert source_key("203.0.113.9") == "s:203.0.113.9" and source_key("::ffff:203.0.113.9") == "s:203.0.113.9"
    assert source_key(None) == "s:-"

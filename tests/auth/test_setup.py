"""First-run setup: a one-time link creates the first administrator."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.settings import Settings
from app.store.base import utcnow
from app.store.db import create_sync_engine
from app.store.models import Operator, SetupToken
from tests.support import add_operator, setup_token, web_client

GOOD = {"username": "first.admin", "display_name": "First Admin", "password": "a very good password",
        "confirm_password": "a very good password"}


class TestSetup:
    def test_link_creates_the_first_admin_and_signs_them_in(self, settings: Settings) -> None:
        token = setup_token(settings)
        assert token
        with web_client(settings) as web:
            page = web.get(f"/setup?token={token}")
            assert page.status_code == 200
            assert "Set up the first administrator" in page.text
            response = web.post("/setup", {**GOOD, "token": token})
            assert response.status_code == 303
            home = web.get("/")
        assert home.status_code == 200
        assert "Welcome, First Admin" in home.text
        engine = create_sync_engine(settings.resolved_database_url)
        with engine.connect() as conn:
            admin = conn.execute(select(Operator)).one()
        engine.dispose()
        assert admin.role == "admin"
        assert admin.password_hash.startswith("$argon2id$")

    def test_link_works_once(self, settings: Settings) -> None:
        token = setup_token(settings)
        with web_client(settings) as web:
            web.get(f"/setup?token={token}")
            web.post("/setup", {**GOOD, "token": token})
        with web_client(settings) as web:
            again = web.get(f"/setup?token={token}")
        assert again.status_code == 410
        assert "Setup is already complete" in again.text

    def test_wrong_token_is_refused(self, settings: Settings) -> None:
        setup_token(settings)
        with web_client(settings) as web:
            page = web.get("/setup?token=guess")
            assert page.status_code == 410
            assert "not valid" in page.text
            response = web.post("/setup", {**GOOD, "token": "guess"})
        assert response.status_code == 410

    def test_a_new_link_replaces_the_old_one(self, settings: Settings) -> None:
        first = setup_token(settings)
        setup_token(settings)
        with web_client(settings) as web:
            page = web.get(f"/setup?token={first}")
        assert page.status_code == 410
        assert "expired or was replaced" in page.text

    def test_expired_link_is_refused(self, settings: Settings) -> None:
        token = setup_token(settings)
        engine = create_sync_engine(settings.resolved_database_url)
        with engine.begin() as conn:
            conn.execute(update(SetupToken).values(expires_at=utcnow() - timedelta(minutes=1)))
        engine.dispose()
        with web_client(settings) as web:
            assert web.get(f"/setup?token={token}").status_code == 410

    def test_no_link_once_an_operator_exists(self, settings: Settings) -> None:
        add_operator(settings, "someone", "admin")
        assert setup_token(settings) is None

    def test_bad_values_are_explained_and_kept(self, settings: Settings) -> None:
        token = setup_token(settings)
        with web_client(settings) as web:
            web.get(f"/setup?token={token}")
            response = web.post("/setup", {"token": token or "", "username": "x!", "display_name": "Keep Me",
                                           "password": "short", "confirm_password": "other"})
        assert response.status_code == 400
        assert "Use 2 to 64 characters" in response.text
        assert "Use at least 12 characters." in response.text
        assert "The two passwords do not match." in response.text
        assert 'value="Keep Me"' in response.text
        assert "short" not in response.text.split("<main", 1)[1]
        # The link still works after a mistake.
        with web_client(settings) as web:
            assert web.get(f"/setup?token={token}").status_code == 200

    def test_sign_in_page_explains_setup_when_nobody_exists(self, settings: Settings) -> None:
        with web_client(settings) as web:
            page = web.get("/sign-in")
        assert "This server has no operators yet" in page.text

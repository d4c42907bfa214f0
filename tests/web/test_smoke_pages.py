"""First checks of the page set: who may see what."""

from __future__ import annotations

import pytest

from app.settings import Settings
from tests.support import add_operator, web_client


class TestHealth:
    def test_healthz_needs_no_sign_in(self, settings: Settings) -> None:
        with web_client(settings) as web:
            response = web.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_readyz_checks_the_database(self, settings: Settings) -> None:
        with web_client(settings) as web:
            response = web.get("/readyz")
        assert response.status_code == 200
        assert response.json()["database"] == "ok"


class TestHome:
    def test_signed_out_is_sent_to_sign_in(self, settings: Settings) -> None:
        with web_client(settings) as web:
            response = web.get("/")
        assert response.status_code == 303
        assert response.headers["location"] == "/sign-in?next=%2F"

    @pytest.mark.parametrize("role", ["admin", "operator", "auditor"])
    def test_every_role_sees_the_onboardings(self, settings: Settings, role: str) -> None:
        add_operator(settings, "person", role)
        with web_client(settings) as web:
            assert web.sign_in("person").status_code == 303
            response = web.get("/")
        assert response.status_code == 200
        assert "<h1>Onboardings</h1>" in response.text
        assert "0 onboardings" in response.text

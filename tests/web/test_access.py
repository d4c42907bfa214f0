"""Every route, signed out, with each wrong role and with a right one; with and without htmx."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from app.main import ROUTERS
from app.settings import Settings
from tests.access import EVERYONE, MATRIX, PUBLIC, Entry
from tests.support import add_operator, web_client


def test_every_route_is_in_the_access_matrix() -> None:
    routes = {(method, route.path) for router in ROUTERS for route in router.routes
              if isinstance(route, APIRoute) for method in route.methods if method != "HEAD"}
    listed = {(e.method, e.path) for e in MATRIX}
    assert routes - listed == set(), "add these routes to tests/access.py"
    assert listed - routes == set(), "these routes in tests/access.py no longer exist"


PROTECTED = [e for e in MATRIX if e.allowed != PUBLIC]


def _call(web: object, entry: Entry, *, htmx: bool = False) -> object:
    headers = {"HX-Request": "true"} if htmx else {}
    if entry.method == "GET":
        return web.get(entry.url, headers=headers)  # type: ignore[attr-defined]
    return web.post(entry.url, {}, headers=headers)  # type: ignore[attr-defined]


@pytest.mark.parametrize("entry", PROTECTED, ids=lambda e: f"{e.method} {e.path}")
class TestProtectedRoutes:
    def test_signed_out_is_sent_to_sign_in(self, settings: Settings, entry: Entry) -> None:
        with web_client(settings) as web:
            response = _call(web, entry)
        if entry.method == "GET":
            assert response.status_code == 303  # type: ignore[attr-defined]
            assert response.headers["location"].startswith("/sign-in?next=")  # type: ignore[attr-defined]
        else:
            assert response.status_code == 401  # type: ignore[attr-defined]
            assert "Sign in again" in response.text  # type: ignore[attr-defined]

    def test_signed_out_htmx_request_is_redirected_by_header(self, settings: Settings, entry: Entry) -> None:
        with web_client(settings) as web:
            response = _call(web, entry, htmx=True)
        assert response.status_code == 401  # type: ignore[attr-defined]
        assert response.headers["HX-Redirect"].startswith("/sign-in?next=")  # type: ignore[attr-defined]

    def test_right_role_gets_through(self, settings: Settings, entry: Entry) -> None:
        role = sorted(entry.allowed)[0]
        add_operator(settings, f"user-{role}", role)
        with web_client(settings) as web:
            web.sign_in(f"user-{role}")
            response = _call(web, entry)
        # Not refused for who they are; a missing object or empty form may still be a 404 or 400.
        assert response.status_code not in (401, 403), response.text  # type: ignore[attr-defined]


WRONG_ROLES = [(entry, role) for entry in PROTECTED for role in sorted(EVERYONE - entry.allowed)]


@pytest.mark.parametrize(("entry", "role"), WRONG_ROLES,
                         ids=lambda v: v if isinstance(v, str) else f"{v.method} {v.path}")
def test_wrong_role_is_refused(settings: Settings, entry: Entry, role: str) -> None:
    add_operator(settings, f"user-{role}", role)
    with web_client(settings) as web:
        web.sign_in(f"user-{role}")
        response = _call(web, entry)
    assert response.status_code == 403, role  # type: ignore[attr-defined]
    assert "This needs the" in response.text  # type: ignore[attr-defined]


# Pages of one object (an onboarding) get their fragment checks with a real object in their own tests.
GET_PAGES = [e for e in PROTECTED if e.method == "GET" and "{" not in e.path]


@pytest.mark.parametrize("entry", GET_PAGES, ids=lambda e: e.path)
def test_htmx_request_gets_a_fragment_not_a_page(settings: Settings, entry: Entry) -> None:
    role = sorted(entry.allowed)[0]
    add_operator(settings, f"user-{role}", role)
    with web_client(settings) as web:
        web.sign_in(f"user-{role}")
        full = web.get(entry.url)
        partial = web.get(entry.url, headers={"HX-Request": "true"})
    assert full.status_code == partial.status_code == 200
    assert full.text.lstrip().startswith("<!doctype html>")
    assert "<html" not in partial.text
    assert "<h1" in partial.text


def test_a_poll_after_the_session_ended_signs_in_back_to_the_page_not_the_fragment(settings: Settings) -> None:
    page = "/onboardings/6f1d1a52-3f39-4b3c-9d0e-0c1f6a2b7c11"
    with web_client(settings) as web:
        back = web.get(f"{page}/progress", headers={"HX-Request": "true",
                                                    "HX-Current-URL": f"http://testserver{page}?tab=plan"})
        elsewhere = web.get(f"{page}/progress", headers={"HX-Request": "true",
                                                         "HX-Current-URL": f"https://evil.example{page}"})
    assert back.status_code == 401
    assert back.headers["HX-Redirect"] == f"/sign-in?next={page.replace('/', '%2F')}%3Ftab%3Dplan"
    # A page of another site is never where sign-in sends anyone: the request's own path then.
    assert elsewhere.headers["HX-Redirect"] == f"/sign-in?next={page.replace('/', '%2F')}%2Fprogress"

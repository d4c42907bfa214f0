"""A button's address opened in the address bar (a bookmark, a reload, a copied link) gets a page
that says what it is and leads to the onboarding it acts on, with the menu of every other page, and a
heading of its own: "Not allowed" is the wrong role's (QA walk 13, L5)."""

from __future__ import annotations

import html
import re
import uuid

from app.settings import Settings
from tests.harness import Wizard
from tests.support import Web, add_operator, web_client

MENU = '<nav class="site-nav" aria-label="Main">'


def _heading(page: str) -> str:
    match = re.search(r'<h1 id="error-title">([^<]*)</h1>', page)
    assert match, page
    return match.group(1)


def test_a_signed_in_person_opening_an_onboarding_s_action_is_led_to_the_onboarding(w: Wizard) -> None:
    oid = w.start("defender-for-identity", w.connect())
    web = Web(w.client)
    web.sign_in("ana.admin")
    response = web.get(f"/onboardings/{oid}/take")
    assert response.status_code == 405
    assert _heading(response.text) == "Not a page"
    assert "This address is a button's action: it does its work when its button is pressed, not when it is " \
           "opened. Open the onboarding instead, and press the button there." in html.unescape(response.text)
    assert f'<a class="button" href="http://testserver/onboardings/{oid}">Open the onboarding</a>' in response.text
    assert MENU in response.text and "Ana.Admin" in response.text  # the menu and who is signed in


def test_an_action_of_no_onboarding_says_to_go_back(settings: Settings) -> None:
    add_operator(settings, "ana", "admin")
    with web_client(settings) as web:
        web.sign_in("ana")
        for address in (f"/onboardings/{uuid.UUID(int=5)}/apply", "/operators/x/disable", "/sign-out"):
            response = web.get(address)
            assert response.status_code == 405, address
            assert "Go back to the page that has the button." in response.text
            assert "Open the onboarding" not in response.text
            assert MENU in response.text


def test_signed_out_it_names_no_onboarding_and_shows_no_menu(w: Wizard) -> None:
    """Whether an onboarding exists is not told to someone who is not signed in."""
    oid = w.start("defender-for-identity", w.connect())
    response = Web(w.client).get(f"/onboardings/{oid}/take")
    assert response.status_code == 405
    assert "Open the onboarding" not in response.text and str(oid) not in response.text
    assert MENU not in response.text


def test_a_wrong_role_keeps_its_own_heading(settings: Settings) -> None:
    add_operator(settings, "aud", "auditor")
    with web_client(settings) as web:
        web.sign_in("aud")
        wrong_role = web.get("/operators")
    assert wrong_role.status_code == 403
    assert _heading(wrong_role.text) == "Not allowed"


def test_a_form_sent_to_a_page_is_not_taken_for_an_action(settings: Settings) -> None:
    add_operator(settings, "ana", "admin")
    with web_client(settings) as web:
        web.sign_in("ana")
        response = web.post("/audit", {}, page="/")
    assert response.status_code == 405
    assert _heading(response.text) == "Request not accepted"
    assert "This address does not accept that kind of request." in response.text
    assert MENU in response.text


def test_an_unknown_address_keeps_the_menu(settings: Settings) -> None:
    add_operator(settings, "ana", "admin")
    with web_client(settings) as web:
        web.sign_in("ana")
        response = web.get("/no-such-page")
    assert response.status_code == 404
    assert MENU in response.text

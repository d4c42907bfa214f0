"""Ownership and CSRF across every route: no state-changing route accepts a request without the
CSRF token, and an operator cannot act on (or reveal a secret of) a colleague's onboarding through
its URL, while an administrator may and an auditor never can."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from app.settings import Settings
from tests.access import MATRIX, PUBLIC, Entry
from tests.harness import Wizard
from tests.support import Web, add_operator

ONBOARDING_ROUTES = [e for e in MATRIX if e.path.startswith("/onboardings/{onboarding_id}") and e.method == "POST"]
STATE_CHANGING = [e for e in MATRIX if e.method == "POST"]
# Routes that any operator may use on a colleague's onboarding: taking it (refused unless it is in
# the queue, which is checked separately). Marking a handoff summary read is the assignee's alone.
NOT_OWNER_ONLY = {"/onboardings/{onboarding_id}/take"}


def _concrete(entry: Entry, onboarding: uuid.UUID) -> str:
    url = entry.url.replace("00000000-0000-0000-0000-000000000000", str(onboarding), 1)
    return re.sub(r"/plans/[0-9a-f-]{36}", f"/plans/{uuid.UUID(int=1)}", url)


@pytest.mark.parametrize("entry", STATE_CHANGING, ids=lambda e: f"{e.method} {e.path}")
def test_no_state_change_without_the_csrf_token(settings: Settings, entry: Entry) -> None:
    from tests.support import web_client

    add_operator(settings, "boss", "admin")
    with web_client(settings) as web:
        if entry.allowed != PUBLIC:
            web.sign_in("boss")
        response = web.post(entry.url, {"username": "boss", "password": "x"}, csrf=False)
    assert response.status_code == 403, response.text
    assert "security token" in response.text or "security cookie" in response.text


class TestSomeoneElsesOnboarding:
    def _owned_by_amy(self, w: Wizard, settings: Settings) -> tuple[uuid.UUID, Web]:
        add_operator(settings, "amy", "operator")
        add_operator(settings, "bob", "operator")
        add_operator(settings, "aud", "auditor")
        connection = w.connect()
        web = Web(w.client)
        web.sign_in("amy")
        response = web.post("/onboardings", {"vendor": "defender-for-identity", "connection": str(connection)},
                            page="/onboardings/new")
        oid = uuid.UUID(re.search(r"/onboardings/([0-9a-f-]{36})", response.headers["location"]).group(1))  # type: ignore[union-attr]
        web.sign_out()
        return oid, web

    @pytest.mark.parametrize("who", ["bob", "aud"])
    def test_colleagues_and_auditors_are_refused_on_every_action(self, w: Wizard, settings: Settings,
                                                                 who: str) -> None:
        oid, web = self._owned_by_amy(w, settings)
        web.sign_in(who)
        page = f"/onboardings/{oid}"
        assert web.get(page).status_code == 200  # reading is allowed
        before = w.onboarding(oid)
        for entry in ONBOARDING_ROUTES:
            if who == "bob" and entry.path in NOT_OWNER_ONLY:
                continue
            response = web.post(_concrete(entry, oid), {"note": "sneaky note here", "reason": "sneaky",
                                                        "to": "queue", "service_token": "x"}, page=page)
            assert response.status_code == 403, (entry.path, response.status_code)
        after = w.onboarding(oid)
        assert (after.assignee_id, after.status, after.revision) == (before.assignee_id, before.status,
                                                                     before.revision)

    def test_a_colleague_cannot_take_an_assigned_onboarding(self, w: Wizard, settings: Settings) -> None:
        oid, web = self._owned_by_amy(w, settings)
        web.sign_in("bob")
        response = web.post(f"/onboardings/{oid}/take", page=f"/onboardings/{oid}")
        assert response.status_code == 403
        assert "Only onboardings in the help-desk queue can be taken" in response.text

    def test_an_administrator_may_act(self, w: Wizard, settings: Settings) -> None:
        oid, web = self._owned_by_amy(w, settings)
        web.sign_in("ana.admin")
        page = f"/onboardings/{oid}"
        response: Any = web.post(f"{page}/handoff", {"to": "queue", "note": "Admin moves it to the queue."},
                                 page=page)
        assert response.status_code == 303
        assert w.onboarding(oid).assignee_id is None

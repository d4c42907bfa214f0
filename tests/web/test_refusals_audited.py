"""A refused attempt is in the trail an auditor reads, and reads "Refused" (QA walk 13, M1): an
auditor posting "make me an administrator" or a webhook, an operator acting on a colleague's
onboarding or revealing its kept value. Once per attempt, without what was posted; a GET of a page
one's role cannot see is not recorded."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

from fastapi.routing import APIRoute
from sqlalchemy import select

from app.audit import verify_chain
from app.main import ROUTERS
from app.settings import Settings
from app.store.db import Database
from app.store.models import AuditEvent
from app.web.refusals import ATTEMPTS
from tests.access import ADMIN, EVERYONE, MATRIX, PUBLIC
from tests.harness import Wizard
from tests.support import Web, add_operator, web_client


def _events(settings: Settings) -> list[AuditEvent]:
    async def go() -> list[AuditEvent]:
        db = Database(settings.resolved_database_url)
        try:
            async with db.sessions() as session:
                return list((await session.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())
        finally:
            await db.dispose()
    return asyncio.run(go())


def _refusals(settings: Settings) -> list[AuditEvent]:
    return [e for e in _events(settings) if e.outcome == "denied" and e.action != "sign_in"]


def _chain_ok(settings: Settings) -> bool:
    async def go() -> bool:
        db = Database(settings.resolved_database_url)
        try:
            async with db.sessions() as session:
                return (await verify_chain(session)).ok
        finally:
            await db.dispose()
    return asyncio.run(go())


def _result_of(audit_page: str, summary: str) -> str:
    """The Result column of the audit page's row whose What starts with ``summary``."""
    row = next(r for r in audit_page.split("<tr>") if summary in r)
    match = re.search(r'data-label="Result">([^<]*)<', row)
    assert match, row
    return match.group(1)


def test_every_guarded_state_changing_route_says_what_was_tried() -> None:
    guarded = {(e.method, e.path) for e in MATRIX if e.method == "POST" and e.allowed not in (PUBLIC, EVERYONE)}
    names = {route.name for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)
             for method in route.methods if (method, route.path) in guarded}
    assert names - ATTEMPTS.keys() == set(), "say in app/web/refusals.py ATTEMPTS what these routes do"
    assert ATTEMPTS.keys() - names == set(), "these routes in ATTEMPTS no longer exist (or are not guarded)"


class TestWrongRole:
    def test_an_auditor_making_herself_administrator_is_in_the_trail_as_refused(self, settings: Settings) -> None:
        add_operator(settings, "alex.admin", "admin")
        audrey = add_operator(settings, "audrey.auditor", "auditor")
        with web_client(settings) as web:
            web.sign_in("audrey.auditor")
            response = web.post(f"/operators/{audrey.id}/role", {"role": "admin"}, page="/")
            assert response.status_code == 403
            assert "This needs the Administrator role; your role is Auditor." in response.text
        [event] = _refusals(settings)
        summary = ("Refused: change the role of account audrey.auditor. This needs the Administrator role; "
                   "their role is Auditor.")
        assert (event.actor_name, event.action, event.summary) == ("audrey.auditor", "access_refused", summary)
        assert (event.subject_type, event.subject_id) == ("operator", str(audrey.id))
        assert event.details == {"route": "operator_role", "method": "POST"}  # nothing of what was posted
        with web_client(settings) as web:
            web.sign_in("alex.admin")
            page = web.get("/audit").text
        assert "Refused: change the role of account audrey.auditor." in page
        assert _result_of(page, "Refused: change the role of account audrey.auditor") == "Refused"
        assert _chain_ok(settings)

    def test_what_was_posted_is_never_recorded(self, settings: Settings) -> None:
        add_operator(settings, "audrey.auditor", "auditor")
        with web_client(settings) as web:
            web.sign_in("audrey.auditor")
            response = web.post("/settings/notifications/webhook",
                                {"label": "Exfil", "url": "https://evil.example.com/x/path-secret",
                                 "secret": "a-signing-secret-value"}, page="/settings")
        assert response.status_code == 403
        [event] = _refusals(settings)
        assert event.summary == ("Refused: add a webhook for alerts. This needs the Administrator role; "
                                 "their role is Auditor.")
        stored = json.dumps([event.summary, event.details, event.subject_id])
        for posted in ("evil.example.com", "path-secret", "a-signing-secret-value", "Exfil"):
            assert posted not in stored

    def test_each_attempt_once_and_an_unknown_account_said_so(self, settings: Settings) -> None:
        add_operator(settings, "olga.operator", "operator")
        helen = add_operator(settings, "helen.helpdesk", "operator")
        with web_client(settings) as web:
            web.sign_in("olga.operator")
            assert web.post(f"/operators/{helen.id}/disable", page="/").status_code == 403
            assert web.post(f"/operators/{helen.id}/password", {"password": "a new password 123"},
                            page="/").status_code == 403
            assert web.post(f"/operators/{uuid.UUID(int=7)}/enable", page="/").status_code == 403
        assert [e.summary.split(". ")[0] for e in _refusals(settings)] == [
            "Refused: disable account helen.helpdesk", "Refused: reset the password of account helen.helpdesk",
            "Refused: enable an unknown account"]

    def test_opening_a_page_one_s_role_cannot_see_is_not_recorded(self, settings: Settings) -> None:
        add_operator(settings, "audrey.auditor", "auditor")
        with web_client(settings) as web:
            web.sign_in("audrey.auditor")
            for page in [e.url for e in MATRIX if e.method == "GET" and e.allowed == ADMIN] + ["/onboardings/new"]:
                assert web.get(page).status_code == 403, page
        assert _refusals(settings) == []


def _owned_by(w: Wizard, settings: Settings, owner: str) -> tuple[uuid.UUID, Web]:
    add_operator(settings, owner, "operator")
    connection = w.connect()
    web = Web(w.client)
    web.sign_in(owner)
    response = web.post("/onboardings", {"vendor": "defender-for-identity", "connection": str(connection)},
                        page="/onboardings/new")
    oid = uuid.UUID(re.search(r"/onboardings/([0-9a-f-]{36})", response.headers["location"]).group(1))  # type: ignore[union-attr]
    web.sign_out()
    return oid, web


class TestSomeoneElsesOnboarding:
    def test_a_colleague_planning_it_is_recorded_against_the_onboarding(self, w: Wizard, settings: Settings) -> None:
        oid, web = _owned_by(w, settings, "amy")
        add_operator(settings, "bob", "operator")
        web.sign_in("bob")
        # The plan's request reads only (it calls Okta); the refusal is written all the same.
        response = web.post(f"/onboardings/{oid}/plan", page=f"/onboardings/{oid}")
        assert response.status_code == 403
        # The handoff's request writes (and had read the onboarding when it was refused): its
        # transaction has ended by the time the refusal is written, or this would wait on the lock.
        response = web.post(f"/onboardings/{oid}/handoff", {"to": "queue", "note": "mine now"},
                            page=f"/onboardings/{oid}")
        assert response.status_code == 403
        plan, handoff = _refusals(settings)
        assert plan.actor_name == "bob" and plan.onboarding_id == oid
        assert plan.summary.startswith("Refused: plan the Microsoft Defender for Identity onboarding. "
                                       "This onboarding is assigned to Amy")
        assert (plan.subject_type, plan.subject_id) == ("onboarding", str(oid))
        assert handoff.summary.startswith("Refused: hand off the Microsoft Defender for Identity onboarding. ")
        assert "mine now" not in handoff.summary + json.dumps(handoff.details)
        assert _chain_ok(settings)

    def test_a_refused_reveal_reads_refused_and_is_recorded_once(self, w: Wizard, settings: Settings) -> None:
        oid, web = _owned_by(w, settings, "amy")
        add_operator(settings, "olga.operator", "operator")
        web.sign_in("olga.operator")
        response = web.post(f"/onboardings/{oid}/secrets/activation_link", page=f"/onboardings/{oid}")
        assert response.status_code == 403
        [event] = _refusals(settings)
        assert (event.action, event.summary) == ("secret_reveal_refused",
                                                 "Reveal refused: not the operator this onboarding is assigned to")
        web.sign_out()
        web.sign_in("ana.admin")
        page = web.get("/audit").text
        assert _result_of(page, "Reveal refused: not the operator") == "Refused"

    def test_an_auditor_taking_it_is_recorded(self, w: Wizard, settings: Settings) -> None:
        oid, web = _owned_by(w, settings, "amy")
        add_operator(settings, "audrey.auditor", "auditor")
        web.sign_in("audrey.auditor")
        assert web.post(f"/onboardings/{oid}/take", page=f"/onboardings/{oid}").status_code == 403
        [event] = _refusals(settings)
        assert event.summary == ("Refused: take the Microsoft Defender for Identity onboarding from the help-desk "
                                 "queue. This needs the Administrator or Operator role; their role is Auditor.")
        assert event.onboarding_id == oid

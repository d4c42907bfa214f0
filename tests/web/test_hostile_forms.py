"""Hostile input on every form: random and malicious values (very long strings, control
characters, unicode, HTML and script, SQL fragments, missing fields) never produce a 500, never
come back unescaped, never write half a change, and are refused with a message by the field."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.settings import Settings
from app.store.db import Database
from app.store.models import AppSetting, AuditEvent, Handoff, OktaConnection, Onboarding, Operator
from tests.support import add_operator, no_sleep, web_client

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "'; DROP TABLE operators; --",
    "' OR '1'='1",
    "{{ 7*7 }}",
    "${7*7}",
    "\x00\x01\x1b[31m",
    "\u202etxt.exe",
    "𝓤𝓷𝓲𝓬𝓸𝓭𝓮 ✓ Ünïcödé 中文 العربية",
    "a" * 5000,
    "",
    " ",
    "\r\n\r\n",
]
RAW_MARKERS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]

hostile = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=300),
                    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=80))

PROFILE = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.function_scoped_fixture])


def _count(settings_: Settings, model: Any) -> int:
    async def go() -> int:
        db = Database(settings_.resolved_database_url)
        try:
            async with db.sessions() as session:
                return int((await session.execute(select(func.count()).select_from(model))).scalar_one())
        finally:
            await db.dispose()

    return asyncio.run(go())


def _audit_count(settings_: Settings, action: str) -> int:
    async def go() -> int:
        db = Database(settings_.resolved_database_url)
        try:
            async with db.sessions() as session:
                return int((await session.execute(select(func.count()).select_from(AuditEvent).where(
                    AuditEvent.action == action))).scalar_one())
        finally:
            await db.dispose()

    return asyncio.run(go())


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text[:500]
    body = response.text
    for marker in RAW_MARKERS:
        assert marker not in body, marker


def _fields(draw_values: dict[str, Any], drop: set[str]) -> dict[str, str]:
    return {k: v for k, v in draw_values.items() if k not in drop}


def _form_strategy(names: list[str]) -> st.SearchStrategy[tuple[dict[str, str], set[str]]]:
    return st.tuples(st.fixed_dictionaries({name: hostile for name in names}),
                     st.sets(st.sampled_from(names), max_size=len(names)))


def _run(fn: Callable[[dict[str, str], set[str]], None], names: list[str]) -> None:
    @PROFILE
    @given(_form_strategy(names))
    def inner(case: tuple[dict[str, str], set[str]]) -> None:
        values, drop = case
        fn(values, drop)

    inner()


class TestHostileForms:
    def test_sign_in(self, settings: Settings) -> None:
        add_operator(settings, "ana", "admin")
        with web_client(settings) as web:
            # Failed sign-ins are slowed down (tests/auth checks how); here only the answers matter.
            web.client.app.state.onboard.sleep = no_sleep  # type: ignore[attr-defined]

            def attempt(values: dict[str, str], drop: set[str]) -> None:
                web.get("/sign-in")
                response = web.post("/sign-in", _fields(values, drop))
                _check(response)
                assert response.status_code in (400, 401, 429)
                web.set_cookie("onboard_session", "x")

            _run(attempt, ["username", "password", "next"])

    def test_setup(self, settings: Settings) -> None:
        with web_client(settings) as web:
            def attempt(values: dict[str, str], drop: set[str]) -> None:
                response = web.post("/setup", _fields(values, drop), page="/sign-in")
                _check(response)
                assert response.status_code in (400, 410)

            _run(attempt, ["token", "username", "display_name", "password", "confirm_password"])
        assert _count(settings, Operator) == 0

    def test_add_operator_and_row_actions(self, settings: Settings) -> None:
        boss = add_operator(settings, "boss", "admin")
        target = add_operator(settings, "target", "operator")
        before = _count(settings, Operator)
        with web_client(settings) as web:
            web.sign_in("boss")

            def add(values: dict[str, str], drop: set[str]) -> None:
                fields = _fields(values, drop)
                response = web.post("/operators", fields, page="/operators")
                _check(response)
                if response.status_code == 400:
                    assert 'class="field-error"' in response.text or "notice--error" in response.text

            _run(add, ["username", "display_name", "role", "password"])

            def row(values: dict[str, str], drop: set[str]) -> None:
                for action in ("role", "password"):
                    response = web.post(f"/operators/{target.id}/{action}", _fields(values, drop), page="/operators")
                    _check(response)

            _run(row, ["role", "password"])
        # Every accepted add made exactly one operator; none was half-made (usernames are unique).
        assert _count(settings, Operator) >= before
        assert boss.id

    def test_connections(self, settings: Settings) -> None:
        add_operator(settings, "boss", "admin")
        with web_client(settings) as web:
            web.sign_in("boss")

            def attempt(values: dict[str, str], drop: set[str]) -> None:
                response = web.post("/connections", _fields(values, drop), page="/connections")
                _check(response)
                assert response.status_code == 400  # nothing hostile is an Okta org; no call was made

            _run(attempt, ["org_url", "api_token", "label"])
        assert _count(settings, OktaConnection) == 0

    def test_settings(self, settings: Settings) -> None:
        add_operator(settings, "boss", "admin")
        with web_client(settings) as web:
            web.sign_in("boss")

            def attempt(values: dict[str, str], drop: set[str]) -> None:
                response = web.post("/settings/domains", {"domains": values.get("domains", "")}, page="/settings")
                _check(response)
                response = web.post("/settings/playbooks/defender-for-identity",
                                    {f"setting_{k}": v for k, v in _fields(values, drop).items()}, page="/settings")
                _check(response)

            _run(attempt, ["domains", "custom_role_permissions", "users_resource", "iam_resource"])
        assert _count(settings, AppSetting) <= 4

    def test_onboarding_forms(self, settings: Settings) -> None:
        boss = add_operator(settings, "boss", "admin")
        connection_id, onboarding_id = _onboarding(settings, boss.id)
        with web_client(settings) as web:
            web.sign_in("boss")
            page = f"/onboardings/{onboarding_id}"
            events_before = _count(settings, AuditEvent)

            def create(values: dict[str, str], drop: set[str]) -> None:
                response = web.post("/onboardings", _fields(values, drop), page="/onboardings/new")
                _check(response)

            _run(create, ["vendor", "connection"])

            def inputs(values: dict[str, str], drop: set[str]) -> None:
                fields = {f"input_{k}": v for k, v in _fields(values, drop).items()}
                fields["step"] = "create_account"
                response = web.post(f"{page}/inputs", fields, page=page)
                _check(response)
                if response.status_code == 400:
                    assert 'class="field-error"' in response.text or "notice--error" in response.text

            _run(inputs, ["service_account_login", "service_account_email", "first_name", "last_name"])

            def others(values: dict[str, str], drop: set[str]) -> None:
                fields = _fields(values, drop)
                for path, field in ((f"{page}/attest/licence_confirmed", "note"), (f"{page}/handoff", "note"),
                                    (f"{page}/close", "reason"), (f"{page}/connection", "connection"),
                                    (f"{page}/token", "service_token"), (f"{page}/handoff", "to")):
                    response = web.post(path, {field: fields.get(field, ""), "to": fields.get("to", "queue"),
                                               "note": fields.get("note", "")}, page=page)
                    _check(response)
                    web.get(page)

            _run(others, ["note", "reason", "connection", "service_token", "to"])
        # Whatever was accepted was written whole: each handoff row has its audit event.
        assert _count(settings, Handoff) == _audit_count(settings, "handoff")
        assert _count(settings, AuditEvent) >= events_before
        assert connection_id


def _onboarding(settings: Settings, owner: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    async def go() -> tuple[uuid.UUID, uuid.UUID]:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                connection = OktaConnection(label="Acme", org_origin="https://acme.okta.com", org_kind="okta",
                                            credential_kind="api_token", scopes=[], created_by_id=owner,
                                            preflight={"org_id": "00o1", "owner": {"id": "00u1"}})
                session.add(connection)
                await session.flush()
                onboarding = Onboarding(vendor="defender-for-identity", playbook_version="1",
                                        connection_id=connection.id, org_origin=connection.org_origin,
                                        status="draft", created_by_id=owner, assignee_id=owner, inputs={},
                                        facts={})
                session.add(onboarding)
                await session.flush()
                return connection.id, onboarding.id
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_payloads_are_escaped_where_they_are_shown(settings: Settings) -> None:
    """A label with markup is stored as typed and shown as text, never as markup."""
    add_operator(settings, "boss", "admin")
    with web_client(settings) as web:
        web.sign_in("boss")
        web.post("/operators", {"username": "xss.person", "display_name": '<script>alert(1)</script>"><b>x',
                                "role": "operator", "password": "a long enough password"}, page="/operators")
        html = web.get("/operators").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<script>alert", html)

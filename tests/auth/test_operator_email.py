"""An operator's e-mail address, where the watch's alerts about the onboardings assigned to them go:
an administrator sets, changes or clears it on the operators page (checked as one address, what was
typed kept when refused, audited); nobody else may; the list shows it."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from app.settings import Settings
from app.store.db import create_sync_engine
from app.store.models import AuditEvent, Operator
from tests.support import add_operator, web_client


def _row(settings: Settings, model: Any, *where: Any, order: Any = None) -> Any:
    engine = create_sync_engine(settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            query = select(model).where(*where)
            return conn.execute(query.order_by(order) if order is not None else query).all()
    finally:
        engine.dispose()


def _operator(settings: Settings, username: str) -> Any:
    [row] = _row(settings, Operator, Operator.username == username)
    return row


def _text(page: Any) -> str:
    return " ".join(html.unescape(page.text.replace("<wbr>", "")).split())


def _person(page: Any, operator_id: object) -> str:
    """The words of one operator's row of the list, as a person reads them."""
    row = re.search(rf'<tr id="operator-{operator_id}">(.*?)</tr>', page.text, re.S)
    assert row, f"no row for {operator_id}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row.group(1).replace("<wbr>", ""))).split())


def _set(web: Any, operator_id: object, email: str) -> Any:
    return web.post(f"/operators/{operator_id}/email", {"email": email}, page="/operators")


@pytest.fixture
def carol(settings: Settings) -> Operator:
    add_operator(settings, "boss", "admin", display_name="Boss Admin")
    return add_operator(settings, "carol.help", display_name="Carol Help")


def test_an_administrator_sets_it_and_the_list_shows_it(settings: Settings, carol: Operator) -> None:
    with web_client(settings) as web:
        web.sign_in("boss")
        assert _person(web.get("/operators"), carol.id).startswith("Carol Help carol.help none Set e-mail")
        done = _set(web, carol.id, " carol@acme.example ")
        assert done.status_code == 303
        listed = web.get("/operators")
    assert "The e-mail address of carol.help is now carol@acme.example." in _text(listed)
    assert _person(listed, carol.id).startswith("Carol Help carol.help carol@acme.example Change e-mail")
    stored = _operator(settings, "carol.help")
    assert (stored.email, stored.email_by_admin) == ("carol@acme.example", True)
    [event] = _row(settings, AuditEvent, AuditEvent.action == "operator_email")
    assert event.actor_name == "boss" and event.summary == "E-mail address of carol.help set to carol@acme.example"
    assert event.details == {"from": None, "to": "carol@acme.example", "by": "administrator"}


@pytest.mark.parametrize("typed", ["carol at acme", "Carol <carol@acme.example>", "carol@acme.example, x@acme.example",
                                   "carol@acme.example\r\nBcc: all@acme.example", "carol@localhost",
                                   "c" * 70 + "@acme.example"])
def test_a_mistyped_address_is_explained_and_nothing_is_lost(settings: Settings, carol: Operator,
                                                             typed: str) -> None:
    with web_client(settings) as web:
        web.sign_in("boss")
        _set(web, carol.id, "carol@acme.example")
        refused = _set(web, carol.id, typed)
    assert refused.status_code == 400
    page = _text(refused)
    assert "Enter one address like name@example.com, or leave it empty for none." in page \
        or "E-mail address contains characters that are not allowed." in page
    if "\n" not in typed:
        assert f'value="{html.escape(typed)}"' in refused.text  # what was typed stays in the field
    assert _operator(settings, "carol.help").email == "carol@acme.example"
    assert len(_row(settings, AuditEvent, AuditEvent.action == "operator_email")) == 1


def test_an_administrator_clears_it(settings: Settings, carol: Operator) -> None:
    with web_client(settings) as web:
        web.sign_in("boss")
        _set(web, carol.id, "carol@acme.example")
        assert _set(web, carol.id, "").status_code == 303
        page = _text(web.get("/operators"))
    assert "carol.help has no e-mail address now." in page and "carol@acme.example" not in page
    stored = _operator(settings, "carol.help")
    assert (stored.email, stored.email_by_admin) == (None, True)  # cleared by choice: the provider leaves it so
    events = _row(settings, AuditEvent, AuditEvent.action == "operator_email", order=AuditEvent.seq)
    assert [e.summary for e in events][-1] == "E-mail address of carol.help cleared"


def test_signed_out_nobody_sets_it(settings: Settings, carol: Operator) -> None:
    with web_client(settings) as web:
        page = web.get("/operators")
        assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
        refused = _set(web, carol.id, "mallory@evil.example")
    assert refused.status_code == 401 and "Sign in again" in refused.text
    assert _operator(settings, "carol.help").email is None


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_only_an_administrator_sets_it(settings: Settings, carol: Operator, role: str) -> None:
    add_operator(settings, f"someone.{role}", role)
    with web_client(settings) as web:
        web.sign_in(f"someone.{role}")
        assert web.get("/operators").status_code == 403
        refused = _set(web, carol.id, "mallory@evil.example")
    assert refused.status_code == 403
    assert _operator(settings, "carol.help").email is None
    assert _row(settings, AuditEvent, AuditEvent.action == "operator_email") == []

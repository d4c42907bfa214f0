"""Findings 2, 8, 9 and 10 of the security review (issue 12): who may check or retire an Okta
connection, formula injection through ``source_ip`` in CSV exports, reachable 500s, and forged
lines in the server log."""

from __future__ import annotations

import csv
import io
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.audit import Actor, record
from app.common.clock import FakeClock
from app.observability import RedactingFilter
from app.settings import Settings
from app.store.models import AuditEvent, OktaConnection
from okta_sandbox import SandboxOrg, SandboxTransport
from tests.harness import Wizard, wizard
from tests.support import Web, add_operator, web_client

VENDOR = "defender-for-identity"


@pytest.fixture
def w(settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
      fake_clock: FakeClock) -> Iterator[Wizard]:
    with wizard(settings, sandbox_org, okta_transport, fake_clock) as harness:
        add_operator(settings, "oli", "operator")
        yield harness


def _actions(w: Wizard, subject_id: uuid.UUID) -> list[str]:
    async def get() -> list[str]:
        async with w.state.db.sessions() as session:
            rows = await session.execute(select(AuditEvent.action).where(AuditEvent.subject_id == str(subject_id))
                                         .order_by(AuditEvent.seq))
            return list(rows.scalars())

    return w.run(get)


def _signed_in(w: Wizard, username: str) -> Web:
    web = Web(w.client)
    response = web.sign_in(username)
    assert response.status_code == 303, response.text
    return web


# -- finding 2: checking and retiring connections -----------------------------------------------

class TestConnectionsAreManagedByAdminsAndTheirCreator:
    def test_an_operator_may_not_check_or_retire_an_administrators_connection(self, w: Wizard) -> None:
        connection_id = w.connect()  # added by ana.admin
        web = _signed_in(w, "oli")
        page = web.get("/connections")
        assert page.status_code == 200
        assert f"/connections/{connection_id}/retire" not in page.text  # no buttons that would be refused
        for action in ("check", "retire"):
            response: Any = web.post(f"/connections/{connection_id}/{action}", {"confirm": "yes",
                                     "confirming": "yes"}, page="/connections")
            assert response.status_code == 403, (action, response.status_code)
            assert "Only an administrator or the person who added this Okta connection" in response.text
        assert w.row(OktaConnection, connection_id).retired_at is None
        # Nothing checked or retired: only the two attempts, recorded as refused.
        assert _actions(w, connection_id) == ["connection_add", "access_refused", "access_refused"]

    def test_an_operator_may_check_and_retire_the_connection_they_added(self, w: Wizard) -> None:
        web = _signed_in(w, "oli")
        response: Any = web.post("/connections/sandbox", page="/connections")
        assert response.status_code == 303, response.text
        page = web.get("/connections")
        connection_id = uuid.UUID(page.text.split("/connections/")[1].split("/")[0])
        assert web.post(f"/connections/{connection_id}/check", page="/connections").status_code == 303
        _retire(web, connection_id)
        assert w.row(OktaConnection, connection_id).retired_at is not None
        assert _actions(w, connection_id) == ["connection_add", "connection_check", "connection_retire"]

    def test_an_administrator_may_check_a_colleagues_connection(self, w: Wizard) -> None:
        web = _signed_in(w, "oli")
        web.post("/connections/sandbox", page="/connections")
        connection_id = uuid.UUID(web.get("/connections").text.split("/connections/")[1].split("/")[0])
        web.sign_out()
        web = _signed_in(w, "ana.admin")
        assert web.post(f"/connections/{connection_id}/check", page="/connections").status_code == 303
        # Kept to its owner by an administrator: its owner's, said so (it read "yours only": review).
        assert web.post(f"/connections/{connection_id}/sharing", {"shareable": "no"},
                        page="/connections").status_code == 303
        assert "its credential is its owner&#39;s only now" in web.get("/connections").text
        web.sign_out()
        web = _signed_in(w, "oli")
        assert f'value="{connection_id}"' in web.get("/onboardings/new").text  # still his to use

    def test_retiring_a_connection_in_use_lists_its_onboardings_and_needs_confirmation(self, w: Wizard) -> None:
        connection_id = w.connect()
        oid = w.start(VENDOR, connection_id)
        web = _signed_in(w, "ana.admin")
        url = f"/connections/{connection_id}/retire"

        first: Any = web.post(url, page="/connections")
        assert first.status_code == 200
        assert "Retire the connection" in first.text
        assert f'/onboardings/{oid}">' in first.text  # a link to each onboarding it would stop
        assert "Defender for Identity" in first.text and "Draft" in first.text
        assert w.row(OktaConnection, connection_id).retired_at is None

        unticked: Any = web.post(url, {"confirming": "yes", "onboarding": str(oid)})
        assert unticked.status_code == 409
        assert "Tick the box" in unticked.text
        assert w.row(OktaConnection, connection_id).retired_at is None

        # An onboarding that started using it after the list was shown: asked again.
        second = w.start(VENDOR, connection_id)
        stale: Any = web.post(url, {"confirming": "yes", "confirm": "yes", "onboarding": str(oid)})
        assert stale.status_code == 409
        assert f'/onboardings/{second}">' in stale.text
        assert w.row(OktaConnection, connection_id).retired_at is None

        confirmed: Any = web.client.post(url, data={"csrf_token": web.last_csrf or "", "confirming": "yes",
                                                    "confirm": "yes", "onboarding": [str(oid), str(second)]})
        assert confirmed.status_code == 303, confirmed.text
        assert w.row(OktaConnection, connection_id).retired_at is not None
        assert _actions(w, connection_id)[-1] == "connection_retire"

    def test_an_administrator_keeps_a_credential_to_its_owner(self, w: Wizard) -> None:
        """Any operator could start an onboarding on a colleague's Super Administrator token, and with
        Defender's playbook make an account of their choosing a Super Administrator (security probe,
        M1): the credential's use by colleagues was a flag nothing could turn off."""
        connection_id = w.connect()  # added by ana.admin
        web = _signed_in(w, "oli")
        # Offered, and refused, to whoever is not its admin or owner.
        shared = web.get("/connections").text
        assert "Colleagues may use it" in shared
        # Whose it is, on a shared row too (it said so only once kept to its owner: QA walk 24, L4).
        assert re.search(r'<span class="hint">added <time [^>]*>[^<]*</time> by Ana', shared), shared
        refused: Any = web.post(f"/connections/{connection_id}/sharing", {"shareable": "no"}, page="/connections")
        assert refused.status_code == 403
        web.sign_out()

        web = _signed_in(w, "ana.admin")
        kept: Any = web.post(f"/connections/{connection_id}/sharing", {"shareable": "no"}, page="/connections")
        assert kept.status_code == 303
        page = web.get("/connections").text
        assert "its credential is yours only now" in page and "Used only by you" in page
        assert re.search(r'<span class="hint">added <time [^>]*>[^<]*</time> by you', page)
        assert "Let colleagues use it" in page
        assert _actions(w, connection_id)[-2:] == ["access_refused", "connection_sharing"]
        web.sign_out()

        web = _signed_in(w, "oli")
        listed = web.get("/connections").text
        assert re.search(r"Used only by [^<]*Ana", listed)
        assert f"/onboardings/new?connection={connection_id}" not in listed  # no start offered on it
        # Its actions cell says why it is empty (it read empty: QA walk 19, L6).
        assert "None for you: kept to whoever added it" in listed
        assert f'value="{connection_id}"' not in web.get("/onboardings/new").text
        started: Any = web.post("/onboardings", {"vendor": VENDOR, "connection": str(connection_id)},
                                page="/onboardings/new")
        assert started.status_code == 400 and "used only by whoever added it" in started.text
        web.sign_out()

        web = _signed_in(w, "ana.admin")
        assert web.post(f"/connections/{connection_id}/sharing", {"shareable": "yes"},
                        page="/connections").status_code == 303
        web.sign_out()
        web = _signed_in(w, "oli")
        assert f'value="{connection_id}"' in web.get("/onboardings/new").text

    def test_an_auditor_reads_the_connections_without_a_column_of_actions(self, w: Wizard,
                                                                          settings: Settings) -> None:
        """The auditor's list had an "Actions" column with nothing in it (QA walk 19, L6)."""
        w.connect()
        add_operator(settings, "aud", "auditor")
        listed = _signed_in(w, "aud").get("/connections").text
        assert "Sandbox" in listed and ">Actions<" not in listed and 'data-label="Actions"' not in listed
        assert "Check again" not in listed and "Start an onboarding" not in listed

    def test_a_redirect_never_names_the_host_the_request_claimed(self, w: Wizard) -> None:
        """Security probe, L4: ``Host: evil.example`` was answered ``303 http://evil.example/…``
        (the redirect built from the request's host); a redirect on this site is a path."""
        connection_id = w.connect()
        web = _signed_in(w, "ana.admin")
        web.get("/connections")
        response = web.client.post(f"/connections/{connection_id}/sharing",
                                   data={"csrf_token": web.last_csrf or "", "shareable": "no"},
                                   headers={"host": "evil.example"})
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/connections"

    def test_checking_or_retiring_a_retired_connection_is_a_clear_page(self, w: Wizard) -> None:
        connection_id = w.connect()
        web = _signed_in(w, "ana.admin")
        _retire(web, connection_id)
        for action in ("check", "retire"):
            response: Any = web.post(f"/connections/{connection_id}/{action}", page="/connections")
            assert response.status_code == 409, (action, response.status_code)
            assert "was retired" in response.text
        assert _actions(w, connection_id) == ["connection_add", "connection_retire"]


# -- finding 9: reachable 500s (the property-based sweep is tests/test_no_500.py) -----------------

class TestNoServerErrors:
    def test_progress_of_an_onboarding_with_no_job(self, w: Wizard) -> None:
        oid = w.start(VENDOR, w.connect())
        web = _signed_in(w, "oli")
        response: Any = web.get(f"/onboardings/{oid}/progress")
        assert response.status_code == 200
        assert "Nothing running" in response.text

    @pytest.mark.parametrize("before", ["²", "9" * 30, "٣", "-1", "1e3", str(2**63)])
    def test_audit_with_a_before_that_is_no_position(self, w: Wizard, before: str) -> None:
        web = _signed_in(w, "ana.admin")
        response: Any = web.get("/audit", params={"before": before})
        assert response.status_code == 200
        assert "connection_add" in response.text or "Audit" in response.text


# -- finding 10: log forging ------------------------------------------------------------------

def test_an_encoded_newline_in_the_path_does_not_forge_a_log_line(settings: Settings) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        with web_client(settings) as web:
            web.get("/healthz%0D%0A2026-01-01 00:00:00,000 INFO onboard.access: GET /admin 200 1.0ms%1B[2J")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    lines = [line for line in stream.getvalue().splitlines()
             if re.match(r"\S+ \S+ INFO onboard\.access: ", line)]
    assert len(lines) == 1, lines  # one request, one line
    assert "\\r\\n2026-01-01" in lines[0] and "\\x1b[2J" in lines[0]
    assert not any(ch in stream.getvalue() for ch in "\r\x1b")


def test_every_logged_value_has_its_control_characters_escaped() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "user %s said %r", ("a\nb\u2028", "c\x85d"), None)
    try:
        raise ValueError("boom\n2026-01-01 00:00:00,000 INFO forged: line")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    text = logging.Formatter("%(asctime)s %(message)s").format(record)
    first, *traceback = text.split("\n")
    assert first.endswith("user a\\nb\\u2028 said 'c\\x85d'")
    assert all(line.startswith("  ") for line in traceback)  # no traceback line can pass for a record


# -- finding 8: formula injection through source_ip ---------------------------------------------

class TestSourceAddressesAndCsvCells:
    def test_only_an_ip_address_is_stored_as_the_source(self, w: Wizard, settings: Settings) -> None:
        for client, stored in [('=HYPERLINK("http://evil.example","x")', None), ("2001:db8::1", "2001:db8::1"),
                               ("198.51.100.4", "198.51.100.4"), ("198.51.100.4, 10.0.0.1", None)]:
            with web_client(settings, client=(client, 1)) as web:
                assert web.sign_in("oli").status_code == 303

            async def last() -> str | None:
                async with w.state.db.sessions() as session:
                    return (await session.execute(select(AuditEvent.source_ip).where(AuditEvent.action == "sign_in")
                                                  .order_by(AuditEvent.seq.desc()).limit(1))).scalar_one()

            assert w.run(last) == stored, client

    def test_every_cell_of_the_csv_export_is_defused(self, w: Wizard) -> None:
        oid = w.start(VENDOR, w.connect())
        hostile = Actor(w.actor.id, "-2+3", source_ip="=cmd|' /C calc'!A0", user_agent="@SUM(1)")

        async def add() -> None:
            async with w.state.db.session() as session:
                await record(session, action="+danger", summary="=1+1", actor=hostile, onboarding_id=oid,
                             subject_type="=x", subject_id="\tTAB", details={})

        w.run(add)
        web = _signed_in(w, "ana.admin")
        response: Any = web.get(f"/onboardings/{oid}/events.csv")
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.text)))
        cells = [cell for row in rows[1:] for cell in row]
        assert "'=cmd|' /C calc'!A0" in cells and "'=1+1" in cells and "'+danger" in cells
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def _retire(web: Any, connection_id: uuid.UUID) -> None:
    """Retire as a person does: the button asks first (issue 14: the credential is destroyed)."""
    url = f"/connections/{connection_id}/retire"
    asked = web.post(url, page="/connections")
    assert asked.status_code == 200 and "I understand that its credential is destroyed" in asked.text, asked.text
    assert web.post(url, {"confirming": "yes"}).status_code == 409  # the box not ticked: nothing retired
    assert web.post(url, {"confirming": "yes", "confirm": "yes"}).status_code == 303


# -- connection names (QA walk 24, L2) ---------------------------------------------------------
# Two connections of one name could not be told apart where one is chosen (a new onboarding's
# picker, the onboarding's connection switch, the lists): a name typed that another connection in use
# has is refused, and a name not typed is told apart from another's by the token's owner.

def _names(page: str) -> list[str]:
    return re.findall(r'<td data-label="Name">([^<]*)<br>', page)


def test_a_name_in_use_is_refused_and_an_untyped_one_told_apart(w: Wizard, settings: Settings) -> None:
    assert w.org.demo is not None
    add_operator(settings, "amy", "operator", display_name="Amy Operator")  # besides oli
    w.connect()  # ana.admin's, named "Sandbox"
    web = Web(w.client)
    web.sign_in("oli")
    typed = {"org_url": w.org.base_url, "api_token": w.org.demo.admin_token}
    refused: Any = web.post("/connections", {**typed, "label": "sandbox"}, page="/connections")
    assert refused.status_code == 400
    assert "Another Okta connection is named “Sandbox”: choose a name that tells them apart." in refused.text
    assert 'value="sandbox"' in refused.text  # what was typed is kept (the refusal names the one that has it)
    assert _names(web.get("/connections").text) == ["Sandbox"]

    # Without a name: the demo's button, pressed by two people, names the second by who added it (its
    # token's owner is the same: "(sam.super@…)" told apart nothing, QA walk 25, L1), by the name the
    # lists give them, not their username (QA walk 28, L5).
    assert web.post("/connections/sandbox", page="/connections").status_code == 303
    web.sign_out()
    web.sign_in("amy")
    assert web.post("/connections/sandbox", page="/connections").status_code == 303
    names = _names(web.get("/connections").text)
    login = w.org.demo.admin_login
    assert sorted(names) == sorted(["Sandbox", "Sandbox org (demo)", "Sandbox org (demo) (added by Amy Operator)"]), \
        names
    assert login not in " ".join(names)

    # Renewing one's own connection's token under its own name is no clash.
    web.sign_out()
    web.sign_in("ana.admin")
    renewed: Any = web.post("/connections", {**typed, "label": "Sandbox"}, page="/connections")
    assert renewed.status_code == 303, renewed.text
    assert len(_names(web.get("/connections").text)) == 3
    # ...but a token of another account, under one's own connection's name, is no renewal (review).
    other = w.org.add_user("second.admin@acme.example")
    w.org.assign_role(other["id"], "SUPER_ADMIN")
    second: Any = web.post("/connections", {**typed, "api_token": w.org.issue_api_token(other["id"], "Second"),
                                           "label": "sandbox"}, page="/connections")
    assert second.status_code == 400
    assert "Another Okta connection is named “Sandbox”: choose a name that tells them apart." in second.text
    assert len(_names(web.get("/connections").text)) == 3

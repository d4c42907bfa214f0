"""Canary secrets stored through the application appear nowhere: not in any table or file of the
database, not in the logs, not in any page."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import pytest

from app.observability import RedactingFilter
from app.settings import Settings
from app.store.db import Database
from app.store.repositories.secrets import SecretRepository
from app.vault import Secret, Vault, key_source_for
from tests.canary import assert_no_canary, database_bytes
from tests.support import setup_token, web_client

ADMIN_PASSWORD = "canary-admin-password-7d1f"
OPERATOR_PASSWORD = "canary-operator-password-91ab"
RESET_PASSWORD = "canary-reset-password-5c2e"
MISTYPED = "canary-mistyped-password-0aa3"
VAULT_VALUE = "canary-vault-secret-value-44be"
CANARIES = [ADMIN_PASSWORD, OPERATOR_PASSWORD, RESET_PASSWORD, MISTYPED, VAULT_VALUE]


@pytest.fixture
def app_log() -> Iterator[io.StringIO]:
    """The application's log output, through the same redacting handler `onboard serve` installs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_canaries_stored_through_the_app_leak_nowhere(settings: Settings, app_log: io.StringIO) -> None:
    pages: list[str] = []

    token = setup_token(settings)
    with web_client(settings) as web:
        pages.append(web.get(f"/setup?token={token}").text)
        response = web.post("/setup", {"token": token or "", "username": "boss", "display_name": "Boss",
                                       "password": ADMIN_PASSWORD, "confirm_password": ADMIN_PASSWORD})
        pages.append(response.text)
        pages.append(web.get("/operators").text)
        response = web.post("/operators", {"username": "ana", "display_name": "Ana", "role": "operator",
                                           "password": OPERATOR_PASSWORD})
        pages.append(web.get("/operators").text)
        # A validation failure re-renders the form: the password must not come back.
        pages.append(web.post("/operators", {"username": "ana", "display_name": "Ana", "role": "operator",
                                             "password": OPERATOR_PASSWORD}).text)
        operator_row = [line for line in pages[-1].splitlines() if "/password" in line and "action=" in line]
        assert operator_row
        for line in operator_row:
            pages.append(web.post(line.split('action="')[1].split('"')[0].replace("http://testserver", ""),
                                  {"password": RESET_PASSWORD}, page="/operators").text)
        pages.append(web.sign_out().text)
        pages.append(web.sign_in("ana", MISTYPED).text)

    async def store() -> None:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                await SecretRepository(session, Vault(key_source_for(settings))).store("test", Secret(VAULT_VALUE),
                                                                                       owner="test")
        finally:
            await db.dispose()

    asyncio.run(store())
    # Even a plaintext logged by mistake is masked: the vault taught the redactor every value.
    logging.getLogger("test").warning("logging a secret by mistake: %s", VAULT_VALUE)
    logging.getLogger("test").warning("and a password: %s", ADMIN_PASSWORD)
    assert "logging a secret by mistake: ***" in app_log.getvalue()
    assert "onboard.access" in app_log.getvalue() or "POST /operators" in app_log.getvalue()
    assert_no_canary(CANARIES, {
        "database": database_bytes(settings.resolved_database_url),
        "logs": app_log.getvalue(),
        "pages": "\n".join(pages),
    })

"""An operator who signs in with the company's identity provider gets the e-mail address of the ID
token's ``email`` claim, only when ``email_verified`` is true, and only while no administrator has
set or cleared it (the administrator's choice wins); a verified address that changes follows."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor
from app.audit.keys import use_keys
from app.auth.oidc import VerifiedIdentity
from app.auth.oidc_config import OidcConfig
from app.auth.oidc_signin import sign_in_with_identity
from app.settings import Settings
from app.store.db import create_sync_engine
from app.store.models import AuditEvent, Operator
from app.vault import key_source_for
from okta_sandbox import SandboxOrg
from tests.oidc_flow import configure, oidc_client
from tests.support import add_operator, in_database

SAM = "sam.super@acme.example"
ISSUER = "https://acme.okta.example"
CONFIG = OidcConfig(enabled=True, provider_name="Acme Okta", issuer=ISSUER, client_id="wizard",
                    role_values={"operator": ("Engineering",)})


def _rows(settings: Settings, model: Any, *where: Any) -> list[Any]:
    engine = create_sync_engine(settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(model).where(*where)).all())
    finally:
        engine.dispose()


def _email(settings: Settings, username: str = "dana") -> str | None:
    [row] = _rows(settings, Operator, Operator.username == username)
    return row.email  # type: ignore[no-any-return]


def _sign_in(settings: Settings, **claims: Any) -> None:
    """Dana signs in at the provider, whose ID token says ``claims`` (besides her name and groups)."""
    identity = VerifiedIdentity(ISSUER, "00u-dana", {"preferred_username": "dana", "name": "Dana Ops",
                                                     "groups": ["Engineering"], **claims})

    async def go(session: AsyncSession) -> None:
        await sign_in_with_identity(session, CONFIG, identity, Actor.system("test"))

    use_keys(key_source_for(settings))
    in_database(settings, go)


def _admin_sets(settings: Settings, email: str) -> None:
    from app.auth.operators import EmailChange, set_email

    async def go(session: AsyncSession) -> None:
        dana = (await session.execute(select(Operator).where(Operator.username == "dana"))).scalar_one()
        await set_email(session, dana.id, EmailChange(email), Actor.system("boss"))

    in_database(settings, go)


def test_the_provider_s_verified_address_fills_it_end_to_end(settings: Settings, sandbox_org: SandboxOrg) -> None:
    configure(settings, sandbox_org)
    add_operator(settings, "boss", "admin")
    with oidc_client(settings, sandbox_org) as web:
        assert web.oidc_sign_in(SAM).status_code == 303
    assert _email(settings, SAM) == SAM  # the sandbox's ID token says it is verified
    [event] = _rows(settings, AuditEvent, AuditEvent.action == "operator_email")
    assert event.actor_name == "Acme Okta (identity provider)"
    assert event.summary == f"E-mail address of {SAM} set to {SAM}, the address Acme Okta verified"
    with oidc_client(settings, sandbox_org) as admin:
        admin.sign_in("boss")
        page = admin.get("/operators").text
    row = re.search(r'<tr id="operator-[^"]+">\s*<td data-label="Name">Sam Super.*?</tr>', page, re.S)
    assert row is not None
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row.group(0).replace("<wbr>", ""))).split())
    assert f"{SAM} from the identity provider" in words


@pytest.mark.parametrize("claims", [{"email": "dana@acme.example"},
                                    {"email": "dana@acme.example", "email_verified": False},
                                    {"email": "dana@acme.example", "email_verified": "true"},
                                    {"email": "Dana <dana@acme.example>", "email_verified": True},
                                    {"email_verified": True}], ids=str)
def test_an_address_the_provider_does_not_vouch_for_is_not_taken(settings: Settings,
                                                                   claims: dict[str, Any]) -> None:
    _sign_in(settings, **claims)
    assert _email(settings) is None
    assert _rows(settings, AuditEvent, AuditEvent.action == "operator_email") == []


def test_a_verified_address_that_changes_follows_at_the_next_sign_in(settings: Settings) -> None:
    _sign_in(settings, email="dana@acme.example", email_verified=True)
    assert _email(settings) == "dana@acme.example"
    _sign_in(settings, email="dana.ops@acme.example", email_verified=False)
    assert _email(settings) == "dana@acme.example"  # not vouched for: the one before stays
    _sign_in(settings, email="dana.ops@acme.example", email_verified=True)
    assert _email(settings) == "dana.ops@acme.example"


def test_the_administrator_s_address_wins(settings: Settings) -> None:
    _sign_in(settings, email="dana@acme.example", email_verified=True)
    _admin_sets(settings, "oncall@acme.example")
    _sign_in(settings, email="dana@acme.example", email_verified=True)
    assert _email(settings) == "oncall@acme.example"


def test_an_address_the_administrator_cleared_stays_cleared(settings: Settings) -> None:
    _sign_in(settings, email="dana@acme.example", email_verified=True)
    _admin_sets(settings, "")
    _sign_in(settings, email="dana@acme.example", email_verified=True)
    assert _email(settings) is None

"""The identity provider's address cannot turn the server against its own network (issue 12,
finding 7): no IP literals, no name that resolves to this machine, its local link (cloud metadata)
or, unless an administrator says the provider is on the private network, a private address; the
endpoints its document names must be on the issuer's own host. And an attacker's
``error_description`` is never shown before the answer's ``state`` is checked (finding 11)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from app.audit import Actor
from app.auth.oidc import Flow, OidcFailure, RelyingParty
from app.auth.oidc_config import OidcConfig, SignInSettings, save_config
from app.auth.oidc_signin import _refusal_words
from app.common.validation import ValidationFailed
from app.settings import Settings
from app.store.db import Database
from app.vault import Secret, Vault, key_source_for
from app.web.deps import typed_input

ISSUER = "https://login.acme.example"


def resolver(table: dict[str, list[str]]) -> Callable[[str], Awaitable[list[str]]]:
    async def resolve(host: str) -> list[str]:
        return table.get(host, [])
    return resolve


def fields(issuer: str, **extra: str) -> dict[str, str]:
    return {"oidc_enabled": "on", "oidc_provider_name": "Acme", "oidc_issuer": issuer, "oidc_client_id": "0oa1",
            "oidc_client_secret": "a-client-secret-value", "oidc_admin_values": "Wizard Admins", **extra}


def save(settings: Settings, data: dict[str, str], table: dict[str, list[str]]) -> list[str]:
    async def go() -> list[str]:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                return await save_config(session, Vault(key_source_for(settings)), typed_input(SignInSettings, data),
                                         Actor.system("test"),
                                         sandbox_origin=None, resolver=resolver(table))
        finally:
            await db.dispose()
    return asyncio.run(go())


class TestTheSettingsRefuseInternalAddresses:
    @pytest.mark.parametrize(("issuer", "table", "message"), [
        ("https://127.0.0.1", {}, "not by an IP address"),
        ("https://169.254.169.254", {}, "not by an IP address"),
        ("https://[::1]", {}, "not by an IP address"),
        ("https://localhost", {"localhost": ["127.0.0.1", "::1"]},
         "an address of this machine; the server is not made to call its own services"),
        ("https://metadata.acme.example", {"metadata.acme.example": ["169.254.169.254"]}, "local link"),
        ("https://idp.corp.acme.example", {"idp.corp.acme.example": ["10.1.2.3"]}, "a private address"),
    ], ids=["ipv4-loopback", "metadata-ip", "ipv6-loopback", "localhost", "link-local-name", "private-name"])
    def test_each_is_refused_with_the_reason(self, settings: Settings, issuer: str, table: dict[str, list[str]],
                                             message: str) -> None:
        with pytest.raises(ValidationFailed) as refused:
            save(settings, fields(issuer), table)
        assert message in refused.value.errors["oidc_issuer"]

    def test_a_private_provider_is_allowed_when_the_administrator_says_so(self, settings: Settings) -> None:
        table = {"idp.corp.acme.example": ["10.1.2.3"]}
        changed = save(settings, fields("https://idp.corp.acme.example", oidc_allow_private_network="on"), table)
        assert "private network" in changed
        # Loopback stays refused even then.
        with pytest.raises(ValidationFailed):
            save(settings, fields("https://localhost", oidc_allow_private_network="on"),
                 {"localhost": ["127.0.0.1"]})

    def test_a_public_provider_is_accepted(self, settings: Settings) -> None:
        assert "issuer" in save(settings, fields(ISSUER), {"login.acme.example": ["93.184.216.34"]})


class _Provider(httpx.AsyncBaseTransport):
    """A provider whose discovery document is given; records every URL the server asked for (by
    the name it asked, its Host header) and each address it connected to (with the name its TLS
    certificate is checked against)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.asked: list[str] = []
        self.connected: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(str(request.url.copy_with(netloc=request.headers["Host"].encode())))
        self.connected.append((request.url.host, str(request.extensions.get("sni_hostname", ""))))
        return httpx.Response(200, json=self.document, request=request)


def config(**extra: Any) -> OidcConfig:
    return OidcConfig(enabled=True, provider_name="Acme", issuer=ISSUER, client_id="0oa1", **extra)


def document(**endpoints: str) -> dict[str, Any]:
    return {"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/authorize", "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/keys", **endpoints}


class TestTheServerNeverConnectsInside:
    def test_a_name_that_now_resolves_to_loopback_is_not_contacted(self) -> None:
        provider = _Provider(document())
        party = RelyingParty(transport_factory=lambda: provider,
                             resolver=resolver({"login.acme.example": ["127.0.0.1"]}))
        with pytest.raises(OidcFailure) as refused:
            asyncio.run(party.begin(config(), "https://wizard.acme.example/sign-in/oidc/callback", "/"))
        assert refused.value.reason == "private_address" and provider.asked == []
        # The visitor, signed out, is not told where the name points; the trail's readers are.
        assert "127.0.0.1" not in refused.value.message and "the audit trail says why" in refused.value.message
        assert "login.acme.example resolves to 127.0.0.1, an address of this machine" in \
            _refusal_words(refused.value, "Acme")

    @pytest.mark.parametrize("endpoint", ["token_endpoint", "jwks_uri", "authorization_endpoint"])
    def test_endpoints_on_another_host_are_refused(self, endpoint: str) -> None:
        provider = _Provider(document(**{endpoint: "https://169.254.169.254.nip.example/latest/meta-data"}))
        party = RelyingParty(transport_factory=lambda: provider,
                             resolver=resolver({"login.acme.example": ["93.184.216.34"]}))
        with pytest.raises(OidcFailure) as refused:
            asyncio.run(party.begin(config(), "https://wizard.acme.example/sign-in/oidc/callback", "/"))
        assert refused.value.reason == "bad_metadata" and endpoint in refused.value.message
        assert provider.asked == [f"{ISSUER}/.well-known/openid-configuration"]


def test_the_server_connects_to_the_address_it_checked_not_to_a_new_answer() -> None:
    """DNS rebinding: a name that resolves to a public address for the check and to the metadata
    service a moment later, for the connection, reached the metadata service. The connection goes
    to the address checked, the certificate checked against the name."""
    answers = iter([["93.184.216.34"], ["169.254.169.254"]])

    async def rebinding(host: str) -> list[str]:
        return next(answers)
    provider = _Provider(document())
    party = RelyingParty(transport_factory=lambda: provider, resolver=rebinding)
    url, _flow = asyncio.run(party.begin(config(), "https://wizard.acme.example/sign-in/oidc/callback", "/"))
    assert url.startswith(f"{ISSUER}/authorize?")
    assert provider.asked == [f"{ISSUER}/.well-known/openid-configuration"]
    assert provider.connected == [("93.184.216.34", "login.acme.example")]


def test_a_forged_error_description_is_not_shown_before_the_state_is_checked() -> None:
    party = RelyingParty(transport_factory=lambda: _Provider(document()),
                         resolver=resolver({"login.acme.example": ["93.184.216.34"]}))
    flow = Flow(state="the-real-state", nonce="n", code_verifier="v" * 64, next_url="/", issuer=ISSUER,
                client_id="0oa1", started_at=0.0)
    forged = {"state": "something-else", "error": "access_denied",
              "error_description": "Your account is suspended, call +1 555 0100 to restore it"}
    with pytest.raises(OidcFailure) as refused:
        asyncio.run(party.finish(config(), Secret("s"), flow, forged, "https://wizard.acme.example/cb"))
    assert refused.value.reason == "state_mismatch" and "555" not in refused.value.message
    real = {**forged, "state": "the-real-state"}
    with pytest.raises(OidcFailure) as said:
        asyncio.run(party.finish(config(), Secret("s"), flow, real, "https://wizard.acme.example/cb"))
    assert said.value.reason == "provider_error"

"""The sandbox as an OpenID Connect provider: discovery, keys, the authorize page's checks, codes
that work once and briefly, ID tokens a relying party can verify, and the client credentials
grant of API service integrations unchanged beside it."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet, RSAKey

from app.common.clock import FakeClock
from okta_sandbox import DemoOrg, SandboxOrg
from okta_sandbox.seed import WIZARD_CALLBACK_PATH, WIZARD_URL
from tests.sandbox.conftest import Connect

CALLBACK = WIZARD_URL + WIZARD_CALLBACK_PATH
VERIFIER = "a-code-verifier-that-is-long-enough-for-pkce-0123456789"


def _challenge(verifier: str = VERIFIER) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def _params(demo: DemoOrg, **changes: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "client_id": demo.wizard_client_id, "redirect_uri": CALLBACK, "response_type": "code",
        "scope": "openid profile email groups", "state": "state-123", "nonce": "nonce-456",
        "code_challenge": _challenge(), "code_challenge_method": "S256", **changes}
    return {name: value for name, value in params.items() if value is not None}


def _query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 303, response.text
    return {name: values[0] for name, values in parse_qs(urlsplit(response.headers["location"]).query).items()}


def _code(provider: httpx.Client, demo: DemoOrg, login_id: str, **changes: str | None) -> str:
    answer = provider.post("/oauth2/v1/authorize", data={**_params(demo, **changes), "user_id": login_id,
                                                          "action": "sign-in"})
    query = _query(answer)
    assert query["state"] == "state-123"
    return query["code"]


def _exchange(provider: httpx.Client, demo: DemoOrg, code: str, **changes: str | None) -> httpx.Response:
    form: dict[str, str | None] = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
                                   "code_verifier": VERIFIER, **changes}
    return provider.post("/oauth2/v1/token", data={k: v for k, v in form.items() if v is not None},
                         auth=(demo.wizard_client_id, demo.wizard_client_secret))


@pytest.fixture
def provider(connect: Connect) -> httpx.Client:
    return connect()


class TestDiscoveryAndKeys:
    def test_the_configuration_names_the_org_as_issuer(self, provider: httpx.Client, sandbox_org: SandboxOrg) -> None:
        document = provider.get("/.well-known/openid-configuration").json()
        base = sandbox_org.base_url
        assert document["issuer"] == base
        assert document["authorization_endpoint"] == f"{base}/oauth2/v1/authorize"
        assert document["token_endpoint"] == f"{base}/oauth2/v1/token"
        assert document["jwks_uri"] == f"{base}/oauth2/v1/keys"
        assert document["id_token_signing_alg_values_supported"] == ["RS256"]
        assert document["code_challenge_methods_supported"] == ["S256"]

    def test_the_keys_are_public_rsa_keys(self, provider: httpx.Client) -> None:
        keys = provider.get("/oauth2/v1/keys").json()["keys"]
        assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"
        assert "d" not in keys[0] and "p" not in keys[0], "no private part is published"

    def test_the_key_outlives_a_reset_and_so_does_the_wizard_client(
            self, provider: httpx.Client, sandbox_org: SandboxOrg, demo_org: DemoOrg) -> None:
        before = provider.get("/oauth2/v1/keys").json()
        sandbox_org.reset()
        assert provider.get("/oauth2/v1/keys").json() == before
        assert sandbox_org.demo is not None
        assert sandbox_org.demo.wizard_client_id == demo_org.wizard_client_id
        assert sandbox_org.oidc.clients[demo_org.wizard_client_id].redirect_uris == (CALLBACK,)


class TestAuthorizePage:
    def test_shows_the_users_to_sign_in_as(self, provider: httpx.Client, demo_org: DemoOrg) -> None:
        page = provider.get("/oauth2/v1/authorize", params=_params(demo_org))
        assert page.status_code == 200
        assert '<label for="user_id">Sign in as</label>' in page.text
        assert "sam.super@acme.example" in page.text
        assert "<script" not in page.text and "style=" not in page.text
        # The form's redirect goes to the client's origin, which the page's policy must allow.
        assert "form-action 'self' http://127.0.0.1:8000;" in page.headers["content-security-policy"]

    def test_only_active_users_are_offered(self, provider: httpx.Client, sandbox_org: SandboxOrg,
                                           demo_org: DemoOrg) -> None:
        page = provider.get("/oauth2/v1/authorize", params=_params(demo_org)).text
        staged = [user.login for user in sandbox_org.users if user.status != "ACTIVE"]
        assert staged and not any(login in page for login in staged)

    @pytest.mark.parametrize(("changes", "message"), [
        ({"client_id": "0oaNOTREGISTERED000"}, "The client id is not registered"),
        ({"redirect_uri": "https://evil.example/callback"}, "must be a Login redirect URI"),
        ({"redirect_uri": CALLBACK + "/"}, "must be a Login redirect URI"),
        ({"redirect_uri": None}, "must be a Login redirect URI"),
    ], ids=["unknown-client", "foreign-redirect", "almost-the-redirect", "no-redirect"])
    def test_a_bad_client_or_redirect_is_shown_never_followed(self, provider: httpx.Client, demo_org: DemoOrg,
                                                              changes: dict[str, str | None], message: str) -> None:
        answer = provider.get("/oauth2/v1/authorize", params=_params(demo_org, **changes))
        assert answer.status_code == 400
        assert message in answer.text
        assert "location" not in answer.headers

    @pytest.mark.parametrize(("changes", "error", "description"), [
        ({"response_type": "token"}, "unsupported_response_type", "response_type=code"),
        ({"scope": "profile"}, "invalid_scope", "'openid' scope is required"),
        ({"scope": "openid admin"}, "invalid_scope", "admin"),
        ({"state": None}, "invalid_request", "'state' parameter is required"),
        ({"nonce": None}, "invalid_request", "'nonce' parameter is required"),
        ({"code_challenge_method": "plain"}, "invalid_request", "must be S256"),
        ({"code_challenge": "short"}, "invalid_request", "not a SHA-256 digest"),
    ], ids=["response-type", "no-openid", "unknown-scope", "no-state", "no-nonce", "plain-pkce", "bad-challenge"])
    def test_other_mistakes_go_back_to_the_client(self, provider: httpx.Client, demo_org: DemoOrg,
                                                  changes: dict[str, str | None], error: str, description: str) -> None:
        query = _query(provider.get("/oauth2/v1/authorize", params=_params(demo_org, **changes)))
        assert query["error"] == error
        assert description in query["error_description"]
        assert urlsplit(provider.get("/oauth2/v1/authorize", params=_params(demo_org, **changes))
                        .headers["location"]).netloc == "127.0.0.1:8000"

    def test_a_form_whose_hidden_fields_were_changed_is_checked_again(self, provider: httpx.Client,
                                                                      demo_org: DemoOrg) -> None:
        answer = provider.post("/oauth2/v1/authorize", data={
            **_params(demo_org, redirect_uri="https://evil.example/cb"), "user_id": demo_org.admin_user_id})
        assert answer.status_code == 400 and "location" not in answer.headers

    def test_choosing_nobody_asks_again(self, provider: httpx.Client, demo_org: DemoOrg) -> None:
        answer = provider.post("/oauth2/v1/authorize", data={**_params(demo_org), "user_id": "", "action": "sign-in"})
        assert answer.status_code == 400
        assert "Choose an active user" in answer.text

    def test_cancel_returns_access_denied_with_the_state(self, provider: httpx.Client, demo_org: DemoOrg) -> None:
        query = _query(provider.post("/oauth2/v1/authorize", data={**_params(demo_org), "action": "cancel"}))
        assert query == {"error": "access_denied", "error_description": "The user cancelled the sign-in.",
                         "state": "state-123"}


class TestTokens:
    def test_the_id_token_is_signed_with_the_published_key(self, provider: httpx.Client, sandbox_org: SandboxOrg,
                                                           demo_org: DemoOrg) -> None:
        tokens = _exchange(provider, demo_org, _code(provider, demo_org, demo_org.admin_user_id)).json()
        assert tokens["token_type"] == "Bearer" and tokens["scope"] == "openid profile email groups"
        keys = KeySet.import_key_set(provider.get("/oauth2/v1/keys").json())
        token = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"])
        claims = token.claims
        now = int(sandbox_org.clock.now())
        assert token.header["alg"] == "RS256" and token.header["kid"] == keys.keys[0].kid
        assert claims["iss"] == sandbox_org.base_url and claims["aud"] == demo_org.wizard_client_id
        assert claims["sub"] == demo_org.admin_user_id and claims["nonce"] == "nonce-456"
        assert claims["iat"] == now and claims["exp"] == now + 3600
        assert claims["email"] == claims["preferred_username"] == "sam.super@acme.example"
        assert claims["name"] == "Sam Super"
        assert sorted(claims["groups"]) == ["Drata Users", "Engineering", "Everyone"]

    def test_claims_follow_the_scopes(self, provider: httpx.Client, demo_org: DemoOrg) -> None:
        tokens = _exchange(provider, demo_org, _code(provider, demo_org, demo_org.admin_user_id, scope="openid"))
        claims = jwt.decode(tokens.json()["id_token"], KeySet.import_key_set(provider.get("/oauth2/v1/keys").json()),
                            algorithms=["RS256"]).claims
        assert not {"email", "name", "preferred_username", "groups"} & set(claims)

    def test_another_key_cannot_verify_it(self, provider: httpx.Client, demo_org: DemoOrg) -> None:
        tokens = _exchange(provider, demo_org, _code(provider, demo_org, demo_org.admin_user_id)).json()
        # Another key under the same key id: the signature, not the id, is what fails.
        impostor = RSAKey.generate_key(2048, parameters={"kid": jwt.decode(
            tokens["id_token"], KeySet.import_key_set(provider.get("/oauth2/v1/keys").json())).header["kid"]})
        with pytest.raises(BadSignatureError):
            jwt.decode(tokens["id_token"], KeySet([impostor]), algorithms=["RS256"])

    def test_a_code_works_once(self, provider: httpx.Client, demo_org: DemoOrg) -> None:
        code = _code(provider, demo_org, demo_org.admin_user_id)
        assert _exchange(provider, demo_org, code).status_code == 200
        again = _exchange(provider, demo_org, code)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    def test_a_code_expires_after_sixty_seconds(self, provider: httpx.Client, demo_org: DemoOrg,
                                                fake_clock: FakeClock) -> None:
        code = _code(provider, demo_org, demo_org.admin_user_id)
        fake_clock.advance(61)
        answer = _exchange(provider, demo_org, code)
        assert answer.status_code == 400
        assert answer.json() == {"error": "invalid_grant",
                                 "error_description": "The authorization code is invalid or has expired."}

    @pytest.mark.parametrize(("changes", "status", "error"), [
        ({"redirect_uri": "http://127.0.0.1:8000/elsewhere"}, 400, "invalid_grant"),
        ({"code_verifier": "not-the-verifier-that-made-the-challenge-0000000000"}, 400, "invalid_grant"),
        ({"code_verifier": None}, 400, "invalid_request"),
    ], ids=["other-redirect", "wrong-verifier", "no-verifier"])
    def test_the_exchange_must_match_the_request(self, provider: httpx.Client, demo_org: DemoOrg,
                                                 changes: dict[str, str | None], status: int, error: str) -> None:
        answer = _exchange(provider, demo_org, _code(provider, demo_org, demo_org.admin_user_id), **changes)
        assert answer.status_code == status and answer.json()["error"] == error

    def test_without_pkce_no_verifier_is_needed(self, provider: httpx.Client, demo_org: DemoOrg) -> None:
        code = _code(provider, demo_org, demo_org.admin_user_id, code_challenge=None, code_challenge_method=None)
        assert _exchange(provider, demo_org, code, code_verifier=None).status_code == 200

    def test_the_client_must_prove_itself(self, provider: httpx.Client, demo_org: DemoOrg) -> None:
        code = _code(provider, demo_org, demo_org.admin_user_id)
        wrong = provider.post("/oauth2/v1/token", auth=(demo_org.wizard_client_id, "wrong"),
                              data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
                                    "code_verifier": VERIFIER})
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"

    def test_client_secret_post_is_accepted(self, provider: httpx.Client, demo_org: DemoOrg) -> None:
        code = _code(provider, demo_org, demo_org.admin_user_id)
        answer = provider.post("/oauth2/v1/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": VERIFIER,
            "client_id": demo_org.wizard_client_id, "client_secret": demo_org.wizard_client_secret})
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"

    def test_a_deactivated_user_gets_no_tokens(self, provider: httpx.Client, sandbox_org: SandboxOrg,
                                               demo_org: DemoOrg) -> None:
        from okta_sandbox.domain.users import deactivate_user

        code = _code(provider, demo_org, demo_org.admin_user_id)
        deactivate_user(sandbox_org, sandbox_org.users[demo_org.admin_user_id], actor=None)
        assert _exchange(provider, demo_org, code).json()["error"] == "invalid_grant"

    def test_the_client_credentials_grant_is_unchanged(self, provider: httpx.Client, demo_org: DemoOrg) -> None:
        # API service integrations still get "unsupported" for other grants, and OIDC clients
        # are not API service integrations.
        answer = provider.post("/oauth2/v1/token", auth=(demo_org.wizard_client_id, demo_org.wizard_client_secret),
                               data={"grant_type": "client_credentials", "scope": "okta.users.read"})
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


class TestRegistration:
    def test_add_oidc_client_registers_exact_redirects(self, sandbox_org: SandboxOrg, provider: httpx.Client) -> None:
        client_id, secret = sandbox_org.add_oidc_client(["https://wizard.acme.example/sign-in/oidc/callback"],
                                                        name="Acme wizard")
        assert re.fullmatch(r"0oa[0-9A-Za-z]{17}", client_id) and len(secret) == 64
        page = provider.get("/oauth2/v1/authorize", params={
            "client_id": client_id, "redirect_uri": "https://wizard.acme.example/sign-in/oidc/callback",
            "response_type": "code", "scope": "openid", "state": "s", "nonce": "n"})
        assert page.status_code == 200 and "Sign in to Acme wizard" in page.text

    def test_a_redirect_uri_must_be_an_address(self, sandbox_org: SandboxOrg) -> None:
        with pytest.raises(ValueError, match="redirect URI"):
            sandbox_org.add_oidc_client(["not a url"])

    def test_the_console_page_lists_the_clients(self, provider: httpx.Client, demo_org: DemoOrg) -> None:
        page = provider.get("/__sandbox__/oidc")
        assert page.status_code == 200
        assert demo_org.wizard_client_id in page.text and demo_org.wizard_client_secret in page.text
        assert CALLBACK in page.text and "<script" not in page.text

"""Apps (Drata's OIDC app: lookup, scope grants, assignments, client secrets), API service
integrations (Authomize: the secret only on install), the OAuth token endpoint, and log streams."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from app.common.clock import FakeClock
from okta_sandbox import DemoOrg, SandboxOrg
from okta_sandbox.domain.api_services import AUTHOMIZE_TYPE
from tests.okta_spec import Violation
from tests.sandbox.conftest import Connect, error_code

AUTHOMIZE = {"type": AUTHOMIZE_TYPE,
             "grantedScopes": ["okta.users.read", "okta.groups.read", "okta.roles.read", "okta.apps.read",
                               "okta.logs.read", "okta.idps.read"]}
EVENTBRIDGE: dict[str, Any] = {"type": "aws_eventbridge", "name": "Oort",
                               "settings": {"accountId": "123456789012", "eventSourceName": "oort.okta-events_1",
                                            "region": "us-east-2"}}


class TestApps:
    def test_find_drata_by_label_prefix(self, okta: httpx.Client, demo_org: DemoOrg) -> None:
        apps = okta.get("/api/v1/apps", params={"q": "Drata"}).json()
        assert [app["id"] for app in apps] == [demo_org.drata_app_id]
        app = apps[0]
        assert app["name"] == "drata" and app["signOnMode"] == "OPENID_CONNECT"
        assert app["credentials"]["oauthClient"]["client_id"] == demo_org.drata_client_id

    def test_filter_by_name(self, okta: httpx.Client, demo_org: DemoOrg) -> None:
        assert [a["id"] for a in okta.get("/api/v1/apps", params={"filter": 'name eq "drata"'}).json()] == [
            demo_org.drata_app_id]
        assert okta.get("/api/v1/apps", params={"filter": 'name eq "nothing"'}).json() == []

    def test_apps_page_with_link_headers(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        for number in range(4):
            sandbox_org.add_app(f"App {number}")
        first = okta.get("/api/v1/apps", params={"limit": "3"})
        assert len(first.json()) == 3
        second = okta.get(first.links["next"]["url"])
        assert len(second.json()) == 2 and "next" not in second.links

    def test_the_client_secret_is_in_the_secrets_list(self, okta: httpx.Client, demo_org: DemoOrg,
                                                      sandbox_org: SandboxOrg) -> None:
        secrets = okta.get(f"/api/v1/apps/{demo_org.drata_app_id}/credentials/secrets").json()
        assert [secret["client_secret"] for secret in secrets] == [sandbox_org.client_secret(demo_org.drata_app_id)]

    def test_a_new_secret_is_201_and_a_third_is_refused(self, okta: httpx.Client, demo_org: DemoOrg) -> None:
        url = f"/api/v1/apps/{demo_org.drata_app_id}/credentials/secrets"
        created = okta.post(url, json={})
        assert created.status_code == 201 and created.json()["status"] == "ACTIVE"
        refused = okta.post(url, json={})
        assert refused.status_code == 400 and error_code(refused) == "E0000001"

    def test_grant_list_and_revoke_a_scope(self, okta: httpx.Client, demo_org: DemoOrg,
                                           sandbox_org: SandboxOrg) -> None:
        url = f"/api/v1/apps/{demo_org.drata_app_id}/grants"
        created = okta.post(url, json={"issuer": sandbox_org.base_url, "scopeId": "okta.users.read.self"})
        assert created.status_code == 201
        grant = created.json()
        assert grant["scopeId"] == "okta.users.read.self" and grant["source"] == "ADMIN"
        assert grant["clientId"] == demo_org.drata_client_id and grant["id"].startswith("oag")
        assert [item["id"] for item in okta.get(url).json()] == [grant["id"]]
        assert okta.delete(f"{url}/{grant['id']}").status_code == 204
        assert okta.get(url).json() == []

    @pytest.mark.parametrize("body", [{"issuer": "https://other.example", "scopeId": "okta.users.read"},
                                      {"issuer": "{base}", "scopeId": "okta.made.up"}])
    def test_a_bad_grant_is_refused(self, okta: httpx.Client, demo_org: DemoOrg, sandbox_org: SandboxOrg,
                                    body: dict[str, str]) -> None:
        body = {key: value.replace("{base}", sandbox_org.base_url) for key, value in body.items()}
        response = okta.post(f"/api/v1/apps/{demo_org.drata_app_id}/grants", json=body)
        assert response.status_code == 400 and error_code(response) == "E0000001"

    def test_assign_users_and_groups(self, okta: httpx.Client, demo_org: DemoOrg, sandbox_org: SandboxOrg) -> None:
        app = f"/api/v1/apps/{demo_org.drata_app_id}"
        user = okta.post(f"{app}/users", json={"id": demo_org.admin_user_id, "scope": "USER"})
        assert user.status_code == 200 and user.json()["scope"] == "USER"
        group = okta.put(f"{app}/groups/{demo_org.group_ids['Drata Users']}", json={"priority": 0})
        assert group.status_code == 200 and group.json()["id"] == demo_org.group_ids["Drata Users"]
        assert [g["id"] for g in okta.get(f"{app}/groups").json()] == [demo_org.group_ids["Drata Users"]]
        members = sandbox_org.groups[demo_org.group_ids["Drata Users"]].members
        users = okta.get(f"{app}/users", params={"limit": "200"}).json()
        assert {u["id"] for u in users} == members | {demo_org.admin_user_id}
        assert okta.delete(f"{app}/users/{demo_org.admin_user_id}").status_code == 204
        assert okta.delete(f"{app}/groups/{demo_org.group_ids['Drata Users']}").status_code == 204
        assert okta.get(f"{app}/users").json() == []

    def test_an_unknown_app_is_404(self, okta: httpx.Client) -> None:
        response = okta.get("/api/v1/apps/0oanothere00000000000")
        assert response.status_code == 404 and error_code(response) == "E0000007"


class TestApiServiceIntegrations:
    def test_install_returns_the_client_secret_once(self, okta: httpx.Client, demo_org: DemoOrg) -> None:
        created = okta.post("/integrations/api/v1/api-services", json=AUTHOMIZE)
        assert created.status_code == 201
        body = created.json()
        assert body["clientSecret"] and body["id"].startswith("0oa") and body["createdBy"] == demo_org.admin_user_id
        assert body["_links"]["client"]["href"].endswith(f"/oauth2/v1/clients/{body['id']}")
        fetched = okta.get(f"/integrations/api/v1/api-services/{body['id']}").json()
        assert "clientSecret" not in fetched and fetched["grantedScopes"] == AUTHOMIZE["grantedScopes"]
        listed = okta.get("/integrations/api/v1/api-services").json()
        assert "clientSecret" not in listed[0] and body["clientSecret"] not in str(listed)
        secrets = okta.get(f"/integrations/api/v1/api-services/{body['id']}/credentials/secrets").json()
        assert secrets[0]["client_secret"].startswith("***") and body["clientSecret"] not in str(secrets)

    def test_an_unknown_type_is_refused(self, okta: httpx.Client) -> None:
        response = okta.post("/integrations/api/v1/api-services", json={**AUTHOMIZE, "type": "authomize"})
        assert response.status_code == 400 and response.json()["errorSummary"] == "Api validation failed: type"

    def test_scopes_outside_the_catalog_entry_are_refused(self, okta: httpx.Client) -> None:
        response = okta.post("/integrations/api/v1/api-services",
                             json={**AUTHOMIZE, "grantedScopes": ["okta.users.manage"]})
        assert response.status_code == 400 and error_code(response) == "E0000001"

    def test_a_new_secret_is_shown_in_full_once(self, okta: httpx.Client) -> None:
        service_id = okta.post("/integrations/api/v1/api-services", json=AUTHOMIZE).json()["id"]
        created = okta.post(f"/integrations/api/v1/api-services/{service_id}/credentials/secrets")
        assert created.status_code == 201 and not created.json()["client_secret"].startswith("***")

    def test_uninstall(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        service_id = okta.post("/integrations/api/v1/api-services", json=AUTHOMIZE).json()["id"]
        assert okta.delete(f"/integrations/api/v1/api-services/{service_id}").status_code == 204
        assert service_id not in sandbox_org.api_services

    def test_the_playbook_default_key_is_not_the_catalog_key(self, okta: httpx.Client) -> None:
        """Okta's keys are not derived from the display name (Anzenna's is anzennaapiservice): the
        sandbox refuses the playbook's guess the way Okta refuses an unknown type."""
        response = okta.post("/integrations/api/v1/api-services",
                             json={**AUTHOMIZE, "type": "authomize_identity_security"})
        assert response.status_code == 400 and error_code(response) == "E0000001"
        assert "authomize_identity_security" in response.json()["errorCauses"][0]["errorSummary"]

    def test_a_secret_is_deactivated_then_deleted(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        service_id = okta.post("/integrations/api/v1/api-services", json=AUTHOMIZE).json()["id"]
        base = f"/integrations/api/v1/api-services/{service_id}/credentials/secrets"
        created = okta.post(base).json()
        secret_id = created["id"]
        refused = okta.delete(f"{base}/{secret_id}")  # Okta deletes only an inactive secret
        assert refused.status_code == 400 and error_code(refused) == "E0000001"
        deactivated = okta.post(f"{base}/{secret_id}/lifecycle/deactivate")
        assert deactivated.status_code == 200 and deactivated.json()["status"] == "INACTIVE"
        assert deactivated.json()["client_secret"].startswith("***")
        assert "delete" in deactivated.json()["_links"]
        activated = okta.post(f"{base}/{secret_id}/lifecycle/activate")
        assert activated.status_code == 200 and activated.json()["status"] == "ACTIVE"
        okta.post(f"{base}/{secret_id}/lifecycle/deactivate")
        assert okta.delete(f"{base}/{secret_id}").status_code == 204
        listed = [s["id"] for s in okta.get(base).json()]
        assert secret_id not in listed and len(listed) == 1
        missing = okta.delete(f"{base}/{secret_id}")
        assert missing.status_code == 404 and error_code(missing) == "E0000007"
        events = [e.body["eventType"] for e in sandbox_org.events][-4:]
        assert events == ["app.oauth2.credentials.lifecycle.deactivate", "app.oauth2.credentials.lifecycle.activate",
                          "app.oauth2.credentials.lifecycle.deactivate", "app.oauth2.credentials.lifecycle.delete"]

    def test_an_inactive_secret_gets_no_token(self, okta: httpx.Client) -> None:
        body = okta.post("/integrations/api/v1/api-services", json=AUTHOMIZE).json()
        base = f"/integrations/api/v1/api-services/{body['id']}/credentials/secrets"
        [first] = okta.get(base).json()
        okta.post(f"{base}/{first['id']}/lifecycle/deactivate")
        token = okta.post("/oauth2/v1/token", headers=_basic(body["id"], body["clientSecret"]),
                          data={"grant_type": "client_credentials", "scope": "okta.users.read"})
        assert token.status_code == 401 and token.json()["error"] == "invalid_client"


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


class TestOAuthClientCredentials:
    def _install(self, okta: httpx.Client) -> tuple[str, str]:
        body = okta.post("/integrations/api/v1/api-services", json=AUTHOMIZE).json()
        return body["id"], body["clientSecret"]

    def test_a_token_works_within_its_scopes(self, okta: httpx.Client, connect: Connect) -> None:
        client_id, secret = self._install(okta)
        anonymous = connect()
        response = anonymous.post("/oauth2/v1/token", headers=_basic(client_id, secret),
                                  data={"grant_type": "client_credentials", "scope": "okta.users.read"})
        assert response.status_code == 200
        token = response.json()
        assert token["token_type"] == "Bearer" and token["expires_in"] == 3600 and token["scope"] == "okta.users.read"
        bearer = connect(token["access_token"], scheme="Bearer")
        assert bearer.get("/api/v1/users").status_code == 200
        refused = bearer.get("/api/v1/groups")
        assert refused.status_code == 403 and error_code(refused) == "E0000006"
        assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]

    def test_an_access_token_expires_after_an_hour(self, okta: httpx.Client, connect: Connect,
                                                   fake_clock: FakeClock) -> None:
        client_id, secret = self._install(okta)
        token = connect().post("/oauth2/v1/token", headers=_basic(client_id, secret), data={
            "grant_type": "client_credentials", "scope": "okta.logs.read"}).json()["access_token"]
        fake_clock.advance(3601)
        assert connect(token, scheme="Bearer").get("/api/v1/logs").status_code == 401

    def test_a_wrong_secret_is_invalid_client(self, okta: httpx.Client, connect: Connect) -> None:
        client_id, _ = self._install(okta)
        response = connect().post("/oauth2/v1/token", headers=_basic(client_id, "wrong"),
                                  data={"grant_type": "client_credentials", "scope": "okta.users.read"})
        assert response.status_code == 401 and response.json()["error"] == "invalid_client"

    def test_a_scope_not_granted_is_invalid_scope(self, okta: httpx.Client, connect: Connect) -> None:
        client_id, secret = self._install(okta)
        response = connect().post("/oauth2/v1/token", headers=_basic(client_id, secret),
                                  data={"grant_type": "client_credentials", "scope": "okta.users.manage"})
        assert response.status_code == 400 and response.json()["error"] == "invalid_scope"
        assert set(response.json()) == {"error", "error_description"}

    def test_client_secret_post_is_refused(self, okta: httpx.Client, connect: Connect) -> None:
        client_id, secret = self._install(okta)
        response = connect().post("/oauth2/v1/token", data={
            "grant_type": "client_credentials", "scope": "okta.users.read", "client_id": client_id,
            "client_secret": secret})
        assert response.status_code == 401 and response.json()["error"] == "invalid_client"

    def test_other_grant_types_are_unsupported(self, okta: httpx.Client, connect: Connect) -> None:
        client_id, secret = self._install(okta)
        response = connect().post("/oauth2/v1/token", headers=_basic(client_id, secret),
                                  data={"grant_type": "password", "scope": "okta.users.read"})
        assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


class TestLogStreams:
    def test_create_an_eventbridge_stream(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        response = okta.post("/api/v1/logStreams", json=EVENTBRIDGE)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ACTIVE" and body["settings"] == EVENTBRIDGE["settings"]
        assert body["_links"]["self"]["href"].endswith(f"/api/v1/logStreams/{body['id']}")
        assert body["_links"]["deactivate"]["method"] == "POST"
        assert [stream.name for stream in sandbox_org.log_streams] == ["Oort"]

    @pytest.mark.parametrize(("field", "value"), [("accountId", "12345"), ("accountId", "12345678901a"),
                                                  ("region", "mars-north-1"), ("eventSourceName", "has space"),
                                                  ("eventSourceName", "x" * 76), ("eventSourceName", "")])
    def test_bad_settings_are_refused(self, okta: httpx.Client, field: str, value: str,
                                      okta_violations: list[Violation]) -> None:
        body = {**EVENTBRIDGE, "settings": {**EVENTBRIDGE["settings"], field: value}}
        response = okta.post("/api/v1/logStreams", json=body)
        assert response.status_code == 400 and error_code(response) == "E0000001"
        okta_violations.clear()  # the spec forbids most of these requests too; that is the point

    def test_at_most_two_log_streams(self, okta: httpx.Client) -> None:
        for name in ("One", "Two"):
            assert okta.post("/api/v1/logStreams", json={**EVENTBRIDGE, "name": name}).status_code == 200
        response = okta.post("/api/v1/logStreams", json={**EVENTBRIDGE, "name": "Three"})
        assert response.status_code == 400 and error_code(response) == "E0000001"

    def test_settings_are_immutable_but_the_name_is_not(self, okta: httpx.Client) -> None:
        stream_id = okta.post("/api/v1/logStreams", json=EVENTBRIDGE).json()["id"]
        moved = {**EVENTBRIDGE, "settings": {**EVENTBRIDGE["settings"], "region": "eu-west-1"}}
        assert okta.put(f"/api/v1/logStreams/{stream_id}", json=moved).status_code == 400
        renamed = okta.put(f"/api/v1/logStreams/{stream_id}", json={**EVENTBRIDGE, "name": "Oort events"})
        assert renamed.status_code == 200 and renamed.json()["name"] == "Oort events"

    def test_deactivate_activate_filter_and_delete(self, okta: httpx.Client) -> None:
        stream_id = okta.post("/api/v1/logStreams", json=EVENTBRIDGE).json()["id"]
        assert okta.post(f"/api/v1/logStreams/{stream_id}/lifecycle/deactivate").json()["status"] == "INACTIVE"
        assert okta.get("/api/v1/logStreams", params={"filter": 'status eq "ACTIVE"'}).json() == []
        assert okta.post(f"/api/v1/logStreams/{stream_id}/lifecycle/activate").json()["status"] == "ACTIVE"
        listed = okta.get("/api/v1/logStreams", params={"filter": 'type eq "aws_eventbridge"'}).json()
        assert [stream["id"] for stream in listed] == [stream_id]
        assert okta.delete(f"/api/v1/logStreams/{stream_id}").status_code == 204
        assert okta.get(f"/api/v1/logStreams/{stream_id}").status_code == 404

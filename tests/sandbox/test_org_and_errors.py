"""The org's identity, Okta's id formats and status codes, and Okta's error answers."""

from __future__ import annotations

import asyncio
import json
import re

import httpx

from okta_sandbox import DemoOrg, SandboxOrg, SandboxTransport
from okta_sandbox.operations import OPERATIONS
from tests.okta_spec import Violation
from tests.sandbox.conftest import Connect, accept_invalid_requests, error_code


class TestWellKnown:
    def test_needs_no_token_and_names_the_pipeline(self, connect: Connect, sandbox_org: SandboxOrg) -> None:
        response = connect().get("/.well-known/okta-organization")
        assert response.status_code == 200
        body = response.json()
        assert {key: body[key] for key in ("id", "pipeline", "_links")} == {
            "id": sandbox_org.org_id, "pipeline": "idx", "_links": {"organization": {"href": sandbox_org.base_url}}}
        assert set(body) == {"id", "cell", "pipeline", "_links", "settings"}  # as recorded from real Okta

    def test_a_classic_org_says_v1(self, connect: Connect, sandbox_org: SandboxOrg) -> None:
        sandbox_org.pipeline = "v1"
        assert connect().get("/.well-known/okta-organization").json()["pipeline"] == "v1"


class TestOrgSettings:
    def test_org_settings_carry_the_org_id(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        body = okta.get("/api/v1/org").json()
        assert body["id"] == sandbox_org.org_id and body["status"] == "ACTIVE"
        assert body["companyName"] == "Acme Corporation"

    def test_domains_list_is_empty_without_a_custom_domain(self, okta: httpx.Client) -> None:
        assert okta.get("/api/v1/domains").json() == {"domains": []}


class TestIdFormats:
    def test_objects_have_okta_prefixes_and_lengths(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        user = okta.post("/api/v1/users?activate=false", json={"profile": {
            "firstName": "Ida", "lastName": "Format", "email": "ida@acme.example", "login": "ida@acme.example"}}).json()
        role = okta.post("/api/v1/iam/roles", json={"label": "Formats", "description": "d",
                                                    "permissions": ["okta.users.read"]}).json()
        resource_set = okta.post("/api/v1/iam/resource-sets", json={
            "label": "Formats", "description": "d", "resources": [f"{sandbox_org.base_url}/api/v1/users"]}).json()
        standard = okta.post(f"/api/v1/users/{user['id']}/roles", json={"type": "READ_ONLY_ADMIN"}).json()
        custom = okta.post(f"/api/v1/users/{user['id']}/roles",
                           json={"type": "CUSTOM", "role": role["id"], "resource-set": resource_set["id"]}).json()
        app_id = okta.get("/api/v1/apps?q=Drata").json()[0]["id"]
        grant = okta.post(f"/api/v1/apps/{app_id}/grants",
                          json={"issuer": sandbox_org.base_url, "scopeId": "okta.users.read.self"}).json()
        token = okta.get("/api/v1/api-tokens").json()[0]
        group = okta.get("/api/v1/groups").json()[0]
        expected = {
            user["id"]: ("00u", 20), group["id"]: ("00g", 20), app_id: ("0oa", 20), role["id"]: ("cr0", 20),
            resource_set["id"]: ("iam", 21), custom["id"]: ("irb", 20),
            token["id"]: ("00T", 20), grant["id"]: ("oag", 20), sandbox_org.org_id: ("00o", 20),
        }
        for value, (prefix, length) in expected.items():
            assert value.startswith(prefix) and len(value) == length, value
            assert re.fullmatch(r"[0-9A-Za-z]+", value)
        # A standard role's assignment has no id of its own: Okta's is the role type in base32.
        assert standard["id"] == "KJCUCRC7J5HEYWK7IFCE2SKO"


class TestErrors:
    def test_every_response_has_a_request_id(self, okta: httpx.Client, connect: Connect) -> None:
        for response in (okta.get("/api/v1/users/me"), okta.get("/api/v1/users/nobody"),
                         connect().get("/api/v1/users"), connect().get("/.well-known/okta-organization")):
            assert len(response.headers["X-Okta-Request-Id"]) >= 20

    def test_error_bodies_have_okta_fields(self, okta: httpx.Client) -> None:
        body = okta.get("/api/v1/users/nobody@acme.example").json()
        assert set(body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
        assert body["errorCode"] == "E0000007" and body["errorLink"] == "E0000007"
        assert body["errorId"].startswith("oae")

    def test_an_unknown_path_is_404_e0000008(self, okta: httpx.Client) -> None:
        response = okta.get("/api/v1/no-such-thing")
        assert response.status_code == 404 and error_code(response) == "E0000008"

    def test_creating_an_api_token_is_405_e0000022(self, okta: httpx.Client) -> None:
        response = okta.post("/api/v1/api-tokens", json={"name": "nope"})
        assert response.status_code == 405 and error_code(response) == "E0000022"
        assert "GET" in response.headers["Allow"]

    def test_get_current_api_token_is_not_an_operation(self, okta: httpx.Client) -> None:
        response = okta.get("/api/v1/api-tokens/current")
        assert response.status_code == 404 and error_code(response) == "E0000007"

    def test_a_body_that_is_not_json_is_400_e0000003(self, okta: httpx.Client,
                                                     okta_violations: list[Violation]) -> None:
        response = okta.post("/api/v1/iam/roles", content=b"{not json", headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and error_code(response) == "E0000003"
        accept_invalid_requests(okta_violations)

    def test_a_missing_required_field_is_400_e0000001_naming_it(self, okta: httpx.Client,
                                                                okta_violations: list[Violation]) -> None:
        response = okta.post("/api/v1/users", json={"profile": {"firstName": "No", "lastName": "Login",
                                                                 "email": "nologin@acme.example"}})
        assert response.status_code == 400 and error_code(response) == "E0000001"
        assert response.json()["errorSummary"] == "Api validation failed: login"
        assert response.json()["errorCauses"][0]["errorSummary"].startswith("login:")
        # The spec does not require login, so the request itself is valid.
        assert not okta_violations

    def test_a_bad_query_number_is_400_not_a_crash(self, okta: httpx.Client) -> None:
        response = okta.get("/api/v1/users", params={"after": "%%%"})
        assert response.status_code == 400 and error_code(response) == "E0000001"


_ODD_BODIES = [b"{not json", b"[]", b"null", b'"text"', json.dumps({
    "profile": [], "label": 5, "description": None, "permissions": "x", "resources": [1], "type": 7,
    "additions": {}, "members": [None], "settings": "x", "name": [], "role": {}, "resource-set": 1,
    "grantedScopes": "x", "issuer": 1, "scopeId": [], "id": 5, "priority": "x", "network": "x",
    "credentials": "x", "groupIds": "x", "definitions": {"custom": {"properties": {"x": 5}},
                                                         "base": {"properties": {"email": []}}}}).encode()]
_ODD_QUERIES = ["", "?limit=abc", "?after=zzz", "?filter=((", "?search=a%20eq", "?since=yesterday&sortOrder=UP"]


class TestLeniency:
    def test_no_operation_crashes_on_odd_input(self, sandbox_org: SandboxOrg, demo_org: DemoOrg) -> None:
        # Deliberately invalid requests, so this transport does not validate against the spec; it
        # only watches for answers Okta would never give to a bad request.
        failures: list[str] = []

        def watch(request: httpx.Request, response: httpx.Response) -> None:
            if response.status_code >= 500 or not response.headers.get("X-Okta-Request-Id"):
                failures.append(f"{request.method} {request.url} {request.content[:40]!r} -> {response.status_code}")

        ids = {"id": demo_org.admin_user_id, "userId": demo_org.admin_user_id, "appId": demo_org.drata_app_id,
               "groupId": demo_org.group_ids["Sales"], "schemaId": "default"}

        async def exercise() -> None:
            async with httpx.AsyncClient(transport=SandboxTransport(sandbox_org, observer=watch),
                                         base_url=sandbox_org.base_url,
                                         headers={"Authorization": f"SSWS {demo_org.admin_token}",
                                                  "Content-Type": "application/json"}) as client:
                for operation in OPERATIONS:
                    path = re.sub(r"\{(\w+)\}", lambda match: ids.get(match.group(1), "x"), operation.path)
                    bodies = _ODD_BODIES if operation.method in ("POST", "PUT", "PATCH") else [b""]
                    for query in _ODD_QUERIES:
                        for body in bodies:
                            await client.request(operation.method, path + query, content=body)

        asyncio.run(exercise())
        assert not failures, "\n".join(failures)

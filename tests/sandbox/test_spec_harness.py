"""The spec cut and the validator that every other sandbox test relies on: the operations table
agrees with the cut, the cut is complete and documented, and the validator catches what it must
while exempting only the documented spec faults."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from okta_sandbox.api import HANDLERS
from okta_sandbox.operations import OPERATIONS
from okta_sandbox.scopes import SPEC_SCOPES
from tests.okta_spec import ROOT, SPEC_EXCEPTIONS, SPEC_PATH, OktaSpecValidator, load_spec

BASE = "http://127.0.0.1:8010"
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec()


def _cut_script() -> ModuleType:
    location = ROOT / "scripts" / "cut_okta_spec.py"
    module_spec = importlib.util.spec_from_file_location("cut_okta_spec", location)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


class TestOperationsTable:
    def test_each_operation_is_in_the_cut_with_its_scope_and_admin_roles(self, spec: dict[str, Any]) -> None:
        for operation in OPERATIONS:
            declared = spec["paths"][operation.path][operation.method.lower()]
            assert declared["operationId"] == operation.operation_id
            scopes = [scope for requirement in declared.get("security", []) for scope in requirement.get("oauth2", [])]
            assert scopes == ([operation.scope] if operation.scope else []), operation.operation_id
            roles = declared.get("x-okta-iam-admin-roles")
            assert (tuple(roles) if roles else None) == operation.admin_roles, operation.operation_id

    def test_the_cut_holds_only_operations_the_sandbox_serves(self, spec: dict[str, Any]) -> None:
        in_cut = {(path, method.upper()) for path, item in spec["paths"].items() for method in item
                  if method in HTTP_METHODS}
        assert in_cut == {(operation.path, operation.method) for operation in OPERATIONS}

    def test_every_operation_has_a_handler(self) -> None:
        assert set(HANDLERS) == {operation.operation_id for operation in OPERATIONS}

    def test_the_scope_list_is_the_specs(self, spec: dict[str, Any]) -> None:
        flows = spec["components"]["securitySchemes"]["oauth2"]["flows"]
        assert SPEC_SCOPES == frozenset(flows["authorizationCode"]["scopes"])

    def test_cutting_the_cut_changes_nothing(self, spec: dict[str, Any]) -> None:
        # Every reference resolves inside the cut and nothing unreferenced was kept.
        assert _cut_script().cut(spec) == {key: spec[key] for key in spec}


class TestProvenance:
    def test_the_cut_names_its_input_and_source_md_its_output(self) -> None:
        source = (ROOT / "spec" / "okta" / "SOURCE.md").read_text(encoding="utf-8")
        header = SPEC_PATH.read_text(encoding="utf-8").splitlines()[1]
        input_hash = re.search(r"sha256 ([0-9a-f]{64})", header)
        assert input_hash is not None and input_hash.group(1) in source
        assert hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest() in source

    def test_the_notice_keeps_the_licence(self, spec: dict[str, Any]) -> None:
        notice = (ROOT / "spec" / "okta" / "NOTICE").read_text(encoding="utf-8")
        assert spec["info"]["license"]["name"] == "Apache-2.0"
        assert "Apache License, Version 2.0" in notice and "Okta" in notice

    def test_every_exemption_is_documented_and_every_documented_one_is_known(self) -> None:
        documented = re.findall(r"^## ([a-z0-9-]+)$", (ROOT / "spec" / "okta" / "EXCEPTIONS.md").read_text(),
                                re.MULTILINE)
        assert sorted(documented) == sorted(SPEC_EXCEPTIONS)
        code = (Path(__file__).resolve().parents[1] / "okta_spec.py").read_text(encoding="utf-8")
        for identifier in SPEC_EXCEPTIONS:
            if identifier != "custom-role-example-href-typo":  # an example; nothing to exempt in code
                assert f"EXCEPTIONS.md#{identifier}" in code, identifier


def _error(code: str = "E0000001") -> dict[str, object]:
    return {"errorCode": code, "errorSummary": "x", "errorLink": code, "errorId": "oae1", "errorCauses": []}


def _check(validator: OktaSpecValidator, method: str, path: str, status: int, body: object = None,
           request_body: object = None, headers: dict[str, str] | None = None) -> list[str]:
    request = httpx.Request(method, f"{BASE}{path}", json=request_body) if request_body is not None else \
        httpx.Request(method, f"{BASE}{path}")
    response = httpx.Response(status, json=body, headers=headers, request=request) if body is not None else \
        httpx.Response(status, headers=headers, request=request)
    return [str(violation) for violation in validator.check(request, response)]


class TestValidator:
    def test_a_response_off_the_spec_is_reported(self, spec_validator: OktaSpecValidator) -> None:
        problems = _check(spec_validator, "GET", "/api/v1/iam/roles/cr0x", 200, {"id": 5, "label": "x"})
        assert any("id" in problem for problem in problems)

    def test_a_request_off_the_spec_is_reported(self, spec_validator: OktaSpecValidator) -> None:
        problems = _check(spec_validator, "POST", "/api/v1/iam/roles", 400, _error(), request_body={"label": "x"})
        assert any("description" in problem for problem in problems)

    def test_an_undeclared_error_status_needs_an_error_body(self, spec_validator: OktaSpecValidator) -> None:
        assert _check(spec_validator, "GET", "/api/v1/users", 401, _error("E0000011")) == []
        assert _check(spec_validator, "GET", "/api/v1/users", 401, {"message": "nope"})

    def test_an_undeclared_success_status_is_reported(self, spec_validator: OktaSpecValidator) -> None:
        assert _check(spec_validator, "GET", "/api/v1/users", 201, [])

    def test_an_undeclared_operation_must_be_refused(self, spec_validator: OktaSpecValidator) -> None:
        assert _check(spec_validator, "POST", "/api/v1/api-tokens", 405, _error("E0000022")) == []
        assert _check(spec_validator, "POST", "/api/v1/api-tokens", 200, {"id": "00T"})

    def test_the_sandbox_and_oauth_endpoints_are_skipped(self, spec_validator: OktaSpecValidator) -> None:
        assert _check(spec_validator, "GET", "/__sandbox__/state", 200, {"anything": True}) == []
        assert _check(spec_validator, "POST", "/oauth2/v1/token", 400, {"error": "invalid_scope"}) == []

    def test_a_sandbox_crash_is_reported(self, spec_validator: OktaSpecValidator) -> None:
        assert _check(spec_validator, "GET", "/api/v1/users", 500, _error("E0000009"),
                      headers={"X-Sandbox-Internal-Error": "1"})

    def test_discriminator_subtypes_are_checked(self, spec_validator: OktaSpecValidator) -> None:
        stream = {"id": "0oa1", "type": "aws_eventbridge", "name": "n", "status": "ACTIVE",
                  "created": "2026-01-01T00:00:00.000Z", "lastUpdated": "2026-01-01T00:00:00.000Z",
                  "settings": {"accountId": "123456789012", "region": "mars-1", "eventSourceName": "fine-name"},
                  "_links": {"self": {"href": f"{BASE}/api/v1/logStreams/0oa1"}}}
        problems = _check(spec_validator, "GET", "/api/v1/logStreams/0oa1", 200, stream)
        assert len(problems) == 1 and "region" in problems[0]

    def test_an_oin_oidc_app_name_is_accepted_but_nothing_else(self, spec_validator: OktaSpecValidator) -> None:
        app = {"id": "0oa1", "name": "drata", "label": "Drata - OIDC", "signOnMode": "OPENID_CONNECT",
               "status": "ACTIVE", "credentials": {"oauthClient": {"client_id": "0oa1xxxxx"}},
               "settings": {"oauthClient": {"grant_types": ["authorization_code"]}}}
        assert _check(spec_validator, "GET", "/api/v1/apps/0oa1", 200, app) == []
        app["settings"] = {"oauthClient": {"grant_types": ["NOT_A_GRANT"]}}
        assert _check(spec_validator, "GET", "/api/v1/apps/0oa1", 200, app)

    def test_a_deliberately_malformed_body_is_not_validated(self, spec_validator: OktaSpecValidator) -> None:
        request = httpx.Request("GET", f"{BASE}/api/v1/users")
        response = httpx.Response(200, content=b"{", headers={"X-Sandbox-Fault": "malformed_json",
                                                              "Content-Type": "application/json"}, request=request)
        assert spec_validator.check(request, response) == []

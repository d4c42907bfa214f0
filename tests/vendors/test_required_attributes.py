"""An org whose admin made custom profile attributes required: Okta refuses to create a user
without them, so the plan reads the user schema, asks for each one on the step that creates the
service account (typed, titled and described as the schema says), and apply sends the values."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.common.clock import FakeClock
from app.engine.engine import EngineError
from app.settings import Settings
from okta_sandbox import SandboxOrg, SandboxTransport
from okta_sandbox.domain import schema as schema_domain
from tests.harness import Wizard, wizard
from tests.support import Web

VENDOR = "sentinel-unified-connector"
LOGIN = "sentinel-connector@acme.example"
STEP = "create_account"
RECORDINGS = Path(__file__).resolve().parent.parent / "recordings" / "okta"


@pytest.fixture
def w(settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
      fake_clock: FakeClock) -> Iterator[Wizard]:
    schema_domain.require_attribute(sandbox_org, "costCenterCode", title="Cost center code",
                                    description="The finance code every account is billed to.")
    schema_domain.require_attribute(sandbox_org, "badgeNumber", title="Badge number", type="integer")
    schema_domain.require_attribute(sandbox_org, "region", title="Region", enum=["EMEA", "AMER", "APAC"])
    with wizard(settings, sandbox_org, okta_transport, fake_clock) as harness:
        yield harness


def user_item(items: list[dict[str, Any]]) -> dict[str, Any]:
    return next(i for i in items if i["kind"] == "okta_user")


def signed_in(w: Wizard) -> Web:
    web = Web(w.client)
    assert web.sign_in("ana.admin").status_code in (302, 303)
    return web


def save(web: Web, oid: uuid.UUID, **values: str) -> Any:
    page = f"/onboardings/{oid}"
    return web.post(f"/onboardings/{oid}/inputs", {"step": STEP, **{f"input_{k}": v for k, v in values.items()}},
                    page=page)


ACCOUNT = {"service_account_login": LOGIN, "service_account_email": LOGIN, "first_name": "Sentinel",
           "last_name": "Connector"}


class TestRequiredProfileAttributes:
    def test_the_plan_names_them_and_the_form_asks_for_them(self, w: Wizard) -> None:
        oid = w.start(VENDOR, w.connect(), workspace_name="sentinel-prod")
        item = user_item(w.draft_plan(oid))
        assert item["verdict"] == "conflict"
        for name in ("costCenterCode (string)", "badgeNumber (integer)", "region (string one of EMEA, AMER, APAC)"):
            assert name in item["summary"]
        page = signed_in(w).get(f"/onboardings/{oid}").text
        assert 'name="input_profile_costCenterCode"' in page and "Cost center code" in page
        assert "The finance code every account is billed to." in page
        assert 'name="input_profile_badgeNumber"' in page and 'name="input_profile_region"' in page
        # Three choices: radios, each read whole (more than five stay a select).
        assert re.search(r'<input type="radio" name="input_profile_region" value="APAC"[^>]*> APAC</label>', page)

    def test_values_are_checked_by_type_and_the_account_is_created_with_them(self, w: Wizard,
                                                                             sandbox_org: SandboxOrg) -> None:
        oid = w.start(VENDOR, w.connect(), workspace_name="sentinel-prod")
        w.draft_plan(oid)
        web = signed_in(w)
        refused = save(web, oid, **ACCOUNT, profile_costCenterCode="CC-42", profile_badgeNumber="seven",
                       profile_region="APAC")
        assert refused.status_code == 400 and "Badge number must be a whole number" in refused.text
        assert "profile_badgeNumber" not in (w.onboarding(oid).inputs or {})

        saved = save(web, oid, **ACCOUNT, profile_costCenterCode="CC-42", profile_badgeNumber="7",
                     profile_region="APAC")
        assert saved.status_code in (302, 303), saved.text
        assert w.onboarding(oid).inputs["profile_badgeNumber"] == 7

        item = user_item(w.plan(oid))
        assert item["verdict"] == "create" and "costCenterCode=“CC-42”, badgeNumber=7," in item["summary"]
        w.apply_ok(oid)
        account = next(u for u in sandbox_org.users if u.login == LOGIN)
        assert account.profile["costCenterCode"] == "CC-42"
        assert account.profile["badgeNumber"] == 7 and account.profile["region"] == "APAC"

    def test_without_the_values_the_plan_cannot_be_confirmed(self, w: Wizard) -> None:
        oid = w.start(VENDOR, w.connect(), workspace_name="sentinel-prod")
        plan_id = w.run(lambda: w.state.engine.plan(oid, w.actor)).id
        with pytest.raises(EngineError, match="conflicts"):
            w.run(lambda: w.state.engine.confirm_plan(oid, plan_id, w.actor))


class TestSandboxEnforcesRequiredAttributes:
    def test_creating_a_user_without_one_is_refused_as_okta_refuses_it(self, sandbox_org: SandboxOrg,
                                                                      okta_transport: SandboxTransport) -> None:
        schema_domain.require_attribute(sandbox_org, "costCenterCode", title="Cost center code")
        assert sandbox_org.demo is not None
        response = post_user(okta_transport, sandbox_org, {"login": "x.y@acme.example", "email": "x.y@acme.example",
                                                           "firstName": "X", "lastName": "Y"})
        assert response.status_code == 400
        body = response.json()
        assert body["errorCode"] == "E0000001"
        assert body["errorCauses"] == [{"errorSummary": "costCenterCode: The field cannot be left blank"}]
        schema = sandbox_org.schemas[schema_domain.default_type(sandbox_org).id]
        assert "costCenterCode" in schema_domain.render_schema(sandbox_org, schema)["definitions"]["custom"][
            "required"]

    def test_an_undefined_attribute_is_refused_in_okta_s_words(self, sandbox_org: SandboxOrg,
                                                               okta_transport: SandboxTransport) -> None:
        response = post_user(okta_transport, sandbox_org, {"login": "x.y@acme.example", "email": "x.y@acme.example",
                                                           "firstName": "X", "lastName": "Y", "notValid": "z"})
        recorded = recorded_refusal()
        assert response.status_code == recorded["code"] == 400
        assert response.json()["errorCode"] == recorded["body"]["errorCode"]
        assert response.json()["errorSummary"] == recorded["body"]["errorSummary"]
        assert response.json()["errorCauses"] == recorded["body"]["errorCauses"]

    def test_the_control_api_marks_an_attribute_required(self, sandbox_org: SandboxOrg,
                                                          okta_transport: SandboxTransport) -> None:
        answer = send(okta_transport, sandbox_org, "POST", "/__sandbox__/schema/required",
                      {"name": "badgeNumber", "title": "Badge number", "type": "integer"})
        assert answer.status_code == 200 and answer.json()["attribute"]["required"] is True
        response = post_user(okta_transport, sandbox_org, {"login": "x.y@acme.example", "email": "x.y@acme.example",
                                                           "firstName": "X", "lastName": "Y"})
        assert response.status_code == 400
        assert response.json()["errorCauses"] == [{"errorSummary": "badgeNumber: The field cannot be left blank"}]
        refused = send(okta_transport, sandbox_org, "POST", "/__sandbox__/schema/required", {"title": "no name"})
        assert refused.status_code == 400


def recorded_refusal() -> dict[str, Any]:
    """Real Okta's answer to a new user with the undefined profile property ``notValid``."""
    cassette = RECORDINGS / "TestAccResourceOktaUser_invalidCustomProfileAttribute" / "oie-00.yaml"
    for interaction in yaml.safe_load(cassette.read_text())["interactions"]:
        if interaction["request"]["method"] == "POST" and interaction["response"]["code"] == 400:
            assert '"notValid"' in interaction["request"]["body"]
            return {"code": 400, "body": json.loads(interaction["response"]["body"])}
    raise AssertionError("the cassette has no refused creation")


def send(transport: SandboxTransport, org: SandboxOrg, method: str, path: str, body: Any) -> httpx.Response:
    import asyncio

    assert org.demo is not None
    headers = {"Authorization": f"SSWS {org.demo.admin_token}", "Accept": "application/json"}

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url=org.base_url, headers=headers) as client:
            response = await client.request(method, path, json=body)
            await response.aread()
            return response

    return asyncio.run(go())


def post_user(transport: SandboxTransport, org: SandboxOrg, profile: dict[str, Any]) -> httpx.Response:
    return send(transport, org, "POST", "/api/v1/users?activate=false", {"profile": profile})

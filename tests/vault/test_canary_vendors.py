"""Each vendor's onboarding, completed through the wizard's pages with canary secrets: the Okta
admin token of the connection, the service account's token, the client secret Okta generates for
the vendor (Drata's app, Authomize's API service integration) and the operator's password, and a
mistyped token and password that are refused on the way (sign-in, connection, token paste). None
may appear in any table of the database, in the log records of any logger at DEBUG, in any page
the flow rendered, in any export (JSON, CSV, the PDF's text) or in the audit trail.

A kept client secret is revealed once, on purpose (the operator copies it into the vendor's
console): that response must show it, which proves the canary really went through the wizard, and
no other may."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from app.common.clock import FakeClock
from app.playbooks.loader import setting_key
from app.settings import Settings
from app.store.models import AppSetting
from okta_sandbox import SandboxOrg, SandboxTransport, ids, seed_demo_org
from okta_sandbox.domain.api_services import AUTHOMIZE_TYPE
from tests.canary import assert_no_canary, database_bytes
from tests.page_journeys import Journey, input_attributes, journey

# Every logger, at its most talkative: the wizard's own, uvicorn's, httpx/httpcore, SQLAlchemy's.
LOGGERS = ["", "onboard", "uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "httpcore", "sqlalchemy",
           "sqlalchemy.engine", "starlette", "fastapi"]


@dataclass(frozen=True)
class Canaries:
    admin_token: str
    service_token: str
    client_secret: str
    password: str
    mistyped: str  # a token typed wrong: refused by Okta, then kept nowhere either

    @classmethod
    def of(cls, vendor: str) -> Canaries:
        tag = hashlib.sha256(vendor.encode()).hexdigest()[:10]
        return cls(admin_token=f"00CanaryAdminToken{tag}xAq7Lm2Pz9Wc4Rt6Yb",  # an SSWS token's shape
                   service_token=f"00CanaryServiceToken{tag}Hd8Kf3Jn5Vq1Xs",
                   client_secret=f"CanaryClientSecret-{tag}-Ue4Wo7Za2Mb9Ng5Pc3Tq8Lr6Yd1Hs0Jf",
                   password=f"canary operator password {tag}",
                   mistyped=f"00CanaryMistypedToken{tag}Gw2Ep6Sd4Kx7Hj")

    def all(self) -> list[str]:
        return [self.admin_token, self.service_token, self.client_secret, self.password, self.mistyped]


@dataclass(frozen=True)
class Flow:
    values: dict[str, dict[str, str | None]]  # step -> the values typed on it
    secret: str | None = None  # the purpose of the client secret kept for a later step, if any
    service_token: bool = True


FLOWS = {
    "defender-for-identity": Flow({}),
    "drata": Flow({"assign_app": {"app_users": "ada.lovelace0@acme.example\nben.tanaka1@acme.example",
                                  "app_groups": "Drata Users"},
                   "start_date_attributes": {"custom_attributes": "1"},
                   "choose_group": {"group_label": "Engineering"}},
                  secret="drata_client_secret"),
    "authomize": Flow({}, secret="authomize_client_secret", service_token=False),
    "oort": Flow({"event_streaming_tab": {"aws_account_id": "123456789012",
                                          "event_source_name": "oort-acme-okta_events", "aws_region": "us-east-2"}}),
    "sentinel-unified-connector": Flow({"choose_workspace": {"workspace_name": "sentinel-prod"},
                                        "azure_roles": {"azure_roles_just_assigned": "1"}}),
}


@pytest.fixture(params=sorted(FLOWS))
def vendor(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def canaries(vendor: str) -> Canaries:
    return Canaries.of(vendor)


@pytest.fixture
def sandbox_org(fake_clock: FakeClock, vendor: str, canaries: Canaries, monkeypatch: pytest.MonkeyPatch) -> SandboxOrg:
    """The demo org whose Super Administrator token is the canary, and whose vendor client secret
    is one too: the one of Drata's app (installed by the seed), and the next one Okta generates
    (Authomize's integration, installed by the wizard)."""
    org = SandboxOrg(clock=fake_clock)
    demo = seed_demo_org(org, admin_token=canaries.admin_token)
    drata = org.apps[demo.drata_app_id]
    drata.secrets = [replace(drata.secrets[0], value=canaries.client_secret)]
    generated = iter([canaries.client_secret])
    random_secret = ids.client_secret_value
    monkeypatch.setattr(ids, "client_secret_value", lambda: next(generated, None) or random_secret())
    return org


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    lines = [caplog.text]
    for record in caplog.records:
        lines.append(record.getMessage())
        lines.append(repr(record.args))
        lines += [str(value) for value in vars(record).values()]
    return "\n".join(lines)


def test_canary_secrets_of_an_onboarding_leak_nowhere(vendor: str, canaries: Canaries, settings: Settings,
                                                       sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
                                                       fake_clock: FakeClock,
                                                       logs: pytest.LogCaptureFixture) -> None:
    flow = FLOWS[vendor]
    with journey(settings, sandbox_org, okta_transport, fake_clock) as j:
        j.first_admin(settings, "ana.admin", canaries.password, mistyped=canaries.mistyped)
        if vendor == "authomize":
            j.run(lambda: _sandbox_catalog_key(j))
        oid = j.start(vendor, j.connect(canaries.admin_token, mistyped=canaries.mistyped))
        for step, values in flow.values.items():
            j.save_values(oid, step, **values)

        def service_token(account_id: str) -> str:
            return sandbox_org.issue_api_token(account_id, f"{vendor} (canary)", value=canaries.service_token)

        # Pasted by mistake first: a token Okta does not know, and the admin's (not the account's).
        done = j.complete(oid, service_token=service_token if flow.service_token else None,
                          wrong_tokens=(canaries.mistyped, canaries.admin_token),
                          reveal=(flow.secret,) if flow.secret else ())
        assert done.status == "completed", done.status_note
        seen = j.visit_everything(oid)
        # Signed in, the sign-in page sends you home; without an identity provider or a setup
        # token, its routes refuse; the icon's old address points to the new. Every other page is there.
        refusing = {"/sign-in": 303, "/sign-in/oidc": 404, "/sign-in/oidc/callback": 400, "/setup": 410,
                    "/favicon.ico": 301,
                    # A reveal's address opened again goes back to the step (nothing revealed by a GET).
                    f"/onboardings/{oid}/secrets/activation_link": 303,
                    # The new activation link's address, for an account not deactivated: back to the page.
                    f"/onboardings/{oid}/service-account/activation-link": 303}
        assert {url: s.status for url, s in seen.items()} == {url: refusing.get(url, 200) for url in seen}
        _what_the_flow_used(j, vendor, canaries, flow)
        # The browser is told not to remember what is typed into the secret fields.
        for url, name in (("/connections", "api_token"), (f"/onboardings/{oid}", "service_token")):
            if name == "service_token" and not flow.service_token:
                continue
            attributes = input_attributes(seen[url].text, name)
            assert (attributes["type"], attributes.get("autocomplete"), "required" in attributes) == \
                ("password", "off", True), attributes
        client_id = _client_id(j, vendor)

    secrets = canaries.all()
    if client_id:
        # client_secret_basic sends base64("id:secret"): that too must never be kept or logged.
        secrets.append(f"{client_id}:{canaries.client_secret}")
    haystacks: dict[str, bytes | str] = {
        "database": database_bytes(settings.resolved_database_url),
        "logs": _log_text(logs),
        **j.haystacks(),
    }
    assert_no_canary(secrets, haystacks)
    # The places searched are real: the logs saw the requests, the pages and exports are there.
    assert "POST /connections" in haystacks["logs"] and "GET /audit" in haystacks["logs"]
    kinds = {s.content_type.split(";")[0] for s in j.shown}
    assert {"text/html", "application/json", "text/csv", "application/pdf"} <= kinds


async def _sandbox_catalog_key(j: Journey) -> None:
    """Authomize's catalog key as the sandbox knows it (the playbook's default is a guess that
    Okta, and so the sandbox, refuses: tests/vendors/test_authomize_catalog.py)."""
    async with j.state.db.session() as session:
        session.add(AppSetting(key=setting_key("authomize", "integration_type"), value=AUTHOMIZE_TYPE))


def _what_the_flow_used(j: Journey, vendor: str, canaries: Canaries, flow: Flow) -> None:
    """The canaries were the real credentials: Okta accepted them, and the kept secret was shown once."""
    org = j.org
    assert org.demo is not None and org.demo.admin_token == canaries.admin_token
    if flow.service_token:
        assert any(t.name == f"{vendor} (canary)" for t in org.api_tokens)
    if flow.secret:
        assert len(j.revealed) == 1
        assert canaries.client_secret.encode() in j.revealed[0].body, "the reveal did not show the kept secret"
        if vendor == "drata":
            assert org.demo.drata_app_id and org.client_secret(org.demo.drata_app_id) == canaries.client_secret
        else:
            [integration] = list(org.api_services)
            assert integration.secrets[-1].value == canaries.client_secret


def _client_id(j: Journey, vendor: str) -> str | None:
    if vendor == "drata":
        assert j.org.demo is not None
        return j.org.demo.drata_client_id
    if vendor == "authomize":
        [integration] = list(j.org.api_services)
        return str(integration.id)
    return None


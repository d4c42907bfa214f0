"""Values that come back from Okta are data, never markup: an org whose objects carry HTML, script
and template payloads in their names, labels and descriptions is onboarded for every vendor, and
each page that shows those values (the onboarding with its plan, steps and checklist, the summary,
the printable report, the audit trail) shows them as text; the exports carry them as data (JSON
strings, CSV cells that no spreadsheet runs, the PDF's text).

The payloads reach the pages the ways Okta's values do: objects the wizard adopts (custom roles
and resource sets, a log stream, a hand-installed API service integration) and finds (the group
people sign in with), the service account's name and its token's name read back from Okta. The
admin's name, the descriptions and another app's label are in the org too: wherever any payload
shows, all of it shows, as text."""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from app.common.clock import FakeClock
from app.playbooks.loader import setting_key
from app.settings import Settings
from app.store.models import AppSetting
from okta_sandbox import SandboxOrg, SandboxTransport, seed_demo_org
from okta_sandbox.domain import api_services as services_domain
from okta_sandbox.domain.actors import Actor as SandboxActor
from tests.hostile import hostile, hostile_name, shown_prefix
from tests.page_journeys import Journey, Shown, journey, pdf_text
from tests.support import PASSWORD

GROUP = hostile("hx-group")
GROUP_DESCRIPTION = hostile("hx-group-desc")
ADMIN_FIRST, ADMIN_LAST = hostile_name("hx-adm1"), hostile_name("hx-adm2")
ROLE = hostile("hx-role", slash=False)
ROLE_DESCRIPTION = hostile("hx-role-desc")
RESOURCE_SET_DESCRIPTION = hostile("hx-rs-desc")
STREAM = hostile("hx-stream")
INTEGRATION = hostile("hx-service")
TOKEN_NAME = hostile("hx-token")
SERVICE_FIRST = hostile_name("hx-svc1")
APP = hostile("hx-app")

DEFENDER_ROLE = "Microsoft Defender for Identity"
DEFENDER_PERMISSIONS = ["okta.iam.read", "okta.users.credentials.manage", "okta.users.lifecycle.manage"]
OORT_PERMISSIONS = ["okta.groups.members.manage", "okta.users.groupMembership.manage",
                    "okta.users.lifecycle.clearSessions", "okta.users.lifecycle.suspend",
                    "okta.users.lifecycle.unsuspend", "okta.users.read", "okta.users.userprofile.manage"]
AWS = {"accountId": "123456789012", "eventSourceName": "oort-acme-okta_events", "region": "us-east-2"}
AUTHOMIZE_SCOPES = ["okta.apps.read", "okta.groups.read", "okta.idps.read", "okta.logs.read", "okta.roles.read",
                    "okta.users.read"]


def seed_hostile(org: SandboxOrg) -> None:
    """What an org may already hold, named by anyone with access to its Admin Console: objects the
    wizard adopts (Defender's and Oort's custom roles and resource sets, Oort's log stream,
    Authomize's hand-installed integration) and finds (the group Drata's people sign in with)."""
    assert org.demo is not None
    admin = org.users[org.demo.admin_user_id]
    admin.profile.update(firstName=ADMIN_FIRST, lastName=ADMIN_LAST)
    people = [user.id for user in org.users if user.status == "ACTIVE"][:5]
    org.add_group(GROUP, GROUP_DESCRIPTION, members=people)
    org.add_app(APP, redirect_uris=["https://app.example/callback"])
    base = org.base_url
    everything = f"orn:okta:iam:{org.org_id}:contained_resources"
    for label, permissions, resources in (
            (DEFENDER_ROLE, DEFENDER_PERMISSIONS, [f"{base}/api/v1/users", everything]),
            (ROLE, OORT_PERMISSIONS, [f"{base}/api/v1/users", f"{base}/api/v1/groups"])):
        org.add_custom_role(label, permissions, description=ROLE_DESCRIPTION)
        org.add_resource_set(label, resources, description=RESOURCE_SET_DESCRIPTION)
    org.add_log_stream(STREAM, dict(AWS))
    actor = SandboxActor(admin.id, "User", admin.login, admin.display_name)
    integration, secret = services_domain.install(
        org, {"type": services_domain.AUTHOMIZE_TYPE, "grantedScopes": AUTHOMIZE_SCOPES}, actor)
    integration.name = INTEGRATION
    # Its first secret deactivated, as Authomize's checklist asks (only the one the wizard gives the
    # vendor may stay active): the journey below completes without a person's hand in Okta.
    services_domain.set_secret_status(org, integration, secret, "INACTIVE", actor)


# The values typed on each vendor's steps: names as they are in Okta.
FLOWS: dict[str, dict[str, dict[str, str | None]]] = {
    "defender-for-identity": {},
    "drata": {"assign_app": {"app_users": "ada.lovelace0@acme.example", "app_groups": GROUP},
              "choose_group": {"group_label": GROUP}},
    "authomize": {},
    "oort": {"choose_access": {"access": "read_write"}, "create_custom_role": {"role_label": ROLE},
             "event_streaming_tab": {"aws_account_id": AWS["accountId"], "event_source_name": AWS["eventSourceName"],
                                     "aws_region": AWS["region"], "log_stream_name": STREAM}},
    "sentinel-unified-connector": {"choose_workspace": {"workspace_name": "sentinel-prod"},
                                   "create_account": {"first_name": SERVICE_FIRST}},
}
# Which of them each onboarding's page shows (read back from Okta), so the checks below are known
# to look at pages that really display hostile values.
SHOWN = {
    "defender-for-identity": [TOKEN_NAME],
    "drata": [GROUP, TOKEN_NAME],
    "authomize": [INTEGRATION],
    "oort": [ROLE, STREAM, TOKEN_NAME],
    "sentinel-unified-connector": [SERVICE_FIRST, TOKEN_NAME],
}
PAYLOADS = [GROUP, GROUP_DESCRIPTION, ADMIN_FIRST, ADMIN_LAST, ROLE, ROLE_DESCRIPTION, RESOURCE_SET_DESCRIPTION,
            STREAM, INTEGRATION, TOKEN_NAME, SERVICE_FIRST, APP]


@dataclass
class Run:
    journey: Journey
    onboardings: dict[str, uuid.UUID]
    pages: dict[str, dict[str, Shown]] = field(default_factory=dict)


@pytest.fixture
def sandbox_org(fake_clock: FakeClock) -> SandboxOrg:
    org = SandboxOrg(clock=fake_clock)
    seed_demo_org(org)
    seed_hostile(org)
    return org


def test_okta_values_are_text_on_every_page_and_data_in_every_export(
        settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport, fake_clock: FakeClock) -> None:
    """Every vendor onboarded once on the hostile org (one application, one database), then every
    GET page visited for each onboarding; the checks below read what all of it showed."""
    org = sandbox_org
    with journey(settings, org, okta_transport, fake_clock) as j:
        j.first_admin(settings, "ana.admin", PASSWORD)
        assert org.demo is not None

        async def authomize_key() -> None:  # the sandbox's catalog key (the default is a guess)
            async with j.state.db.session() as session:
                session.add(AppSetting(key=setting_key("authomize", "integration_type"),
                                       value=services_domain.AUTHOMIZE_TYPE))

        j.run(authomize_key)
        connection = j.connect(org.demo.admin_token)
        run = Run(j, {})
        for vendor, steps in FLOWS.items():
            oid = j.start(vendor, connection)
            for step, values in steps.items():
                j.save_values(oid, step, **values)
            finished = j.complete(oid, service_token=lambda account: org.issue_api_token(account, TOKEN_NAME))
            assert finished.status == "completed", (vendor, finished.status_note)
            run.onboardings[vendor] = oid
        # The hostile objects were adopted, not made again beside them.
        assert (len(org.custom_roles), len(org.resource_sets), len(org.log_streams), len(org.api_services)) == \
            (2, 2, 1, 1)
        last = list(run.onboardings)[-1]
        for vendor, oid in run.onboardings.items():
            run.pages[vendor] = j.visit_everything(oid, shared=vendor == last)

    every_page_shows_okta_values_as_text(run)
    for vendor in FLOWS:
        the_onboarding_and_its_report_show_the_values_as_in_okta(run, vendor)
        exports_carry_the_values_as_data(run, vendor)
    the_audit_trail_shows_the_values_as_text(run)


class _Markup(HTMLParser):
    """What a browser would build from a page: elements and attributes, and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []  # text and attribute values, as the browser has them

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _value in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("an inline <script>")
        if tag in ("img", "svg", "iframe", "object", "embed"):
            self.problems.append(f"an <{tag}> element")
        self.problems += [f"an {name}= attribute on <{tag}>" for name in names if name.startswith("on")]
        self.text += [value or "" for _name, value in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read_markup(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser


def html_pages(run: Run) -> list[Shown]:
    return [s for s in run.journey.shown if s.content_type.startswith("text/html")]


def every_page_shows_okta_values_as_text(run: Run) -> None:
    """No page the flows rendered or visited has markup that came from Okta: no inline script, no
    event handler attribute, no image; and no payload was evaluated as a template."""
    pages = html_pages(run)
    assert len(pages) > 100
    for shown in pages:
        markup = read_markup(shown.text)
        assert markup.problems == [], f"{shown.request}: {markup.problems}"
        assert "script-src 'self'" in shown.headers.get("content-security-policy", ""), shown.request
        text = "\n".join(markup.text)
        for payload in PAYLOADS:
            # Shown whole or not at all: never cut at its markup, never filled in as a template.
            if shown_prefix(payload) in text:
                assert payload in text, f"{shown.request}: {payload!r} is not shown as it is in Okta"


def the_onboarding_and_its_report_show_the_values_as_in_okta(run: Run, vendor: str) -> None:
    oid = run.onboardings[vendor]
    pages = run.pages[vendor]
    for url in (f"/onboardings/{oid}", f"/onboardings/{oid}/report"):
        text = "\n".join(read_markup(pages[url].text).text)
        for payload in SHOWN[vendor]:
            assert payload in text, f"{url} does not show {payload!r}"
    pdf = "".join(pdf_text(pages[f"/onboardings/{oid}/report.pdf"].body).split())
    for payload in SHOWN[vendor]:
        assert "".join(payload.split()) in pdf, f"the PDF does not show {payload!r}"


def exports_carry_the_values_as_data(run: Run, vendor: str) -> None:
    oid = run.onboardings[vendor]
    pages = run.pages[vendor]
    exported = pages[f"/onboardings/{oid}/events.json"]
    assert exported.content_type.startswith("application/json")
    assert exported.headers["x-content-type-options"] == "nosniff"
    assert exported.headers["content-disposition"].startswith("attachment;")
    strings = json.dumps(json.loads(exported.body), ensure_ascii=False)
    table = pages[f"/onboardings/{oid}/events.csv"]
    assert table.content_type.startswith("text/csv") and table.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(table.text)))
    cells = "\n".join(cell for row in rows for cell in row)
    for payload in SHOWN[vendor]:
        assert json.dumps(payload, ensure_ascii=False)[1:-1] in strings, payload
        assert payload in cells or json.dumps(payload, ensure_ascii=False)[1:-1] in cells, payload
    # No cell is a formula a spreadsheet would run.
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]


def the_audit_trail_shows_the_values_as_text(run: Run) -> None:
    audit = [s for s in html_pages(run) if s.request.startswith("GET /audit")]
    assert len(audit) >= 4  # every page of the trail
    texts = ["\n".join(read_markup(s.text).text) for s in audit]
    assert any(TOKEN_NAME in text for text in texts)

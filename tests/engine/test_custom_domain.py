"""An org the wizard reaches by a custom domain (``login.acme.example``): Okta's own domain where
the API needs it, and the org's links on its Okta domain and its ``-admin`` host followed (on the
custom domain), as Okta writes them whatever address the request used."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from app.store.models import OktaConnection
from okta_sandbox import SandboxOrg
from tests.engine.test_defender import LABEL, LOGIN, finish
from tests.harness import Wizard

CUSTOM = "login.acme.example"


def _connect(w: Wizard, sandbox_org: SandboxOrg) -> tuple[OktaConnection, Any]:
    from app.connections.service import NewConnection, add_connection
    from app.store.models import AppSetting
    from app.store.repositories.app_settings import ALLOWED_DOMAINS_KEY

    async def allow() -> None:
        async with w.state.db.session() as session:
            session.add(AppSetting(key=ALLOWED_DOMAINS_KEY, value=[CUSTOM]))

    w.run(allow)
    sandbox_org.custom_domain = CUSTOM
    demo = sandbox_org.demo
    assert demo is not None
    form = NewConnection(org_url=f"https://{CUSTOM}", api_token=demo.admin_token, label="Acme")
    return w.run(lambda: add_connection(w.state.db, w.state.vault, w.state.gateway, form, w.actor, [CUSTOM]))


def _begin(w: Wizard, connection: OktaConnection) -> uuid.UUID:
    from app.onboardings import service

    async def begin() -> uuid.UUID:
        async with w.state.db.session() as session:
            stored = await session.get(OktaConnection, connection.id)
            assert stored is not None
            onboarding = await service.create_onboarding(session, w.state.library.get("defender-for-identity"),
                                                         stored, w.actor)
            onboarding.inputs = {"service_account_login": LOGIN}
            return onboarding.id

    return w.run(begin)


class TestAnOrgReachedByItsCustomDomain:
    def test_gets_oktas_own_domain_where_the_api_needs_it(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        connection, report = _connect(w, sandbox_org)
        assert connection.org_origin == f"https://{CUSTOM}"
        assert report.okta_domain == sandbox_org.base_url

        oid = _begin(w, connection)
        finish(w, oid, sandbox_org)

        # The resource set names the users resource by Okta's domain (the custom domain is refused).
        resource_set = next(s for s in sandbox_org.resource_sets if s.label == LABEL)
        hrefs = [r.href for r in resource_set.resources.values() if r.href]
        assert hrefs == [f"{sandbox_org.base_url}/api/v1/users"]
        assert w.onboarding(oid).status == "completed"

    def test_follows_next_links_on_the_orgs_okta_and_admin_hosts(
            self, w: Wizard, sandbox_org: SandboxOrg, okta_requests: list[httpx.Request]) -> None:
        """Paged lists (IAM ones link on the -admin host) past their first page: they failed with
        "next-page link points at … not at the org" on every custom-domain connection."""
        connection, _ = _connect(w, sandbox_org)
        sandbox_org.page_size = 1
        for n in range(2):  # so that the IAM lists the onboarding reads have more than one page
            sandbox_org.add_custom_role(f"Other role {n}", ["okta.users.read"])
            sandbox_org.add_resource_set(f"Other set {n}", [f"{sandbox_org.base_url}/api/v1/users"])
        okta_requests.clear()

        oid = _begin(w, connection)
        finish(w, oid, sandbox_org)

        assert w.onboarding(oid).status == "completed"
        followed = [r.url for r in okta_requests if r.url.path.startswith("/api/v1/iam/") and "after" in r.url.params]
        assert followed, "no IAM next link was followed"
        # Followed on the custom domain: nothing went to the Okta hosts the links named.
        assert {r.url.host for r in okta_requests} == {CUSTOM}

    def test_the_okta_address_it_learned_is_checked_like_any_other(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        connection, _ = _connect(w, sandbox_org)
        org = w.state.gateway.stored_org(connection, [CUSTOM])
        assert org.okta_org is not None and org.okta_org.origin == sandbox_org.base_url
        # Checked again on every use: anything but an Okta org (or the sandbox) is ignored.
        for stored in ("https://evil.example", f"https://{CUSTOM}", "http://acme.okta.com", "not a url"):
            connection.preflight = {**connection.preflight, "okta_domain": stored}
            org = w.state.gateway.stored_org(connection, [CUSTOM])
            assert org.okta_org is None and org.link_on_org(f"{sandbox_org.base_url}/api/v1/users") is None

"""An org the wizard reaches by a custom domain (``login.acme.example``): Okta's own domain where
the API needs it, and the org's links on its Okta domain and its ``-admin`` host followed (on the
custom domain), as Okta writes them whatever address the request used."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from app.store.models import OktaConnection
from okta_sandbox import SandboxOrg
from tests.engine.test_defender import LABEL, LOGIN, finish
from tests.harness import Wizard

CUSTOM = "login.acme.example"
PUBLIC = "93.184.216.34"  # where the custom domain's name points (the sandbox answers whatever the address)


def _resolving(table: dict[str, list[str]]) -> Any:
    async def resolve(host: str, _port: int = 443) -> list[str]:
        return table.get(host, [])
    return resolve


def _connect(w: Wizard, sandbox_org: SandboxOrg, *, points_at: str = PUBLIC) -> tuple[OktaConnection, Any]:
    from app.connections.service import NewConnection, add_connection
    from app.store.models import AppSetting
    from app.store.repositories.app_settings import ALLOWED_DOMAINS_KEY

    async def allow() -> None:
        async with w.state.db.session() as session:
            session.add(AppSetting(key=ALLOWED_DOMAINS_KEY, value=[CUSTOM]))

    w.run(allow)
    sandbox_org.custom_domain = CUSTOM
    w.state.gateway.resolver = _resolving({CUSTOM: [points_at]})
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
        # Followed on the custom domain: nothing went to the Okta hosts the links named; each went to
        # the address checked for the custom domain's name, which it names in its Host header.
        assert {r.headers["Host"] for r in okta_requests} == {CUSTOM}
        assert {r.url.host for r in okta_requests} == {PUBLIC}

    def test_the_okta_address_it_learned_is_checked_like_any_other(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        connection, _ = _connect(w, sandbox_org)
        org = w.state.gateway.stored_org(connection, [CUSTOM])
        assert org.okta_org is not None and org.okta_org.origin == sandbox_org.base_url
        # Checked again on every use: anything but an Okta org (or the sandbox) is ignored.
        for stored in ("https://evil.example", f"https://{CUSTOM}", "http://acme.okta.com", "not a url"):
            connection.preflight = {**connection.preflight, "okta_domain": stored}
            org = w.state.gateway.stored_org(connection, [CUSTOM])
            assert org.okta_org is None and org.link_on_org(f"{sandbox_org.base_url}/api/v1/users") is None


@pytest.mark.parametrize(("points_at", "said"), [
    ("169.254.169.254", "login.acme.example resolves to 169.254.169.254, an address on this machine's local link"),
    ("10.0.0.8", "login.acme.example resolves to 10.0.0.8, a private address; an Okta org's custom domain is "
                 "called only at a public one."),
    ("127.0.0.1", "login.acme.example resolves to 127.0.0.1, an address of this machine"),
])
def test_a_custom_domain_that_points_inside_is_never_called(
        w: Wizard, sandbox_org: SandboxOrg, okta_requests: list[httpx.Request], points_at: str, said: str) -> None:
    """An administrator allows a custom domain; its name points at the metadata service, a private
    address or this machine: the server calls nothing there (it carries the API token), and the
    connection says why (review of the DNS-rebinding change, L3)."""
    from app.common.validation import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        _connect(w, sandbox_org, points_at=points_at)
    words = " ".join(str(message) for message in [refused.value, *refused.value.errors.values()])
    assert f"Not called: {said}" in words and "Its name must point at Okta; an administrator can remove it from " \
        "the custom domains in Settings." in words, words
    assert okta_requests == []

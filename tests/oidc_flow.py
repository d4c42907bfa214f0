"""Signing in with the sandbox Okta as the identity provider, in process: the wizard (a TestClient)
talks to the sandbox through ``create_app(..., oidc_transport=...)``, and "the browser" visits the
sandbox's authorize page through a TestClient of the sandbox app, following the redirects by hand
so a test can change what travels between the two."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from fastapi.testclient import TestClient

from app.audit import Actor
from app.auth.oidc_config import SignInSettings, save_config
from app.common.clock import Clock
from app.main import create_app
from app.settings import Settings
from app.store.db import Database
from app.vault import Vault, key_source_for
from okta_sandbox import SandboxOrg, SandboxTransport, create_sandbox_app
from tests.support import Web

PROVIDER = "Acme Okta"
# The role mapping most tests use: these group names exist in the demo org or are added by tests.
MAPPING = {"admin": ["Wizard Admins"], "operator": ["Engineering"], "auditor": ["Sales"]}
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def configure(settings: Settings, org: SandboxOrg, *, mapping: dict[str, list[str]] | None = None,
              claim: str = "groups", enabled: bool = True, client_secret: str | None = None) -> None:
    """Store the sign-in settings as an administrator would, for the demo org's wizard client."""
    demo = org.demo
    assert demo is not None
    roles = mapping if mapping is not None else MAPPING
    data = SignInSettings(
        oidc_enabled=enabled, oidc_provider_name=PROVIDER, oidc_issuer=org.base_url,
        oidc_client_id=demo.wizard_client_id,
        oidc_client_secret=client_secret if client_secret is not None else demo.wizard_client_secret,
        oidc_claim=claim, **{f"oidc_{role}_values": "\n".join(values) for role, values in roles.items()})

    async def go() -> None:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                await save_config(session, Vault(key_source_for(settings)), data, Actor.system("test"),
                                  sandbox_origin=settings.sandbox_url)
        finally:
            await db.dispose()

    asyncio.run(go())


class Provider:
    """The person at the sandbox's authorize page."""

    def __init__(self, org: SandboxOrg) -> None:
        self.org = org
        self.client = TestClient(create_sandbox_app(org), base_url=org.base_url, follow_redirects=False)

    def page(self, authorize_url: str) -> httpx.Response:
        parts = urlsplit(authorize_url)
        assert f"{parts.scheme}://{parts.netloc}" == self.org.base_url, authorize_url
        return self.client.get(f"{parts.path}?{parts.query}")

    def sign_in(self, authorize_url: str, login: str, *, action: str = "sign-in",
                tamper: Callable[[dict[str, str]], None] | None = None) -> str:
        """Pick ``login`` on the authorize page and press the button; returns where the sandbox
        sends the browser (the wizard's callback). ``tamper`` may change the form first."""
        page = self.page(authorize_url)
        assert page.status_code == 200, page.text
        fields = {name: html.unescape(value) for name, value in _HIDDEN.findall(page.text)}
        user = self.org.find_user(login)
        assert user is not None, login
        fields.update({"user_id": user["id"], "action": action})
        if tamper is not None:
            tamper(fields)
        answer = self.client.post(urlsplit(authorize_url).path, data=fields)
        assert answer.status_code == 303, answer.text
        return str(answer.headers["location"])


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return parts._replace(query=urlencode(query)).geturl()


class OidcWeb(Web):
    """A browser that can also sign in at the identity provider."""

    def __init__(self, client: TestClient, provider: Provider) -> None:
        super().__init__(client)
        self.provider = provider

    def start(self, next_url: str = "/") -> httpx.Response:
        return self.get("/sign-in/oidc?" + urlencode({"next": next_url}))

    def oidc_sign_in(self, login: str, *, next_url: str = "/",
                     tamper: Callable[[dict[str, str]], None] | None = None,
                     callback: Callable[[str], str] | None = None) -> Any:
        """The whole round trip; returns the wizard's answer to the callback."""
        started = self.start(next_url)
        assert started.status_code == 303, started.text
        back = self.provider.sign_in(started.headers["location"], login, tamper=tamper)
        if callback is not None:
            back = callback(back)
        return self.get(path_of(back))


@contextmanager
def oidc_client(settings: Settings, org: SandboxOrg, *, clock: Clock | None = None,
                transport: httpx.AsyncBaseTransport | None = None) -> Iterator[OidcWeb]:
    """The wizard with the sandbox org as its identity provider. Its clock is the org's unless
    told otherwise, so ID tokens are neither from the future nor expired."""
    served = transport or SandboxTransport(org)
    app = create_app(settings, clock=clock or org.clock, oidc_transport=lambda: served)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield OidcWeb(client, Provider(org))

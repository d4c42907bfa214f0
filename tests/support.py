"""Helpers shared by the tests: a browser-like client, operators, and reading pages."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor
from app.audit.keys import use_keys as use_audit_keys
from app.auth.operators import NewOperator, create_operator
from app.auth.setup import issue_setup_token
from app.main import create_app
from app.settings import Settings
from app.store.db import Database
from app.store.models import Operator
from app.vault import key_source_for

T = TypeVar("T")
PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def no_sleep(_seconds: float) -> None:
    """An application's ``sleep`` for tests that fail sign-ins on purpose but do not test the
    delay that slows guessers down (tests/auth does)."""
    return None


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def in_database(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one unit of work on the settings' database, outside any application (as
    the command line does)."""
    async def go() -> T:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(go())


def add_operator(settings: Settings, username: str, role: str = "operator", password: str = PASSWORD,
                 display_name: str | None = None) -> Operator:
    # The audit trail is keyed from the settings' vault key (also where no fixture or app set it up,
    # as in set-ups made while tests are collected).
    use_audit_keys(key_source_for(settings))
    # Someone who has used the wizard before: their own password chosen already.
    new = NewOperator(username=username, display_name=display_name or username.title(), role=role, password=password)
    return in_database(settings, lambda session: create_operator(session, new, Actor.system("test")))


def setup_token(settings: Settings) -> str | None:
    """A one-time setup link's token, as the server prints at start (None once an administrator exists)."""
    return in_database(settings, lambda session: issue_setup_token(session, settings))


class Web:
    """A TestClient that behaves like a person with a browser: it reads CSRF tokens from the
    pages it loads and sends them back with forms."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.last_csrf: str | None = None

    def get(self, url: str, **kwargs: Any) -> Any:
        response = self.client.get(url, **kwargs)
        match = _CSRF.search(response.text)
        if match:
            self.last_csrf = match.group(1)
        return response

    def post(self, url: str, data: dict[str, str] | None = None, *, page: str | None = None,
             csrf: bool = True, **kwargs: Any) -> Any:
        data = dict(data or {})
        if csrf:
            if page is not None:
                self.get(page)
            if self.last_csrf is None:
                self.get("/sign-in")
            if self.last_csrf is None:
                self.get("/")
            data.setdefault("csrf_token", self.last_csrf or "")
        response = self.client.post(url, data=data, **kwargs)
        match = _CSRF.search(response.text)
        # After a redirect the next page decides the token (it changes at sign-in and sign-out).
        self.last_csrf = match.group(1) if match else None
        return response

    def set_cookie(self, name: str, value: str) -> None:
        """Replace a cookie the way an attacker or a replay would (one value, no duplicates)."""
        jar = self.client.cookies
        for cookie in list(jar.jar):
            if cookie.name == name:
                jar.delete(name, domain=cookie.domain, path=cookie.path)
        jar.set(name, value, domain="testserver.local", path="/")

    def sign_in(self, username: str, password: str = PASSWORD) -> Any:
        self.last_csrf = None
        response = self.post("/sign-in", {"username": username, "password": password})
        self.last_csrf = None
        return response

    def sign_out(self) -> Any:
        self.get("/")
        return self.post("/sign-out")


@contextmanager
def web_client(settings: Settings, *, base_url: str = "http://testserver", **kwargs: Any) -> Iterator[Web]:
    app = create_app(settings)
    with TestClient(app, base_url=base_url, follow_redirects=False, **kwargs) as client:
        yield Web(client)

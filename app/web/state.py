"""What every request can reach: settings, the database, the vault, templates, the playbooks,
the Okta gateway, the engine and its job runner."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from app.auth.oidc import RelyingParty
from app.common.clock import SYSTEM_CLOCK, Clock
from app.engine.engine import Engine
from app.engine.jobs import JobRunner
from app.okta.gateway import OktaGateway
from app.playbooks.loader import PlaybookLibrary
from app.settings import Settings
from app.store.db import Database
from app.vault import KeySource, Vault
from app.watch.service import Watch
from app.web.pagecache import PageCache


@dataclass
class AppState:
    settings: Settings
    db: Database
    keys: KeySource
    vault: Vault
    templates: Jinja2Templates
    library: PlaybookLibrary
    gateway: OktaGateway
    engine: Engine
    jobs: JobRunner
    clock: Clock = SYSTEM_CLOCK
    # The in-process sandbox org (demo mode), if one runs; its admin token makes the demo connection.
    sandbox: Any = None
    # Rendered onboarding pages, by revision (see app/web/pagecache.py).
    pages: PageCache = field(default_factory=PageCache)
    # How the sign-in throttle waits; tests replace it to observe delays without spending them.
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)
    # Signing in with the company's identity provider (OpenID Connect); its HTTP is injectable.
    oidc: RelyingParty = field(default_factory=RelyingParty)
    # The watch over completed onboardings (app/watch); None only in states built by hand.
    watch: Watch | None = None


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.onboard
    return state


def secure_cookies(request: Request) -> bool:
    """Whether a cookie set now is sent over https only: the request came over https, or the
    wizard's public URL is https (Settings.https_public)."""
    return request.url.scheme == "https" or app_state(request).settings.https_public

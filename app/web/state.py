"""What every request can reach: settings, the database, the vault, templates."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from app.settings import Settings
from app.store.db import Database
from app.vault import KeySource, Vault


@dataclass
class AppState:
    settings: Settings
    db: Database
    keys: KeySource
    vault: Vault
    templates: Jinja2Templates
    # How the sign-in throttle waits; tests replace it to observe delays without spending them.
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.onboard
    return state

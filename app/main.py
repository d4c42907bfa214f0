"""The application factory: settings in, a FastAPI app out. Nothing happens at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from app.settings import PROJECT_ROOT, Settings, load_settings
from app.store.db import Database
from app.vault import KeySource, Vault, load_key_source
from app.web.csrf import csrf_protect
from app.web.errors import install_error_handlers
from app.web.middleware import BrowserMiddleware
from app.web.routes import auth, health, home, operators, setup
from app.web.state import AppState
from app.web.templating import build_templates

# Every screen's router; tests walk this list to check each route's access rules.
ROUTERS = [health.router, auth.router, setup.router, home.router, operators.router]


def key_source_for(settings: Settings) -> KeySource:
    return load_key_source(
        env_key=settings.secret_key.get_secret_value() if settings.secret_key else None,
        env_previous=settings.secret_key_previous.get_secret_value() if settings.secret_key_previous else None,
        key_file=settings.resolved_key_file,
        production=settings.is_production,
    )


def create_app(settings: Settings | None = None, *, db: Database | None = None,
               keys: KeySource | None = None) -> FastAPI:
    settings = settings or load_settings()
    keys = keys or key_source_for(settings)
    database = db or Database(settings.resolved_database_url)
    state = AppState(settings=settings, db=database, keys=keys, vault=Vault(keys), templates=build_templates())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if db is None:
            await database.dispose()

    app = FastAPI(
        title="Okta onboarding wizard",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_protect)],
        # Request bodies are not handed to telemetry exporters: they carry passwords and tokens.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.onboard = state
    app.add_middleware(BrowserMiddleware)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app

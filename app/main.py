"""The application factory: settings in, a FastAPI app out. Nothing happens at import time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute

from app.audit.keys import use_keys as use_audit_keys
from app.auth.oidc import RelyingParty
from app.auth.oidc import TransportFactory as OidcTransportFactory
from app.common.clock import SYSTEM_CLOCK, Clock
from app.engine.engine import Engine
from app.engine.jobs import JobHandle, JobRunner, database_failed
from app.engine.kinds import KINDS
from app.okta.errors import OktaUnauthorized
from app.okta.gateway import OktaGateway, TransportFactory
from app.okta.ratelimit import RateLimiterRegistry, RateLimitPolicy
from app.playbooks.loader import PlaybookLibrary
from app.settings import PROJECT_ROOT, Settings, load_settings
from app.store.db import Database
from app.vault import KeySource, Vault, key_source_for
from app.watch.notify import Notifier
from app.watch.service import WATCH_JOB, Watch
from app.web.csrf import csrf_protect
from app.web.errors import install_error_handlers
from app.web.middleware import BrowserMiddleware
from app.web.routes import (
    audit,
    auth,
    connections,
    health,
    home,
    notifications,
    oidc_sign_in,
    onboarding_attestations,
    onboarding_handoffs,
    onboarding_tokens,
    onboardings,
    operators,
    reports,
    settings_page,
    setup,
    watch,
)
from app.web.state import AppState
from app.web.templating import build_templates
from app.web.urls import register_routes

# Every screen's router; tests walk this list to check each route's access rules.
ROUTERS = [health.router, auth.router, oidc_sign_in.router, setup.router, home.router, operators.router,
           connections.router, onboardings.router, onboarding_attestations.router, onboarding_tokens.router,
           onboarding_handoffs.router, reports.router, settings_page.router, audit.router, watch.router,
           notifications.router]

# What every application is built with. Form protection is a dependency of every route.
_APP_OPTIONS: dict[str, Any] = {
    "title": "Okta onboarding wizard",
    "docs_url": None,
    "redoc_url": None,
    "openapi_url": None,
    "dependencies": [Depends(csrf_protect)],
    # Request bodies are not handed to telemetry exporters: they carry passwords and tokens.
    "telemetry": {"tracing": False, "metrics": False, "logs": False},
}


@cache
def _route_table() -> tuple[BaseRoute, ...]:
    """The routes of every screen (and the static files), built once per process.

    FastAPI analyses each endpoint's signature and dependencies when a request first reaches an
    included router, and keeps that analysis on the route objects the inclusion made. The server
    builds one application, but a test run builds about two thousand (a thousand a worker), and the analysis
    was 8 to 18% of their CPU (docs/benchmarks.md). The routes hold no application state (a request's
    ``request.app`` is the application it reached), so every application shares them; they are
    built on an application of their own so that none of them keeps another's state alive (FastAPI
    would read dependency overrides from that one; the wizard overrides none)."""
    template = FastAPI(**_APP_OPTIONS)
    template.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    for router in ROUTERS:
        template.include_router(router)
    register_routes(ROUTERS)
    return tuple(template.router.routes)


def create_app(settings: Settings | None = None, *, db: Database | None = None,
               keys: KeySource | None = None, clock: Clock = SYSTEM_CLOCK,
               okta_transport: TransportFactory | None = None, sandbox: object | None = None,
               library: PlaybookLibrary | None = None, oidc_transport: OidcTransportFactory | None = None) -> FastAPI:
    """``okta_transport`` and ``sandbox`` let tests (and the demo) serve Okta in-process;
    ``oidc_transport`` does the same for the identity provider operators sign in with."""
    settings = settings or load_settings()
    keys = keys or key_source_for(settings)
    use_audit_keys(keys)  # the audit chain's HMAC key is derived from the vault's key ring
    database = db or Database(settings.resolved_database_url)
    vault = Vault(keys)
    library = library or PlaybookLibrary.load(KINDS)
    gateway = OktaGateway(database, vault, clock,
                          RateLimiterRegistry(clock, RateLimitPolicy(max_in_flight=settings.okta_max_in_flight)),
                          sandbox_origin=settings.sandbox_url if settings.sandbox else None,
                          transport_factory=okta_transport, timeout_seconds=settings.okta_timeout_seconds)
    engine = Engine(database, vault, library, gateway, clock)
    jobs = JobRunner(database, lease_seconds=settings.job_lease_seconds, poll_seconds=settings.job_poll_seconds,
                     grace_seconds=settings.job_stop_grace_seconds)

    # A webhook on this machine only while the sandbox is enabled, as the sandbox Okta is (the demo).
    notifier = Notifier(database, vault, clock, loopback_ok=settings.sandbox)
    watch = Watch(database, jobs, library, clock, settings, notifier)

    async def run_verify(handle: JobHandle) -> None:
        try:
            await engine.verify(handle)
        except Exception as exc:
            # The watch could not look at all: that is a finding too, unless the database failed (not
            # the Okta connection, and its text quotes the statement and its values: review).
            # A person's Re-verify that Okta refused the credential of is the watch's finding too: Health
            # read "healthy" beside it until the next scheduled look (QA walk 22, M2).
            if (handle.kind == WATCH_JOB and not database_failed(exc)) or isinstance(exc, OktaUnauthorized):
                await watch.after_run(handle.onboarding_id, error=str(exc) or type(exc).__name__)
            raise
        # An alert a person's Re-verify raises is theirs in the trail, not the watch's.
        await watch.after_run(handle.onboarding_id, actor=await engine.job_actor(handle))
        if handle.kind == WATCH_JOB:
            await watch.vendor_evidence(handle, engine.token_grants)

    jobs.register("apply", engine.guarded(engine.apply))
    jobs.register("verify", engine.guarded(run_verify))
    jobs.register("reverify", engine.guarded(run_verify))
    jobs.register(WATCH_JOB, engine.guarded(run_verify))
    jobs.register("undo", engine.guarded(engine.undo))
    jobs.register("undo_shared", engine.guarded(engine.undo_shared))
    oidc = RelyingParty(transport_factory=oidc_transport, clock=clock,
                        sandbox_origin=settings.sandbox_url if settings.sandbox else None)
    state = AppState(settings=settings, db=database, keys=keys, vault=vault, templates=build_templates(),
                     library=library, gateway=gateway, engine=engine, jobs=jobs, clock=clock, sandbox=sandbox,
                     oidc=oidc, watch=watch)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        jobs.start()
        watch.start()
        try:
            yield
        finally:
            # Together: running jobs get their grace period while the watch ends its round (it stops
            # between two messages), not after it. Jobs still running are then cancelled (they
            # resume at the next start); none is left in a session when the engine is disposed of below.
            await asyncio.gather(watch.stop(), jobs.stop())
            if db is None:
                await database.dispose()

    app = FastAPI(lifespan=lifespan, **_APP_OPTIONS)
    app.state.onboard = state
    app.add_middleware(BrowserMiddleware, https_public=settings.https_public)
    install_error_handlers(app)
    app.router.routes.extend(_route_table())
    return app

"""The sandbox as an ASGI app: the Okta endpoints, ``/oauth2/v1/token``, the OpenID Connect
endpoints (``okta_sandbox.oidc``), and the sandbox's own control plane and console under
``/__sandbox__``.

Every Okta request goes through the same steps, in Okta's order: injected faults (which act
before anything else, like a failing network or gateway), the rate-limit bucket, authentication
(401), authorization (403), then the operation's handler. Every response carries
``X-Okta-Request-Id``, the rate-limit headers and a ``Date`` from the org clock."""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import json
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from okta_sandbox import ids, routing, visibility
from okta_sandbox.api import HANDLERS, Call, Reply
from okta_sandbox.authz import Principal, authenticate, authorize
from okta_sandbox.domain import oauth, oidc
from okta_sandbox.domain.actors import RequestInfo
from okta_sandbox.errors import OktaError, error_body, rate_limited, server_error
from okta_sandbox.faults import MODIFIERS, FaultKind, FaultRule, SimulatedDrop, SimulatedTimeout
from okta_sandbox.operations import OPERATIONS
from okta_sandbox.org import SandboxOrg
from okta_sandbox.ratelimit import RateLimitStatus

logger = logging.getLogger(__name__)

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105  (a path, not a secret)
# Sent with every response a fault produced, so observers (the spec validator) can tell it apart.
FAULT_HEADER = "X-Sandbox-Fault"
BUG_HEADER = "X-Sandbox-Internal-Error"
# How long a standalone timeout fault holds the connection without delay_ms: longer than a
# client's usual read timeout.
STANDALONE_STALL_SECONDS = 30.0
_MALFORMED_BODY = b'{"id":"00u1sandbox0malformed","status":"ACT'

_missing = [operation.operation_id for operation in OPERATIONS if operation.operation_id not in HANDLERS]
if _missing:
    raise RuntimeError(f"operations without a handler: {_missing}")


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class _Exchange:
    """One Okta request on its way through the pipeline."""

    def __init__(self, org: SandboxOrg, request: Request, body: bytes) -> None:
        self.org = org
        self.request = request
        self.body = body
        self.method = request.method
        self.path = request.url.path
        self.request_id = ids.request_id()
        self.rate: RateLimitStatus | None = None
        # The path as sent (still percent-encoded), for links and the System Log's requestUri.
        raw_path = request.scope.get("raw_path")
        sent_path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else quote(self.path)
        uri = sent_path + (f"?{request.url.query}" if request.url.query else "")
        client = request.client
        self.info = RequestInfo(request_id=self.request_id, method=self.method, uri=uri,
                                ip_address=client.host if client else "127.0.0.1",
                                user_agent=request.headers.get("user-agent", ""))

    def respond(self, status: int, body: Any = None, *, headers: dict[str, str] | None = None,
                links: Sequence[tuple[str, str]] = (), raw: bytes | None = None) -> Response:
        content = raw if raw is not None else (b"" if body is None else _json(body))
        response = Response(content=content, status_code=status,
                            media_type="application/json" if (raw is not None or body is not None) else None)
        response.headers["X-Okta-Request-Id"] = self.request_id
        response.headers["Date"] = email.utils.formatdate(self.org.clock.now(), usegmt=True)
        rate = self.rate or self.org.rate_limiter.peek(self.method, self.path)
        for name, value in rate.headers().items():
            response.headers[name] = value
        for name, value in (headers or {}).items():
            response.headers[name] = value
        for url, rel in links:
            response.headers.append("Link", f'<{url}>; rel="{rel}"')
        return response

    def error(self, error: OktaError) -> Response:
        return self.respond(error.status, error.body(), headers=error.headers)

    # The pipeline

    async def run(self) -> Response:
        faults = self.org.faults.take(self.method, self.path)
        delay = sum(rule.delay_ms for rule in faults if rule.kind is FaultKind.LATENCY)
        if delay:
            await self.org.clock.sleep(delay / 1000)
        failure = next((rule for rule in faults if rule.kind not in MODIFIERS), None)
        if failure is not None and not failure.processed:
            return await self._fault(failure)
        hide_ms = max((rule.delay_ms for rule in faults if rule.kind is FaultKind.INVISIBLE), default=0)
        before = visibility.inventory(self.org) if hide_ms else None
        response = self._handle()
        if before is not None:
            visibility.hide_created(self.org, before, hide_ms / 1000)
        if failure is not None:
            return await self._fault(failure)
        return response

    async def _fault(self, rule: FaultRule) -> Response:
        marker = {FAULT_HEADER: str(rule.kind)}
        if rule.kind is FaultKind.TIMEOUT:
            raise SimulatedTimeout(rule.delay_ms)
        if rule.kind is FaultKind.DROP:
            raise SimulatedDrop()
        if rule.kind is FaultKind.SERVER_ERROR:
            error = server_error(rule.effective_status)
            return self.respond(error.status, error.body(), headers=marker)
        if rule.kind is FaultKind.RATE_LIMIT_BURST:
            status = self.org.rate_limiter.peek(self.method, self.path)
            reset = max(status.reset, int(self.org.clock.now()) + 1)
            self.rate = RateLimitStatus(status.limit, 0, reset, allowed=False)
            return self.respond(429, rate_limited().body(), headers=marker)
        if rule.kind is FaultKind.CONCURRENCY_LIMIT:
            self.rate = RateLimitStatus(0, 0, int(self.org.clock.now()) + 5, allowed=False)
            return self.respond(429, rate_limited().body(), headers=marker)
        return self.respond(rule.effective_status, raw=_MALFORMED_BODY, headers=marker)

    def _handle(self) -> Response:
        self.rate = self.org.rate_limiter.take(self.method, self.path)
        if not self.rate.allowed:
            return self.error(rate_limited())
        if self.path == TOKEN_PATH:
            return self._token()
        try:
            operation, params = routing.match(self.method, self.path)
            principal: Principal | None = None
            if operation.operation_id != "getWellknownOrgMetadata":
                principal = authenticate(self.org, self.request.headers.get("authorization"))
                reads_self = (operation.operation_id == "getUser" and principal.kind == "user"
                              and params.get("id") in ("me", principal.id))
                authorize(self.org, principal, operation, reads_self=reads_self)
            if principal is not None and principal.api_token_id:
                self.info = dataclasses.replace(self.info, api_token_id=principal.api_token_id)
            call = Call(org=self.org, operation=operation, params=params, query=self.request.query_params,
                        headers=self.request.headers, body=self.body, principal=principal, request=self.info)
            reply: Reply = HANDLERS[operation.operation_id](call)
        except OktaError as error:
            return self.error(error)
        return self.respond(reply.status, reply.body, headers=reply.headers, links=reply.links)

    def _token(self) -> Response:
        if self.method != "POST":
            return self.respond(405, {"error": "invalid_request", "error_description": "Use POST."},
                                headers={"Allow": "POST"})
        no_store = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        form = dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            if form.get("grant_type") == oidc.AUTHORIZATION_CODE:  # OpenID Connect sign-in (okta_sandbox.oidc)
                token = oidc.exchange_code(self.org, form, self.request.headers.get("authorization"))
            else:
                token = oauth.issue(self.org, form, self.request.headers.get("authorization"), self.info)
        except oauth.OAuthError as error:
            return self.respond(error.status, error.body(), headers=no_store)
        return self.respond(200, token, headers=no_store)


class _Stalled(Response):
    """Standalone ``timeout`` fault: hold the connection without answering, then give up."""

    def __init__(self, seconds: float) -> None:
        super().__init__(status_code=504)
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(self.seconds)
        await super().__call__(scope, receive, send)


class _Dropped(Response):
    """Standalone ``drop`` fault: start a response and stop halfway; the server then closes the
    connection, and the client sees a broken message."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")]})
        await send({"type": "http.response.body", "body": b'{"id":', "more_body": True})


async def _okta(request: Request) -> Response:
    org: SandboxOrg = request.app.state.org
    body = await request.body()
    exchange = _Exchange(org, request, body)
    try:
        return await exchange.run()
    except SimulatedTimeout as stall:
        delay_ms: int = stall.args[0] if stall.args else 0
        if request.app.state.standalone:
            return _Stalled(delay_ms / 1000 if delay_ms else STANDALONE_STALL_SECONDS)
        # In process the wait passes on the org clock (free on a fake one); SandboxTransport then
        # turns the exception into httpx.ReadTimeout.
        if delay_ms:
            await org.clock.sleep(delay_ms / 1000)
        raise
    except SimulatedDrop:
        if not request.app.state.standalone:
            raise  # SandboxTransport turns it into httpx.RemoteProtocolError
        return _Dropped()
    except Exception:
        # A bug in the sandbox still answers like Okta would, but says so: the spec validator
        # treats BUG_HEADER as a failure, so tests cannot pass over a sandbox crash.
        logger.exception("sandbox error on %s %s", request.method, request.url.path)
        error = server_error(500)
        return exchange.respond(500, error_body(error.code, error.summary), headers={BUG_HEADER: "1"})


def create_sandbox_app(org: SandboxOrg, *, standalone: bool = False) -> ASGIApp:
    """The sandbox's ASGI app. ``standalone`` (a real server) makes ``timeout`` and ``drop`` faults
    happen on the socket instead of raising for :class:`~okta_sandbox.SandboxTransport`."""
    from okta_sandbox.console import console_routes
    from okta_sandbox.control import control_routes
    from okta_sandbox.oidc import oidc_routes
    from okta_sandbox.welcome import welcome_routes

    app = Starlette(routes=[
        *oidc_routes(),
        Mount("/__sandbox__", routes=[*control_routes(), *console_routes()]),
        *welcome_routes(),
        Route("/{path:path}", _okta, methods=ALL_METHODS),
    ])
    app.state.org = org
    app.state.standalone = standalone
    return app

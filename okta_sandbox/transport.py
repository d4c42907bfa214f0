"""Serving the sandbox to an ``httpx.AsyncClient`` in process, with the network's failures.

``httpx.AsyncClient(transport=SandboxTransport(org), base_url=org.base_url)`` talks to the sandbox
without sockets. Injected ``timeout`` and ``drop`` faults surface as the exceptions a real network
gives (``httpx.ReadTimeout``, ``httpx.RemoteProtocolError``); latency is spent on the org's clock,
so a fake clock makes it free. ``observer`` sees every request/response pair that got a response
(the spec validator in the tests is one)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from okta_sandbox.app import create_sandbox_app
from okta_sandbox.faults import SimulatedDrop, SimulatedTimeout
from okta_sandbox.org import SandboxOrg

Observer = Callable[[httpx.Request, httpx.Response], None]


class SandboxTransport(httpx.AsyncBaseTransport):
    def __init__(self, org: SandboxOrg, *, observer: Observer | None = None) -> None:
        self.org = org
        self.observer = observer
        self.app = create_sandbox_app(org)
        self._inner = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 50_000))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._inner.handle_async_request(request)
        except SimulatedTimeout:
            raise httpx.ReadTimeout("The sandbox did not answer in time (injected timeout).", request=request) from None
        except SimulatedDrop:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response (injected drop).",
                                            request=request) from None
        if self.observer is not None:
            # The observer needs the body; ASGITransport has it in memory already.
            await response.aread()
            self.observer(request, response)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

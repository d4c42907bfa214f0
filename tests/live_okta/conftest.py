"""Fixtures of the live mode: the real org given by the environment (or a skip saying why), and,
for CI, the sandbox served over HTTP on a free port, standing in for a real org."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from okta_sandbox.org import SandboxOrg
from okta_sandbox.server import build
from tests.live import free_port

URL_VARIABLE = "ONBOARD_LIVE_OKTA_URL"
TOKEN_VARIABLE = "ONBOARD_LIVE_OKTA_TOKEN"
RECORDINGS_VARIABLE = "ONBOARD_LIVE_RECORDINGS"
VENDORS_VARIABLE = "ONBOARD_LIVE_VENDORS"
INPUTS_VARIABLE = "ONBOARD_LIVE_INPUTS"
DEFAULT_RECORDINGS = Path(__file__).resolve().parent.parent / "recordings" / "live-okta"


@dataclass(frozen=True)
class LiveOrg:
    url: str
    token: str
    recordings: Path


@pytest.fixture
def live_org() -> LiveOrg:
    """The real Okta org of ``make test-live``; without both variables the test is skipped, and
    the skip says which variable is missing and how to run it."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    missing = [name for name, value in ((URL_VARIABLE, url), (TOKEN_VARIABLE, token)) if not value]
    if missing:
        pytest.skip(f"live Okta run skipped: {' and '.join(missing)} not set (set both to a Super Admin's API "
                    "token and its org, e.g. a free developer org, then run `make test-live`; see README)")
    return LiveOrg(url, token, Path(os.environ.get(RECORDINGS_VARIABLE) or DEFAULT_RECORDINGS))


@dataclass
class SandboxServer:
    url: str
    org: SandboxOrg
    admin_token: str


@pytest.fixture
def sandbox_server() -> Iterator[SandboxServer]:
    """The sandbox, seeded with the demo org, on a real socket and real time (``onboard sandbox``
    in a thread): the live mode talks to it exactly as it talks to a real org."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    org, app, demo = build(base_url=base_url, pipeline="idx", seed="demo")
    assert demo is not None
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           server_header=False, date_header=False, lifespan="off"))
    thread = threading.Thread(target=server.run, name="live-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the sandbox server did not start"
        time.sleep(0.02)
    try:
        httpx.get(f"{base_url}/__sandbox__/state", timeout=5).raise_for_status()
        yield SandboxServer(base_url, org, demo.admin_token)
    finally:
        server.should_exit = True
        thread.join(timeout=10)

"""Real processes for the reliability tests: a standalone sandbox Okta (which outlives the wizard
servers the tests kill), wizard servers started and killed with SIGKILL, and an HTTP client that
signs in and submits forms like a browser. Each process is forked from one that has imported the
wizard already (tests/launch.py)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.launch import Launched, launch, run
from tests.live import free_port

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Sandbox:
    url: str
    admin_token: str
    process: Launched

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = httpx.get(f"{self.url}/__sandbox__/state", timeout=10).json()
        return data

    def fault(self, **rule: Any) -> None:
        httpx.post(f"{self.url}/__sandbox__/faults", json=rule, timeout=10).raise_for_status()

    def clear_faults(self) -> None:
        httpx.delete(f"{self.url}/__sandbox__/faults", timeout=10).raise_for_status()


@contextmanager
def sandbox_process(tmp: Path) -> Iterator[Sandbox]:
    port = free_port()
    env = {**os.environ, "ONBOARD_ENVIRONMENT": "development", "PYTHONUNBUFFERED": "1"}
    process = launch(["sandbox", "--port", str(port), "--seed", "demo"], env, output=tmp / "sandbox.log")
    url = f"http://127.0.0.1:{port}"
    try:
        process.until_answering(f"{url}/.well-known/okta-organization")
        token = re.search(r"Demo admin token: (\S+)", process.printed()).group(1)  # type: ignore[union-attr]
        yield Sandbox(url=url, admin_token=token, process=process)
    finally:
        process.stop()


@dataclass
class Wizard:
    """One wizard server process at a time, restartable, on the same database and port."""

    database_url: str
    data_dir: Path
    sandbox_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: Launched | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.database_url, "ONBOARD_DATA_DIR": str(self.data_dir),
                "ONBOARD_ENVIRONMENT": "development", "ONBOARD_DEMO": "false", "ONBOARD_PORT": str(self.port),
                "ONBOARD_SANDBOX_URL": self.sandbox_url, "ONBOARD_JOB_LEASE_SECONDS": "2",
                "ONBOARD_JOB_POLL_SECONDS": "0.3", "ONBOARD_SIGNIN_DELAY_SECONDS": "0", "PYTHONUNBUFFERED": "1",
                **self.extra_env}

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return run(list(args), self.env(), input=stdin)

    def start(self) -> None:
        self.starts += 1
        log = self.data_dir / f"server-{self.starts}.log"
        self.process = launch(["serve"], self.env(), output=log)
        self.process.until_answering(f"{self.url}/healthz")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, leases are not handed back, nothing is flushed."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


class Browser:
    """Forms over HTTP with cookies and CSRF tokens, against whichever server is up."""

    def __init__(self, wizard: Wizard) -> None:
        self.wizard = wizard
        self.cookies = httpx.Cookies()

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.wizard.url, cookies=self.cookies, follow_redirects=False, timeout=30)

    def get(self, path: str) -> httpx.Response:
        with self._client() as client:
            response = client.get(path)
            self.cookies.update(client.cookies)
            return response

    def post(self, path: str, data: dict[str, str] | None = None, *, page: str) -> httpx.Response:
        token = _CSRF.search(self.get(page).text)
        assert token, f"no form on {page}"
        with self._client() as client:
            response = client.post(path, data={**(data or {}), "csrf_token": token.group(1)})
            self.cookies.update(client.cookies)
            return response

    def sign_in(self, username: str, password: str) -> None:
        response = self.post("/sign-in", {"username": username, "password": password}, page="/sign-in")
        assert response.status_code == 303, response.text

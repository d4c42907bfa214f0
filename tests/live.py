"""A real server process for browser tests: `onboard serve` on a free port, against its own
database, with its output captured (the setup link is read from it, as a person would). The
process is forked from one that has imported the wizard already (tests/launch.py)."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.launch import Launched, launch, run

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, and not one this process handed out before: the system may give
    the same free port to two probes in a row, and a wizard and its sandbox started together would
    then both try to listen on it."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


@dataclass
class LiveServer:
    url: str
    process: Launched
    env: dict[str, str]
    sandbox_url: str

    def sandbox_state(self) -> dict[str, Any]:
        """The demo sandbox org as it is now (its control API)."""
        state: dict[str, Any] = httpx.get(f"{self.sandbox_url}/__sandbox__/state", timeout=10).json()
        return state

    def admin_console_token(self, name: str) -> str:
        """An API token of the sandbox org's Super Administrator, created in its Admin Console (as
        a person would, who then sees its value once)."""
        admin = next(u for u in self.sandbox_state()["users"] if "SUPER_ADMIN" in u["roles"])
        page = httpx.post(f"{self.sandbox_url}/__sandbox__/console/tokens", timeout=10,
                          data={"user_id": admin["id"], "name": name, "network": "ANYWHERE"})
        assert page.status_code == 201, page.text
        match = re.search(r'name="token-value" type="text" value="([^"]+)"', page.text)
        assert match, page.text
        return match.group(1)

    @property
    def output(self) -> str:
        return self.process.printed()

    def setup_link(self) -> str:
        match = re.search(r"(http://\S+/setup\?token=\S+)", self.output)
        assert match, self.output
        return match.group(1)


@contextmanager
def live_server(database_url: str, data_dir: Path, *, extra_env: dict[str, str] | None = None,
                migrate: bool = True) -> Iterator[LiveServer]:
    port = free_port()
    sandbox_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ONBOARD_DATA_DIR": str(data_dir),
        "ONBOARD_ENVIRONMENT": "development",
        "ONBOARD_PORT": str(port),
        "ONBOARD_HOST": "127.0.0.1",
        "ONBOARD_SIGNIN_DELAY_SECONDS": "0",
        # The demo sandbox org on a port of its own, so parallel test workers do not collide.
        "ONBOARD_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
        "ONBOARD_JOB_POLL_SECONDS": "0.5",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    if migrate:
        migrated = run(["db", "upgrade"], env)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    process = launch(["serve"], env, output=data_dir / "server.log")
    url = f"http://127.0.0.1:{port}"
    server = LiveServer(url=url, process=process, env=env,
                        sandbox_url=f"http://127.0.0.1:{sandbox_port}")
    try:
        process.until_answering(f"{url}/healthz", accept=lambda status: status == 200)
        yield server
    finally:
        process.stop()

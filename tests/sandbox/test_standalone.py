"""``onboard sandbox``: the sandbox as a real HTTP server, started as a user would start it."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.settings import PROJECT_ROOT
from tests.live import free_port


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "ONBOARD_ENVIRONMENT": "test", "ONBOARD_DATA_DIR": str(tmp_path), **extra}


@dataclass
class Server:
    base_url: str
    token: str
    output: list[str]


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "sandbox", "--port", str(port), "--seed", "demo"],
        cwd=PROJECT_ROOT, env=_environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stdout or ():
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    output: list[str] = []
    token = ""
    deadline = time.monotonic() + 20
    try:
        while not token:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or process.poll() is not None:
                pytest.fail("the sandbox did not start:\n" + "".join(output))
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            output.append(line)
            if line.startswith("Demo admin token:"):
                token = line.split(":", 1)[1].strip()
        base_url = f"http://127.0.0.1:{port}"
        while True:
            try:
                httpx.get(f"{base_url}/.well-known/okta-organization", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("the sandbox never answered:\n" + "".join(output))
                time.sleep(0.05)
        yield Server(base_url, token, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()


class TestStandaloneServer:
    def test_prints_its_address_and_serves_the_demo_org(self, standalone: Server) -> None:
        assert any(standalone.base_url in line for line in standalone.output)
        metadata = httpx.get(f"{standalone.base_url}/.well-known/okta-organization").json()
        assert metadata["pipeline"] == "idx" and metadata["_links"]["organization"]["href"] == standalone.base_url
        me = httpx.get(f"{standalone.base_url}/api/v1/users/me",
                       headers={"Authorization": f"SSWS {standalone.token}"})
        assert me.status_code == 200 and me.json()["profile"]["login"] == "sam.super@acme.example"
        assert "X-Rate-Limit-Reset" in me.headers and len(me.headers.get_list("Date")) == 1

    def test_a_drop_fault_cuts_the_connection(self, standalone: Server) -> None:
        added = httpx.post(f"{standalone.base_url}/__sandbox__/faults", json={"kind": "drop", "path": "/api/v1/org"})
        assert added.status_code == 201
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{standalone.base_url}/api/v1/org", headers={"Authorization": f"SSWS {standalone.token}"})


class TestCommandLine:
    def test_refuses_to_run_where_the_sandbox_is_off(self, tmp_path: Path) -> None:
        result = subprocess.run([sys.executable, "-m", "app.cli", "sandbox", "--port", str(free_port())],
                                cwd=PROJECT_ROOT, env=_environment(tmp_path, ONBOARD_SANDBOX_ENABLED="false"),
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 1 and "sandbox is turned off" in result.stderr

    def test_refuses_an_unknown_seed(self, tmp_path: Path) -> None:
        result = subprocess.run([sys.executable, "-m", "app.cli", "sandbox", "--seed", "big"], cwd=PROJECT_ROOT,
                                env=_environment(tmp_path), capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 1 and "--seed takes 'demo'" in result.stderr

"""Starting server processes for the benchmarks and reading their footprint."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    startup_seconds: float

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


@contextmanager
def server(args: list[str], env: dict[str, str], url: str, ready_path: str, log: Path) -> Iterator[Server]:
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(url + ready_path, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        yield Server(url, process, time.perf_counter() - started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def python() -> str:
    return sys.executable

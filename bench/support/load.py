"""Load generation on loopback: wrk when it is installed (Debian package `wrk`), otherwise a small
asyncio generator (enough for the smoke runs CI does; the recorded figures come from wrk)."""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass

import httpx


@dataclass
class LoadResult:
    tool: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int

    def line(self, name: str) -> str:
        return (f"{name:<28} {self.rps:>9.1f} req/s   p50 {self.p50_ms:>6.1f} ms   p99 {self.p99_ms:>6.1f} ms   "
                f"({self.requests} requests, {self.errors} errors, {self.tool})")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, *, connections: int, seconds: int, headers: dict[str, str]) -> LoadResult:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    latency = {m.group(1): _ms(m.group(2), m.group(3))
               for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return LoadResult("wrk", total, float(seconds), rps, latency.get("50", 0.0), latency.get("99", 0.0), errors)


async def _python_load(url: str, connections: int, seconds: float, headers: dict[str, str]) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await client.get(url, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code >= 400:
                errors += 1

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)] if ordered else 0.0
    return LoadResult("python", len(latencies), elapsed, len(latencies) / elapsed,
                      statistics.median(ordered) if ordered else 0.0, p99, errors)


def load(url: str, *, connections: int = 20, seconds: int = 10, headers: dict[str, str] | None = None,
         prefer_wrk: bool = True) -> LoadResult:
    if prefer_wrk and shutil.which("wrk"):
        return wrk(url, connections=connections, seconds=seconds, headers=headers or {})
    return asyncio.run(_python_load(url, connections, seconds, headers or {}))

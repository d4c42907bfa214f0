"""Drata's email-domain scan (the ``email_domains`` check) over a large org: Okta calls made
against ceil(users / page size), wall time, and the wizard's peak memory while it runs.

The sandbox org runs in its own process (bench/support/big_org.py), so the figures are the
wizard's alone: the check is run in this process through the real Okta client over loopback HTTP.
Memory is the tracemalloc peak above the starting point; "flat" means it does not grow with the
size of the org, because each page is counted and dropped before the next is read.

    .venv/bin/python bench/drata_scan.py [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.common.clock import SystemClock
from app.engine.checks.base import CheckState
from app.engine.checks.directory import EmailDomains
from app.engine.context import Context
from app.engine.scope import Scope
from app.okta import ApiTokenCredential, OktaClient, normalise_org_url, static_secret
from app.okta.calllog import OktaCall
from app.okta.http import OktaHttp
from app.okta.ratelimit import OrgRateLimiter
from app.vault import Secret
from tests.live import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def start_org(users: int) -> tuple[subprocess.Popen[str], str, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.support.big_org", "--users", str(users), "--port",
                                str(port)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    token = process.stdout.readline().strip()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/v1/users?limit=1", headers={"Authorization": f"SSWS {token}"},
                         timeout=2).status_code == 200:
                return process, url, token
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the sandbox org did not start")
        time.sleep(0.05)


async def scan(url: str, token: str) -> tuple[dict[str, object], int, float, int]:
    calls: list[OktaCall] = []

    async def record(call: OktaCall) -> None:
        calls.append(call)

    clock = SystemClock()
    http = OktaHttp(normalise_org_url(url, sandbox_origin=url), ApiTokenCredential(static_secret(Secret(token))),
                    clock=clock, limiter=OrgRateLimiter(clock), on_call=record)
    okta = OktaClient(http)
    ctx = Context(okta=okta, scope=Scope(), clock=clock)
    check = EmailDomains("email_domains", {"vendor": "Drata"})
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    started = time.perf_counter()
    outcome = await check.evaluate(ctx, CheckState())
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    await okta.aclose()
    return outcome.evidence or {}, len(calls), elapsed, peak - base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny run to check the script works")
    args = parser.parse_args()
    sizes = (500, 2_000) if args.smoke else (10_000, 100_000)
    page_size = 200
    print(f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}")
    print(f"{'users':>8} {'pages':>6} {'calls':>6} {'ceil(N/200)':>11} {'wall':>8} {'peak memory':>12}")
    peaks = []
    for users in sizes:
        process, url, token = start_org(users)
        try:
            evidence, calls, elapsed, peak = asyncio.run(scan(url, token))
        finally:
            process.terminate()
            process.wait(timeout=10)
        expected = math.ceil(users / page_size)
        assert evidence["users"] == users, evidence
        assert calls == expected, (calls, expected)
        peaks.append(peak)
        print(f"{users:>8,} {evidence['pages']:>6} {calls:>6} {expected:>11} {elapsed:>7.1f}s {peak / 1024:>9,.0f} KiB")
    print(f"peak memory at {sizes[-1]:,} users is {peaks[-1] / peaks[0]:.2f}x the peak at {sizes[0]:,} "
          f"({sizes[-1] // sizes[0]}x the users)")


if __name__ == "__main__":
    main()

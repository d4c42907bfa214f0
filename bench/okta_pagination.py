"""Paginated reads through the Okta client against the sandbox Okta: calls made and wall time for
reading 1,000 users, with and without latency injected into every sandbox answer.

    .venv/bin/python bench/okta_pagination.py [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.common.clock import SystemClock
from app.okta import ApiTokenCredential, OktaClient, normalise_org_url, static_secret
from app.okta.calllog import OktaCall
from app.okta.http import OktaHttp
from app.okta.ratelimit import OrgRateLimiter
from app.vault import Secret
from okta_sandbox import SandboxOrg, SandboxTransport


async def read_all(org: SandboxOrg, token: str, page_size: int) -> tuple[int, int, float]:
    calls: list[OktaCall] = []

    async def record(call: OktaCall) -> None:
        calls.append(call)

    clock = SystemClock()
    http = OktaHttp(normalise_org_url(org.base_url, sandbox_origin=org.base_url),
                    ApiTokenCredential(static_secret(Secret(token))), transport=SandboxTransport(org), clock=clock,
                    limiter=OrgRateLimiter(clock), on_call=record)
    okta = OktaClient(http)
    started = time.perf_counter()
    count = 0
    async for page in okta.users.pages(limit=page_size):
        count += len(page)
    elapsed = time.perf_counter() - started
    await okta.aclose()
    return count, len(calls), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny run to check the script works")
    args = parser.parse_args()
    users = 60 if args.smoke else 1000
    org = SandboxOrg(clock=SystemClock())
    admin = org.add_user("bench.admin@acme.example")
    org.assign_role(admin["id"], "SUPER_ADMIN")
    token = org.issue_api_token(admin["id"], "bench")
    for i in range(users - 1):
        org.add_user(f"user{i:05d}@acme.example")
    print(f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}")
    print(f"reading {users} users (the sandbox in process, every answer spec-shaped)")
    print(f"{'page size':>9} {'latency':>8} {'calls':>6} {'minimum':>8} {'wall':>9}")
    for latency_ms in (0, 20 if args.smoke else 100):
        org.faults.clear()
        if latency_ms:
            org.faults.add("latency", delay_ms=latency_ms, times=None)
        for page_size in (20, 200):
            count, calls, elapsed = asyncio.run(read_all(org, token, page_size))
            assert count == users, count
            minimum = math.ceil(users / page_size)
            print(f"{page_size:>9} {latency_ms:>6}ms {calls:>6} {minimum:>8} {elapsed:>8.2f}s")


if __name__ == "__main__":
    main()

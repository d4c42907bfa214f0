"""An administrator's writes while anonymous clients flood the sign-in form, on SQLite: the
production server (`onboard serve`), five clients posting wrong passwords as fast as the server
answers (each attempt runs argon2), and one signed-in administrator changing another operator's
role back and forth (a write with its audit event), first with no flood, then under it.

The source-address limit is lifted for the run (``ONBOARD_SIGNIN_SOURCE_LIMIT``): every client
comes from 127.0.0.1 here, and a flood from many addresses is the case to measure. Before the
fix, each attempt held SQLite's only write lock while argon2 ran, and an admin's save went from
0.03 s to 9 s under five clients.

    .venv/bin/python bench/signin_flood.py [--smoke] [--writes 60] [--clients 5]

Target: p99 of the administrator's write under the flood below 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from app.vault.keyring import Key
from bench.support.seed import ADMIN, ADMIN_PASSWORD, completed_defender
from bench.support.servers import python, server
from tests.live import free_port

TARGET_P99_MS = 200.0


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


async def flood(url: str, stop: asyncio.Event, counts: list[int]) -> None:
    async with httpx.AsyncClient(base_url=url, follow_redirects=False, timeout=60) as client:
        token = _csrf((await client.get("/sign-in")).text)
        while not stop.is_set():
            answer = await client.post("/sign-in", data={"username": f"nobody-{secrets.token_hex(4)}",
                                                         "password": "not-the-password", "csrf_token": token})
            counts.append(answer.status_code)


async def admin_writes(url: str, writes: int) -> tuple[list[float], list[float]]:
    async with httpx.AsyncClient(base_url=url, follow_redirects=False, timeout=60) as admin:
        token = _csrf((await admin.get("/sign-in")).text)
        signed = await admin.post("/sign-in", data={"username": ADMIN, "password": ADMIN_PASSWORD,
                                                    "csrf_token": token})
        assert signed.status_code == 303, signed.text
        page = (await admin.get("/operators")).text
        token = _csrf(page)
        created = await admin.post("/operators", data={
            "username": "bench.target", "display_name": "Bench target", "role": "operator",
            "password": "a long bench password 42", "csrf_token": token})
        assert created.status_code == 303, created.text
        page = (await admin.get("/operators")).text
        target = page.split("<code>bench.target</code>", 1)[0].rsplit('id="operator-', 1)[1].split('"', 1)[0]

        async def timed(n: int) -> list[float]:
            taken = []
            for i in range(n):
                started = time.perf_counter()
                answer = await admin.post(f"/operators/{target}/role", data={
                    "role": "auditor" if i % 2 == 0 else "operator", "csrf_token": token})
                taken.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 303, answer.text
            return taken

        quiet = await timed(writes)
        stop = asyncio.Event()
        counts: list[int] = []
        flooders = [asyncio.create_task(flood(url, stop, counts)) for _ in range(CLIENTS)]
        await asyncio.sleep(1.0)  # the flood under way
        try:
            loud = await timed(writes)
        finally:
            stop.set()
            await asyncio.gather(*flooders)
        refused = sum(1 for code in counts if code in (401, 429))
        print(f"flood: {len(counts)} sign-in attempts answered ({refused} refused as wrong)")
        return quiet, loud


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


CLIENTS = 5


def main() -> None:
    global CLIENTS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a few writes, to check the script works")
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--clients", type=int, default=5)
    args = parser.parse_args()
    CLIENTS = args.clients
    writes = 6 if args.smoke else args.writes
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        url = f"sqlite:///{data}/bench.db"
        key = Key.generate().encoded()
        completed_defender(url, data, key, reverifications=0)
        env = {"DATABASE_URL": url, "ONBOARD_ENVIRONMENT": "production", "ONBOARD_SECRET_KEY": key,
               "ONBOARD_SANDBOX_ENABLED": "false", "ONBOARD_DATA_DIR": str(data),
               "ONBOARD_SIGNIN_SOURCE_LIMIT": "100000000"}
        port = free_port()
        print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
              f"database: sqlite; {CLIENTS} flooding clients, {writes} administrator writes each phase")
        with server([python(), "-m", "app.cli", "serve", "--port", str(port)], env, f"http://127.0.0.1:{port}",
                    "/readyz", data / "app.log") as app:
            quiet, loud = asyncio.run(admin_writes(app.url, writes))
        for name, values in (("no flood", quiet), ("under the flood", loud)):
            print(f"admin write, {name}: p50 {statistics.median(values):.1f} ms, p99 {p99(values):.1f} ms, "
                  f"max {max(values):.1f} ms")
        verdict = "met" if p99(loud) < TARGET_P99_MS else "NOT met"
        print(f"target: p99 under the flood below {TARGET_P99_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()

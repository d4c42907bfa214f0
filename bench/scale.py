"""Scale: 10,000 onboardings and 1,000,000 audit events in the database (seeded in bulk, with a
valid hash chain). The lists' first page, last page and filtered pages, answered by the production
server (p95 of sequential requests), for the onboardings list and for the audit trail; and an
export of a 20,000-event onboarding, with the server's peak memory growth while it streams.

    .venv/bin/python bench/scale.py [--smoke] [--postgres ADMIN_URL]

With --postgres, a database is created on that server for the run and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.audit import Actor
from app.audit.keys import use_keys
from app.auth.operators import NewOperator, create_operator
from app.store.db import Database
from app.store.migrate import upgrade
from app.vault.keyring import Key, KeySource
from bench.support.bulk import seed
from bench.support.servers import python, server
from tests.live import free_port

PASSWORD = "benchmark admin password"


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(len(ordered) * 0.95) - 1)]


def timed(client: httpx.Client, url: str, times: int) -> tuple[float, float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples), p95(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--postgres", help="admin URL of a Postgres server, e.g. postgresql+psycopg://postgres@127.0.0.1/test")
    args = parser.parse_args()
    onboardings, events, big = (600, 6_000, 2_000) if args.smoke else (10_000, 1_000_000, 20_000)
    repeats = 5 if args.smoke else 50
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        dbname = None
        if args.postgres:
            dbname = f"onboard_scale_{secrets.token_hex(3)}"
            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{dbname}"'))
            admin.dispose()
            url = make_url(args.postgres).set(database=dbname).render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{data}/scale.db"
        try:
            upgrade(url)
            started = time.perf_counter()
            big_id, _ids = seed(url, onboardings=onboardings, events=events, big_onboarding_events=big)
            seeded = time.perf_counter() - started

            key = Key.generate().encoded()
            # The server's key keys the audit trail; the admin's creation is recorded with it too.
            use_keys(KeySource(env_key=key, env_previous=None, key_file=None, create_file=False))

            async def add_admin() -> None:
                db = Database(url)
                try:
                    async with db.session() as session:
                        await create_operator(session, NewOperator(username="bench", display_name="Bench",
                                                                  role="admin", password=PASSWORD),
                                              Actor.system("bench"))
                finally:
                    await db.dispose()

            asyncio.run(add_admin())
            env = {"DATABASE_URL": url, "ONBOARD_ENVIRONMENT": "production", "ONBOARD_SECRET_KEY": key,
                   "ONBOARD_SANDBOX_ENABLED": "false", "ONBOARD_DATA_DIR": str(data)}
            port = free_port()
            print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}; "
                  f"database: {'postgres' if args.postgres else 'sqlite'}; {onboardings:,} onboardings, "
                  f"{events:,} audit events (seeded in {seeded:.0f}s)")
            with server([python(), "-m", "app.cli", "serve", "--port", str(port)], env,
                        f"http://127.0.0.1:{port}", "/readyz", data / "app.log") as app:
                with httpx.Client(base_url=app.url, follow_redirects=False, timeout=120) as client:
                    page = client.get("/sign-in").text
                    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
                    client.post("/sign-in", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
                    for name, path in (
                            ("onboardings, first page", "/?view=all"),
                            ("onboardings, last page", "/?view=all&page=last"),
                            ("onboardings, filtered", "/?view=waiting&vendor=drata&org=org03&since=2026-10-01"),
                            ("audit, first page", "/audit"),
                            ("audit, oldest page", "/audit?before=52"),
                            ("audit, operator actions", "/audit?category=operator"),
                            ("audit, sign-ins (rare)", "/audit?action=sign_in")):
                        timed(client, path, 2)
                        median, high = timed(client, path, repeats)
                        print(f"{name:<26} p50 {median:6.1f} ms   p95 {high:6.1f} ms   (target p95 < 100 ms)")
                    before = app.rss_mb()
                    peak = [before]
                    done = threading.Event()

                    def sample() -> None:
                        while not done.is_set():
                            peak[0] = max(peak[0], app.rss_mb())
                            time.sleep(0.01)

                    watcher = threading.Thread(target=sample)
                    watcher.start()
                    started = time.perf_counter()
                    size = 0
                    with client.stream("GET", f"/onboardings/{big_id}/events.json") as response:
                        assert response.status_code == 200
                        for chunk in response.iter_bytes():
                            size += len(chunk)
                    elapsed = time.perf_counter() - started
                    done.set()
                    watcher.join()
                    print(f"export of {big:,} events: {size / 1e6:.1f} MB in {elapsed:.1f}s; server memory "
                          f"{before:.0f} MiB before, peak growth {peak[0] - before:.1f} MiB (target < 50 MiB)")
        finally:
            if dbname:
                admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()

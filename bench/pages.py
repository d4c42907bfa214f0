"""The onboarding page under load: a Defender onboarding with its full history, served by the
production server (`onboard serve`, production settings), against a bare FastAPI baseline that
renders a comparable Jinja2 page from one SQLAlchemy query, in the same run. Requests per second
and p50/p99 at 20 concurrent connections (wrk on loopback); the server's footprint (resident
memory idle and after the load, start-up time to the first answered request).

Both servers run side by side and are loaded in turn, round after round (five rounds of 15 s each
by default), so a slow moment of the machine falls on both; each figure is the median round's.

    .venv/bin/python bench/pages.py [--smoke] [--postgres URL] [--rounds 5] [--seconds 15]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from app.vault.keyring import Key
from bench.support.load import LoadResult, load
from bench.support.seed import ADMIN, ADMIN_PASSWORD, completed_defender
from bench.support.servers import python, server
from tests.live import free_port


def sign_in(url: str) -> str:
    with httpx.Client(base_url=url, follow_redirects=False) as client:
        page = client.get("/sign-in").text
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = client.post("/sign-in", data={"username": ADMIN, "password": ADMIN_PASSWORD, "csrf_token": token})
        assert response.status_code == 303, response.text
        # Every cookie the browser would send back: the session and the form-protection seed (without
        # it each request would look like a new visitor's, and get a new seed and a new page).
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a few seconds, to check the script works")
    parser.add_argument("--postgres", help="a Postgres URL to use instead of SQLite (an empty database)")
    parser.add_argument("--seconds", type=int, default=15, help="length of one round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    seconds = 1 if args.smoke else args.seconds
    rounds = 1 if args.smoke else args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        url = args.postgres or f"sqlite:///{data}/bench.db"
        key = Key.generate().encoded()
        oid = completed_defender(url, data, key)
        env = {"DATABASE_URL": url, "ONBOARD_ENVIRONMENT": "production", "ONBOARD_SECRET_KEY": key,
               "ONBOARD_SANDBOX_ENABLED": "false", "ONBOARD_DATA_DIR": str(data)}
        app_port, base_port = free_port(), free_port()
        print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
              f"database: {'postgres' if args.postgres else 'sqlite'}; 20 connections, {rounds} round(s) of "
              f"{seconds}s each")
        baseline_cmd = [python(), "-m", "uvicorn", "bench.support.baseline_app:app", "--port", str(base_port),
                        "--log-level", "warning", "--no-access-log"]
        with server([python(), "-m", "app.cli", "serve", "--port", str(app_port)], env,
                    f"http://127.0.0.1:{app_port}", "/readyz", data / "app.log") as app, \
                server(baseline_cmd, env, f"http://127.0.0.1:{base_port}", "/healthz", data / "baseline.log") \
                as baseline:
            idle_rss = app.rss_mb()
            startup = app.startup_seconds
            cookie = sign_in(app.url)
            page = f"{app.url}/onboardings/{oid}"
            base_page = f"{baseline.url}/onboardings/{oid}"
            size = len(httpx.get(page, headers={"Cookie": cookie}).content)
            base_size = len(httpx.get(base_page).content)
            if not args.smoke:  # a smoke run only proves the script works: its figures are not read
                load(page, connections=20, seconds=1, headers={"Cookie": cookie})  # warm up
                load(base_page, connections=20, seconds=1)
            ours_rounds: list[LoadResult] = []
            base_rounds: list[LoadResult] = []
            for _ in range(rounds):
                ours_rounds.append(load(page, connections=20, seconds=seconds, headers={"Cookie": cookie}))
                base_rounds.append(load(base_page, connections=20, seconds=seconds))
            busy_rss = app.rss_mb()
        ours, base = median_round(ours_rounds), median_round(base_rounds)
        if rounds > 1:
            for name, done in (("wizard", ours_rounds), ("baseline", base_rounds)):
                print(f"{name} rounds (req/s): " + ", ".join(f"{r.rps:.0f}" for r in done))
        print(ours.line(f"wizard page ({size // 1024} KiB)"))
        print(base.line(f"baseline page ({base_size // 1024} KiB)"))
        ratio = ours.rps / base.rps if base.rps else 0.0
        print(f"throughput: {ratio:.0%} of the baseline (target at least 60%); p99 {ours.p99_ms:.1f} ms "
              f"(target under 100 ms)")
        print(f"footprint: start-up to first answer {startup:.2f}s; resident memory {idle_rss:.0f} MiB idle, "
              f"{busy_rss:.0f} MiB after the load")
        if any(r.errors for r in ours_rounds):
            raise SystemExit(f"{sum(r.errors for r in ours_rounds)} failed requests")


def median_round(results: list[LoadResult]) -> LoadResult:
    """The round with the median throughput (its latencies are that round's)."""
    middle = statistics.median_low([r.rps for r in results])
    return next(r for r in results if r.rps == middle)


if __name__ == "__main__":
    main()

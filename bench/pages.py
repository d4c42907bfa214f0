"""The onboarding page under load: a Defender onboarding with its full history, served by the
production server (`onboard serve`, production settings), against a bare FastAPI baseline that
renders a comparable Jinja2 page from one SQLAlchemy query, in the same run. Requests per second
and p50/p99 at 20 concurrent connections (wrk on loopback); the server's footprint (resident
memory idle and after the load, start-up time to the first answered request).

    .venv/bin/python bench/pages.py [--smoke] [--postgres URL]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from app.vault.keyring import Key
from bench.support.load import load
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
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    seconds = 2 if args.smoke else args.seconds
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
              f"database: {'postgres' if args.postgres else 'sqlite'}; 20 connections, {seconds}s each")
        with server([python(), "-m", "app.cli", "serve", "--port", str(app_port)], env,
                    f"http://127.0.0.1:{app_port}", "/readyz", data / "app.log") as app:
            idle_rss = app.rss_mb()
            cookie = sign_in(app.url)
            page = f"{app.url}/onboardings/{oid}"
            size = len(httpx.get(page, headers={"Cookie": cookie}).content)
            load(page, connections=20, seconds=1, headers={"Cookie": cookie})  # warm up
            ours = load(page, connections=20, seconds=seconds, headers={"Cookie": cookie})
            busy_rss = app.rss_mb()
            startup = app.startup_seconds
        baseline_cmd = [python(), "-m", "uvicorn", "bench.support.baseline_app:app", "--port", str(base_port),
                        "--log-level", "warning", "--no-access-log"]
        with server(baseline_cmd, env, f"http://127.0.0.1:{base_port}", "/healthz",
                    data / "baseline.log") as baseline:
            base_page = f"{baseline.url}/onboardings/{oid}"
            base_size = len(httpx.get(base_page).content)
            load(base_page, connections=20, seconds=1)
            base = load(base_page, connections=20, seconds=seconds)
        print(ours.line(f"wizard page ({size // 1024} KiB)"))
        print(base.line(f"baseline page ({base_size // 1024} KiB)"))
        ratio = ours.rps / base.rps if base.rps else 0.0
        print(f"throughput: {ratio:.0%} of the baseline (target at least 60%); p99 {ours.p99_ms:.1f} ms "
              f"(target under 100 ms)")
        print(f"footprint: start-up to first answer {startup:.2f}s; resident memory {idle_rss:.0f} MiB idle, "
              f"{busy_rss:.0f} MiB after the load")
        if ours.errors:
            raise SystemExit(f"{ours.errors} failed requests")


if __name__ == "__main__":
    main()

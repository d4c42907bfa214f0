"""Two wizard server processes on one Postgres database: two operators pressing Apply on the same
onboarding at the same moment (one on each server) run it once; twenty different onboardings
applied at once through both servers each run exactly once."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.store.db import create_sync_engine
from app.store.models import Job
from app.vault.keyring import Key
from tests.processes import Browser, Wizard, sandbox_process

pytestmark = pytest.mark.slow
PASSWORD = "a long enough password"
LABEL = "Microsoft Defender for Identity"


def _planned(browser: Browser, connection: str, login: str) -> tuple[str, str]:
    response = browser.post("/onboardings", {"vendor": "defender-for-identity", "connection": connection,
                                            "start_another": "1"},
                            page="/onboardings/new")
    onboarding = re.search(r"/onboardings/([0-9a-f-]{36})", response.headers["location"]).group(1)  # type: ignore[union-attr]
    page = f"/onboardings/{onboarding}"
    browser.post(f"{page}/inputs", {"step": "create_account", "input_service_account_login": login,
                                    "input_service_account_email": login, "input_first_name": "Defender",
                                    "input_last_name": "Service"}, page=page)
    browser.post(f"{page}/plan", page=page)
    plan = re.search(r"/plans/([0-9a-f-]{36})/confirm", browser.get(page).text).group(1)  # type: ignore[union-attr]
    return onboarding, plan


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _jobs(url: str) -> list[Any]:
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(Job)).all())
    finally:
        engine.dispose()


def test_two_servers_apply_each_onboarding_once(tmp_path: Path, empty_database_factory: Any,
                                                db_backend: str) -> None:
    if db_backend != "postgres":
        pytest.skip("two server processes share a Postgres database")
    url: str = empty_database_factory()
    with sandbox_process(tmp_path) as sandbox:
        sandbox.fault(kind="latency", delay_ms=20, times=None)
        # Servers that share a database share the vault key (as a deployment does, through the environment).
        key = {"ONBOARD_SECRET_KEY": Key.generate().encoded()}
        servers = [Wizard(database_url=url, data_dir=tmp_path / f"data{i}", sandbox_url=sandbox.url, extra_env=key)
                   for i in (1, 2)]
        for server in servers:
            server.data_dir.mkdir()
        assert servers[0].cli("db", "upgrade").returncode == 0
        for name in ("amy", "bob"):
            assert servers[0].cli("create-operator", "--username", name, "--role", "admin", "--password-stdin",
                                  stdin=PASSWORD + "\n").returncode == 0
        try:
            for server in servers:
                server.start()
            amy, bob = Browser(servers[0]), Browser(servers[1])
            amy.sign_in("amy", PASSWORD)
            bob.sign_in("bob", PASSWORD)
            amy.post("/connections", {"org_url": sandbox.url, "api_token": sandbox.admin_token, "label": "Sandbox"},
                     page="/connections")
            connection = re.search(r'<option value="([0-9a-f-]{36})"', amy.get("/onboardings/new").text).group(1)  # type: ignore[union-attr]

            # The same onboarding, Apply pressed on both servers at once.
            onboarding, plan = _planned(amy, connection, "mdi-same@acme.example")
            page = f"/onboardings/{onboarding}"
            amy_token = re.search(r'name="csrf_token" value="([^"]+)"', amy.get(page).text).group(1)  # type: ignore[union-attr]
            bob_token = re.search(r'name="csrf_token" value="([^"]+)"', bob.get(page).text).group(1)  # type: ignore[union-attr]
            import httpx

            def press(server: Wizard, browser: Browser, path: str, token: str) -> int:
                with httpx.Client(base_url=server.url, cookies=browser.cookies, timeout=30) as client:
                    return client.post(path, data={"csrf_token": token}).status_code

            _at_once([lambda: press(servers[0], amy, f"{page}/plans/{plan}/confirm", amy_token),
                      lambda: press(servers[1], bob, f"{page}/apply", bob_token)])
            deadline = time.monotonic() + 60
            while any(j.state in ("queued", "running") for j in _jobs(url)):
                assert time.monotonic() < deadline
                time.sleep(0.2)
            applies = [j for j in _jobs(url) if j.kind == "apply" and str(j.onboarding_id).replace("-", "") ==
                       onboarding.replace("-", "")]
            assert len(applies) == 1 and applies[0].state == "succeeded"

            # Twenty onboardings, each applied through both servers at once.
            planned = [_planned(amy, connection, f"mdi-{i:02d}@acme.example") for i in range(20)]
            tokens = {}
            for i, (oid, _plan) in enumerate(planned):
                browser = amy if i % 2 == 0 else bob
                tokens[oid] = re.search(r'name="csrf_token" value="([^"]+)"',  # type: ignore[union-attr]
                                        browser.get(f"/onboardings/{oid}").text).group(1)
            calls: list[Callable[[], Any]] = []
            for i, (oid, plan_id) in enumerate(planned):
                browser, server = (amy, servers[0]) if i % 2 == 0 else (bob, servers[1])
                calls.append(lambda s=server, b=browser, o=oid, p=plan_id:
                             press(s, b, f"/onboardings/{o}/plans/{p}/confirm", tokens[o]))
                other_browser, other_server = (bob, servers[1]) if i % 2 == 0 else (amy, servers[0])
                other_token = re.search(r'name="csrf_token" value="([^"]+)"',  # type: ignore[union-attr]
                                        other_browser.get(f"/onboardings/{oid}").text).group(1)
                calls.append(lambda s=other_server, b=other_browser, o=oid, t=other_token:
                             press(s, b, f"/onboardings/{o}/apply", t))
            results = _at_once(calls)
            assert all(code in (303, 204) for code in results), [r for r in results if r not in (303, 204)]
            deadline = time.monotonic() + 120
            while any(j.state in ("queued", "running") for j in _jobs(url)):
                assert time.monotonic() < deadline
                time.sleep(0.3)
            jobs = _jobs(url)
            per_onboarding: dict[str, list[Any]] = {}
            for job in jobs:
                if job.kind == "apply":
                    per_onboarding.setdefault(str(job.onboarding_id), []).append(job)
            for oid, _plan in planned:
                runs = [j for key, js in per_onboarding.items() if key.replace("-", "") == oid.replace("-", "")
                        for j in js]
                succeeded = [j for j in runs if j.state == "succeeded"]
                assert len(succeeded) == 1, (oid, [(j.state, j.error) for j in runs])
            state = sandbox.state()
            for i in range(20):
                assert sum(1 for u in state["users"] if u["login"] == f"mdi-{i:02d}@acme.example") == 1
            assert [r["label"] for r in state["customRoles"]].count(LABEL) == 1
            assert [r["label"] for r in state["resourceSets"]].count(LABEL) == 1
        finally:
            for server in servers:
                server.stop()

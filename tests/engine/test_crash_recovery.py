"""Crash recovery with real processes: a wizard server applying Defender onboardings against a
standalone sandbox Okta is killed with SIGKILL at 20 seeded points during Apply and restarted each
time. Every apply resumes (a job's lease runs out and the restarted server takes it over), and in
the end the org holds each object exactly once, every checkpoint is in the database, and the
audit chain is intact. On SQLite and Postgres."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.store.db import create_sync_engine
from app.store.models import AuditEvent, Job, OnboardingAction
from tests.processes import Browser, Sandbox, Wizard, sandbox_process

pytestmark = pytest.mark.slow

KILLS = 20
SEED = 20261124
PASSWORD = "a long enough password"
LABEL = "Microsoft Defender for Identity"


def _start_onboarding(browser: Browser, connection: str, login: str) -> str:
    response = browser.post("/onboardings", {"vendor": "defender-for-identity", "connection": connection,
                                            "start_another": "1"},
                            page="/onboardings/new")
    assert response.status_code == 303, response.text
    onboarding = re.search(r"/onboardings/([0-9a-f-]{36})", response.headers["location"]).group(1)  # type: ignore[union-attr]
    page = f"/onboardings/{onboarding}"
    saved = browser.post(f"{page}/inputs", {"step": "create_account", "input_service_account_login": login,
                                            "input_service_account_email": login, "input_first_name": "Defender",
                                            "input_last_name": "Service"}, page=page)
    assert saved.status_code == 303, saved.text
    assert browser.post(f"{page}/plan", page=page).status_code == 303
    plan = re.search(r"/plans/([0-9a-f-]{36})/confirm", browser.get(page).text).group(1)  # type: ignore[union-attr]
    assert browser.post(f"{page}/plans/{plan}/confirm", page=page).status_code == 303
    return onboarding


def _jobs(database_url: str) -> list[Job]:
    engine = create_sync_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(Job)).all())  # type: ignore[arg-type]
    finally:
        engine.dispose()


def _active(database_url: str) -> bool:
    return any(job.state in ("queued", "running") for job in _jobs(database_url))


def _until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def _check_org(sandbox: Sandbox, logins: list[str]) -> None:
    state = sandbox.state()
    for login in logins:
        matches = [u for u in state["users"] if u["login"] == login]
        assert len(matches) == 1, f"{login} exists {len(matches)} times"
        assert sorted(matches[0]["roles"]) == sorted(["CUSTOM:" + LABEL, "READ_ONLY_ADMIN", "SUPER_ADMIN"])
    assert [r["label"] for r in state["customRoles"]].count(LABEL) == 1
    assert [r["label"] for r in state["resourceSets"]].count(LABEL) == 1


def test_sigkill_during_apply_at_twenty_points(tmp_path: Path, empty_database_factory: Any) -> None:
    database_url: str = empty_database_factory()
    rng = random.Random(SEED)
    with sandbox_process(tmp_path) as sandbox:
        # Every Okta answer takes a moment, so a kill lands in the middle of an apply.
        sandbox.fault(kind="latency", delay_ms=120, times=None)
        wizard = Wizard(database_url=database_url, data_dir=tmp_path / "data", sandbox_url=sandbox.url)
        wizard.data_dir.mkdir()
        assert wizard.cli("db", "upgrade").returncode == 0
        created = wizard.cli("create-operator", "--username", "ana", "--role", "admin", "--password-stdin",
                             stdin=PASSWORD + "\n")
        assert created.returncode == 0, created.stderr
        wizard.start()
        browser = Browser(wizard)
        browser.sign_in("ana", PASSWORD)
        added = browser.post("/connections", {"org_url": sandbox.url, "api_token": sandbox.admin_token,
                                              "label": "Sandbox"}, page="/connections")
        assert added.status_code == 303, added.text
        connection = re.search(r'<option value="([0-9a-f-]{36})"', browser.get("/onboardings/new").text).group(1)  # type: ignore[union-attr]

        logins: list[str] = []
        kill_points: list[float] = []
        while len(kill_points) < KILLS:
            login = f"mdi-crash-{len(logins)}@acme.example"
            logins.append(login)
            _start_onboarding(browser, connection, login)
            while _active(database_url) and len(kill_points) < KILLS:
                pause = rng.uniform(0.1, 0.9)
                time.sleep(pause)
                if not _active(database_url):
                    break
                wizard.kill()
                kill_points.append(round(pause, 2))
                wizard.start()  # sessions live in the database: the browser stays signed in
            _until(lambda: not _active(database_url), 120)

        # Every apply finished: each job ended, every action is checkpointed, nothing exists twice.
        jobs = _jobs(database_url)
        assert all(job.state == "succeeded" for job in jobs if job.kind == "apply"), \
            [(j.state, j.error) for j in jobs]
        assert sum(job.resumed_count for job in jobs) >= 1
        engine = create_sync_engine(database_url)
        try:
            with engine.connect() as conn:
                actions = conn.execute(select(OnboardingAction)).all()
                resumes = conn.execute(select(AuditEvent).where(AuditEvent.action == "apply_resume")).all()
        finally:
            engine.dispose()
        gated = {"drop_super_admin"}
        assert all(a.state == "done" for a in actions if a.action_key not in gated), \
            [(a.action_key, a.state, a.error) for a in actions if a.state != "done"]
        assert resumes
        _check_org(sandbox, logins)
        wizard.stop()
        verified = wizard.cli("audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert len(kill_points) == KILLS
        print(f"{KILLS} kills at {kill_points}s after each start; {len(logins)} onboardings; "
              f"{sum(job.resumed_count for job in jobs)} resumes")

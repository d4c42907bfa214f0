"""The live mode's own code, in CI: the sandbox served over HTTP stands in for a real org (its URL
given as the org, the sandbox allowed), and a scripted person does the person's steps in the
sandbox's pages. What a user runs with ``make test-live`` is thus known to work up to the point
where only a real org can say more."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from app.common.validation import ValidationFailed
from app.settings import PROJECT_ROOT
from app.store.models import Job
from tests.live_okta.conftest import INPUTS_VARIABLE, TOKEN_VARIABLE, URL_VARIABLE, VENDORS_VARIABLE, SandboxServer
from tests.live_okta.person import SandboxPerson, TerminalPerson
from tests.live_okta.recorder import Cassette, cassette_path
from tests.live_okta.runner import VENDORS, LiveRunRefused, VendorRun, live_run, live_settings, vendor_run

DEFENDER = VENDORS["defender-for-identity"]
LABEL = "Microsoft Defender for Identity"
# The sandbox is no AWS: a made-up account is harmless there (a real org is never given one).
SANDBOX_INPUTS = '{"oort": {"aws_account_id": "123456789012"}}'


def sandbox_vendor(vendor: str) -> VendorRun:
    return vendor_run(vendor, SANDBOX_INPUTS)


def calls(path: Path) -> list[tuple[str, str, int]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert document["version"] == 2
    return [(i["request"]["method"], i["request"]["url"].split("?")[0].split("/", 3)[3], i["response"]["code"])
            for i in document["interactions"]]


def test_defender_runs_end_to_end_and_leaves_the_org_as_found(sandbox_server: SandboxServer,
                                                              tmp_path: Path) -> None:
    person = SandboxPerson(sandbox_server.url)
    cassette = Cassette()
    settings = live_settings(tmp_path / "wizard", sandbox_url=sandbox_server.url)
    with live_run(settings, person, cassette, sandbox_server.url, sandbox_server.admin_token) as run:
        report = run.onboard(DEFENDER)
    path = cassette.save(cassette_path(tmp_path / "recordings", DEFENDER.vendor, "127.0.0.1", "ci"))

    assert report.jobs == {"apply": "succeeded", "apply after the token": "succeeded", "verify": "succeeded",
                           "undo": "succeeded"}, report.undo_error
    assert report.status == "completed", report.status_note
    # A fresh org: nothing adopted, nothing in conflict, so the person was asked nothing about it.
    assert {item["verdict"] for item in report.plan} <= {"create", "remove"}
    assert not any("already holds objects" in line for line in person.log)
    assert report.leftovers == {}
    assert LABEL not in report.after["custom_roles"]
    # The person's steps were done in the sandbox's pages, as a person would.
    assert any(line.startswith("activated ") for line in person.log)
    assert any(line.startswith("created token Defender for Identity") for line in person.log)

    recorded = calls(path)
    for expected in [("POST", "api/v1/users", 200), ("POST", "api/v1/iam/roles", 200),
                     ("POST", "api/v1/iam/resource-sets", 200), ("GET", "api/v1/users/me", 200)]:
        assert expected in recorded, expected
    assert any(method == "DELETE" and url.startswith("api/v1/iam/roles/") for method, url, _ in recorded)
    text = path.read_text(encoding="utf-8")
    assert "SSWS REDACTED" in text
    for secret in [sandbox_server.admin_token, *person.handled]:
        assert secret not in text, "a credential is in the recording"


@pytest.mark.parametrize("vendor", sorted(set(VENDORS) - {"defender-for-identity"}))
def test_every_other_vendor_runs_end_to_end_and_leaves_the_org_as_found(vendor: str, sandbox_server: SandboxServer,
                                                                       tmp_path: Path) -> None:
    person = SandboxPerson(sandbox_server.url, admin_token=sandbox_server.admin_token)
    cassette = Cassette()
    settings = live_settings(tmp_path / "wizard", sandbox_url=sandbox_server.url)
    before = sandbox_server.org.state()["counts"]
    with live_run(settings, person, cassette, sandbox_server.url, sandbox_server.admin_token) as run:
        report = run.onboard(sandbox_vendor(vendor))
    assert report.jobs["apply"] == "succeeded" and report.jobs["verify"] == "succeeded", report.jobs
    assert report.jobs["undo"] == "succeeded", report.undo_error
    assert report.leftovers == {}
    if vendor == "authomize":  # the sandbox refuses the default catalog key, as Okta does
        assert "installed Authomize Identity Security by hand" in person.log
        assert "uninstalled Authomize Identity Security" in person.log
    else:
        assert any(line.startswith(f"created token {VENDORS[vendor].token_name} ") for line in person.log)
    after = sandbox_server.org.state()["counts"]
    assert {k: v for k, v in after.items() if k not in ("events", "apiTokens")} == \
        {k: v for k, v in before.items() if k not in ("events", "apiTokens")}
    assert cassette.interactions, "nothing was recorded"


def test_inputs_only_the_org_owner_knows_come_from_the_environment() -> None:
    run = vendor_run("oort", '{"oort": {"aws_account_id": "210987654321"}, "drata": {"app_groups": ["X"]}}')
    assert run.inputs["aws_account_id"] == "210987654321" and run.inputs["aws_region"] == "us-east-1"
    assert vendor_run("oort", "").inputs == VENDORS["oort"].inputs
    assert vendor_run("drata", "{\"drata\": {\"app_groups\": [\"X\"]}}").admin_as == "app_users"
    with pytest.raises(ValueError, match="ONBOARD_LIVE_INPUTS"):
        vendor_run("oort", '["not", "an", "object"]')


def test_an_org_that_already_has_the_names_is_left_alone_when_the_person_says_no(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    permissions = ["okta.iam.read", "okta.users.credentials.manage", "okta.users.lifecycle.manage"]
    sandbox_server.org.add_custom_role(LABEL, permissions)  # exactly Defender's: the plan adopts it
    before = sandbox_server.org.state()["counts"]
    person = SandboxPerson(sandbox_server.url, answers=False)
    settings = live_settings(tmp_path / "wizard", sandbox_url=sandbox_server.url)
    with live_run(settings, person, Cassette(), sandbox_server.url, sandbox_server.admin_token) as run, \
            pytest.raises(LiveRunRefused, match="role: adopt"):
        run.onboard(DEFENDER)
    assert any("already holds objects" in line and "-> no" in line for line in person.log)
    after = sandbox_server.org.state()
    assert {k: v for k, v in after["counts"].items() if k != "events"} == \
        {k: v for k, v in before.items() if k != "events"}


def test_an_org_with_a_conflict_is_left_alone_and_the_conflict_named(sandbox_server: SandboxServer,
                                                                     tmp_path: Path) -> None:
    sandbox_server.org.add_custom_role(LABEL, ["okta.users.read"])
    before = sandbox_server.org.state()["counts"]
    person = SandboxPerson(sandbox_server.url)
    settings = live_settings(tmp_path / "wizard", sandbox_url=sandbox_server.url)
    with live_run(settings, person, Cassette(), sandbox_server.url, sandbox_server.admin_token) as run, \
            pytest.raises(LiveRunRefused, match="conflicts to resolve in the org first: role: "):
        run.onboard(DEFENDER)
    after = sandbox_server.org.state()
    assert {k: v for k, v in after["counts"].items() if k != "events"} == \
        {k: v for k, v in before.items() if k != "events"}
    role = next(r for r in after["customRoles"] if r["label"] == LABEL)
    assert role["permissions"] == ["okta.users.read"]


class WrongTokenPerson(SandboxPerson):
    """Pastes another account's token: the wizard refuses it and the run stops there."""

    def __init__(self, sandbox_url: str, other_token: str) -> None:
        super().__init__(sandbox_url)
        self.other_token = other_token

    def create_token(self, login: str, user_id: str, token_name: str) -> str:
        return self.other_token


def test_a_run_that_fails_half_way_is_still_undone(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    person = WrongTokenPerson(sandbox_server.url, sandbox_server.admin_token)
    settings = live_settings(tmp_path / "wizard", sandbox_url=sandbox_server.url)
    with live_run(settings, person, Cassette(), sandbox_server.url, sandbox_server.admin_token) as run:
        with pytest.raises(ValidationFailed) as info:
            run.onboard(DEFENDER)
        report = run.report
    assert "not to the service account" in info.value.errors["service_token"]
    assert report is not None and report.jobs["apply"] == "succeeded" and report.jobs["undo"] == "succeeded"
    assert report.leftovers == {}
    state = sandbox_server.org.state()
    assert state["counts"]["customRoles"] == 0 and state["counts"]["resourceSets"] == 0
    assert not any(user["login"].startswith("defender-for-identity@") for user in state["users"])


def test_what_undo_could_not_remove_is_reported(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    fault = httpx.post(f"{sandbox_server.url}/__sandbox__/faults", json={
        "kind": "server_error", "method": "DELETE", "path": "/api/v1/iam/roles/{roleIdOrLabel}", "times": 5})
    assert fault.status_code == 201, fault.text
    person = SandboxPerson(sandbox_server.url)
    settings = live_settings(tmp_path / "wizard", sandbox_url=sandbox_server.url)
    with live_run(settings, person, Cassette(), sandbox_server.url, sandbox_server.admin_token) as run:
        report = run.onboard(DEFENDER)
    assert report.jobs["undo"] == "failed" and report.undo_error
    assert report.leftovers["custom_roles"] == ([], [LABEL])
    assert any(line.startswith("Left in the org after undo") and LABEL in line for line in person.log)


def test_what_undo_left_inside_objects_is_reported_by_name(sandbox_server: SandboxServer, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Drata changes objects it does not create: the app's scope grant and assignments, and the
    email attribute's permission in every user type's schema. Undo failing on its first step (the
    admin's assignment) leaves them all, and the report names each, in each user type."""
    contractor = sandbox_server.org.add_user_type("contractor", "Contractor")
    sandbox_server.org.set_base_permission("email", "HIDE")
    sandbox_server.org.set_base_permission("email", "HIDE", type_id=contractor["id"])
    person = SandboxPerson(sandbox_server.url, admin_token=sandbox_server.admin_token)
    settings = live_settings(tmp_path / "wizard", sandbox_url=sandbox_server.url)
    with live_run(settings, person, Cassette(), sandbox_server.url, sandbox_server.admin_token) as run:
        original = run.job

        def job(oid: uuid.UUID, kind: str) -> Job:
            if kind == "undo":
                httpx.post(f"{sandbox_server.url}/__sandbox__/faults", json={
                    "kind": "server_error", "method": "DELETE", "path": "/api/v1/apps/{appId}/users/{userId}",
                    "times": 20}).raise_for_status()
            return original(oid, kind)

        monkeypatch.setattr(run, "job", job)
        report = run.onboard(sandbox_vendor("drata"))
    assert report.jobs["undo"] == "failed"
    (app, before), = report.leftovers["apps"][0].items()
    after = report.leftovers["apps"][1][app]
    assert app.startswith("Drata - OIDC (")
    admin = run.admin_login
    assert before == {"grants": [], "users": {admin: None}}
    assert after["users"] == {admin: "USER"} and after["grants"][0].startswith("okta.users.read.self ACTIVE")
    hidden, readable = ([{"principal": "SELF", "action": action}] for action in ("HIDE", "READ_ONLY"))
    assert report.leftovers["user_schemas"] == (
        {"Contractor": {"base": {"email": {"permissions": hidden}}},
         "User (default)": {"base": {"email": {"permissions": hidden}}}},
        {"Contractor": {"base": {"email": {"permissions": readable}}},
         "User (default)": {"base": {"email": {"permissions": readable}}}})


def test_oort_needs_an_aws_account_of_the_owner_and_is_skipped_without_one() -> None:
    assert VENDORS["oort"].missing() and "aws_account_id" not in VENDORS["oort"].inputs
    assert not vendor_run("oort", '{"oort": {"aws_account_id": "210987654321"}}').missing()
    # The org's variables set (nothing is contacted: the skip comes first), no account given.
    env = {k: v for k, v in os.environ.items() if k != INPUTS_VARIABLE}
    env.update({URL_VARIABLE: "https://live-run.invalid", TOKEN_VARIABLE: "00notatoken", VENDORS_VARIABLE: "oort"})
    done = subprocess.run([sys.executable, "-m", "pytest", "tests/live_okta/test_live_okta.py", "-m", "live_okta",
                           "-rs", "-p", "no:cacheprovider"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout and "passed" not in done.stdout, done.stdout
    assert "live oort run skipped: aws_account_id" in done.stdout
    assert """ONBOARD_LIVE_INPUTS='{"oort": {"aws_account_id": "..."}}'""" in done.stdout


def test_the_terminal_person_asks_and_insists_on_a_token() -> None:
    answers = iter(["", "y", ""])
    secrets_given = iter(["", "  00abcTOKEN  "])
    shown: list[str] = []
    person = TerminalPerson(ask=lambda _prompt: next(answers), ask_secret=lambda _prompt: next(secrets_given),
                            out=shown.append)
    assert person.confirm("Go on?") is False
    assert person.confirm("Go on?") is True
    person.activate("svc@acme.example", "https://acme.okta.com/welcome/abc")
    assert "https://acme.okta.com/welcome/abc" in "\n".join(shown)
    assert person.create_token("svc@acme.example", "00u1", "Defender for Identity") == "00abcTOKEN"
    assert "Nothing was pasted" in "\n".join(shown)


def test_the_terminal_person_is_walked_through_a_hand_install_and_its_removal() -> None:
    answers = iter(["n", "y", "y"])
    shown: list[str] = []
    person = TerminalPerson(ask=lambda _prompt: next(answers), ask_secret=lambda _prompt: "", out=shown.append)
    person.install_integration("Authomize Identity Security", ["okta.users.read", "okta.logs.read"])
    text = "\n".join(shown)
    assert "Add Integration > Authomize Identity Security > Install" in text
    assert "okta.users.read, okta.logs.read" in text and "The run waits until it is installed." in text
    person.uninstall_integration("Authomize Identity Security")
    assert "Uninstall" in "\n".join(shown)


def test_without_the_variables_the_live_run_is_skipped_and_says_why() -> None:
    env = {k: v for k, v in os.environ.items() if k not in (URL_VARIABLE, TOKEN_VARIABLE)}
    done = subprocess.run([sys.executable, "-m", "pytest", "tests/live_okta/test_live_okta.py", "-m", "live_okta",
                           "-rs", "-p", "no:cacheprovider"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "skipped" in done.stdout and "passed" not in done.stdout and "failed" not in done.stdout
    assert f"{URL_VARIABLE} and {TOKEN_VARIABLE} not set" in done.stdout
    assert "make test-live" in done.stdout


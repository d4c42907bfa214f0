"""Conformance with real Okta: the recorded traffic in tests/recordings/okta/ replayed against the
sandbox (shapes and status codes compared, see tests/conformance.py), and every recorded body read
by the client's models and by the code that reads those objects.

A new difference fails the replay test; a known one is listed once, with its reason, in
``KNOWN_DIFFERENCES`` and in docs/fidelity.md, which also states the counts this run measured (the
test fails when the document is stale)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from app.engine.actions.iam import _partition_of
from app.engine.resources import same_resources
from app.okta import models
from tests.conformance import (
    KNOWN_DIFFERENCES,
    RECORDINGS,
    Interaction,
    Outcome,
    cassettes,
    load,
    operation_of,
    replay_all,
    skipped,
    summary,
)

APP_BY_ID = re.compile(r"idp:(?P<org>[^:]+):apps:(?P<id>0oa[0-9A-Za-z]+)")
FIDELITY = Path(__file__).resolve().parents[2] / "docs" / "fidelity.md"


class _Summary:
    """Prints the counts at the end of the run (pytest captures prints made inside tests)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("conformance with recorded Okta traffic")
        for line in self.lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return replay_all()


def _counts_line(outcomes: list[Outcome]) -> str:
    compared, equal = summary(outcomes)
    return f"compared {compared}, equal {equal}"


def test_the_project_holds_the_recordings() -> None:
    files = cassettes()
    assert len(files) >= 30, "the project's copy of the recordings is missing"
    readme = (RECORDINGS / "README.md").read_text(encoding="utf-8")
    for path in files:
        assert f"{path.parent.name}/{path.name}" in readme, f"{path} is not listed in tests/recordings/okta/README.md"


def test_replay_against_the_sandbox(outcomes: list[Outcome], request: pytest.FixtureRequest) -> None:
    compared, equal = summary(outcomes)
    reasons = skipped(outcomes)
    lines = [f"{_counts_line(outcomes)} (of {len(outcomes)} recorded interactions)"]
    lines += [f"  not compared: {count} {reason}" for reason, count in sorted(reasons.items())]
    request.config.pluginmanager.register(_Summary(lines), "conformance-summary")

    seen: Counter[tuple[str, str, str]] = Counter()
    new: list[str] = []
    for outcome in outcomes:
        for difference in outcome.differences:
            seen[difference] += 1
            if difference not in KNOWN_DIFFERENCES:
                item = outcome.interaction
                new.append(f"{item.cassette}#{item.index} {item.method} {item.path}: {difference}")
    assert not new, "Differences from real Okta that are neither fixed nor listed:\n" + "\n".join(new)
    stale = sorted(set(KNOWN_DIFFERENCES) - set(seen))
    assert not stale, f"Listed differences no longer seen (remove them here and in docs/fidelity.md): {stale}"
    assert compared >= 400 and equal <= compared


def test_the_fidelity_document_is_current(outcomes: list[Outcome]) -> None:
    doc = FIDELITY.read_text(encoding="utf-8")
    compared, equal = summary(outcomes)
    assert f"Compared **{compared}** recorded interactions, **{equal}** equal" in doc, \
        f"docs/fidelity.md must state: Compared **{compared}** recorded interactions, **{equal}** equal"
    for reason, count in skipped(outcomes).items():
        assert f"| {reason} | {count} |" in doc, f"docs/fidelity.md must list '| {reason} | {count} |'"
    for operation, path, kind in KNOWN_DIFFERENCES:
        row = f"| `{operation}` | `{path or '(status)'}` | {kind} |"
        assert row in doc, f"docs/fidelity.md must list the known difference {row}"


def _standard_role_ids(body: Any) -> dict[str, str]:
    assignments = body if isinstance(body, list) else [body]
    return {a["type"]: a["id"] for a in assignments
            if isinstance(a, dict) and a.get("type") not in (None, "CUSTOM") and "id" in a}


def test_standard_role_assignment_ids_are_okta_s(outcomes: list[Outcome]) -> None:
    """A value, not a shape: Okta's id of a standard role's assignment is the role type's, the same
    for every user of every org. The sandbox once made one up per assignment, so the wizard took it
    to name one user's assignment and undo kept a role it should have removed (Okta review M2)."""
    checked = 0
    for outcome in outcomes:
        if outcome.operation not in ("assignRoleToUser", "listAssignedRolesForUser", "getUserAssignedRole"):
            continue
        recorded = _standard_role_ids(outcome.interaction.recorded_json())
        ours = _standard_role_ids(outcome.sandbox_body)
        for role_type in recorded.keys() & ours.keys():
            item = outcome.interaction
            assert ours[role_type] == recorded[role_type], f"{item.cassette}#{item.index} {item.method} {item.path}"
            checked += 1
    assert checked >= 10, f"only {checked} standard role assignments compared"


# Every recorded body, read by the client's models


def _each(key: str | None) -> Callable[[Any], list[Any]]:
    def pick(body: Any) -> list[Any]:
        items = body if key is None else body.get(key, [])
        return list(items) if isinstance(items, list) else []

    return pick


def _one(body: Any) -> list[Any]:
    return [body]


# operation -> (model, how to find the objects of that kind in the body)
READERS: dict[str, tuple[type[BaseModel], Callable[[Any], list[Any]]]] = {
    "createUser": (models.User, _one),
    "getUser": (models.User, _one),
    "assignRoleToUser": (models.RoleAssignment, _one),
    "listAssignedRolesForUser": (models.RoleAssignment, _each(None)),
    "createRole": (models.CustomRole, _one),
    "getRole": (models.CustomRole, _one),
    "replaceRole": (models.CustomRole, _one),
    "listRolePermissions": (models.Permission, _each("permissions")),
    "createResourceSet": (models.ResourceSet, _one),
    "getResourceSet": (models.ResourceSet, _one),
    "replaceResourceSet": (models.ResourceSet, _one),
    "listResourceSetResources": (models.Resource, _each("resources")),
    "listMembersOfBinding": (models.BindingMember, _each("members")),
    "getUserSchema": (models.UserSchema, _one),
    "updateUserProfile": (models.UserSchema, _one),
    "getApiToken": (models.ApiToken, _one),
    "upsertApiToken": (models.ApiToken, _one),
    "getApplication": (models.App, _one),
    "grantConsentToScope": (models.Grant, _one),
    "listScopeConsentGrants": (models.Grant, _each(None)),
    "createApiServiceIntegrationInstance": (models.ApiServiceIntegration, _one),
    "getApiServiceIntegrationInstance": (models.ApiServiceIntegration, _one),
    "createLogStream": (models.LogStream, _one),
    "getLogStream": (models.LogStream, _one),
    "replaceLogStream": (models.LogStream, _one),
    "listLogStreams": (models.LogStream, _each(None)),
    "getWellknownOrgMetadata": (models.OrgMetadata, _one),
    "getGroup": (models.Group, _one),
}
# Objects of endpoints the sandbox does not serve that the client still models.
PATH_READERS: list[tuple[str, re.Pattern[str], type[BaseModel]]] = [
    ("POST", re.compile(r"^/api/v1/groups$"), models.Group),
    ("POST", re.compile(r"^/api/v1/apps$"), models.App),
    ("POST", re.compile(r"^/api/v1/meta/types/user$"), models.UserType),
    ("GET", re.compile(r"^/api/v1/meta/types/user/[^/]+$"), models.UserType),
]


def _reader(item: Interaction) -> type[BaseModel] | None:
    operation = operation_of(item.method, item.path)
    if operation in READERS:
        return READERS[operation][0]
    return next((model for method, pattern, model in PATH_READERS
                 if method == item.method and pattern.fullmatch(item.path)), None)


def _objects(item: Interaction) -> list[Any]:
    body = item.recorded_json()
    if body is None or not 200 <= item.code < 300:
        return []
    operation = operation_of(item.method, item.path)
    if operation in READERS:
        return READERS[operation][1](body)
    return [body]


def _read_as_the_wizard_does(obj: BaseModel) -> None:
    """The accessors the wizard's code calls on each kind of object."""
    assert isinstance(obj, models.OktaObject)
    obj.link("self")
    if isinstance(obj, models.User):
        assert obj.display_name
    elif isinstance(obj, models.RoleAssignment):
        assert obj.group_id is None or obj.via_group
    elif isinstance(obj, models.ApiToken):
        assert obj.network_connection in ("ANYWHERE", "ZONE", "SELECTED", None)
    elif isinstance(obj, models.App):
        obj.client_id  # noqa: B018  (the property reads nested credentials)
    elif isinstance(obj, models.OrgMetadata):
        assert obj.organization_url and obj.organization_url.startswith("https://")
        assert isinstance(obj.identity_engine, bool)
        obj.custom_domain_url  # noqa: B018
    elif isinstance(obj, models.UserSchema):
        for section in ("base", "custom"):
            for name, attribute in obj.properties(section).items():
                assert (obj.base_property(name) if section == "base" else obj.custom_property(name)) == attribute
                assert models.self_permission(attribute) in ("READ_ONLY", "READ_WRITE", "HIDE", None)
    elif isinstance(obj, models.Group):
        assert obj.name


KINDS = sorted({model.__name__ for model, _ in READERS.values()} | {model.__name__ for *_, model in PATH_READERS})


@pytest.mark.parametrize("kind", KINDS)
def test_every_recorded_body_is_read_by_the_client(kind: str) -> None:
    read = 0
    failures: list[str] = []
    for path in cassettes():
        for item in load(path):
            model = _reader(item)
            if model is None or model.__name__ != kind:
                continue
            for obj in _objects(item):
                try:
                    _read_as_the_wizard_does(model.model_validate(obj))
                except Exception as exc:  # collect every failure, report them together
                    failures.append(f"{item.cassette}#{item.index} {item.method} {item.path}: "
                                    f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}")
                read += 1
    assert not failures, f"Recorded {kind} bodies the client cannot read:\n" + "\n".join(failures)
    assert read > 0, f"no recorded {kind} body"


def test_recorded_resources_match_what_was_asked_for() -> None:
    """The resources Okta lists for a new resource set are, in the wizard's canonical form, the ones
    the request named (URL or ORN form), and the org's partition is learned from them."""
    checked = 0
    for path in cassettes():
        interactions = load(path)
        for position, item in enumerate(interactions):
            if operation_of(item.method, item.path) != "createResourceSet" or item.code != 200:
                continue
            asked = json.loads(item.body)["resources"]
            set_id = item.recorded_json()["id"]
            listing = next((later for later in interactions[position + 1:]
                            if operation_of(later.method, later.path) == "listResourceSetResources"
                            and f"/resource-sets/{set_id}/resources" in later.path), None)
            if listing is None:
                continue
            resources = [models.Resource.model_validate(r) for r in listing.recorded_json()["resources"]]
            partition = _partition_of(resources)
            assert partition in ("okta", "oktapreview"), f"{item.cassette}: partition {partition}"
            org_id = (resources[0].orn or "").split(":")[3]
            missing, extra = same_resources(asked, [r.orn or r.link("self") or r.id for r in resources],
                                            org_id=org_id, partition=partition)
            for gap in sorted(missing):
                # Known (docs/fidelity.md, "The client's reading"): canonical() writes one app as
                # idp:{org}:apps:{id}; Okta's ORN also names the app: idp:{org}:apps:{name}:{id}.
                found = APP_BY_ID.fullmatch(gap)
                twin = next((e for e in extra if found and e.startswith(f"idp:{found['org']}:apps:")
                             and e.endswith(f":{found['id']}")), None)
                if twin is not None:
                    missing.discard(gap)
                    extra.discard(twin)
            assert not missing and not extra, f"{item.cassette}#{item.index}: missing {missing}, extra {extra}"
            checked += 1
    assert checked > 0

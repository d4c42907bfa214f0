"""What the fault matrix (tests/engine/test_fault_matrix.py) runs on: each vendor's onboarding driven
start to finish the way an operator drives it, one shared wizard serving many sandbox orgs, the
discovery of every Okta call an uninterrupted run makes (from the audit trail), and the org's state
normalised so that two runs can be compared (ids and timestamps left out, objects named by their
natural keys, so an object made twice shows)."""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.common.clock import FakeClock
from app.main import create_app
from app.okta.http import READ_METHODS
from app.playbooks.loader import setting_key
from app.settings import Environment, Settings
from app.store.migrate import upgrade
from app.store.models import AppSetting, AuditEvent, Job, OnboardingSecret
from app.vault import Secret
from app.vault.keyring import Key
from okta_sandbox import SandboxOrg, SandboxTransport, ids, seed_demo_org
from okta_sandbox.domain.api_services import AUTHOMIZE_TYPE
from okta_sandbox.domain.roles import STANDARD_ROLES
from tests.harness import Wizard
from tests.support import add_operator

OPERATOR = "ana.admin"
PEOPLE = ["ada.lovelace0@acme.example", "ben.tanaka1@acme.example"]
AWS = {"aws_account_id": "123456789012", "event_source_name": "oort-acme-okta_events", "aws_region": "us-east-2"}


@dataclass(frozen=True)
class Vendor:
    key: str  # short name, for test ids
    playbook: str
    inputs: dict[str, Any]
    # What the org looks like before the onboarding, beyond the demo seed.
    prepare: Callable[[SandboxOrg], None] | None = None
    # Playbook settings an administrator set (by name), e.g. a catalog key the org knows.
    settings: dict[str, str] = field(default_factory=dict)

    def new_org(self, clock: FakeClock) -> SandboxOrg:
        org = SandboxOrg(clock=clock)
        seed_demo_org(org)
        if self.prepare is not None:
            self.prepare(org)
        return org


def _email_hidden(org: SandboxOrg) -> None:
    org.set_base_permission("email", "HIDE")  # so that Drata's email permission is a write


# Each vendor in the setup that makes the most of its actions run.
VENDORS = [
    Vendor("defender", "defender-for-identity", {"service_account_login": "mdi-service@acme.example"}),
    Vendor("oort", "oort", {"access": "read_write", "schema_check": True, **AWS}),
    Vendor("sentinel", "sentinel-unified-connector", {"workspace_name": "sentinel-prod"}),
    # The sandbox's catalog key for Authomize, not the playbook's default guess (which Okta refuses:
    # tests/vendors/test_authomize_catalog.py); the matrix covers the install path.
    Vendor("authomize", "authomize", {}, settings={"integration_type": AUTHOMIZE_TYPE}),
    Vendor("drata", "drata", {"app_users": PEOPLE, "app_groups": ["Drata Users"], "custom_attributes": True,
                              "group_label": "Engineering"}, prepare=_email_hidden),
]
BY_KEY = {vendor.key: vendor for vendor in VENDORS}


# -- one wizard for many orgs ----------------------------------------------------------------

class SwitchingTransport(httpx.AsyncBaseTransport):
    """Serves whichever sandbox org the current cell uses, so one application (and its database)
    outlives many orgs."""

    def __init__(self) -> None:
        self.current: SandboxTransport | None = None

    def use(self, org: SandboxOrg, observer: Callable[[httpx.Request, httpx.Response], None] | None = None) -> None:
        self.current = SandboxTransport(org, observer=observer)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self.current is not None, "no sandbox org in use"
        return await self.current.handle_async_request(request)


class Bench:
    """A running wizard (application, job runner, database) on a fake clock, signed in as the
    operator, that drives onboardings against one sandbox org after another."""

    def __init__(self, client: TestClient, operator_id: uuid.UUID, transport: SwitchingTransport,
                 clock: FakeClock, backend: str) -> None:
        self.client = client
        self.backend = backend
        self.state = client.app.state.onboard  # type: ignore[attr-defined]
        self.operator_id = operator_id
        self.transport = transport
        self.clock = clock

    def wizard(self, org: SandboxOrg,
               observer: Callable[[httpx.Request, httpx.Response], None] | None = None) -> Wizard:
        self.transport.use(org, observer)
        # Rate-limit windows of the previous org are over.
        self.clock.advance(120)
        return Wizard(self.client, self.state, org, self.operator_id)


@contextmanager
def bench(settings: Settings, backend: str = "sqlite") -> Iterator[Bench]:
    clock = FakeClock()
    transport = SwitchingTransport()
    operator = add_operator(settings, OPERATOR, "admin")
    app = create_app(settings, clock=clock, okta_transport=lambda _org: transport)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield Bench(client, operator.id, transport, clock, backend)


@contextmanager
def scratch_settings() -> Iterator[Settings]:
    """Settings for a throwaway SQLite database (for discovery at collection time)."""
    with tempfile.TemporaryDirectory(prefix="fault-matrix-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'discovery.db'}"
        upgrade(url)
        yield Settings(environment=Environment.TEST, database_url=url, data_dir=Path(tmp) / "data",
                       secret_key=Key.generate().encoded(), sandbox_enabled=True)


# -- driving an onboarding -------------------------------------------------------------------

ApplyHook = Callable[[Wizard, uuid.UUID, int], None]


def apply_ok(w: Wizard, oid: uuid.UUID, _phase: int) -> None:
    w.apply_ok(oid)


def activate_with_the_kept_link(w: Wizard, org: SandboxOrg, oid: uuid.UUID) -> None:
    """What the operator does with the activation link the wizard kept: the service account's
    person follows it and chooses a password. The link must work."""
    svc = str(w.onboarding(oid).facts.get("service_account_id") or "")
    if not svc or org.users[svc].status != "PROVISIONED":
        return
    link = w.run(lambda: w.state.engine.kept_secret(oid, "activation_link"))
    assert link is not None, "the service account awaits activation, but the wizard kept no activation link"
    token = link.reveal().rsplit("/", 1)[-1]
    assert org.activation_tokens.get(token) == svc, "the kept activation link does not activate the account"
    org.complete_activation(svc)


def run_onboarding(w: Wizard, vendor: Vendor, org: SandboxOrg, apply: ApplyHook = apply_ok) -> uuid.UUID:
    """Start, plan, then apply until every planned action is done: between applies the account is
    activated with its link and its API token pasted, when an action waits for that token."""
    if vendor.settings:
        async def configure() -> None:
            async with w.state.db.session() as session:
                for name, value in vendor.settings.items():
                    await session.merge(AppSetting(key=setting_key(vendor.playbook, name), value=value))

        w.run(configure)
    oid = w.start(vendor.playbook, w.connect(), **vendor.inputs)
    planned = {item["action_key"] for item in w.plan(oid)}
    phase = 0
    while True:
        apply(w, oid, phase)
        activate_with_the_kept_link(w, org, oid)
        done = {key for key, row in w.actions(oid).items() if row.state == "done"}
        if planned <= done:
            return oid
        onboarding = w.onboarding(oid)
        assert phase < 3 and onboarding.waiting_for == "service_token", (
            f"{vendor.key} is stuck after apply {phase + 1}: {onboarding.status}: {onboarding.status_note}; "
            f"not done: {sorted(planned - done)}")
        svc = str(onboarding.facts["service_account_id"])
        w.paste_token(oid, org.issue_api_token(svc, f"{vendor.key} service token"))
        phase += 1


# -- discovery: the calls of an uninterrupted run ---------------------------------------------

@dataclass(frozen=True)
class Call:
    vendor: str
    phase: int  # which apply of the onboarding (0: the first)
    position: int  # its place among the calls of that apply
    action: str
    method: str
    path: str  # the client's path template, e.g. /api/v1/users/{userId}/roles

    @property
    def write(self) -> bool:
        return self.method not in READ_METHODS


@dataclass
class Baseline:
    """An uninterrupted run of one vendor: its calls, and the end state of org and database."""

    vendor: str
    calls: list[Call]
    org: dict[str, Any]
    actions: dict[str, Any]
    secrets: dict[str, bool]
    titles: dict[str, tuple[str, str]]  # action key -> (step title, action kind)

    def earlier_same(self, call: Call, matches: Callable[[str, str], bool]) -> int:
        """How many calls of the same apply before ``call`` a fault rule would match too (its skip)."""
        return sum(1 for other in self.calls if other.phase == call.phase and other.position < call.position
                   and matches(other.method, other.path))


def audit_seq(w: Wizard) -> int:
    async def get() -> int:
        async with w.state.db.sessions() as session:
            return int((await session.execute(select(func.max(AuditEvent.seq)))).scalar() or 0)

    return w.run(get)


def audit_events(w: Wizard, oid: uuid.UUID, after: int, until: int | None = None) -> list[AuditEvent]:
    async def get() -> list[AuditEvent]:
        async with w.state.db.sessions() as session:
            query = select(AuditEvent).where(AuditEvent.onboarding_id == oid, AuditEvent.seq > after)
            if until is not None:
                query = query.where(AuditEvent.seq <= until)
            return list((await session.execute(query.order_by(AuditEvent.seq))).scalars())

    return w.run(get)


def calls_of_apply(vendor: str, phase: int, events: list[AuditEvent]) -> list[Call]:
    """The Okta calls of one apply, each given to the action that made it: the engine records an
    ``apply_action`` event when an action ends, after the calls it made."""
    calls: list[Call] = []
    pending: list[AuditEvent] = []
    for event in events:
        if event.action == "okta_call":
            pending.append(event)
        elif event.action == "apply_action":
            action = str(event.details["action"])
            for call in pending:
                calls.append(Call(vendor, phase, len(calls), action, str(call.details["method"]),
                                  str(call.details["path"])))
            pending = []
    assert not pending, f"{vendor}: Okta calls after the last action of apply {phase + 1}"
    return calls


def discover(bench_: Bench, vendor: Vendor) -> Baseline:
    org = vendor.new_org(bench_.clock)
    w = bench_.wizard(org)
    calls: list[Call] = []

    def apply(w: Wizard, oid: uuid.UUID, phase: int) -> None:
        since = audit_seq(w)
        apply_ok(w, oid, phase)
        calls.extend(calls_of_apply(vendor.key, phase, audit_events(w, oid, since)))

    oid = run_onboarding(w, vendor, org, apply)
    playbook = w.state.library.get(vendor.playbook)
    titles = {spec.key: (step.title, spec.kind) for step, spec in playbook.actions()}
    return Baseline(vendor.key, calls, org_state(org), action_rows(w, oid, org), kept_secrets(w, oid, org), titles)


def discover_all() -> dict[str, Baseline]:
    with scratch_settings() as settings, bench(settings) as bench_:
        return {vendor.key: discover(bench_, vendor) for vendor in VENDORS}


# -- comparing runs --------------------------------------------------------------------------

def names(org: SandboxOrg) -> dict[str, str]:
    """Every Okta id of the org, as the natural key of its object (and, under "", the org's id)."""
    found: dict[str, str] = {"": org.org_id}
    for user in org.users:
        found[user.id] = f"user:{user.login}"
    for group in org.groups:
        found[group.id] = f"group:{group.name}"
    for app in org.apps:
        found[app.id] = f"app:{app.label}"
        if app.client_id:
            found.setdefault(app.client_id, f"client:{app.label}")
        for grant in app.grants.values():
            found[grant.id] = f"grant:{app.label}:{grant.scope_id}"
    for role in org.custom_roles:
        found[role.id] = f"role:{role.label}"
    for resource_set in org.resource_sets:
        found[resource_set.id] = f"resource_set:{resource_set.label}"
        for role_id, binding in resource_set.bindings.items():
            for member in binding.members.values():
                login = found.get(member.principal_id, member.principal_id)
                found[member.id] = f"assignment:{login}:{found.get(role_id, role_id)}@{resource_set.label}"
    # Okta's id of a standard role's assignment is the role type's, whoever holds it (and whether
    # anyone still does): it names the role; the holder is in the action's details.
    found.update((ids.standard_role_assignment_id(role_type), f"standard_role_assignment:{role_type}")
                 for role_type in STANDARD_ROLES)
    for stream in org.log_streams:
        found[stream.id] = f"log_stream:{stream.name}"
    for service in org.api_services:
        found[service.id] = f"api_service:{service.name}"
    for token in org.api_tokens:
        found[token.id] = f"api_token:{found.get(token.user_id, token.user_id)}:{token.name}"
    return found


# A sandbox id of an object that no longer exists (a role assignment removed later, say).
_GONE = re.compile(r"^(00u|00g|0oa|00T|cr0|iam|ire|irb|oag|ocs|oty|osc)[0-9A-Za-z]{17,18}$")


def _normal(value: Any, known: dict[str, str]) -> Any:
    """``value`` with the org's ids replaced by names (and the org's own id, inside ORNs, by "org")."""
    if isinstance(value, dict):
        return {key: _normal(item, known) for key, item in sorted(value.items())}
    if isinstance(value, list | tuple):
        items = [_normal(item, known) for item in value]
        return sorted(items, key=repr)
    if isinstance(value, str):
        text = ",".join(known.get(part) or _GONE.sub(r"gone:\1", part) for part in value.split(","))
        org_id = known.get("", "")
        return text.replace(org_id, "org") if org_id else text
    return value


def org_state(org: SandboxOrg) -> dict[str, Any]:
    """The org as a comparable value: objects by natural key, without ids or timestamps. Lists keep
    duplicates, so an object that exists twice makes two runs differ."""
    known = names(org)
    custom_assignments = [known[member.id] for rs in org.resource_sets for binding in rs.bindings.values()
                          for member in binding.members.values()]
    return {
        "users": sorted((u.login, u.status, u.profile.get("userType"), u.profile.get("firstName"),
                         u.profile.get("lastName")) for u in org.users),
        "groups": sorted((g.name, len(g.members)) for g in org.groups),
        "role_assignments": sorted([f"assignment:{known.get(a.group_id or a.user_id, a.user_id)}:{a.type}"
                                    for a in org.role_assignments] + custom_assignments),
        "custom_roles": sorted((r.label, tuple(sorted(r.permissions))) for r in org.custom_roles),
        "resource_sets": sorted((rs.label, tuple(sorted(_normal(r.orn, known) for r in rs.resources.values())),
                                 tuple(sorted(known.get(role_id, role_id) for role_id in rs.bindings)))
                                for rs in org.resource_sets),
        "apps": sorted((a.label, a.status, tuple(sorted(g.scope_id for g in a.grants.values())),
                        tuple(sorted(known.get(u, u) for u in a.users)),
                        tuple(sorted(known.get(g, g) for g in a.groups)), len(a.secrets)) for a in org.apps),
        # An integration whose install answer was lost gets a second client secret (Okta shows a
        # secret only once), so the number of its secrets is left out; kept_secrets checks the one
        # the wizard keeps works.
        "api_services": sorted((s.type, s.name, tuple(sorted(s.granted_scopes))) for s in org.api_services),
        "log_streams": sorted((s.name, s.type, s.status, tuple(sorted(s.settings.items()))) for s in org.log_streams),
        "schemas": {org.user_types[schema.type_id].name: {
            "custom": {name: _normal(prop, {}) for name, prop in sorted(schema.custom.items())},
            "email": _normal(schema.base["email"].get("permissions"), {})} for schema in org.schemas.values()},
        "api_tokens": sorted(known[t.id] for t in org.api_tokens),
    }


def duplicates(org: SandboxOrg) -> list[str]:
    """Objects that exist more than once under the key the wizard finds them by."""
    keys: Counter[str] = Counter()
    keys.update(f"user {u.login.lower()}" for u in org.users)
    keys.update(f"custom role {r.label}" for r in org.custom_roles)
    keys.update(f"resource set {rs.label}" for rs in org.resource_sets)
    keys.update(f"log stream {s.name.lower()}" for s in org.log_streams)
    keys.update(f"API service integration {s.type}" for s in org.api_services)
    keys.update(f"role {a.type} of {a.user_id}" for a in org.role_assignments)
    keys.update(f"custom role {role_id} on {rs.id} of {m.principal_id}" for rs in org.resource_sets
                for role_id, binding in rs.bindings.items() for m in binding.members.values())
    keys.update(f"grant {g.scope_id} to {app.id}" for app in org.apps for g in app.grants.values())
    return sorted(f"{key} (x{count})" for key, count in keys.items() if count > 1)


def action_rows(w: Wizard, oid: uuid.UUID, org: SandboxOrg) -> dict[str, Any]:
    """What the database says each action did, with ids as natural keys: what undo would remove."""
    known = names(org)
    return {key: {"state": row.state, "outcome": row.outcome, "created_by_us": row.created_by_us,
                  "object_type": row.object_type, "object_id": _normal(row.object_id, known),
                  "details": _normal(row.details, known)}
            for key, row in sorted(w.actions(oid).items())}


def kept_secrets(w: Wizard, oid: uuid.UUID, org: SandboxOrg) -> dict[str, bool]:
    """The secrets the onboarding keeps, and whether each still works in the org."""
    async def rows() -> list[OnboardingSecret]:
        async with w.state.db.sessions() as session:
            return list((await session.execute(select(OnboardingSecret).where(
                OnboardingSecret.onboarding_id == oid, OnboardingSecret.destroyed_at.is_(None)))).scalars())

    live = {secret.value for app in org.apps for secret in app.secrets if secret.status == "ACTIVE"}
    live |= {secret.value for service in org.api_services for secret in service.secrets if secret.status == "ACTIVE"}
    live |= {f"{org.base_url}/welcome/{token}" for token in org.activation_tokens}
    async def values() -> dict[str, Secret | None]:
        return {row.purpose: await w.state.engine.kept_secret(oid, row.purpose) for row in await rows()}

    return {purpose: value is not None and value.reveal() in live for purpose, value in w.run(values).items()}


def last_job(w: Wizard, oid: uuid.UUID) -> Job:
    async def get() -> Job:
        async with w.state.db.sessions() as session:
            return (await session.execute(select(Job).where(Job.onboarding_id == oid)
                                          .order_by(Job.created_at.desc()).limit(1))).scalar_one()

    return w.run(get)


@dataclass
class Tally:
    """Figures for docs/reliability.md, per worker; :func:`publish` adds up the workers'."""

    cells: int = 0
    faults_injected: int = 0
    failed_then_retried: int = 0  # the apply stopped, and the page's Retry finished the onboarding
    absorbed: int = 0  # the apply went through: the client retried safely, or the engine waited
    client_retries: int = 0  # calls the client itself sent again (a 429 waited out, a read)
    duplicates: int = 0
    by_backend: Counter[str] = field(default_factory=Counter)
    by_fault: Counter[str] = field(default_factory=Counter)


def publish(root: Path, run: str, worker: str, figures: Tally) -> dict[str, Any]:
    """Write this worker's figures under ``root/run`` and the sum of every worker's so far to
    ``root/summary.json`` (the last worker to finish writes the complete sum)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for old in root.iterdir():
            if old.is_dir() and old.name != run:
                shutil.rmtree(old, ignore_errors=True)
        (root / run).mkdir(exist_ok=True)
        data = {name: (dict(value) if isinstance(value, Counter) else value)
                for name, value in vars(figures).items()}
        (root / run / f"{worker}.json").write_text(json.dumps(data))
        total: dict[str, Any] = {}
        parts = sorted((root / run).glob("*.json"))
        for part in parts:
            for name, value in json.loads(part.read_text()).items():
                if isinstance(value, dict):
                    merged = Counter(total.get(name, {}))
                    merged.update(value)
                    total[name] = dict(sorted(merged.items()))
                else:
                    total[name] = total.get(name, 0) + value
        total["workers"] = len(parts)
        (root / "summary.json").write_text(json.dumps(total, indent=2) + "\n")
    return total

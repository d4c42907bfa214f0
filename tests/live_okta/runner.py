"""One vendor's onboarding against an Okta org, driven through the wizard's own services and engine
(the entry points the pages call): add the connection (preflight), start the onboarding, plan,
confirm, apply, the person's steps, apply again, verify, attest, verify, undo, and a comparison of the
objects the wizard touches before and after.

The same code runs on a real org (``make test-live``) and, in CI, on the sandbox served over HTTP
as if it were an org. Every exchange with Okta goes through :class:`RecordingTransport` and is
written as a cassette (tokens and secrets redacted) when the run ends, whatever the outcome."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from app.audit import Actor
from app.common.validation import ValidationFailed
from app.connections.service import NewConnection, add_connection
from app.engine.actions.apps import _same_label as same_app_label
from app.engine.runtime import load
from app.main import create_app
from app.okta.client import OktaClient
from app.okta.credentials import ApiTokenCredential, static_secret
from app.okta.errors import OktaError
from app.okta.models import CustomRole, ResourceSet, UserSchema
from app.okta.orgurl import OrgUrl
from app.onboardings import attestations, service, tokens
from app.playbooks.tasks import TOKEN_VERIFIED
from app.settings import Environment, Settings
from app.store.migrate import upgrade
from app.store.models import Job, OktaConnection, Onboarding
from app.vault import Secret
from app.vault.keyring import Key
from app.web.state import AppState
from tests.in_app import InApp
from tests.live_okta.person import Person
from tests.live_okta.recorder import Cassette, RecordingTransport
from tests.support import add_operator

REFUSED_KEY = "Okta refused the catalog key"  # the install step's guided-install message
# A job on a real org waits for Okta's eventual consistency and rate limits: minutes, not seconds.
JOB_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class VendorRun:
    """What a live run of one vendor needs beyond the playbook: inputs the playbook has no default
    for, and the name of the service account's token (as the vendor's document names it)."""

    vendor: str
    token_name: str
    inputs: dict[str, Any] = field(default_factory=dict)
    conflicts_expected: frozenset[str] = frozenset()
    admin_as: str = ""  # an input given the admin's own login when the environment gives none
    # Inputs only the org's owner can give (ONBOARD_LIVE_INPUTS), with what they are for: without
    # them the vendor is not run on a real org (no made-up value reaches Okta).
    required: tuple[tuple[str, str], ...] = ()

    def missing(self) -> list[str]:
        """The required inputs not given, each with what it is for."""
        return [f"{key} ({why})" for key, why in self.required if not str(self.inputs.get(key) or "").strip()]


VENDORS: dict[str, VendorRun] = {
    "defender-for-identity": VendorRun("defender-for-identity", "Defender for Identity"),
    "sentinel-unified-connector": VendorRun("sentinel-unified-connector", "Microsoft Sentinel",
                                            {"workspace_name": "live-run-workspace"}),
    # Okta creates the partner event source in the AWS account given, so there is no default: on a
    # real org it must be one of yours (ONBOARD_LIVE_INPUTS), or Oort is skipped. Undo deletes the log
    # stream, and AWS then marks the source deleted.
    "oort": VendorRun("oort", "Oort", {"event_source_name": "oort-live-run", "aws_region": "us-east-1"},
                      required=(("aws_account_id", "your own 12-digit AWS account id, where Okta creates the "
                                                   "partner event source"),)),
    # Authomize has no service account: no token. Okta does not publish its catalog key, so on most
    # orgs the person installs the integration by hand when asked, and uninstalls it at the end.
    "authomize": VendorRun("authomize", ""),
    # The document assigns the Drata app to people: the admin running the test is one who exists in any
    # org (undo takes the assignment back). The org must hold the Drata app from the catalog.
    "drata": VendorRun("drata", "Drata", admin_as="app_users"),
}


def vendor_run(vendor: str, overrides: str = "") -> VendorRun:
    """The run of ``vendor``, its inputs updated from ``overrides``: JSON of ``{vendor: {input: value}}``
    (``ONBOARD_LIVE_INPUTS``), for the values only the org's owner knows (an AWS account, a workspace)."""
    run = VENDORS[vendor]
    if not overrides.strip():
        return run
    given = json.loads(overrides)
    if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
        raise ValueError('ONBOARD_LIVE_INPUTS must be a JSON object like {"oort": {"aws_account_id": "..."}}')
    return replace(run, inputs={**run.inputs, **given.get(vendor, {})})


def inputs_hint(run: VendorRun) -> str:
    """How to give ``run``'s required inputs, for the message that skips or refuses it."""
    example = json.dumps({run.vendor: {key: "..." for key, _why in run.required}})
    return f"{', '.join(run.missing())} not given: set ONBOARD_LIVE_INPUTS='{example}' (see README)"


class LiveRunRefused(Exception):
    """The org already holds objects by the names the run would create, and the person said no."""


@dataclass(frozen=True)
class Watched:
    """What the onboarding names in the org, beyond what the snapshot lists whole: its accounts'
    logins, the labels of its custom roles and resource sets, the catalog apps it finds (Okta's
    search prefix, label and catalog key) and the people (logins) and groups (names) it assigns
    them to. Read from the playbook with the run's inputs, so the same before and after whatever
    the run did."""

    logins: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    resource_sets: list[str] = field(default_factory=list)
    apps: list[tuple[str, str, str]] = field(default_factory=list)
    app_users: list[str] = field(default_factory=list)
    app_groups: list[str] = field(default_factory=list)


ABSENT = "(absent)"


def narrowed(before: Any, after: Any) -> tuple[Any, Any]:
    """``before`` and ``after`` with what is the same in both left out, key by key in dicts (a
    missing key reads ``(absent)``), so a changed attribute of one user type is named alone."""
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return before, after
    kept_before: dict[Any, Any] = {}
    kept_after: dict[Any, Any] = {}
    for key in sorted(set(before) | set(after), key=str):
        if before.get(key, ABSENT) != after.get(key, ABSENT):
            kept_before[key], kept_after[key] = narrowed(before.get(key, ABSENT), after.get(key, ABSENT))
    return kept_before, kept_after


@dataclass
class Report:
    vendor: str
    plan: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[str, str] = field(default_factory=dict)
    status: str = ""
    status_note: str = ""
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    undo_error: str = ""
    cassette: Path | None = None

    @property
    def leftovers(self) -> dict[str, Any]:
        """What differs from the org as it was found, per kind of object: {kind: (before, after)},
        only the differing entries of a kind kept by name (see :func:`narrowed`)."""
        return {key: narrowed(self.before.get(key), self.after.get(key))
                for key in sorted(set(self.before) | set(self.after)) if self.before.get(key) != self.after.get(key)}


def live_settings(data_dir: Path, *, sandbox_url: str | None) -> Settings:
    """A private wizard for the run: its own migrated SQLite database and vault key. The sandbox is
    allowed as an org only when ``sandbox_url`` is given (CI); against a real org it is off."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{(data_dir / 'live.db').resolve()}"
    upgrade(url)
    return Settings(environment=Environment.TEST, database_url=url, data_dir=data_dir,
                    secret_key=Key.generate().encoded(),  # type: ignore[arg-type]
                    sandbox_enabled=sandbox_url is not None, sandbox_url=sandbox_url or "http://127.0.0.1:8010")


class LiveRun(InApp):
    def __init__(self, client: TestClient, state: AppState, actor: Actor, person: Person, cassette: Cassette,
                 org_url: str, admin_token: str) -> None:
        self.client = client
        self.state = state
        self.actor = actor
        self.person = person
        self.cassette = cassette
        self.org_url = org_url
        self.admin_token = admin_token
        # The report of the run under way: still there when the run raised (undo ran regardless).
        self.report: Report | None = None
        self.admin_login = ""
        self.installed_by_hand: list[str] = []

    # -- the org, as the wizard sees it ------------------------------------------------------

    def snapshot(self, connection_id: uuid.UUID, watched: Watched) -> dict[str, Any]:
        """The objects a wizard onboarding can create or change, by name (ids and timestamps left
        out), read with the admin token. Org-wide lists are read whole; what is inside objects (a
        role's permissions, a resource set's resources and bindings, an app's grants and
        assignments) only for the objects ``watched`` names, to keep the calls few."""
        async def read() -> dict[str, Any]:
            org = await self._org(connection_id)
            credential = ApiTokenCredential(static_secret(Secret(self.admin_token)))
            async with self.state.gateway.client(org, credential, actor=self.actor, audit=False) as okta:
                users = {}
                for login in watched.logins:
                    user = await okta.users.get(login)
                    users[login] = None if user is None else {
                        "status": user.status,
                        "roles": sorted(r.type for r in await okta.roles.of_user(user.id)),
                        "tokens": sorted(t.name or "" for t in await okta.tokens.of_user(user.id))}
                roles = await okta.iam.roles()
                sets = await okta.iam.resource_sets()
                return {
                    "users": users,
                    "custom_roles": sorted(r.label for r in roles),
                    "custom_role_permissions": await _role_permissions(okta, roles, watched.roles),
                    "resource_sets": sorted(r.label for r in sets),
                    "resource_set_contents": await _set_contents(okta, sets, roles, watched.resource_sets),
                    "user_schemas": await _user_schemas(okta),
                    "apps": await _apps(okta, watched),
                    "api_tokens": sorted(f"{t.name} ({t.userId})" for t in await okta.tokens.all()),
                    "api_service_integrations": sorted(f"{s.type} {sorted(s.grantedScopes)}"
                                                       for s in await okta.services.all()),
                    "log_streams": sorted(f"{s.type} {s.name}" for s in await okta.log_streams.all()),
                }

        return self.run(read)

    async def _org(self, connection_id: uuid.UUID) -> OrgUrl:
        async with self.state.db.sessions() as session:
            connection = await session.get(OktaConnection, connection_id)
            assert connection is not None
            return self.state.gateway.stored_org(connection)

    # -- the wizard's steps ------------------------------------------------------------------

    def connect(self) -> uuid.UUID:
        form = NewConnection(org_url=self.org_url, api_token=self.admin_token, label="Live run")
        connection, report = self.run(lambda: add_connection(self.state.db, self.state.vault, self.state.gateway,
                                                              form, self.actor, []))
        self.person.tell(f"Connected to {connection.org_origin} as {report.owner.get('login')} "
                         f"({report.engine_label}; Super Admin: {report.is_super_admin})")
        self.admin_login = str(report.owner.get("login") or "")
        return connection.id

    def logins(self, onboarding_id: uuid.UUID) -> list[str]:
        """The logins of the accounts the onboarding creates, with the playbook's defaults filled in."""
        return self.watched(onboarding_id).logins

    def watched(self, onboarding_id: uuid.UUID) -> Watched:
        """What the onboarding names in the org (see :class:`Watched`), rendered as the wizard
        renders it; a name that needs a fact of the run (not known before it) is left out."""
        async def go() -> Watched:
            async with self.state.db.sessions() as session:
                loaded = await load(session, self.state.library, onboarding_id)
            scope = loaded.scope

            def rendered(kind: str, param: str) -> list[str]:
                """The names ``param`` of the ``kind`` actions gives: one, a list, or text of one a line."""
                names: set[str] = set()
                for _step, spec in loaded.playbook.actions():
                    raw = spec.params.get(param)
                    if spec.kind != kind or not raw or not scope.can_render(raw):
                        continue
                    value = scope.render(raw)
                    items = value.splitlines() if isinstance(value, str) else value or []
                    names.update(str(item).strip() for item in items if str(item).strip())
                return sorted(names)

            apps = [(str(scope.render(spec.params["search"])), str(scope.render(spec.params["label"])),
                     str(scope.render(spec.params.get("name") or "")))
                    for _step, spec in loaded.playbook.actions()
                    if spec.kind == "okta_oin_app" and scope.can_render(spec.params)]
            return Watched(
                logins=sorted({str(value) for key, value in scope.inputs.items()
                               if key.endswith("_login") and isinstance(value, str) and value}),
                roles=rendered("okta_custom_role", "label"),
                resource_sets=rendered("okta_resource_set", "label"),
                apps=sorted(set(apps)),
                app_users=rendered("okta_app_assignments", "users"),
                app_groups=rendered("okta_app_assignments", "groups"))

        return self.run(go)

    def draft_plan(self, onboarding_id: uuid.UUID) -> tuple[uuid.UUID, list[dict[str, Any]]]:
        plan_id = self.run(lambda: self.state.engine.plan(onboarding_id, self.actor)).id
        return plan_id, self.plan_items(plan_id)

    def job(self, onboarding_id: uuid.UUID, kind: str) -> Job:
        job = self.finished_job(onboarding_id, kind, self.actor, JOB_TIMEOUT_SECONDS)
        self.person.tell(f"{kind}: {job.state}" + (f" ({job.error})" if job.error else ""))
        return job

    def activation_link(self, onboarding_id: uuid.UUID) -> str:
        """The link the wizard keeps for the person (revealed as the page's Reveal button does);
        empty when none is kept (an account found already active)."""
        async def go() -> str:
            async with self.state.db.session() as session:
                onboarding = await session.get(Onboarding, onboarding_id)
                assert onboarding is not None
                try:
                    _label, value = await service.reveal_secret(session, self.state.vault, onboarding,
                                                                "activation_link", self.actor)
                except ValidationFailed:
                    return ""
                return value.reveal()

        return self.run(go)

    def paste_token(self, onboarding_id: uuid.UUID, token: str, name: str) -> None:
        """Paste the token with the name the person gave it (the wizard finds it by that name)."""
        self.run(lambda: tokens.verify_service_token(self.state.engine, onboarding_id, Secret(token), self.actor,
                                                       token_name=name))

    def attest(self, onboarding_id: uuid.UUID) -> None:
        """Each confirmation the onboarding still needs, asked of the person; a no leaves it open."""
        async def pending() -> list[tuple[str, str]]:
            async with self.state.db.sessions() as session:
                loaded = await load(session, self.state.library, onboarding_id)
            return [(check.key, check.label) for step, check in loaded.playbook.checks()
                    if check.kind == "attest" and check.key not in loaded.attestations
                    and loaded.scope.condition(step.when) and loaded.scope.condition(check.when)]

        for key, label in self.run(pending):
            if not self.person.confirm(f"I confirm: {label}"):
                continue

            async def go(key: str = key) -> None:
                async with self.state.db.session() as session:
                    onboarding = await session.get(Onboarding, onboarding_id)
                    assert onboarding is not None
                    await attestations.attest(session, self.state.vault, self.state.library.get(onboarding.vendor),
                                              onboarding, key, "confirmed during a live run", self.actor,
                                              now=self.state.clock.now())
                await self.state.engine.refresh_status(onboarding_id)

            try:
                self.run(go)
            except ValidationFailed as exc:  # cannot be true yet (a wait the document asks for): left open
                self.person.tell(exc.message or "Not attested.")

    # -- the whole run -----------------------------------------------------------------------

    def onboard(self, spec: VendorRun) -> Report:
        if spec.missing():
            raise LiveRunRefused(f"{spec.vendor}: {inputs_hint(spec)}")
        report = self.report = Report(spec.vendor)
        connection_id = self.connect()
        inputs = dict(spec.inputs)
        if spec.admin_as and not inputs.get(spec.admin_as):
            inputs[spec.admin_as] = [self.admin_login]  # the person running it: known to exist, taken back by undo
        oid = self.new_onboarding(spec.vendor, connection_id, inputs, self.actor)
        watched = self.watched(oid)
        logins = watched.logins
        report.before = self.snapshot(connection_id, watched)
        plan_id, items = self.draft_plan(oid)
        report.plan = items
        conflicts = [f"{i['action_key']}: {i['summary']}" + (f" ({i['detail']})" if i.get("detail") else "")
                     for i in items if i["verdict"] == "conflict" and i["action_key"] not in spec.conflicts_expected]
        if conflicts:
            # The wizard will not overwrite them; on a real org the person resolves them and runs again.
            raise LiveRunRefused("The plan has conflicts to resolve in the org first: " + "; ".join(conflicts))
        existing = [f"{i['action_key']}: {i['verdict']} ({i['summary']})" for i in items
                    if i["verdict"] in ("adopt", "conflict", "unchanged")]
        if existing and not self.person.confirm(
                "The org already holds objects this onboarding would create or change:\n  " + "\n  ".join(existing)
                + "\nAdopted objects are kept by undo. Go on?"):
            raise LiveRunRefused("The org already holds objects by these names: " + "; ".join(existing))
        try:
            self.run(lambda: self.state.engine.confirm_plan(oid, plan_id, self.actor))
            self._apply(oid, report, "apply")
            onboarding = self.onboarding(oid)
            account = (onboarding.facts or {}).get("service_account_id")
            # The token is the person's to make whatever the card leads to first (Sentinel's
            # prerequisites come before it): the account exists and no token of it is verified yet.
            if account and not (onboarding.facts or {}).get(TOKEN_VERIFIED):
                login = logins[0] if logins else str(account)
                link = self.activation_link(oid)
                if link:
                    self.person.activate(login, link)
                else:
                    self.person.tell(f"No activation link is kept for {login}: it was activated before.")
                self.paste_token(oid, self.person.create_token(login, str(account), spec.token_name), spec.token_name)
                self._apply(oid, report, "apply after the token")
            # Verify before attesting: a check may still need a value that attesting destroys (the
            # Authomize client secret), and the wizard refuses to attest before it has passed.
            self.job(oid, "verify")
            self.attest(oid)
            report.jobs["verify"] = self.job(oid, "verify").state
            done = self.onboarding(oid)
            report.status, report.status_note = done.status, done.status_note or ""
        finally:
            # Always undo, whatever failed above, and say what is left.
            try:
                undo = self.job(oid, "undo")
                report.jobs["undo"] = undo.state
                report.undo_error = undo.error or ""
            except Exception as exc:
                report.undo_error = f"{type(exc).__name__}: {exc}"
            for integration in self.installed_by_hand:
                # Undo keeps what it adopted; the person installed it for this run, so removes it.
                self.person.uninstall_integration(integration)
            try:
                report.after = self.snapshot(connection_id, watched)
            except OktaError as exc:
                report.undo_error += f" (the org could not be read back: {exc.message})"
            if report.leftovers:
                self.person.tell("Left in the org after undo (before -> after): " + repr(report.leftovers))
        return report

    def _apply(self, oid: uuid.UUID, report: Report, name: str) -> None:
        job = self.job(oid, "apply")
        if job.state != "succeeded" and REFUSED_KEY in (job.error or ""):
            # Okta does not know the catalog key the wizard tried: a person installs the integration
            # in the Admin Console, and Retry finds it by name (the step's guided install).
            for integration, scopes in self.integrations(oid):
                self.person.install_integration(integration, scopes)
                self.installed_by_hand.append(integration)
            job = self.job(oid, "apply")
        report.jobs[name] = job.state
        if job.state != "succeeded":
            raise AssertionError(f"{name} failed: {job.error}")

    def integrations(self, oid: uuid.UUID) -> list[tuple[str, list[str]]]:
        """The API service integrations the playbook installs: display name and scopes, as rendered."""
        async def go() -> list[tuple[str, list[str]]]:
            async with self.state.db.sessions() as session:
                loaded = await load(session, self.state.library, oid)
            return [(str(loaded.scope.render(spec.params["name"])),
                     [str(s) for s in loaded.scope.render(spec.params["scopes"])])
                    for _step, spec in loaded.playbook.actions() if spec.kind == "okta_api_service_integration"]

        return self.run(go)


async def _role_permissions(okta: OktaClient, roles: list[CustomRole], labels: list[str]) -> dict[str, Any]:
    """The permissions of each custom role by the wizard's labels (None: no such role)."""
    by_label = {role.label: role for role in roles}
    return {label: sorted(await okta.iam.permissions(by_label[label].id)) if label in by_label else None
            for label in labels}


async def _set_contents(okta: OktaClient, sets: list[ResourceSet], roles: list[CustomRole],
                        labels: list[str]) -> dict[str, Any]:
    """Each resource set by the wizard's labels: its resources (by ORN, else URL) and its bindings,
    by role label, to their members (by the member's URL: a binding member's id is new each time)."""
    by_label = {rs.label: rs for rs in sets}
    role_labels = {role.id: role.label for role in roles}
    found: dict[str, Any] = {}
    for label in labels:
        rs = by_label.get(label)
        if rs is None:
            found[label] = None
            continue
        bindings = {}
        for binding in await okta.iam.bindings(rs.id):
            members = await okta.iam.binding_members(rs.id, binding.id, absent_ok=True)
            bindings[role_labels.get(binding.id, binding.id)] = sorted(m.link("self") or m.id for m in members)
        found[label] = {"resources": sorted(r.orn or r.link("self") or r.id for r in await okta.iam.resources(rs.id)),
                        "bindings": bindings}
    return found


async def _user_schemas(okta: OktaClient) -> dict[str, Any]:
    """Every user type's schema, by the type's label: the end user's permission on each base
    attribute (with ``required`` and ``master``, resent when the wizard changes a permission), and
    each custom attribute's permissions."""
    def attributes(schema: UserSchema) -> dict[str, Any]:
        return {"base": {name: {"permissions": prop.get("permissions") or [], "required": bool(prop.get("required")),
                                "master": (prop.get("master") or {}).get("type")}
                         for name, prop in sorted(schema.properties("base").items()) if isinstance(prop, dict)},
                "custom": {name: prop.get("permissions") or [] if isinstance(prop, dict) else prop
                           for name, prop in sorted(schema.properties("custom").items())}}

    found: dict[str, Any] = {"User (default)": attributes(await okta.schemas.user_schema())}
    for user_type in await okta.schemas.user_types():
        if user_type.default:
            continue
        schema_id = user_type.schema_id
        found[user_type.label] = attributes(await okta.schemas.user_schema(schema_id)) if schema_id else None
    return found


async def _apps(okta: OktaClient, watched: Watched) -> dict[str, Any]:
    """The catalog apps the onboarding finds (as the wizard finds them: its label, a dash or en
    dash alike, or its catalog key): their status and Okta API scope grants, and how each person and
    group the onboarding assigns them to has them (USER: directly, GROUP: through a group, None:
    not). Only those people and groups are read, not the app's whole lists (one app may be assigned
    to thousands); the admin the run assigns to Drata is one of them, so undo must take it back."""
    users = {login: await okta.users.get(login, absent_ok=True) for login in watched.app_users}
    groups = {name: await okta.groups.find_by_name(name) for name in watched.app_groups}
    user_ids = {login: user.id for login, user in users.items() if user is not None}
    group_ids = {name: group.id for name, group in groups.items() if group is not None}
    found: dict[str, Any] = {}
    for search, label, name in watched.apps:
        for app in await okta.apps.search(search):
            if not (same_app_label(app.label or "", label) or (name and app.name == name)):
                continue
            assigned, assigned_groups = await okta.apps.assignments(app.id, list(user_ids.values()),
                                                                    list(group_ids.values()))
            found[f"{app.label} ({app.id})"] = {
                "status": app.status,
                "grants": sorted(f"{g.scopeId} {g.status or ''} ({g.issuer or ''})"
                                 for g in await okta.apps.grants(app.id)),
                "users": {login: (assigned[user_ids[login]].scope or "USER") if user_ids.get(login) in assigned
                          else None for login in watched.app_users},
                "groups": {group: group_ids.get(group) in assigned_groups for group in watched.app_groups}}
    return found


@contextmanager
def live_run(settings: Settings, person: Person, cassette: Cassette, org_url: str, admin_token: str,
             inner: Callable[[], httpx.AsyncBaseTransport] = httpx.AsyncHTTPTransport) -> Iterator[LiveRun]:
    """The wizard in process (the real application, its job runner in the client's event loop),
    every Okta call through a recording transport over ``inner`` (the network by default)."""
    cassette.redactor.remember(admin_token)
    operator = add_operator(settings, f"live.{secrets.token_hex(3)}", "admin")
    app = create_app(settings, okta_transport=lambda _org: RecordingTransport(inner(), cassette))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield LiveRun(client, app.state.onboard, Actor(operator.id, operator.username), person, cassette, org_url,
                      admin_token)

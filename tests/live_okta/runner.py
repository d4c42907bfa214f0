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
from app.engine.runtime import load
from app.main import create_app
from app.okta.credentials import ApiTokenCredential, static_secret
from app.okta.errors import OktaError
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


VENDORS: dict[str, VendorRun] = {
    "defender-for-identity": VendorRun("defender-for-identity", "Defender for Identity"),
    "sentinel-unified-connector": VendorRun("sentinel-unified-connector", "Microsoft Sentinel",
                                            {"workspace_name": "live-run-workspace"}),
    # Okta creates the partner event source in the AWS account given: use one of yours
    # (ONBOARD_LIVE_INPUTS) on a real org; undo deletes the log stream, and AWS then marks the source deleted.
    "oort": VendorRun("oort", "Oort", {"aws_account_id": "123456789012", "event_source_name": "oort-live-run",
                                       "aws_region": "us-east-1"}),
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


class LiveRunRefused(Exception):
    """The org already holds objects by the names the run would create, and the person said no."""


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
        """What differs from the org as it was found, per kind of object: {kind: (before, after)}."""
        return {key: (self.before.get(key), self.after.get(key)) for key in sorted(set(self.before) | set(self.after))
                if self.before.get(key) != self.after.get(key)}


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

    def snapshot(self, connection_id: uuid.UUID, logins: list[str]) -> dict[str, Any]:
        """The objects a wizard onboarding can create or change, by name (ids and timestamps left
        out), read with the admin token."""
        async def read() -> dict[str, Any]:
            org = await self._org(connection_id)
            credential = ApiTokenCredential(static_secret(Secret(self.admin_token)))
            async with self.state.gateway.client(org, credential, actor=self.actor, audit=False) as okta:
                users = {}
                for login in logins:
                    user = await okta.users.get(login)
                    users[login] = None if user is None else {
                        "status": user.status,
                        "roles": sorted(r.type for r in await okta.roles.of_user(user.id)),
                        "tokens": sorted(t.name or "" for t in await okta.tokens.of_user(user.id))}
                schema = await okta.schemas.user_schema()
                return {
                    "users": users,
                    "custom_roles": sorted(r.label for r in await okta.iam.roles()),
                    "resource_sets": sorted(r.label for r in await okta.iam.resource_sets()),
                    "custom_attributes": {name: prop.get("permissions") for name, prop
                                          in sorted(schema.properties("custom").items())},
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
        async def go() -> list[str]:
            async with self.state.db.sessions() as session:
                loaded = await load(session, self.state.library, onboarding_id)
            return sorted({str(value) for key, value in loaded.scope.inputs.items()
                           if key.endswith("_login") and isinstance(value, str) and value})

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
        report = self.report = Report(spec.vendor)
        connection_id = self.connect()
        inputs = dict(spec.inputs)
        if spec.admin_as and not inputs.get(spec.admin_as):
            inputs[spec.admin_as] = [self.admin_login]  # the person running it: known to exist, taken back by undo
        oid = self.new_onboarding(spec.vendor, connection_id, inputs, self.actor)
        logins = self.logins(oid)
        report.before = self.snapshot(connection_id, logins)
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
                report.after = self.snapshot(connection_id, logins)
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

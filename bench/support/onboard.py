"""Complete onboardings of the five vendors, driven through the real application and engine
(tests/harness.py) against the in-process sandbox Okta, with every request the sandbox receives
recorded and labelled with the phase that made it. Shared by bench/okta_calls.py,
bench/latency.py and bench/rate_limits.py.

A phase is one thing an operator starts: the connection's preflight, a plan, an apply run,
pasting the service account's token, a verification (or re-verification) run, the Sentinel
"Generate a test event" button. What a person does in the Okta Admin Console (activating the
service account, creating its token) is done with the sandbox's helpers and makes no request."""

from __future__ import annotations

import json
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

from app.common.clock import Clock, FakeClock
from app.common.validation import ValidationFailed
from app.okta.errors import OktaRateLimited
from app.onboardings import service, timers
from app.onboardings.tokens import OKTA_FAILED
from app.playbooks.loader import setting_key
from app.settings import Environment, Settings
from app.store.migrate import upgrade
from app.store.models import AppSetting, Onboarding
from app.vault.keyring import Key
from okta_sandbox import SandboxOrg, SandboxTransport, seed_demo_org
from okta_sandbox.domain.actors import Actor as SandboxActor
from okta_sandbox.domain.api_services import AUTHOMIZE_TYPE, set_secret_status
from okta_sandbox.ratelimit import RateLimitConfig
from tests.harness import Wizard, wizard

T = TypeVar("T")

VENDORS = ["defender-for-identity", "oort", "sentinel-unified-connector", "authomize", "drata"]
READ_METHODS = {"GET", "HEAD"}
TOKEN_ENDPOINT = "/oauth2/v1/token"


@dataclass
class Call:
    """One request the sandbox answered (or a transport failure), in the order sent."""

    index: int
    phase: str
    run: int  # which run of the phase (each plan, apply, verify... is a run of its own)
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int | None
    authorization: str
    request_body: str
    response_body: Any
    next_link: str | None  # the next page's URL, written as ``url`` is
    started: float  # perf_counter seconds
    ended: float

    @property
    def url(self) -> str:
        return self.path + ("?" + "&".join(f"{k}={v}" for k, v in self.query) if self.query else "")

    @property
    def is_read(self) -> bool:
        # A token request changes nothing in the org's configuration: counted with the reads.
        return self.method in READ_METHODS or self.path == TOKEN_ENDPOINT

    @property
    def is_write(self) -> bool:
        return not self.is_read


@dataclass
class Recorder:
    """Records what the sandbox receives; ``phase`` labels the calls made while it is open."""

    calls: list[Call] = field(default_factory=list)
    current: str = "outside"
    run: int = 0
    runs: list[tuple[int, str]] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str) -> Iterator[int]:
        self.run += 1
        self.runs.append((self.run, name))
        previous = self.current
        self.current = name
        try:
            yield self.run
        finally:
            self.current = previous

    def of_run(self, run: int) -> list[Call]:
        return [call for call in self.calls if call.run == run]


def _as_url(url: str) -> str:
    """A URL as :attr:`Call.url` writes it (path decoded, query sorted), to compare them."""
    parts = urlsplit(url)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    return unquote(parts.path) + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")


class RecordingTransport(httpx.AsyncBaseTransport):
    """The sandbox transport, with every exchange recorded (full URL, query, body) for the bench."""

    def __init__(self, org: SandboxOrg, recorder: Recorder) -> None:
        self.inner = SandboxTransport(org)
        self.recorder = recorder

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import time

        started = time.perf_counter()
        phase, run = self.recorder.current, self.recorder.run
        status: int | None = None
        body: Any = None
        link: str | None = None
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            status = response.status_code
            try:
                body = json.loads(response.content) if response.content else None
            except ValueError:
                body = None
            for value in response.headers.get_list("link"):
                if 'rel="next"' in value:
                    link = _as_url(value.split(";", 1)[0].strip().strip("<>"))
            if link is None and isinstance(body, dict):
                href = ((body.get("_links") or {}).get("next") or {}).get("href")  # the IAM lists' next page
                link = _as_url(str(href)) if href else None
            return response
        finally:
            parts = urlsplit(str(request.url))
            self.recorder.calls.append(Call(
                index=len(self.recorder.calls), phase=phase, run=run, method=request.method,
                path=unquote(parts.path), query=tuple(sorted(parse_qsl(parts.query, keep_blank_values=True))),
                status=status, authorization=request.headers.get("authorization", ""),
                request_body=request.content.decode("utf-8", "replace") if request.content else "",
                response_body=body, next_link=link, started=started, ended=time.perf_counter()))

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Bench:
    """One wizard (its own database) over one sandbox org, everything recorded."""

    w: Wizard
    org: SandboxOrg
    clock: FakeClock
    recorder: Recorder
    tokens: dict[str, str] = field(default_factory=dict)  # vendor -> the service account's token value
    connection: uuid.UUID | None = None


@contextmanager
def bench_wizard(*, rate_limits: RateLimitConfig | None = None, clock: FakeClock | None = None,
                 org_clock: Clock | None = None) -> Iterator[Bench]:
    """A migrated SQLite database in a temporary directory, the demo org on a fake clock, and the
    application driving it. ``org_clock`` (if given) is the clock the sandbox spends latency
    faults on (bench/latency.py gives one whose sleeps take real time)."""
    clock = clock or FakeClock()
    org = SandboxOrg(clock=clock, rate_limits=rate_limits)
    seed_demo_org(org)
    if org_clock is not None:
        org.clock = org_clock
    recorder = Recorder()
    transport = RecordingTransport(org, recorder)
    with tempfile.TemporaryDirectory(prefix="okta-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        settings = Settings(environment=Environment.TEST, database_url=url, data_dir=Path(tmp) / "data",
                            secret_key=Key.generate().encoded(), sandbox_enabled=True)  # type: ignore[arg-type]
        with wizard(settings, org, transport, clock) as w:
            yield Bench(w, org, clock, recorder)


# -- the five onboardings ----------------------------------------------------------------------

AWS = {"aws_account_id": "123456789012", "event_source_name": "oort-acme-okta_events", "aws_region": "us-east-2"}
INPUTS: dict[str, dict[str, Any]] = {
    "defender-for-identity": {"service_account_login": "mdi-service@acme.example"},
    "oort": {"access": "read_write", "schema_check": True, **AWS},
    "sentinel-unified-connector": {"workspace_name": "sentinel-prod"},
    "authomize": {},
    "drata": {"app_users": ["ada.lovelace0@acme.example", "ben.tanaka1@acme.example"],
              "app_groups": ["Drata Users"], "custom_attributes": True, "group_label": "Engineering"},
}
# Playbook settings an administrator set: Authomize's catalog key as the sandbox's catalog has it
# (the playbook's default is a guess that Okta refuses; the bench measures the installed path).
SETTINGS: dict[str, dict[str, str]] = {"authomize": {"integration_type": AUTHOMIZE_TYPE}}
TOKEN_NAMES = {"defender-for-identity": "Defender for Identity", "oort": "Oort",
               "sentinel-unified-connector": "Microsoft Sentinel", "drata": "Drata"}


class OnboardingFailed(AssertionError):
    pass


def _ok(job: Any, what: str) -> None:
    if job.state != "succeeded":
        raise OnboardingFailed(f"{what}: {job.state}: {job.error}")


def as_a_person(b: Bench, press: Callable[[], T]) -> T:
    """A form a person posts (checking the connection, making the plan) waits a few seconds at most
    for the org's rate-limit window, then says when to try again: the person waits that long and
    presses again (a bench that fills the window, back to back, meets it)."""
    for _ in range(3):
        try:
            return press()
        except OktaRateLimited as exc:
            wait = float(exc.retry_after or 60)
        except ValidationFailed as exc:  # a pasted token Okta could not check now: the page says when
            if exc.message != OKTA_FAILED:
                raise
            named = re.search(r"try again in (\d+) second", " ".join(exc.errors.values()))
            wait = float(named.group(1)) if named else 60.0
        b.w.run(lambda pause=wait: b.clock.sleep(pause))
    return press()


def _only_the_wizards_secret(b: Bench, oid: uuid.UUID) -> None:
    """As the person does once Authomize connects with the secret the wizard gave it (its check asks
    for it): deactivate in the Admin Console every other active secret of the integration, the one an
    earlier onboarding gave (a second onboarding adopts the integration and makes its own)."""
    integration = b.org.api_services[str(_facts(b, oid)["authomize_client_id"])]
    active = sorted((s for s in integration.secrets if s.status == "ACTIVE"), key=lambda s: s.created)
    for older in active[:-1]:
        set_secret_status(b.org, integration, older, "INACTIVE", SandboxActor.system())


def _facts(b: Bench, oid: uuid.UUID) -> dict[str, Any]:
    return dict(b.w.onboarding(oid).facts or {})


def _start_timer(b: Bench, oid: uuid.UUID, vendor: str, step: str) -> None:
    w = b.w

    async def go() -> None:
        async with w.state.db.session() as session:
            onboarding = await session.get(Onboarding, oid)
            assert onboarding is not None
            await timers.start_timer(session, w.state.library.get(vendor), onboarding, step, w.state.clock.now(),
                                     w.actor)
        await w.state.engine.refresh_status(oid)

    w.run(go)


def onboard(b: Bench, vendor: str, *, after_apply: Callable[[], None] | None = None) -> uuid.UUID:
    """One onboarding of ``vendor`` from the new-onboarding form to 'completed'. On an org where
    the vendor is configured already (a second onboarding), the operator pastes the token the
    service account already has."""
    w, org, rec = b.w, b.org, b.recorder
    with rec.phase("preflight"):
        connection = as_a_person(b, w.connect)
    if vendor in SETTINGS:
        async def configure() -> None:
            async with w.state.db.session() as session:
                for name, value in SETTINGS[vendor].items():
                    await session.merge(AppSetting(key=setting_key(vendor, name), value=value))

        w.run(configure)
    oid = w.start(vendor, connection, **INPUTS[vendor])
    with rec.phase("plan"):
        as_a_person(b, lambda: w.plan(oid))
    with rec.phase("apply"):
        _ok(w.apply(oid), f"{vendor} apply")
    if after_apply is not None:
        after_apply()
    if vendor == "authomize":
        _only_the_wizards_secret(b, oid)
    if vendor in TOKEN_NAMES:
        svc = str(_facts(b, oid)["service_account_id"])
        if vendor not in b.tokens:
            # The person behind the account: activation link, sign-in, Create Token (Any IP).
            if org.users[svc].status != "ACTIVE":
                org.complete_activation(svc)
            b.tokens[vendor] = org.issue_api_token(svc, TOKEN_NAMES[vendor])
        with rec.phase("token"):
            as_a_person(b, lambda: w.paste_token(oid, b.tokens[vendor]))
        with rec.phase("apply"):
            _ok(w.apply(oid), f"{vendor} apply after the token")
    if vendor == "sentinel-unified-connector":
        _start_timer(b, oid, vendor, "connect")
        b.clock.advance(31 * 60)  # the document's 30-minute ingestion wait
        with rec.phase("test_event"):
            w.run(lambda: service.generate_test_event(w.state.engine, oid, "recent_events", w.actor))
    with rec.phase("verify"):
        _ok(w.verify(oid), f"{vendor} verify")
    w.attest_all(oid)  # attestations appear as checks pass (Drata's several domains, Authomize's secret)
    with rec.phase("verify"):
        _ok(w.verify(oid), f"{vendor} verify after attesting")
    onboarding = w.onboarding(oid)
    if onboarding.status != "completed":
        raise OnboardingFailed(f"{vendor} ended {onboarding.status}: {onboarding.status_note}")
    return oid

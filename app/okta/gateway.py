"""Builds Okta clients for the rest of the application: the org address re-validated, the
credential read from the vault at call time, the process-wide rate limiter of that org, and
every call written to the audit trail (in a short transaction of its own, shared only with calls
answered at the same moment, and before the call returns, so a failed step still leaves the
record of the calls it made)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass

import httpx

from app.audit import Actor, Entry, record_many
from app.common import destinations
from app.common.clock import Clock
from app.okta.calllog import CallBatcher, EventHook, OktaCall
from app.okta.client import OktaClient
from app.okta.credentials import ApiTokenCredential, Credential
from app.okta.http import OktaHttp
from app.okta.orgurl import OrgUrl, normalise_org_url
from app.okta.ratelimit import BACKGROUND, Patience, RateLimiterRegistry
from app.store.db import Database
from app.store.models import OktaConnection
from app.store.repositories.secrets import CREDENTIAL_PURPOSE, SecretRepository, connection_owner
from app.store.statuses import Outcome
from app.vault import Secret, Vault

TransportFactory = Callable[[OrgUrl], httpx.AsyncBaseTransport | None]


class ConnectionUnusable(Exception):
    """The stored connection cannot be used (retired, credential destroyed, address refused)."""


def custom_domain_problem(host: str, addresses: list[str]) -> str | None:
    """Why the server must not call an org's custom domain at these addresses (None: it may)."""
    return destinations.address_problem(host, addresses, private_ok=False, loopback_ok=False,
                                        service="an Okta org's custom domain", private_choice="")


@dataclass
class OktaGateway:
    db: Database
    vault: Vault
    clock: Clock
    limiters: RateLimiterRegistry
    sandbox_origin: str | None = None
    transport_factory: TransportFactory | None = None
    timeout_seconds: float = 30.0
    # Where a custom domain's name points, checked before the first call of a client (tests give their own).
    resolver: Callable[[str, int], Awaitable[list[str]]] = destinations.resolve

    def org(self, raw: str, allowed_custom_domains: Collection[str] = ()) -> OrgUrl:
        return normalise_org_url(raw, allowed_custom_domains=allowed_custom_domains,
                                 sandbox_origin=self.sandbox_origin)

    def stored_org(self, connection: OktaConnection, allowed_custom_domains: Collection[str] = ()) -> OrgUrl:
        """A stored address is checked again on every use: settings may have changed since. A
        custom domain comes with the org's Okta address its preflight learned, checked the same way
        (an Okta org, never a custom domain), so the org's links on it can be followed."""
        try:
            org = self.org(connection.org_origin, allowed_custom_domains)
        except ValueError as exc:
            raise ConnectionUnusable(str(exc)) from None
        learned = str((connection.preflight or {}).get("okta_domain") or "")
        if org.kind == "custom" and learned:
            try:
                return org.reached_by_custom_domain(self.org(learned))
            except ValueError:
                pass  # not an Okta org: its links stay refused, as before preflight learned it
        return org

    def stored_credential(self, connection: OktaConnection) -> Credential:
        if connection.retired_at is not None or connection.credential_secret_id is None:
            raise ConnectionUnusable("This Okta connection was retired: choose another connection to this org on "
                                     "the onboarding's page (add one in Okta connections if there is none).")
        secret_id = connection.credential_secret_id
        owner = connection_owner(connection.id)

        async def read() -> Secret:
            async with self.db.sessions() as session:
                return await SecretRepository(session, self.vault).read(secret_id, purpose=CREDENTIAL_PURPOSE,
                                                                        owner=owner)

        return ApiTokenCredential(read)

    def client(self, org: OrgUrl, credential: Credential | None, *, actor: Actor,
               onboarding_id: uuid.UUID | None = None, on_event: EventHook | None = None,
               audit: bool = True, patience: Patience = BACKGROUND) -> OktaClient:
        """``patience``: ``INTERACTIVE`` when a person waits on the request (a form post) rather
        than a job; see :class:`Patience`."""
        async def write(calls: Sequence[OktaCall]) -> None:
            if not audit:
                return
            async with self.db.session() as session:
                await record_many(session, [Entry(
                    category="okta", action="okta_call", actor=actor, onboarding_id=onboarding_id,
                    outcome=Outcome.ok if call.ok else Outcome.not_found if call.absent_as_expected
                    else Outcome.failed,
                    summary=f"{call.method} {call.path} → {call.status or call.outcome}",
                    subject_type="okta_org", subject_id=call.org,
                    details={"method": call.method, "path": call.path, "status": call.status,
                             "duration_ms": call.duration_ms, "attempt": call.attempt,
                             "okta_request_id": call.request_id, "outcome": call.outcome,
                             "error_code": call.error_code,
                             **({"wait_s": call.wait_s} if call.wait_s is not None else {})},
                ) for call in calls])

        # Calls answered together are written to the trail together (one transaction).
        on_call = CallBatcher(write)

        transport = self.transport_factory(org) if self.transport_factory else None
        if org.kind == "custom":
            # An administrator's name, unlike Okta's own: held to the rule of every address the server
            # is given (never this machine, its local link or a private network), and called at the
            # addresses checked (DNS rebinding; app/common/destinations.py).
            transport = destinations.CheckedTransport(transport or httpx.AsyncHTTPTransport(trust_env=False),
                                                      org.host, self.resolver, custom_domain_problem)
        timeout = min(self.timeout_seconds, patience.timeout_seconds or self.timeout_seconds)
        http = OktaHttp(org, credential, transport=transport, clock=self.clock,
                        limiter=self.limiters.for_org(org.origin), on_call=on_call, on_event=on_event,
                        timeout=timeout, read_retries=patience.read_retries, wait_budget=patience.rate_limit_wait,
                        deadline=patience.deadline_seconds)
        return OktaClient(http)

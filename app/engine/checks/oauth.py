"""The smoke test of a vendor's OAuth client credentials (an API service integration's client id
and secret): the wizard asks the org authorization server for an access token with the scopes the
vendor needs (client_secret_basic, client credentials) and reads one user with it.

The test needs the client secret, which the onboarding keeps only until the vendor step is
attested. Each real run records its result as a fact, so after the secret is destroyed the check
still shows what was proven and when, says plainly that it was not run again, and never pretends
otherwise."""

from __future__ import annotations

from typing import Any

from app.common.moments import stamp
from app.engine.checks.base import START_AGAIN, Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.okta.credentials import ClientSecretCredential, static_secret
from app.okta.errors import OktaApiError, OktaError, OktaForbidden, OktaUnauthorized
from app.store.statuses import CheckStatus
from app.vault import Secret


class ClientCredentialsParams(CheckParams):
    client_id: str
    secret: str  # the purpose under which the onboarding keeps the client secret
    scopes: list[str]
    result_fact: str  # where each real run's result is kept
    destroyed_on: str | None = None  # the attestation that destroys the secret, to name it
    name: str = "the integration"


@register
class ClientCredentialsSmokeTest(Check):
    kind = "client_credentials"
    produces = frozenset({"{result_fact}"})
    params_model = ClientCredentialsParams

    def unready(self) -> CheckOutcome:
        return CheckOutcome.failed(f"{self.raw_params.get('name', 'The integration')} is not installed yet",
                                       "Apply the plan first.")

    async def check(self, ctx: Context, state: CheckState, p: ClientCredentialsParams) -> CheckOutcome:
        secret = await ctx.read_secret(p.secret)
        if secret is None:
            return self._from_record(p, ctx.scope.facts.get(p.result_fact), state)
        outcome = await self._run(ctx, p, secret)
        outcome.facts = {p.result_fact: {"status": outcome.status, "at": ctx.clock.now(), "found": outcome.found,
                                         "remedy": outcome.remedy, "client_id": p.client_id}}
        return outcome

    async def _run(self, ctx: Context, p: ClientCredentialsParams, secret: Secret) -> CheckOutcome:
        credential = ClientSecretCredential(p.client_id, static_secret(secret), p.scopes)
        try:
            _token, granted = await credential.access_token(ctx.okta.http)
        except OktaApiError as exc:
            return self._token_refused(p, exc)
        except OktaError as exc:
            return CheckOutcome.failed(f"The token request did not complete: {exc.message}", "Verify again.",
                                       client_id=p.client_id)
        missing = sorted(set(p.scopes) - set(granted))
        if missing:
            return CheckOutcome.failed(f"Okta issued a token without {', '.join(missing)}",
                                       f"Grant {p.name} those scopes (reinstall it with them), then verify again.",
                                       client_id=p.client_id, granted=sorted(granted))
        try:
            async with ctx.okta.with_credential(credential) as as_vendor:
                users = await as_vendor.users.first(limit=1, fields="id")
        except OktaForbidden as exc:
            return CheckOutcome.failed(f"The access token works but may not read users ({exc.okta_said})",
                                       f"Grant {p.name} okta.users.read, then verify again.", client_id=p.client_id)
        except OktaError as exc:
            return CheckOutcome.failed(f"Reading a user with the access token failed: {exc.message}",
                                       "Verify again; if it keeps failing, check the integration in Okta.",
                                       client_id=p.client_id)
        read = f"read user {users[0].id}" if users else "listed users (the org has none)"
        return CheckOutcome.passed(f"Client {p.client_id} got an access token from the org authorization server "
                                   f"with {', '.join(sorted(granted))} and {read}", client_id=p.client_id,
                                   granted=sorted(granted), user=users[0].id if users else None)

    @staticmethod
    def _token_refused(p: ClientCredentialsParams, exc: OktaApiError) -> CheckOutcome:
        code = exc.error_code or f"HTTP {exc.status}"
        if isinstance(exc, OktaUnauthorized) or code == "invalid_client":
            return CheckOutcome.failed(f"Okta refused the client credentials ({exc.okta_said})",
                                       f"The client secret kept for {p.name} no longer works (rotated or deleted?). "
                                       "Generate a new one for the integration in the Admin Console and give it to "
                                       "the vendor.", client_id=p.client_id, error=code)
        if code == "invalid_scope":
            return CheckOutcome.failed(f"Okta refused the scopes {', '.join(p.scopes)} ({exc.okta_said})",
                                       f"{p.name} is not granted all of them: uninstall it, then "
                                       f"{START_AGAIN} with every scope.",
                                       client_id=p.client_id, error=code)
        if code in ("invalid_dpop_proof", "use_dpop_nonce"):
            return CheckOutcome.failed(f"Okta wants a DPoP proof for this client ({exc.okta_said})",
                                       f"Turn off “Require DPoP” for {p.name} (the vendor's OIN integration does not "
                                       "send one), then verify again.", client_id=p.client_id, error=code)
        return CheckOutcome.failed(f"Okta refused the token request ({exc.okta_said})", "Verify again later.",
                                   client_id=p.client_id, error=code)

    def _from_record(self, p: ClientCredentialsParams, record: Any, state: CheckState) -> CheckOutcome:
        """No kept secret: report the last real run, saying that it was not run again and why."""
        destroyed = state.attestations.get(p.destroyed_on or "")
        why = (f"the client secret was destroyed when the vendor step was attested by {destroyed['by']} on "
               f"{destroyed['at']}" if destroyed else "the onboarding no longer keeps the client secret")
        if not isinstance(record, dict) or not record.get("status"):
            return CheckOutcome.failed(
                f"Never run: {why}, and the wizard keeps it for no one", "The wizard cannot prove these credentials "
                "without the secret. Check in the vendor's console that the connection works; if it does not, "
                "generate a new client secret for the integration in the Admin Console and give it to the vendor.",
                rerun=False, problem=f"The vendor's client credentials were never tested: {why}")
        at = stamp(float(record.get("at") or 0))
        evidence = {"rerun": False, "last_run": at, "client_id": record.get("client_id")}
        if record["status"] == CheckStatus.passed:
            return CheckOutcome.passed(f"Proven on {at}: {record.get('found')}. Not run again since: {why}.",
                                       **evidence)
        return CheckOutcome.failed(f"Failed when last run on {at}: {record.get('found')}. Not run again since: "
                                   f"{why}.", str(record.get("remedy") or "Check the integration in Okta."),
                                   **evidence, problem=f"The vendor's client credentials failed when last tested, "
                                                       f"on {at}: {record.get('found')}")

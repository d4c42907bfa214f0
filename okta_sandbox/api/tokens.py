"""API token metadata (``/api/v1/api-tokens``). There is no create: tokens come from the Admin
Console (the sandbox console, or ``SandboxOrg.issue_api_token`` in tests). Super admins see every
token; other admins only their own."""

from __future__ import annotations

from okta_sandbox.api.context import Call, Reply, handles
from okta_sandbox.authz import is_super_admin
from okta_sandbox.domain import tokens as tokens_domain
from okta_sandbox.entities import ApiToken
from okta_sandbox.errors import access_denied, not_found
from okta_sandbox.paging import paginate


def _visible(call: Call, token: ApiToken) -> bool:
    principal = call.principal
    return principal is not None and (is_super_admin(call.org, principal) or token.user_id == principal.user_id)


def _token(call: Call, *, consistent: bool = False) -> ApiToken:
    token_id = call.params["apiTokenId"]
    token = call.org.api_tokens.get(token_id) if consistent else call.org.api_tokens.read(token_id)
    if token is None or not _visible(call, token):
        raise not_found(f"{token_id} (ApiToken)")
    return token


@handles("listApiTokens")
def list_tokens(call: Call) -> Reply:
    tokens = [token for token in call.org.api_tokens.listing() if _visible(call, token)]
    page, cursor = paginate(tokens, after=call.text("after"), limit=call.limit(maximum=200), key=lambda t: t.seq)
    return call.page([tokens_domain.render_token(call.org, token) for token in page], cursor)


@handles("getApiToken")
def get_token(call: Call) -> Reply:
    return Reply(200, tokens_domain.render_token(call.org, _token(call)))


@handles("upsertApiToken")
def update_token(call: Call) -> Reply:
    token = _token(call, consistent=True)
    tokens_domain.update_token(call.org, token, call.json(), call.actor())
    return Reply(200, tokens_domain.render_token(call.org, token))


@handles("revokeApiToken")
def revoke_token(call: Call) -> Reply:
    tokens_domain.revoke_token(call.org, _token(call, consistent=True), call.actor())
    return Reply(204)


@handles("revokeCurrentApiToken")
def revoke_current(call: Call) -> Reply:
    principal = call.principal
    if principal is None or principal.api_token_id is None:
        # Only an SSWS token has a "current" token to revoke.
        raise access_denied()
    token = call.org.api_tokens.get(principal.api_token_id)
    if token is not None:
        tokens_domain.revoke_token(call.org, token, call.actor())
    return Reply(204)

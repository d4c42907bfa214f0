"""Typed parameters of the tasks a playbook gives a person, checked when playbooks load.

A ``service_token`` task asks the operator to paste the service account's token once. Besides
proving the token's owner, it may declare probes: reads made *with that token* whose outcome is
stored as a boolean fact (allowed: true; Okta answers 403: false). Oort's User Schema box is
ticked only when such a probe proves the account can read the user schema."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.common.patterns import matching
from app.playbooks.schema import KEY

# A fixed Management API path to read: no templates, no query, no way out of /api/v1/.
PROBE_PATH = re.compile(r"(?!.*\.\.)/api/v1(/[A-Za-z0-9_\-.]+)+")


class TokenProbe(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # where the outcome is stored (true: allowed, false: refused with 403)
    fact: Annotated[str, matching(KEY, "probe fact {value!r} must be lowercase letters, digits and underscores")]
    # a GET the token makes, e.g. /api/v1/meta/schemas/user/default
    path: Annotated[str, matching(PROBE_PATH, "probe path {value!r} must be a fixed path under /api/v1/")]


class ServiceTokenTask(BaseModel):
    """``task.params`` of a ``service_token`` task."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_fact: str = "service_account_id"  # the fact holding the id the token must belong to
    probes: list[TokenProbe] = Field(default_factory=list)
    # Said beside a token limited to network zones where the document allows zones but warns of
    # them (Sentinel: the connector calls from Microsoft's cloud); without it the network is for information.
    zone_advice: str | None = None


# The fact a verified service token sets (true): steps and actions that need the token wait for it.
TOKEN_VERIFIED = "service_token_verified"  # noqa: S105 (a fact's name)
TOKEN_VERIFIED_AT = "service_token_verified_at"  # noqa: S105 (a fact's name) when it was, the database's clock
TOKEN_CREATED = "service_token_created"  # noqa: S105 (a fact's name) when Okta made the token verified

# The facts a verified service token leaves (app/onboardings/service.py, verify_service_token),
# besides one boolean fact per probe.
SERVICE_TOKEN_FACTS = frozenset({
    TOKEN_VERIFIED, "service_token_id", "service_token_fingerprint", "service_token_name",
    "service_token_network", "service_token_network_text", "service_token_owner", "service_token_any_ip_required",
    "service_token_candidates", TOKEN_VERIFIED_AT, TOKEN_CREATED})


def timer_fact(step_key: str) -> str:
    """The fact a step's started timer is kept in (its start and end)."""
    return f"timer_{step_key}"


def task_facts(step_key: str, kind: str, token: ServiceTokenTask | None = None) -> set[str]:
    """The facts a person's task of this kind produces once done."""
    if kind == "service_token":
        return set(SERVICE_TOKEN_FACTS) | {probe.fact for probe in (token.probes if token else [])}
    if kind == "timer":
        return {timer_fact(step_key)}
    return set()

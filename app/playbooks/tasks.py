"""Typed parameters of the tasks a playbook gives a person, checked when playbooks load.

A ``service_token`` task asks the operator to paste the service account's token once. Besides
proving the token's owner, it may declare probes: reads made *with that token* whose outcome is
stored as a boolean fact (allowed: true; Okta answers 403: false). Oort's User Schema box is
ticked only when such a probe proves the account can read the user schema."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.playbooks.schema import KEY

# A fixed Management API path to read: no templates, no query, no way out of /api/v1/.
PROBE_PATH = re.compile(r"/api/v1(/[A-Za-z0-9_\-.]+)+")


class TokenProbe(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fact: str  # where the outcome is stored (true: allowed, false: refused with 403)
    path: str  # a GET the token makes, e.g. /api/v1/meta/schemas/user/default

    @field_validator("fact")
    @classmethod
    def _fact(cls, value: str) -> str:
        if not KEY.fullmatch(value):
            raise ValueError(f"probe fact {value!r} must be lowercase letters, digits and underscores")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not PROBE_PATH.fullmatch(value) or ".." in value:
            raise ValueError(f"probe path {value!r} must be a fixed path under /api/v1/")
        return value


class ServiceTokenTask(BaseModel):
    """``task.params`` of a ``service_token`` task."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_fact: str = "service_account_id"  # the fact holding the id the token must belong to
    probes: list[TokenProbe] = Field(default_factory=list)

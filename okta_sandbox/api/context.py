"""What a handler gets (:class:`Call`) and gives back (:class:`Reply`), with Okta's request
parsing: lenient where Okta is lenient, and Okta's 400 errors (never a crash) where it is not."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import Headers, QueryParams

from okta_sandbox.authz import Principal
from okta_sandbox.domain.actors import Actor, RequestInfo
from okta_sandbox.entities import Json
from okta_sandbox.errors import malformed_body, validation_failed
from okta_sandbox.operations import Operation
from okta_sandbox.org import SandboxOrg


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialisable; None sends no body
    headers: dict[str, str] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)  # (url, rel) for Link headers


Handler = Callable[["Call"], Reply]
HANDLERS: dict[str, Handler] = {}


def handles(operation_id: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if operation_id in HANDLERS:
            raise RuntimeError(f"two handlers for {operation_id}")
        HANDLERS[operation_id] = handler
        return handler

    return register


@dataclass
class Call:
    org: SandboxOrg
    operation: Operation
    params: dict[str, str]
    query: QueryParams
    headers: Headers
    body: bytes
    principal: Principal | None
    request: RequestInfo

    # Who is acting

    def actor(self) -> Actor:
        principal = self.principal
        if principal is None:
            return Actor.system()
        if principal.kind == "user":
            user = self.org.users.get(principal.id)
            login = user.login if user else principal.id
            return Actor(principal.id, "User", login, user.display_name if user else login, self.request)
        service = self.org.api_services.get(principal.id)
        name = service.name if service else principal.id
        return Actor(principal.id, "PublicClientApp", principal.id, name, self.request)

    @property
    def me(self) -> str | None:
        return self.principal.user_id if self.principal else None

    # Body

    def json(self, *, required: bool = True) -> Json:
        """The JSON object in the body: Okta's E0000003 when it is missing (and required), not JSON,
        or not an object."""
        if not self.body.strip():
            if required:
                raise malformed_body("The request body is empty.")
            return {}
        try:
            value = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise malformed_body() from None
        if not isinstance(value, dict):
            raise malformed_body("The request body must be a JSON object.")
        return value

    # Query parameters

    def text(self, name: str) -> str | None:
        value = self.query.get(name)
        return value if value not in (None, "") else None

    def flag(self, name: str, default: bool) -> bool:
        value = self.query.get(name)
        if value is None or value == "":
            return default
        lowered = value.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise validation_failed(name, f"{name}: '{value}' is not a boolean.")

    def number(self, name: str) -> int | None:
        value = self.query.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise validation_failed(name, f"{name}: '{value}' is not a number.") from None

    def limit(self, *, maximum: int, default: int | None = None) -> int:
        """The page size: ``limit`` if given (Okta treats more than the endpoint's maximum as the
        maximum, and zero or less as the default), else the org's page size."""
        fallback = min(default or self.org.page_size, maximum)
        requested = self.number("limit")
        if requested is None or requested < 1:
            return fallback
        return min(requested, maximum)

    # Pagination links

    def url(self, **overrides: str | None) -> str:
        """This request's URL on the org, with query parameters replaced (None removes one)."""
        params: dict[str, str] = {key: value for key, value in self.query.items()}
        for key, value in overrides.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        path = self.request.uri.split("?")[0]
        return f"{self.org.base_url}{path}" + (f"?{urlencode(params)}" if params else "")

    def page(self, items: Sequence[Any], next_cursor: str | None, *, status: int = 200) -> Reply:
        """A list response with Okta's Link headers (``self``, and ``next`` unless this is the end)."""
        links = [(self.url(), "self")]
        if next_cursor is not None:
            links.append((self.url(after=next_cursor), "next"))
        return Reply(status, list(items), links=links)

    def body_links(self, next_cursor: str | None, extra: Mapping[str, Json] | None = None) -> Json:
        """``_links`` for ``/api/v1/iam`` lists, which announce the next page in the body."""
        links: Json = dict(extra or {})
        if next_cursor is not None:
            links["next"] = {"href": self.url(after=next_cursor)}
        return links

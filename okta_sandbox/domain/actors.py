"""Who did something, and through which request: the System Log's ``actor``, ``client``,
``transaction`` and ``debugContext`` come from here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestInfo:
    request_id: str
    method: str
    uri: str  # path and query, as Okta puts it in debugData.requestUri
    ip_address: str
    user_agent: str
    api_token_id: str | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    type: str  # "User" for people and their API tokens, "PublicClientApp" for OAuth service clients
    alternate_id: str
    display_name: str
    request: RequestInfo | None = None

    @classmethod
    def system(cls) -> Actor:
        """Okta itself, for changes the sandbox makes on its own (seeding, expiry)."""
        return cls(id="0oa1system00000000000", type="SystemPrincipal", alternate_id="system@okta.com",
                   display_name="Okta System")

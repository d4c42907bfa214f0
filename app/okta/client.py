"""``OktaClient``: every typed Okta call the application makes, grouped by area, over one
rate-limited HTTP door (:class:`app.okta.http.OktaHttp`)."""

from __future__ import annotations

from typing import Any

from app.okta.api.access import Access
from app.okta.api.apps import Apps
from app.okta.api.groups import Groups
from app.okta.api.iam import Iam
from app.okta.api.logs import Logs
from app.okta.api.logstreams import LogStreams
from app.okta.api.org import Org
from app.okta.api.roles import Roles
from app.okta.api.schemas import Schemas
from app.okta.api.services import Services
from app.okta.api.tokens import Tokens
from app.okta.api.users import Users
from app.okta.credentials import Credential
from app.okta.http import OktaHttp


class OktaClient:
    def __init__(self, http: OktaHttp) -> None:
        self.http = http
        self.org = Org(http)
        self.users = Users(http)
        self.roles = Roles(http)
        self.iam = Iam(http)
        self.schemas = Schemas(http)
        self.tokens = Tokens(http)
        self.apps = Apps(http)
        self.services = Services(http)
        self.log_streams = LogStreams(http)
        self.logs = Logs(http)
        self.groups = Groups(http)
        self.access = Access(http)

    @property
    def origin(self) -> str:
        return self.http.org.origin

    def with_credential(self, credential: Credential | None) -> OktaClient:
        """A client for the same org over the same door, acting as another principal (for
        example an API service integration proving its client credentials). Close it when done;
        the door stays open for this client."""
        return OktaClient(self.http.with_credential(credential))

    def user_url(self, user_id: str) -> str:
        """A user as a resource-set binding member (Okta wants the REST URL)."""
        return f"{self.origin}/api/v1/users/{user_id}"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> OktaClient:
        return self

    async def __aexit__(self, *_exc: Any) -> None:
        await self.aclose()

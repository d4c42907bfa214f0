"""The org itself: public metadata (pipeline, domains), settings, custom domains."""

from __future__ import annotations

from typing import Any

from app.okta.api.base import Area
from app.okta.models import OrgMetadata, OrgSettings


class Org(Area):
    async def metadata(self) -> OrgMetadata:
        """``/.well-known/okta-organization``: no credential needed; Identity Engine or Classic."""
        response = await self.http.call("GET", "/.well-known/okta-organization", auth=False)
        return self.parse(OrgMetadata, response.data)

    async def settings(self) -> OrgSettings:
        return self.parse(OrgSettings, (await self.http.call("GET", "/api/v1/org")).data)

    async def custom_domains(self) -> list[dict[str, Any]]:
        data = (await self.http.call("GET", "/api/v1/domains")).data
        domains = data.get("domains") if isinstance(data, dict) else data
        return [d for d in (domains or []) if isinstance(d, dict)]

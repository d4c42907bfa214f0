"""What the credential may read: a GET whose only interesting answer is "allowed" or "refused"
(403). Used to prove what a pasted service-account token can do, not to read data."""

from __future__ import annotations

import re

from app.okta.api.base import Area
from app.okta.errors import OktaForbidden

# Only fixed paths under /api/v1/: the path is part of a template, so it may hold no braces.
_READABLE = re.compile(r"/api/v1(/[A-Za-z0-9_\-.]+)+")


class Access(Area):
    async def can_read(self, path: str) -> bool:
        """True if Okta answers the GET, False if it refuses it with 403 (the role is too weak).
        Any other failure (a bad token, a missing object, an outage) is raised: it proves nothing."""
        if not _READABLE.fullmatch(path) or ".." in path:
            raise ValueError(f"not a fixed Management API path: {path!r}")
        try:
            await self.http.call("GET", path)
        except OktaForbidden:
            return False
        return True

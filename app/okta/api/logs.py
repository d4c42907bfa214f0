"""The System Log. Bounded queries (both ``since`` and ``until``) end; polling queries always
have a next link, so they are read until a page comes back empty."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from app.okta.api.base import Area
from app.okta.models import LogEvent

LOGS = "/api/v1/logs"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Logs(Area):
    def pages(self, *, since: datetime | None = None, until: datetime | None = None, filter: str | None = None,
              q: str | None = None, limit: int = 1000, sort_order: str = "ASCENDING") -> AsyncIterator[list[Any]]:
        params = {"since": iso(since) if since else None, "until": iso(until) if until else None, "filter": filter,
                  "q": q, "limit": limit, "sortOrder": sort_order}
        return self.http.pages(LOGS, params=params, stop_on_empty=until is None)

    async def first(self, *, since: datetime, filter: str | None = None) -> LogEvent | None:
        """One event since ``since`` if any exists (a single call)."""
        response = await self.http.call("GET", LOGS, params={"since": iso(since), "limit": 1, "filter": filter,
                                                             "sortOrder": "DESCENDING"})
        events = self.parse_list(LogEvent, response.data)
        return events[0] if events else None

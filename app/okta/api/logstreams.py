"""Log streams (AWS EventBridge)."""

from __future__ import annotations

from typing import Any

from app.okta.api.base import Area
from app.okta.models import LogStream

STREAMS = "/api/v1/logStreams"
STREAM = "/api/v1/logStreams/{logStreamId}"


class LogStreams(Area):
    async def all(self) -> list[LogStream]:
        return await self.collect(LogStream, STREAMS)

    async def get(self, stream_id: str, *, absent_ok: bool = False) -> LogStream | None:
        return await self.lookup(LogStream, STREAM, {"logStreamId": stream_id}, absent_ok=absent_ok)

    async def create(self, type_key: str, name: str, settings: dict[str, Any]) -> LogStream:
        body = {"type": type_key, "name": name, "settings": settings}
        response = await self.http.call("POST", STREAMS, json_body=body)
        return self.parse(LogStream, response.data)

    async def deactivate(self, stream_id: str) -> None:
        await self.http.call("POST", STREAM + "/lifecycle/deactivate", path_params={"logStreamId": stream_id})

    async def delete(self, stream_id: str) -> None:
        await self.http.call("DELETE", STREAM, path_params={"logStreamId": stream_id})

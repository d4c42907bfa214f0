"""What every area shares: the HTTP door, and "not found means None" for look-ups."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from app.okta.errors import OktaNotFound
from app.okta.http import OktaHttp

M = TypeVar("M", bound=BaseModel)


class Area:
    def __init__(self, http: OktaHttp) -> None:
        self.http = http

    @staticmethod
    def parse(model: type[M], data: Any) -> M:
        return model.model_validate(data)

    @staticmethod
    def parse_list(model: type[M], data: Any) -> list[M]:
        return [model.model_validate(item) for item in (data if isinstance(data, list) else [])]

    async def maybe(self, call: Callable[[], Awaitable[M]]) -> M | None:
        try:
            return await call()
        except OktaNotFound:
            return None

    async def collect(self, model: type[M], template: str, *, path_params: dict[str, str] | None = None,
                      params: dict[str, Any] | None = None, key: str | None = None) -> list[M]:
        """Every item of a paginated list (use only for lists known to be small)."""
        items: list[M] = []

        def extract(data: Any) -> list[Any]:
            if key is not None:
                return list((data or {}).get(key) or []) if isinstance(data, dict) else []
            return data if isinstance(data, list) else []

        async for page in self.http.pages(template, path_params=path_params, params=params, items=extract):
            items.extend(model.model_validate(item) for item in page)
        return items


def quote_filter_value(value: str) -> str:
    """A value inside a SCIM filter string: quotes and backslashes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

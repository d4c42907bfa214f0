"""What every area shares: the HTTP door, and "not found means None" for look-ups."""

from __future__ import annotations

from collections.abc import Mapping
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

    async def lookup(self, model: type[M], template: str, path_params: Mapping[str, str], *,
                     absent_ok: bool) -> M | None:
        """One object by its id (or label), None when Okta has none (404).

        ``absent_ok`` is the caller's word that "not there" is an answer it expects: a look-up
        before creating the object, or before undoing it. Its 404 is then recorded as "not found
        (expected)" instead of a failed call (a clean onboarding's trail showed its own "does the
        role exist yet?" as four failures an auditor had to ask about: QA walk 13, M2). Callers for
        whom a missing object is the fault (a check, an object this onboarding relies on) leave
        it False, and the 404 reads Failed as before."""
        try:
            response = await self.http.call("GET", template, path_params=path_params, absent_ok=absent_ok)
        except OktaNotFound:
            return None
        return self.parse(model, response.data)

    async def collect(self, model: type[M], template: str, *, path_params: dict[str, str] | None = None,
                      params: dict[str, Any] | None = None, key: str | None = None,
                      absent_ok: bool = False) -> list[M]:
        """Every item of a paginated list (use only for lists known to be small). ``absent_ok``:
        the list's owner may be gone (an undo asks), so its 404 is an answer (see :meth:`lookup`);
        it is still raised."""
        items: list[M] = []

        def extract(data: Any) -> list[Any]:
            if key is not None:
                return list((data or {}).get(key) or []) if isinstance(data, dict) else []
            return data if isinstance(data, list) else []

        async for page in self.http.pages(template, path_params=path_params, params=params, items=extract,
                                          absent_ok=absent_ok):
            items.extend(model.model_validate(item) for item in page)
        return items


def quote_filter_value(value: str) -> str:
    """A value inside a SCIM filter string: quotes and backslashes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

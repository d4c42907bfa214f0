"""What the door to Okta hands back (the answer, its headers and where the next page is) and how
it builds a request's path from a template."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from app.okta.links import parse_links


@dataclass(frozen=True)
class OktaResponse:
    status: int
    headers: Mapping[str, str]
    data: Any
    request_id: str | None

    @property
    def links(self) -> dict[str, str]:
        return parse_links(self.headers.get("link", ""))

    def next_link(self) -> str | None:
        link = self.links.get("next")
        if link:
            return link
        if isinstance(self.data, dict):
            nxt = (self.data.get("_links") or {}).get("next")
            if isinstance(nxt, dict) and nxt.get("href"):
                return str(nxt["href"])
        return None


def build_path(template: str, path_params: Mapping[str, str] | None) -> str:
    params = {k: quote(str(v), safe="") for k, v in (path_params or {}).items()}
    try:
        return template.format(**params)
    except KeyError as exc:
        raise ValueError(f"missing path parameter {exc} for {template}") from None

"""The ``Link`` header is read as RFC 8288 has it: a next link whose query holds raw commas (the
Drata user scan's ``fields=id,status,profile:(email)``) is still the next link, so a scan reads
every page rather than stopping after the first."""

from __future__ import annotations

from typing import Any

import httpx

from app.okta.links import parse_links
from tests.okta.test_http import Harness, _json, run

FIELDS = "id,status,profile:(email)"


def test_a_raw_comma_in_a_links_query_does_not_split_it() -> None:
    header = (f'<https://acme.okta.com/api/v1/users?fields={FIELDS}&limit=200>; rel="self", '
              f'<https://acme.okta.com/api/v1/users?after=00u2&fields={FIELDS}&limit=200>; rel="next"')
    assert parse_links(header) == {
        "self": f"https://acme.okta.com/api/v1/users?fields={FIELDS}&limit=200",
        "next": f"https://acme.okta.com/api/v1/users?after=00u2&fields={FIELDS}&limit=200"}


def test_relations_unquoted_several_at_once_or_after_other_parameters() -> None:
    header = ('<https://acme.okta.com/a>; rel=self,<https://acme.okta.com/b>;type="x, y"; REL="next last", '
              '<https://acme.okta.com/c>; title="no relation"')
    assert parse_links(header) == {"self": "https://acme.okta.com/a", "next": "https://acme.okta.com/b",
                                   "last": "https://acme.okta.com/b"}


def test_a_user_scan_whose_next_links_hold_raw_commas_reads_every_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("after", "0"))
        headers = {}
        if page < 2:
            # Written raw, as Okta may: httpx keeps the commas of a URL as they are.
            headers["link"] = (f'<https://acme.okta.com/api/v1/users?fields={FIELDS}&limit=2>; rel="self", '
                               f'<https://acme.okta.com/api/v1/users?after={page + 1}&fields={FIELDS}&limit=2>; '
                               'rel="next"')
        return _json(200, [{"id": f"u{page}a"}, {"id": f"u{page}b"}], headers)

    h = Harness(handler)

    async def scan() -> list[Any]:
        return [u["id"] async for u in h.http.iterate("/api/v1/users", params={"fields": FIELDS, "limit": 2})]

    assert run(scan()) == ["u0a", "u0b", "u1a", "u1b", "u2a", "u2b"]
    assert h.requests[-1].url.params["fields"] == FIELDS

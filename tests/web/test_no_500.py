"""No address a browser can ask for answers a 500 (finding 9 of issue 12): generated path and
query values on every GET route, signed out and as each role, with real objects (an onboarding
with no job yet, a connection, a retired connection) among the generated identifiers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from app.common.clock import FakeClock
from app.connections.service import retire
from app.main import ROUTERS
from app.settings import Settings
from okta_sandbox import SandboxOrg, SandboxTransport
from tests.harness import Wizard, wizard
from tests.support import Web, add_operator

ROLES = {"signed-out": None, "admin": "ana.admin", "operator": "oli", "auditor": "aud"}
GET_ROUTES = sorted({route.path for router in ROUTERS for route in router.routes
                     if isinstance(route, APIRoute) and "GET" in route.methods})
PARAM = re.compile(r"\{([^}]+)\}")
# Query names the pages read, and a few they do not.
QUERY_NAMES = ["before", "after", "page", "action", "category", "view", "vendor", "status", "operator", "org",
               "since", "until", "next", "token", "state", "code", "error", "error_description", "fmt", "x"]
AWKWARD = ["", "0", "-1", "²", "٣", "1e9", "9" * 30, "2024-02-30", "9999-12-31", "\x00", "%00", "..", "last",
           "null", "true", "' OR 1=1 --", "\n", "\u202e", "//evil.example", "https://evil.example/", "𝟙"]
# Every route also gets each of these in every path parameter and every query name it may read.
EVERYWHERE = ["²", "9" * 30, "\x00", "-1", "2024-02-30"]
EXAMPLES = 20


def _values(real: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(real + AWKWARD), st.text(max_size=40),
                     st.integers(min_value=-(10**40), max_value=10**40).map(str))


@pytest.fixture
def w(settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
      fake_clock: FakeClock) -> Iterator[Wizard]:
    with wizard(settings, sandbox_org, okta_transport, fake_clock) as harness:
        add_operator(settings, "oli", "operator")
        add_operator(settings, "aud", "auditor")
        yield harness


def _objects(w: Wizard) -> list[str]:
    connection = w.connect()
    onboarding = w.start("defender-for-identity", connection)  # no job has run: no progress yet
    retired = w.connect()
    on_retired = w.start("drata", retired)

    async def retire_it() -> None:
        async with w.state.db.session() as session:
            await retire(session, w.state.vault, retired, w.actor)

    w.run(retire_it)
    return [str(onboarding), str(on_retired), str(connection), str(retired), str(uuid.UUID(int=0)),
            "json", "csv", "pdf", "defender-for-identity", "drata"]


def _try_route(web: Web, template: str, values: st.SearchStrategy[str],
               queries: st.SearchStrategy[list[tuple[str, str]]], failures: list[str]) -> None:
    names = PARAM.findall(template)

    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate],  # every failure listed, none shrunk
                         suppress_health_check=[HealthCheck.too_slow], print_blob=False)
    @given(path=st.fixed_dictionaries({name: values for name in names}), query=queries)
    def call(path: dict[str, str], query: list[tuple[str, str]]) -> None:
        url = PARAM.sub(lambda m: quote(path[m.group(1)], safe=""), template)
        if query:
            url += "?" + urlencode(query)
        try:
            response: Any = web.client.get(url)
        except Exception as exc:  # the test client re-raises what would have been a 500
            failures.append(f"{type(exc).__name__}: {exc} on GET {url}")
            raise AssertionError(url) from exc
        if response.status_code >= 500:
            failures.append(f"{response.status_code} GET {url}")
        assert response.status_code < 500, url

    for value in EVERYWHERE:
        call = example(path={name: value for name in names}, query=[(q, value) for q in QUERY_NAMES])(call)
    call()


@pytest.mark.slow
@pytest.mark.parametrize("role", list(ROLES))
def test_no_get_route_answers_500(w: Wizard, role: str) -> None:
    real = _objects(w)
    web = Web(w.client)
    username = ROLES[role]
    if username is not None:
        assert web.sign_in(username).status_code == 303
    failures: list[str] = []
    values = _values(real)
    queries = st.lists(st.tuples(st.one_of(st.sampled_from(QUERY_NAMES), st.text(max_size=10)), values),
                       max_size=4)

    for template in GET_ROUTES:
        try:
            _try_route(web, template, values, queries, failures)
        except AssertionError:
            continue  # collected in failures: every route is tried before the test fails
    assert failures == [], "\n".join(failures)

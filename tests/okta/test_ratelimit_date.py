"""Rate-limit resets are moments on Okta's clock: the wait is X-Rate-Limit-Reset minus the Date of
Okta's answer (as Okta's SDKs compute it), so a local clock minutes off neither waits minutes too
long nor calls again before Okta's window has reset. Without a Date, the local clock is used."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest

from tests.okta.test_http import Harness, _json, _limits, run

SKEWS = [300.0, -300.0, 0.0]  # Okta's clock minus ours: Okta ahead by 5 minutes, behind by 5, the same


def _date(okta_now: float) -> dict[str, str]:
    return {"date": formatdate(okta_now, usegmt=True)}


@pytest.mark.parametrize("skew", SKEWS)
def test_429_waits_okta_reset_minus_okta_date(skew: float) -> None:
    answers: list[httpx.Response] = []
    h = Harness(lambda r: answers.pop(0))
    okta_now = h.clock.now() + skew
    answers.extend([
        _json(429, {"errorCode": "E0000047"}, {**_limits(600, 0, okta_now + 30), **_date(okta_now)}),
        _json(200, {"id": "00u1"}, {**_limits(600, 599, okta_now + 90), **_date(okta_now + 30)}),
    ])
    response = run(h.http.call("GET", "/api/v1/users/{userId}", path_params={"userId": "00u1"}))
    assert response.data == {"id": "00u1"}
    assert h.clock.slept == [30]
    assert [e.message for e in h.events] == ["waiting 00:30 for Okta's rate limit"]


def test_429_without_a_date_falls_back_to_the_local_clock() -> None:
    answers: list[httpx.Response] = []
    h = Harness(lambda r: answers.pop(0))
    answers.extend([_json(429, {"errorCode": "E0000047"}, _limits(600, 0, h.clock.now() + 25)),
                    _json(200, {"id": "00u1"})])
    run(h.http.call("GET", "/api/v1/users/me"))
    assert h.clock.slept == [25]


@pytest.mark.parametrize("skew", SKEWS)
def test_the_reserve_waits_until_okta_resets_the_window(skew: float) -> None:
    """100 per window and a 10% reserve: with 10 left the next call waits for Okta's reset, which
    is 20 seconds away on Okta's clock whatever the local clock says."""
    served: list[float] = []
    h: Harness

    def handler(request: httpx.Request) -> httpx.Response:
        okta_now = h.clock.now() + skew
        served.append(okta_now)
        first = len(served) == 1
        window_end = start + skew + 20
        remaining = 10 if first else 99
        reset = window_end if first else window_end + 60
        return _json(200, [], {**_limits(100, remaining, reset), **_date(okta_now)})

    h = Harness(handler)
    start = h.clock.now()
    run(h.http.call("GET", "/api/v1/users"))
    run(h.http.call("GET", "/api/v1/users"))
    assert h.clock.slept == [20]
    assert served[1] == pytest.approx(start + skew + 20)


def test_the_reserve_without_a_date_uses_the_local_clock() -> None:
    h: Harness
    answers: list[httpx.Response] = []
    h = Harness(lambda r: answers.pop(0))
    answers.extend([_json(200, [], _limits(100, 10, h.clock.now() + 15)), _json(200, [])])
    run(h.http.call("GET", "/api/v1/users"))
    run(h.http.call("GET", "/api/v1/users"))
    assert h.clock.slept == [15]

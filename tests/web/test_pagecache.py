"""The onboarding page cache: requests that arrive while a page is being drawn share that drawing;
a drawing that fails or is not a plain page is not shared, and is not kept."""

from __future__ import annotations

import asyncio

import pytest
from starlette.responses import HTMLResponse, Response

from app.web.pagecache import PageCache


class Drawer:
    def __init__(self, *, status: int = 200, fail: bool = False) -> None:
        self.drawn = 0
        self.status = status
        self.fail = fail
        self.release = asyncio.Event()

    async def __call__(self) -> Response:
        self.drawn += 1
        await self.release.wait()  # the queries and the template take a while
        if self.fail:
            raise RuntimeError("the database went away")
        return HTMLResponse(f"page {self.drawn}", status_code=self.status)


async def _twenty_at_once(cache: PageCache, drawer: Drawer) -> list[Response | BaseException]:
    requests = [asyncio.create_task(cache.page("k", drawer)) for _ in range(20)]
    await asyncio.sleep(0)
    drawer.release.set()
    return await asyncio.gather(*requests, return_exceptions=True)


def test_requests_arriving_together_share_one_drawing() -> None:
    cache, drawer = PageCache(), Drawer()
    answers = asyncio.run(_twenty_at_once(cache, drawer))
    assert drawer.drawn == 1
    assert {bytes(a.body) for a in answers if isinstance(a, Response)} == {b"page 1"}
    assert len(answers) == 20
    # Kept for the next request too.
    assert cache.get("k") == b"page 1"


def test_a_failed_drawing_is_not_shared_and_each_request_draws_its_own() -> None:
    cache, drawer = PageCache(), Drawer(fail=True)
    answers = asyncio.run(_twenty_at_once(cache, drawer))
    assert drawer.drawn == 20
    assert all(isinstance(a, RuntimeError) for a in answers)
    assert cache.get("k") is None


@pytest.mark.parametrize("status", [400, 404, 409])
def test_a_page_that_is_not_a_plain_200_is_neither_shared_nor_kept(status: int) -> None:
    cache, drawer = PageCache(), Drawer(status=status)
    answers = asyncio.run(_twenty_at_once(cache, drawer))
    assert drawer.drawn == 20
    assert all(isinstance(a, Response) and a.status_code == status for a in answers)
    assert cache.get("k") is None


def test_an_expired_page_is_drawn_again() -> None:
    cache, drawer = PageCache(ttl_seconds=0.0), Drawer()
    drawer.release.set()

    async def twice() -> list[bytes]:
        return [bytes((await cache.page("k", drawer)).body) for _ in range(2)]

    assert asyncio.run(twice()) == [b"page 1", b"page 2"]

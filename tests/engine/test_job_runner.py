"""Stopping the job runner: its supervisor is never cancelled inside a database query."""

from __future__ import annotations

import asyncio
import uuid
from typing import cast

from app.engine.jobs import JobRunner
from app.store.db import Database
from tests.conftest import run


class _SlowQueryRunner(JobRunner):
    """A runner whose look for claimable jobs takes a while, as a query on a busy database does."""

    def __init__(self) -> None:
        super().__init__(cast(Database, None), poll_seconds=3600)
        self.entered = asyncio.Event()
        self.done = asyncio.Event()
        self.finished = 0
        self.cancelled = 0

    async def claimable(self) -> list[uuid.UUID]:
        self.entered.set()
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        self.finished += 1
        self.done.set()
        return []


def test_stop_lets_the_supervisors_query_finish() -> None:
    # A query cancelled halfway makes SQLite's driver close its connection without waiting, and
    # report to an event loop that has closed by then: an error in a thread after shutdown.
    async def scenario() -> _SlowQueryRunner:
        runner = _SlowQueryRunner()
        runner.start()
        await runner.entered.wait()
        await asyncio.wait_for(runner.stop(), 5)
        return runner

    runner = cast(_SlowQueryRunner, run(scenario()))
    assert (runner.finished, runner.cancelled) == (1, 0)


def test_stop_does_not_wait_for_the_next_round() -> None:
    async def scenario() -> _SlowQueryRunner:
        runner = _SlowQueryRunner()
        runner.start()
        await runner.done.wait()
        await asyncio.wait_for(runner.stop(), 5)  # the next round is an hour away
        return runner

    runner = cast(_SlowQueryRunner, run(scenario()))
    assert (runner.finished, runner.cancelled) == (1, 0)
    assert not runner.busy

"""Calls sent at the same moment: their audit records are written together (group commit, each
call still returning only after its record is written), and they share one read of the
credential from the vault."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from app.okta.calllog import CallBatcher, OktaCall
from app.okta.credentials import ApiTokenCredential
from app.vault import Secret


def _call(n: int) -> OktaCall:
    return OktaCall(org="acme.okta.com", method="GET", path=f"/api/v1/things/{n}", status=200, duration_ms=1.0,
                    attempt=1, request_id=f"req-{n}", outcome="ok")


def test_records_of_calls_answered_together_are_written_in_few_batches_and_in_order() -> None:
    batches: list[list[str]] = []

    async def write(calls: Sequence[OktaCall]) -> None:
        await asyncio.sleep(0.01)  # a transaction
        batches.append([c.path for c in calls])

    async def scenario() -> list[int]:
        hook = CallBatcher(write)
        returned: list[int] = []

        async def one(n: int) -> None:
            await hook(_call(n))
            # The call returns only once its record is in the trail.
            assert any(f"/api/v1/things/{n}" in batch for batch in batches)
            returned.append(n)

        await asyncio.gather(*(one(n) for n in range(12)))
        return returned

    returned = asyncio.run(scenario())
    assert sorted(returned) == list(range(12))
    assert len(batches) <= 2  # not one transaction per call
    assert [p for batch in batches for p in batch] == [f"/api/v1/things/{n}" for n in range(12)]


def test_a_failed_write_fails_the_calls_it_was_recording() -> None:
    async def write(calls: Sequence[OktaCall]) -> None:
        raise RuntimeError("the database is away")

    async def scenario() -> None:
        hook = CallBatcher(write)
        await asyncio.gather(hook(_call(1)), hook(_call(2)))

    with pytest.raises(RuntimeError, match="database is away"):
        asyncio.run(scenario())


def test_calls_sent_together_share_one_read_of_the_credential() -> None:
    reads = 0

    async def secret() -> Secret:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.01)
        return Secret("00token")

    credential = ApiTokenCredential(secret)

    async def scenario() -> list[str]:
        together = await asyncio.gather(*(credential.authorization(None) for _ in range(8)))  # type: ignore[arg-type]
        later = await credential.authorization(None)  # type: ignore[arg-type]
        return [*together, later]

    headers = asyncio.run(scenario())
    assert headers == ["SSWS 00token"] * 9
    assert reads == 2  # one for the eight sent together; the token is not kept for the next call

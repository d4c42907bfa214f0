"""Independent awaitables run at once: the checks' reads, and the Okta client's per-id reads."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def together(*reads: Awaitable[Any], missing_first: bool = False) -> list[Any]:
    """Reads that need nothing from each other, sent at the same time (a verification is as slow
    as its longest chain of dependent calls, not as the sum of its calls). Every read is awaited to
    the end; then the first failure is raised. With ``missing_first``, when the first read found
    nothing (None: the object is gone) the others' failures (a 404 on its parts) are not raised."""
    results = await asyncio.gather(*reads, return_exceptions=True)
    if missing_first and results and results[0] is None:
        return [None if isinstance(r, BaseException) else r for r in results]
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)

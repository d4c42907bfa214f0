"""Every test also checks that only the store changes an onboarding's row.

The page cache serves an onboarding's page again until its revision moves, and the revision moves
in `app/store/repositories/state.py` with each change made there (docs/architecture.md). A column
of the row assigned anywhere else in `app/` (a service setting `onboarding.status`, say) is a
change that may not move it: a stale page. So while the suite runs, every assignment to a column
of an onboarding is traced to the code that made it; one made by `app/` outside `app/store/` fails
the test that caused it, naming the file and line. Making a new onboarding (its constructor) is
not a change, and the tests themselves may set up rows as they like.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import event

import app
from app.store.models import Onboarding

APP = str(Path(app.__file__).resolve().parent) + os.sep
STORE = APP + "store" + os.sep
SQLALCHEMY = str(Path(sqlalchemy.__file__).resolve().parent) + os.sep

writes_outside_the_store: list[str] = []


def _writer(column: str) -> Any:
    def traced(_target: Onboarding, _value: Any, _old: Any, _initiator: Any) -> None:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith(SQLALCHEMY):
            if frame.f_code.co_name == "_declarative_constructor":
                return  # a new onboarding is made, not changed
            frame = frame.f_back  # type: ignore[assignment]
        if frame is None:
            return
        where = frame.f_code.co_filename
        if where.startswith(APP) and not where.startswith(STORE):
            writes_outside_the_store.append(f"onboarding.{column} assigned at {where[len(APP) - 4:]}:{frame.f_lineno}")

    return traced


for _column in Onboarding.__table__.columns:
    event.listen(getattr(Onboarding, _column.key), "set", _writer(_column.key))


@pytest.fixture(autouse=True)
def _only_the_store_changes_an_onboarding() -> Iterator[None]:
    writes_outside_the_store.clear()
    yield
    found = sorted(set(writes_outside_the_store))
    writes_outside_the_store.clear()
    assert not found, "an onboarding's row changed outside app/store/repositories/state.py: " + "; ".join(found)

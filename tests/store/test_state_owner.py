"""The suite's check that only the store changes an onboarding's row (tests/state_owner.py) sees
an assignment made by code of the product outside the store, and only such an assignment."""

from __future__ import annotations

import uuid

from app.store.models import Onboarding
from tests.state_owner import APP, STORE, writes_outside_the_store


def _assign_from(path: str, onboarding: Onboarding) -> None:
    code = compile("onboarding.status = 'blocked'\nonboarding.revision = 7\n", path, "exec")
    exec(code, {"onboarding": onboarding})  # noqa: S102 (the code above, as if it sat in `path`)


def test_an_assignment_outside_the_store_is_named_with_its_file_and_line() -> None:
    onboarding = Onboarding(id=uuid.uuid4(), vendor="drata", status="draft", revision=1)  # made: not a change
    assert writes_outside_the_store == []
    _assign_from(APP + "engine/somewhere.py", onboarding)
    assert writes_outside_the_store == ["onboarding.status assigned at app/engine/somewhere.py:1",
                                        "onboarding.revision assigned at app/engine/somewhere.py:2"]
    writes_outside_the_store.clear()  # the test's own doing: the fixture would fail it otherwise


def test_the_store_and_the_tests_may_assign() -> None:
    onboarding = Onboarding(id=uuid.uuid4(), vendor="drata", status="draft", revision=1)
    _assign_from(STORE + "repositories/state.py", onboarding)
    onboarding.status = "in_progress"  # set up by a test
    assert writes_outside_the_store == []

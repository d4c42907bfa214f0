"""The progress panel of a running job asks again soon while the run is young (most runs end within
a second or two, and the page should show the end as soon as it is there), then once a second; it
asks again only after its answer came (htmx's load polling), and a finished run reloads the page."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import update

from app.store.base import utcnow
from app.store.models import Job
from app.store.statuses import JobState
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey


def _poll(html: str) -> str | None:
    found = re.search(r'id="progress"[^>]*hx-trigger="([^"]+)"', html)
    return found.group(1) if found else None


def _running_job(j: Journey, oid: uuid.UUID, *, age_seconds: float) -> uuid.UUID:
    job_id = uuid.uuid4()

    async def add() -> None:
        async with j.state.db.session() as session:
            session.add(Job(id=job_id, onboarding_id=oid, kind="verify", state=JobState.running, progress={},
                            created_at=utcnow() - timedelta(seconds=age_seconds), started_at=utcnow()))

    j.run(add)
    return job_id


def _set(j: Journey, job_id: uuid.UUID, **values: object) -> None:
    async def change() -> None:
        async with j.state.db.session() as session:
            await session.execute(update(Job).where(Job.id == job_id).values(**values))

    j.run(change)


def test_a_young_run_is_polled_four_times_a_second_then_once_a_second(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid = j.start("defender-for-identity", j.connect(sandbox_org.demo.admin_token))
    job_id = _running_job(j, oid, age_seconds=0)

    page = j.get(f"/onboardings/{oid}").text
    assert _poll(page) == "load delay:250ms", "the page's panel does not ask soon about a run just started"
    panel = j.get(f"/onboardings/{oid}/progress", headers={"HX-Request": "true"})
    assert _poll(panel.text) == "load delay:250ms"
    assert 'hx-swap="outerHTML"' in panel.text and "HX-Refresh" not in panel.headers

    _set(j, job_id, created_at=utcnow() - timedelta(seconds=30))
    panel = j.get(f"/onboardings/{oid}/progress", headers={"HX-Request": "true"})
    assert _poll(panel.text) == "load delay:1000ms", "a long run is asked about more often than once a second"

    _set(j, job_id, state=JobState.succeeded, finished_at=utcnow())
    panel = j.get(f"/onboardings/{oid}/progress", headers={"HX-Request": "true"})
    assert _poll(panel.text) is None, "a finished run is still polled"
    assert panel.headers.get("HX-Refresh") == "true"
    assert "Verify succeeded." in panel.text


def test_a_rate_limit_wait_counts_down_as_the_panel_asks_again(j: Journey, sandbox_org: SandboxOrg) -> None:
    """QA walk 7, L2: the panel said "waiting 01:00 for Okta's rate limit" for the whole minute."""
    assert sandbox_org.demo is not None
    oid = j.start("defender-for-identity", j.connect(sandbox_org.demo.admin_token))
    job_id = _running_job(j, oid, age_seconds=30)
    now = j.clock.now()
    _set(j, job_id, progress={"step": "Create the role", "waiting": "waiting 01:00 for Okta's rate limit",
                              "waiting_until": now + 60})

    def said() -> str:
        panel = j.get(f"/onboardings/{oid}/progress", headers={"HX-Request": "true"}).text
        found = re.search(r"Waiting for Okta's rate limit: (\d+:\d\d) left", panel)
        return found.group(1) if found else ""

    assert said() == "1:00"
    assert "Waiting for Okta's rate limit: 1:00 left" in j.get(f"/onboardings/{oid}").text
    j.clock.advance(18)
    assert said() == "0:42"
    j.clock.advance(60)
    assert said() == ""  # over: the job goes on

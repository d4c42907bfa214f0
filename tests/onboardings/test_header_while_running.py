"""While a job runs, the onboarding's header says what it does, not the status derived before it
(it read "Blocked" with the last error in red beside a Retry under way: QA walk 11, M5); the
preflight's rate-limit headroom says when it was read; and a "Verifying against Okta." message
is not left above the result once the run has ended (QA walk 11, L6)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from app.store.base import utcnow
from app.store.models import Job
from app.store.statuses import JobState
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey


def _header(page: str) -> str:
    return page.split('<header class="onboarding-head">', 1)[1].split("</header>", 1)[0]


def _defender(j: Journey, sandbox_org: SandboxOrg) -> uuid.UUID:
    assert sandbox_org.demo is not None
    return j.start("defender-for-identity", j.connect(sandbox_org.demo.admin_token))


def test_a_retry_under_way_reads_as_applying_with_the_last_error_as_the_previous_attempts(
        j: Journey, sandbox_org: SandboxOrg) -> None:
    oid = _defender(j, sandbox_org)
    url = f"/onboardings/{oid}"
    sandbox_org.faults.add("server_error", method="POST", path="/api/v1/users", times=4)
    j.plan_and_apply(oid)
    stopped = _header(j.get(url).text)
    assert "pill--blocked" in stopped and "status-note--blocked" in stopped, stopped

    async def retry_under_way() -> None:  # as Retry leaves it: the job runs, the status is the one before
        async with j.state.db.session() as session:
            session.add(Job(onboarding_id=oid, kind="apply", state=JobState.running, started_at=utcnow(),
                            created_at=utcnow() + timedelta(seconds=1),  # the newest: the failed one is older
                            progress={"step": "Create the account", "waiting": "waiting for Okta's rate limit",
                                      "waiting_until": j.clock.now() + 32}))

    j.run(retry_under_way)
    page = j.get(url).text
    header = _header(page)
    assert "pill--blocked" not in header and ">Blocked<" not in header and "status-note--blocked" not in header
    assert re.search(r'<span class="pill pill--in_progress">In progress</span>', header), header
    assert re.search(r'status-note--in_progress" role="status">Applying the confirmed plan\.</p>', header), header
    assert re.search(r"The last attempt stopped here: .*failed", header), header
    assert "The wizard is working in Okta" in page  # the card, which said so already
    # The hand-off summary too (its "Next:" gave the error of the attempt before).
    summary = j.get(f"{url}/summary").text
    assert '<span class="pill pill--in_progress">In progress</span>' in summary and "pill--blocked" not in summary
    assert '<p class="status-note">Now: Applying the confirmed plan.</p>' in summary, summary
    # And the list of onboardings says the same of it (it read "Blocked" there while the run went on).
    row = j.get("/?view=all").text.split(f"/onboardings/{oid}", 1)[1].split("</tr>", 1)[0]
    assert '<span class="pill pill--in_progress">In progress</span>' in row and "pill--blocked" not in row, row
    # The headroom figure is the connection's check's, said so (not this onboarding's: QA walk 27, L10),
    # with when it was read (in the viewer's zone).
    assert re.search(r"left in the window when the connection was checked, <time datetime=\"[^\"]+\" "
                     r'title="[^"]+" class="local-time">', page), page.split('id="preflight-title"', 1)[1][:1500]
    # The rate-limit wait's end is a moment the page localises like the others (static/app.js).
    assert re.search(r'\(until <time datetime="[^"]+" title="[^"]+ UTC" class="local-time">\d\d:\d\d UTC</time>\)',
                     page)


def test_the_page_drawn_after_the_run_ended_drops_its_running_message(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid = _defender(j, sandbox_org)
    url = f"/onboardings/{oid}"
    j.plan_and_apply(oid)
    page = j.get(url).text
    verify = j.form(page, "/verify")
    answer = j.client.post(verify.action.replace("http://testserver", ""), data=verify.data())
    assert answer.status_code == 303
    j.wait_for_jobs()  # the run ended before the page was drawn, as it did in the walk
    page = j.get(answer.headers["location"]).text
    assert re.search(r"<p>Verified <time", page)  # the run's result is on the page
    assert "Verifying against Okta." not in page
    # What was pressed is still said, as done (a run quicker than the page said nothing of it).
    assert "The verification has ended: the checklist below is as Okta answered it." in page


def test_no_plan_is_made_while_a_run_works_in_okta(j: Journey, sandbox_org: SandboxOrg) -> None:
    """"Plan again" was offered beside an apply waiting out Okta's rate limit, and pressed it said
    "The plan could not be made: This org's Okta API calls are close to their limit", nothing of the
    run (QA walk 18, M4). It is not offered while a run works; from a page left open, it is refused
    in words that name the run, and no plan is made."""
    from sqlalchemy import func, select

    from app.store.models import OnboardingPlan as Plan

    oid = _defender(j, sandbox_org)
    url = f"/onboardings/{oid}"
    sandbox_org.faults.add("server_error", method="POST", path="/api/v1/users", times=4)
    j.plan_and_apply(oid)
    left_open = j.get(url).text
    plan_again = j.forms(left_open, "/plan")[0]

    async def run_under_way() -> None:
        async with j.state.db.session() as session:
            session.add(Job(onboarding_id=oid, kind="apply", state=JobState.running, started_at=utcnow(),
                            created_at=utcnow() + timedelta(seconds=1),
                            progress={"step": "Create the account", "waiting": "waiting for Okta's rate limit",
                                      "waiting_until": j.clock.now() + 45}))

    async def plans() -> int:
        async with j.state.db.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(Plan).where(
                Plan.onboarding_id == oid))).scalar_one())

    j.run(run_under_way)
    made = j.run(plans)
    page = j.get(url).text
    assert "Plan again" not in page.split('aria-label="Onboarding actions"', 1)[1].split("</section>", 1)[0]
    refused = j.submit(plan_again)
    said = " ".join(re.sub(r"<[^>]+>", " ", refused.text).split())
    assert "Not planned while a run works in Okta: Applying the confirmed plan. Make the plan again once it has " \
           "stopped" in said
    assert j.run(plans) == made

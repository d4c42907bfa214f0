"""Microsoft Sentinel's unified connector, end to end through the engine against the sandbox Okta:
the read-only service account and its token (proven able to read the System Log), the values to
paste, the Azure and ingestion timers, the System Log checks (recent events, a generated test
event, the backfill preview counted across pages), idempotence and undo."""

from __future__ import annotations

import csv
import html
import io
import math
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.audit import Actor as AuditActor
from app.common.clock import FakeClock
from app.common.validation import ValidationFailed
from app.engine.checks import CheckState
from app.engine.checks.systemlog import SystemLogBackfill
from app.engine.context import Context
from app.engine.scope import Scope
from app.okta.credentials import ApiTokenCredential, static_secret
from app.onboardings import service, timers
from app.onboardings.person_steps import checked_by_okta, needs_person
from app.settings import Settings
from app.store.models import AuditEvent, Onboarding
from app.store.statuses import ONBOARDING_WORDS
from app.vault import Secret
from okta_sandbox import SandboxOrg
from okta_sandbox.domain import roles as sandbox_roles
from okta_sandbox.domain import syslog
from okta_sandbox.domain.actors import Actor as SandboxActor
from tests.harness import Wizard
from tests.page_journeys import Journey, pdf_text
from tests.support import Web, add_operator

VENDOR = "sentinel-unified-connector"
LOGIN = "sentinel-connector@acme.example"


def start(w: Wizard, **inputs: Any) -> uuid.UUID:
    return w.start(VENDOR, w.connect(), workspace_name="sentinel-prod", **inputs)


def start_timer(w: Wizard, oid: uuid.UUID, step: str) -> dict[str, float]:
    async def go() -> dict[str, float]:
        async with w.state.db.session() as session:
            onboarding = await session.get(Onboarding, oid)
            assert onboarding is not None
            timer = await timers.start_timer(session, w.state.library.get(VENDOR), onboarding, step,
                                              w.state.clock.now(), w.actor)
        await w.state.engine.refresh_status(oid)
        return timer

    return w.run(go)


def make_test_event(w: Wizard, oid: uuid.UUID, check_key: str = "recent_events") -> str:
    return w.run(lambda: service.generate_test_event(w.state.engine, oid, check_key, w.actor))


def up_to_the_connector(w: Wizard, oid: uuid.UUID, org: SandboxOrg) -> str:
    w.plan(oid)
    w.apply_ok(oid)
    w.activate_and_paste(oid, "Microsoft Sentinel")
    w.apply_ok(oid)
    return str(w.onboarding(oid).facts["service_account_id"])


def completed(w: Wizard, org: SandboxOrg, clock: FakeClock) -> uuid.UUID:
    """A Sentinel onboarding completed: the connector's 30 minutes waited, every item attested, a
    test event made, verified."""
    oid = start(w)
    up_to_the_connector(w, oid, org)
    start_timer(w, oid, "connect")
    clock.advance(31 * 60)
    w.attest_all(oid)
    make_test_event(w, oid)
    assert w.verify(oid).state == "succeeded"
    assert w.onboarding(oid).status == "completed"
    return oid


def checks(w: Wizard, oid: uuid.UUID) -> dict[str, tuple[str | None, str | None, str | None]]:
    return {c.spec.key: (c.status, c.found, c.remedy)
            for _s, steps in w.view(oid).sections for sv in steps for c in sv.checks}


def snapshot(org: SandboxOrg) -> dict[str, Any]:
    user = org.find_user(LOGIN)
    return {"user": user["status"] if user else None,
            "roles": sorted(r["type"] for r in org.user_roles(user["id"])) if user else [],
            "users": len(org.users), "custom_roles": len(org.custom_roles), "log_streams": len(org.log_streams)}


def events_between(org: SandboxOrg, since: float, until: float) -> int:
    return sum(1 for event in org.events if since <= event.published < until)


class TestEndToEnd:
    def test_complete_onboarding(self, w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
        oid = start(w, azure_roles_just_assigned=True)
        start_timer(w, oid, "azure_propagation")
        fake_clock.advance(15 * 60)
        svc = up_to_the_connector(w, oid, sandbox_org)
        assert sorted(r["type"] for r in sandbox_org.user_roles(svc)) == ["READ_ONLY_ADMIN"]
        user = sandbox_org.find_user(LOGIN)
        assert user is not None and user["profile"]["userType"] == "Service Account"
        onboarding = w.onboarding(oid)
        assert onboarding.facts["service_token_reads_logs"] is True
        created = start_timer(w, oid, "connect")["started"]
        fake_clock.advance(31 * 60)
        w.attest_all(oid)
        # Nothing happened in Okta for half an hour: the wizard makes it log a harmless change.
        make_test_event(w, oid)
        assert w.verify(oid).state == "succeeded"
        onboarding = w.onboarding(oid)
        assert onboarding.status == "completed", onboarding.status_note
        found = checks(w, oid)
        assert found["recent_events"][0] == "passed" and "user.account.update_profile" in (found["recent_events"][1]
                                                                                            or "")
        # Its moment as the page's others are written (it read Okta's raw "2026-12-05T18:46:00.316Z").
        assert re.search(r" at \d{4}-\d\d-\d\d \d\d:\d\d UTC$", found["recent_events"][1] or ""), found["recent_events"]
        expected = events_between(sandbox_org, created - 3600, created)
        assert expected > 0
        assert found["backfill_counted"][0] == "passed"
        assert f"backfills {expected:,} events" in (found["backfill_counted"][1] or "")
        assert found["token_reads_logs"][0] == "passed"
        assert found["ingestion_time_passed"][0] == "passed"
        assert found["azure_roles_propagated"][0] == "passed"
        # The audit report's evidence draws the wait's end as a moment, like the report's other times
        # (it stood in UTC beside them).
        web = Web(w.client)
        assert web.sign_in("ana.admin").status_code == 303
        report = web.get(f"/onboardings/{oid}/report").text
        assert re.search(r'Waited 30 minutes \(until <time datetime="[^"]+" title="[^"]+" class="local-time">'
                         r'\d\d:\d\d UTC</time>\)', report), report

    def test_the_values_to_paste_and_the_azure_wait_only_after_a_new_role(self, w: Wizard,
                                                                           sandbox_org: SandboxOrg) -> None:
        oid = start(w)
        assert "azure_roles_propagated" not in checks(w, oid)
        assert "azure_roles_propagated" in checks(w, start(w, azure_roles_just_assigned=True))
        paste = {sv.step.key: sv.paste for _s, steps in w.view(oid).sections for sv in steps}
        domain = {row.label: row.text for row in paste["name_and_connection"]}["Domain name"]
        assert domain == sandbox_org.base_url.split("://", 1)[1] and "://" not in domain
        api_key_note = next(row.note for row in paste["name_and_connection"] if row.label == "API key")
        assert "no Authorization prefix" in api_key_note
        name = next(row.text for row in paste["name_and_connection"] if row.label == "Connector name")
        assert name == f"Okta ({domain})"
        assert [row[:4] for row in paste["select_products"]] == [("Workspace", "sentinel-prod", "", True)]


class TestTimers:
    def test_ingestion_waits_thirty_minutes_from_the_connector(self, w: Wizard, sandbox_org: SandboxOrg,
                                                                fake_clock: FakeClock) -> None:
        oid = start(w)
        up_to_the_connector(w, oid, sandbox_org)
        # Before Connect, the backfill preview has no creation time to count back from.
        w.verify(oid)
        status, found, remedy = checks(w, oid)["backfill_counted"]
        # Not a failure: nothing went wrong, the person has not started the connector's timer yet.
        assert status == "waiting" and "creation time" in (found or "") and "Start the timer" in (remedy or "")
        start_timer(w, oid, "connect")
        for key in ("workspace_chosen", "azure_roles_held", "connector_created"):  # nothing else to do meanwhile
            _attest(w, oid, key)
        onboarding = w.onboarding(oid)
        assert (onboarding.status, onboarding.waiting_for) == ("waiting", "timer")
        fake_clock.advance(10 * 60)
        w.verify(oid)
        status, found, remedy = checks(w, oid)["ingestion_time_passed"]
        # A running wait is pending, not failed, and the onboarding is not complete while it runs.
        assert status == "waiting" and "20 minutes left" in (found or "") and remedy
        assert w.onboarding(oid).status != "completed"

        async def said() -> str:
            async with w.state.db.sessions() as session:
                return (await session.execute(select(AuditEvent.summary).where(
                    AuditEvent.onboarding_id == oid).order_by(AuditEvent.id.desc()).limit(1))).scalar_one()

        # The trail counts in the page's order: passed, failed, waiting, to attest.
        assert re.fullmatch(r"Verified: \d+ passed, \d+ failed, [1-9]\d* waiting, \d+ to attest", w.run(said))
        fake_clock.advance(20 * 60)
        w.verify(oid)
        assert checks(w, oid)["ingestion_time_passed"][0] == "passed"


    def test_the_card_waits_for_the_first_data_even_once_everything_is_attested(
            self, w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
        """Every other step attested, the card waits for step l's 30 minutes (it said "Every step is
        done; verify again" while the status line said it waited). Step m (the table has Okta's
        events) cannot be seen before them: attesting it is refused until they are up (QA walk 2, M2:
        it was accepted seconds after the connector was made)."""
        oid = start(w)
        up_to_the_connector(w, oid, sandbox_org)
        with pytest.raises(ValidationFailed, match=r"its timer is not started"):
            w.attest(oid, "oktasystemlogs_present")
        until = start_timer(w, oid, "connect")["until"]
        for _step, check in w.state.library.get(VENDOR).checks():
            if check.kind == "attest" and check.key != "oktasystemlogs_present":
                w.attest(oid, check.key)
        with pytest.raises(ValidationFailed, match=r"Not attested: the document asks to wait after step 8 \(Connect"):
            w.attest(oid, "oktasystemlogs_present")
        fake_clock.advance(10 * 60)
        card = w.view(oid).next
        assert card.kind == "wait" and card.title == "Step l: Allow 30 minutes for the first data"
        assert card.until == until and "Nothing to do until the wait ends" in (card.detail or "")
        # The status line names the wait the card names, not the step whose timer it counts (it read
        # "Waiting for the timer of 'Connect, and start the 30-minute timer'": QA walk 16, L3).
        w.run(lambda: w.state.engine.refresh_status(oid))
        assert w.onboarding(oid).status_note == "Waiting: step l, Allow 30 minutes for the first data"
        fake_clock.advance(21 * 60)
        w.run(lambda: w.state.engine.refresh_status(oid))
        assert w.view(oid).next.title == "Step m: The OktaSystemLogs table has Okta's events"
        w.attest(oid, "oktasystemlogs_present")
        w.run(lambda: w.state.engine.refresh_status(oid))
        assert w.view(oid).next.title == "Verify the onboarding"

    def test_a_connector_attested_without_its_timer_leads_back_to_the_timer(
            self, w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
        """Attesting step 8 before starting its timer folded it away as done, and the card looped on
        "Every step is done; verify again" with two checks waiting for a timer nobody could see."""
        oid = start(w)
        up_to_the_connector(w, oid, sandbox_org)
        for _step, check in w.state.library.get(VENDOR).checks():
            if check.kind == "attest" and check.key != "oktasystemlogs_present":
                w.attest(oid, check.key)
        w.verify(oid)
        status, found, remedy = checks(w, oid)["ingestion_time_passed"]
        assert status == "waiting" and "has not been started" in (found or "")
        assert "Start the timer on step 8 (Connect, and start the 30-minute timer)" in (remedy or "")
        view = w.view(oid)
        step = next(sv for _s, steps in view.sections for sv in steps if sv.step.key == "connect")
        assert step.state == "todo" and not step.folds
        assert view.next.kind == "person" and view.next.title == "Step 8: Connect, and start the 30-minute timer"
        # Started: the "not started" finding is not shown as current, and the card waits for the data
        # before asking for the table (step m), which the document says can take 30 minutes.
        start_timer(w, oid, "connect")
        assert checks(w, oid)["ingestion_time_passed"][0] is None
        fake_clock.advance(5 * 60)
        view = w.view(oid)
        assert view.next.kind == "wait" and view.next.title == "Step l: Allow 30 minutes for the first data"
        fake_clock.advance(26 * 60)
        assert w.view(oid).next.title == "Step m: The OktaSystemLogs table has Okta's events"

    def test_a_running_azure_wait_does_not_hold_the_okta_steps(self, w: Wizard, sandbox_org: SandboxOrg,
                                                              fake_clock: FakeClock) -> None:
        """Step b's 15 minutes are Azure's: while they run the card goes on with what is left (it
        offered "Done: check it in Okta" for a wait Okta knows nothing of); once over, it is the
        card's again, to verify."""
        oid = start(w, azure_roles_just_assigned=True)

        def wait_step() -> tuple[bool, bool]:
            view = w.view(oid)
            sv = next(sv for _s, steps in view.sections for sv in steps if sv.step.key == "azure_propagation")
            return needs_person(view, sv), checked_by_okta(view, sv)

        assert wait_step() == (True, False)  # to start: no check to run yet
        start_timer(w, oid, "azure_propagation")
        assert wait_step() == (False, False)  # running: nothing to do but wait
        fake_clock.advance(16 * 60)
        assert wait_step() == (True, True)  # over: verify records it


class TestSystemLog:
    def test_no_recent_event_offers_a_test_event_which_is_audited(self, w: Wizard, sandbox_org: SandboxOrg,
                                                                   fake_clock: FakeClock) -> None:
        oid = start(w)
        svc = up_to_the_connector(w, oid, sandbox_org)
        fake_clock.advance(16 * 60)
        w.verify(oid)
        status, found, remedy = checks(w, oid)["recent_events"]
        assert status == "failed" and "no System Log event" in (found or "")
        assert "Generate a test event" in (remedy or "")
        # Okta's System Log lags the event (the sandbox's is at once): a run right after it may
        # miss it, which both the check's advice and the button's answer say.
        assert "If you just did: Okta's System Log can take up to a minute to show an event, so verify again " \
            "in a minute." in (remedy or "")
        before = len(sandbox_org.events_of("user.account.update_profile"))
        note = make_test_event(w, oid)
        assert LOGIN in note and note.endswith("Verify again to see it (Okta's System Log can take up to a minute "
                                               "to show an event: if the check still finds none, verify again in a "
                                               "minute).")
        updates = sandbox_org.events_of("user.account.update_profile")
        assert len(updates) == before + 1 and updates[-1]["target"][0]["id"] == svc
        assert (sandbox_org.find_user(LOGIN) or {})["profile"]["title"].startswith("Onboarding wizard test event")

        async def audited() -> list[AuditEvent]:
            async with w.state.db.sessions() as session:
                return list((await session.execute(select(AuditEvent).where(
                    AuditEvent.action == "test_event"))).scalars())

        [entry] = w.run(audited)
        assert entry.onboarding_id == oid and entry.subject_id == svc
        # The failure found before the event is not shown as current: the page asks to verify again
        # (it read failed, with the button to generate one, till a run: QA walk 23, L7).
        assert checks(w, oid)["recent_events"][0] != "failed"
        assert w.view(oid).run_outdated
        w.verify(oid)
        assert checks(w, oid)["recent_events"][0] == "passed"

    def test_a_quiet_org_after_the_wait_passes_on_what_the_connector_ingests(
            self, w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
        """QA walk 23, M1: after the document's 30-minute wait the check looked back 15 minutes only, so
        on a quiet org the last attestation's verification always failed ("Drift"), and the watch would
        have read every quiet day as drift. Once the connector exists, the events it ingests count:
        those of the hour before its creation, and since."""
        oid = start(w)
        up_to_the_connector(w, oid, sandbox_org)
        created = start_timer(w, oid, "connect")["started"]
        fake_clock.advance(31 * 60)
        w.attest_all(oid)
        assert w.verify(oid).state == "succeeded"
        status, found, _remedy = checks(w, oid)["recent_events"]
        assert status == "passed", found
        assert w.onboarding(oid).status == "completed"
        assert events_between(sandbox_org, created - 3600, fake_clock.now() - 15 * 60) > 0
        assert events_between(sandbox_org, fake_clock.now() - 15 * 60, fake_clock.now() + 1) == 0  # quiet since
        fake_clock.advance(24 * 3600)  # a quiet day later
        w.verify(oid, "reverify")
        assert checks(w, oid)["recent_events"][0] == "passed"

    def test_a_test_event_needs_a_check_that_offers_one(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        oid = start(w)
        with pytest.raises(ValidationFailed, match="Create the service account first"):
            make_test_event(w, oid)
        with pytest.raises(ValidationFailed, match="cannot generate a test event"):
            make_test_event(w, oid, "token_verified")

    def test_the_backfill_count_follows_every_page_and_reads_once(
            self, w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
        someone = SandboxActor("00u1someone0000000000", "User", "someone@acme.example", "Some One")
        for _ in range(23):
            syslog.record(sandbox_org, someone, "user.session.start", "User login to Okta")
            fake_clock.advance(60)
        created = fake_clock.now()
        fake_clock.advance(5 * 60)
        syslog.record(sandbox_org, someone, "user.session.start", "After the connector: not backfilled")
        expected = events_between(sandbox_org, created - 3600, created)
        assert expected >= 23
        w.connect()
        progress: list[str] = []

        async def evaluate() -> list[Any]:
            org = w.state.gateway.org(sandbox_org.base_url)
            demo = sandbox_org.demo
            assert demo is not None
            async with w.state.gateway.client(org, ApiTokenCredential(static_secret(Secret(demo.admin_token))),
                                              actor=AuditActor.system("test")) as okta:
                ctx = Context(okta=okta, scope=Scope(facts={"timer_connect": {"started": created}}),
                              clock=fake_clock)

                async def record(message: str, **_: Any) -> None:
                    progress.append(message)

                ctx.progress = record
                check = SystemLogBackfill("backfill", {"timer_step": "connect", "page_size": 7})
                first = await check.evaluate(ctx, CheckState())
                again = await check.evaluate(ctx, CheckState())
                return [first, again]

        first, again = w.run(evaluate)
        assert first.status == "passed" and first.evidence["count"] == expected
        assert first.evidence["pages"] == math.ceil(expected / 7) == len(progress)
        assert f"{expected} events" in first.found and "user.session.start (23)" in first.found
        assert again.evidence == first.evidence and len(progress) == math.ceil(expected / 7)
        # Counted five minutes after the window closed: kept, and said again without a read.
        kept = first.facts["backfill_counted"]
        assert (kept["count"], kept["created"]) == (expected, created)

        async def once_kept() -> Any:
            org = w.state.gateway.org(sandbox_org.base_url)
            demo = sandbox_org.demo
            assert demo is not None
            async with w.state.gateway.client(org, ApiTokenCredential(static_secret(Secret(demo.admin_token))),
                                              actor=AuditActor.system("test")) as okta:
                ctx = Context(okta=okta, scope=Scope(facts={"timer_connect": {"started": created},
                                                            "backfill_counted": kept}), clock=fake_clock)

                async def no_page(message: str, **_: Any) -> None:
                    raise AssertionError(f"the kept count was read again: {message}")

                ctx.progress = no_page
                return await SystemLogBackfill("backfill", {"timer_step": "connect", "page_size": 7}).evaluate(
                    ctx, CheckState())

        fake_clock.advance(91 * 86_400)  # Okta no longer keeps the window: the kept count still stands
        said = w.run(once_kept)
        assert said.status == "passed" and said.found.startswith(first.found + " (counted ")
        assert said.evidence["count"] == expected

    def test_a_completed_connector_s_backfill_is_no_drift_once_okta_let_its_window_go(
            self, w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
        """Ninety days after the connector was made, the backfill preview failed ("older than the 90
        days Okta keeps"): the watch would raise drift on every completed Sentinel onboarding."""
        oid = completed(w, sandbox_org, fake_clock)
        counted = checks(w, oid)["backfill_counted"]
        assert counted[0] == "passed" and "backfill" in (counted[1] or "")
        # Re-verified as the watch does, so the connection's token is in use: unused for 30 days, Okta
        # lets it expire and a run stops on the refused credential.
        for _ in range(4):
            fake_clock.advance(23 * 86_400)
            assert w.verify(oid, "reverify").state == "succeeded"
        status, found, _remedy = checks(w, oid)["backfill_counted"]
        assert status == "passed" and (found or "").startswith(f"{counted[1]} (counted "), found

    def test_a_token_that_cannot_read_the_log_fails_its_check(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        oid = start(w)
        w.plan(oid)
        w.apply_ok(oid)
        svc = str(w.onboarding(oid).facts["service_account_id"])
        [assignment] = sandbox_roles.assignments_of(sandbox_org, svc)
        sandbox_roles.unassign(sandbox_org, sandbox_org.users[svc], assignment, None)
        w.activate_and_paste(oid, "Microsoft Sentinel")
        assert w.onboarding(oid).facts["service_token_reads_logs"] is False
        w.verify(oid)
        status, found, _remedy = checks(w, oid)["token_reads_logs"]
        assert status == "failed" and "403" in (found or "")


class TestIdempotenceAndUndo:
    def test_applying_again_writes_nothing_and_undo_leaves_the_org_as_it_was(self, w: Wizard,
                                                                              sandbox_org: SandboxOrg) -> None:
        before = snapshot(sandbox_org)
        oid = start(w)
        up_to_the_connector(w, oid, sandbox_org)
        after, events = snapshot(sandbox_org), len(sandbox_org.events)
        assert after != before
        w.plan(oid)
        w.apply_ok(oid)
        assert snapshot(sandbox_org) == after
        assert sandbox_org.events[events:] == []
        assert w.job(oid, "undo").state == "succeeded"
        assert snapshot(sandbox_org) == before


class TestWorkspace:
    def test_the_workspace_is_written_before_its_step_is_attested(self, w: Wizard) -> None:
        """Step 1-3 (choose the workspace) could be attested with no workspace written: it read as done,
        and step 6-7's Workspace said "Known once the earlier steps are done"."""
        oid = w.start(VENDOR, w.connect())
        paste = {sv.step.key: sv.paste for _s, steps in w.view(oid).sections for sv in steps}
        assert paste["select_products"][0].text == ("Written at step 1-3 (Settings > Microsoft Sentinel: "
                                                    "choose the workspace)")
        with pytest.raises(ValidationFailed, match=r"“Sentinel workspace for Okta” is empty\. Write it on step 1-3"):
            w.attest(oid, "workspace_chosen")
        assert next(sv for _s, steps in w.view(oid).sections for sv in steps
                    if sv.step.key == "choose_workspace").state == "todo"

    def test_a_value_to_copy_is_not_said_to_be_done_through_the_okta_api(self, w: Wizard) -> None:
        """Step h (the domain, without https://) read "The wizard, through the Okta API"."""
        steps = {sv.step.key: sv for _s, svs in w.view(start(w)).sections for sv in svs}
        assert steps["domain_name"].actor_label == "Shown by the wizard (no Okta call)"
        assert steps["create_account"].actor_label == "The wizard, through the Okta API"


def test_the_card_for_connect_names_the_connector_pages_before_it(w: Wizard, sandbox_org: SandboxOrg) -> None:
    """The card went from the roles straight to step 8's "Select Connect", without the values to
    enter, which steps 5 and 6-7 (guides the card never leads to) hold."""
    oid = start(w)
    up_to_the_connector(w, oid, sandbox_org)
    for _step, check in w.state.library.get(VENDOR).checks():
        if check.kind == "attest" and check.key not in ("connector_created", "oktasystemlogs_present"):
            w.attest(oid, check.key)
    card = w.view(oid).next
    assert card.title == "Step 8: Connect, and start the 30-minute timer"
    assert card.detail == ("In “Configure an Okta connector to a Sentinel workspace”. Steps 1-4, 5 and 6-7 come "
                           "first: they are in this card, above it.")
    # With the values Connect needs (they were in steps below the card: QA walk 8, M2).
    assert [sv.step.number for sv in card.before] == ["1-4", "5", "6-7"]
    assert {row.label for sv in card.before for row in sv.paste} >= {"Domain name", "API key", "Workspace"}


class TestTheCardsOrderInThePrerequisites:
    def test_a_wait_the_connector_needs_is_started_before_the_token(self, w: Wizard, sandbox_org: SandboxOrg,
                                                                    fake_clock: FakeClock) -> None:
        """Azure's 15-minute wait after a role is assigned holds the connector's steps: the card led to
        step e (the token) before 1-3, a and b, so the wait started only after the token (QA walk 10, L4)."""
        oid = start(w, azure_roles_just_assigned=True)
        w.plan(oid)
        w.apply_ok(oid)
        assert w.view(oid).next.title == "Step 1-3: Settings > Microsoft Sentinel: choose the workspace"
        w.attest(oid, "workspace_chosen")
        assert w.view(oid).next.step.step.key == "azure_roles"
        w.attest(oid, "azure_roles_held")
        assert w.view(oid).next.title == "Step b: Wait 15 minutes after assigning a role"
        start_timer(w, oid, "azure_propagation")
        card = w.view(oid).next
        assert card.title == "Step e: Sign in as the service account"  # while the wait runs
        # And how long it has left (QA walk 12, L1).
        assert card.meanwhile == "b" and card.until == fake_clock.now() + 15 * 60
        web = Web(w.client)
        assert web.sign_in("ana.admin").status_code == 303
        assert re.search(r"Meanwhile the wait of step b runs until <time[^>]*>[^<]+</time> "
                         r"\(<span class=\"minutes-left\"[^>]*>15 min left</span>\)\.",
                         web.get(f"/onboardings/{oid}").text)
        # The header agrees with the card: it said "Waiting for a timer" beside "Step e" (QA walk 10, L3).
        onboarding = w.onboarding(oid)
        assert (onboarding.waiting_for, onboarding.status_note) == (
            "service_token", "Waiting for the service account's token: the account's own steps, up to and including "
                             "step g of “Prerequisites” (Copy the token value); the wait of step b runs meanwhile")

    def test_without_a_wait_the_prerequisites_still_come_first_and_the_line_agrees(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        """The card said "Steps 1-3 and a can wait" for the token, and the line "Waiting for the
        service account's token": step a may find a role missing, whose 15-minute wait then started
        only after the token (QA walk 12, M2, L1). The document's prerequisites come first."""
        oid = start(w)
        w.plan(oid)
        w.apply_ok(oid)
        card = w.view(oid).next
        assert card.title == "Step 1-3: Settings > Microsoft Sentinel: choose the workspace"
        assert w.onboarding(oid).status_note == ("Waiting for attestation: Settings > Microsoft Sentinel: choose the "
                                                 "workspace")
        _attest(w, oid, "workspace_chosen")
        assert w.view(oid).next.step.step.key == "azure_roles"
        assert w.onboarding(oid).status_note == ("Waiting for attestation: Log Analytics Contributor and Microsoft "
                                                 "Sentinel Contributor")
        _attest(w, oid, "azure_roles_held")  # no role assigned just now: no wait
        assert w.view(oid).next.title == "Step e: Sign in as the service account"
        assert w.onboarding(oid).waiting_for == "service_token"

    def test_a_wait_started_before_its_attestations_leaves_them_the_persons_meanwhile(
            self, w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
        """Step b's wait started at once: the token comes first while it runs, then the attestations
        before it; the line said "Waiting for a timer" beside a card at step 1-3 (QA walk 12, L1)."""
        oid = start(w, azure_roles_just_assigned=True)
        w.plan(oid)
        w.apply_ok(oid)
        start_timer(w, oid, "azure_propagation")
        assert w.view(oid).next.step.step.key == "activate_account"
        assert w.onboarding(oid).waiting_for == "service_token"
        w.activate_and_paste(oid, "Microsoft Sentinel")
        w.apply_ok(oid)
        assert w.view(oid).next.step.step.key == "choose_workspace"
        assert w.onboarding(oid).status_note == ("Waiting for attestation: Settings > Microsoft Sentinel: choose the "
                                                 "workspace")


def _attest(w: Wizard, oid: uuid.UUID, key: str) -> None:
    """An attestation as its button gives it: the status line follows."""
    w.attest(oid, key)
    w.run(lambda: w.state.engine.refresh_status(oid))


class TestTheAccountsStepsOnceTheTokenIsPasted:
    def test_are_done_and_counted_as_the_token_shows_until_a_verification_reads_them(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        """Steps e and f (sign in as the account, create its token) read "to do" after the paste,
        with the count "3 of 8 done" and nothing saying why (QA walk 10, M5); then "to do" beside
        "Done, as the token you pasted shows", uncounted until a verification (QA walk 14): they are
        done and counted, the page saying the token shows it and the next verification reads Okta."""
        web = Web(w.client)
        web.sign_in("ana.admin")
        oid = start(w)
        w.plan(oid)
        w.apply_ok(oid)
        hint = "Done, as the token you pasted shows"
        assert hint not in web.get(f"/onboardings/{oid}").text  # before the paste nothing shows they happened
        w.activate_and_paste(oid, "Microsoft Sentinel")
        page = web.get(f"/onboardings/{oid}").text
        for key in ("activate_account", "create_token"):
            step = page.split(f'id="step-{key}"', 1)[1].split('id="step-', 1)[0]
            assert hint in step, key
            assert '<span class="pill pill--step-done">done</span>' in step and "to do" not in step, step
        assert page.count(hint) == 2  # not on the token step itself, done already
        assert 'Prerequisites</a> <span class="hint">5 of 7 done</span>' in " ".join(page.split())
        w.verify(oid)
        assert hint not in web.get(f"/onboardings/{oid}").text  # Okta read by the verification: nothing left to say

    def test_the_token_step_says_to_keep_the_value_until_the_connector_takes_it(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        """Okta shows a token's value once and the wizard forgets it at step g, while the connector
        needs it at step 5, four steps on: nothing said so (QA walk 10, H3)."""
        web = Web(w.client)
        web.sign_in("ana.admin")
        oid = start(w)
        w.plan(oid)
        w.apply_ok(oid)
        keep = ("Keep the token's value until step 5 of “Configure an Okta connector to a Sentinel workspace” "
                "(Name and connection details), where you paste it into the vendor's console: Okta shows it only once")
        step_g = web.get(f"/onboardings/{oid}").text.split('id="step-copy_token"', 1)[1].split('id="step-', 1)[0]
        assert keep in step_g
        assert "paste that one here." in step_g
        w.activate_and_paste(oid, "Microsoft Sentinel")
        assert "paste that one here again." in web.get(f"/onboardings/{oid}").text  # lost after the paste


def _card(page: str) -> str:
    """The next-step card of an onboarding's page, as its text reads (its tags dropped)."""
    card = page[page.index('id="next-step"'):page.index('<nav class="next-step__progress"')]
    return " ".join(re.sub(r"<[^>]+>", " ", card).split())


class TestWaitsBeforeProceeding:
    def test_the_azure_wait_holds_the_connector_until_it_ends(self, w: Wizard, sandbox_org: SandboxOrg,
                                                            fake_clock: FakeClock) -> None:
        """"Allow 15 minutes for the changes to propagate before proceeding": while step b's wait ran,
        the card said "Step 8: Connect, and start the 30-minute timer", and its timer and attestation
        were taken, so the connector was made before the Azure role held (QA walk 10, H1)."""
        oid = start(w, azure_roles_just_assigned=True)
        up_to_the_connector(w, oid, sandbox_org)
        w.attest(oid, "workspace_chosen")
        w.attest(oid, "azure_roles_held")
        # Ticked, not started: the wait is still to come.
        with pytest.raises(ValidationFailed, match=r"^Timer not started: the document asks to wait after step b "
                                                   r"\(Wait 15 minutes after assigning a role\) before going on, "
                                                   r"and its timer is not started"):
            start_timer(w, oid, "connect")
        until = start_timer(w, oid, "azure_propagation")["until"]
        fake_clock.advance(5 * 60)
        card = w.view(oid).next
        assert (card.kind, card.title, card.until) == ("wait", "Step b: Wait 15 minutes after assigning a role", until)
        ends = re.escape(datetime.fromtimestamp(until, UTC).strftime("%Y-%m-%d %H:%M UTC"))
        with pytest.raises(ValidationFailed, match=rf"^Timer not started: the document asks to wait after step b "
                                                   rf"\(Wait 15 minutes after assigning a role\) before going on; "
                                                   rf"the wait ends at {ends}\. Start the timer then\."):
            start_timer(w, oid, "connect")
        with pytest.raises(ValidationFailed, match=r"^Not attested: the document asks to wait after step b .* before "
                                                   rf"going on; the wait ends at {ends}"):
            w.attest(oid, "connector_created")
        web = Web(w.client)
        assert web.sign_in("ana.admin").status_code == 303
        url = f"/onboardings/{oid}"
        page = web.get(url).text
        card_text = _card(page)
        assert "Step b: Wait 15 minutes after assigning a role" in card_text and "Step 8" not in card_text
        assert "The document asks to let this wait pass before going on with “Configure an Okta connector to a " \
               "Sentinel workspace”. Nothing to do until it ends." in card_text
        assert "Waiting until" in card_text and "10 min left" in card_text
        # Step 8 says why, instead of offering its timer and its attestation.
        assert f"/onboardings/{oid}/timers/connect" not in page
        assert f"/onboardings/{oid}/attest/connector_created" not in page
        assert "To start this timer, wait: the document asks to wait after step b (Wait 15 minutes after assigning " \
               "a role) before going on; the wait ends" in page
        assert "To attest this, wait: the document allows time after step b (Wait 15 minutes after assigning a " \
               "role) before going on; the wait ends" in page
        refused = web.post(f"{url}/timers/connect", {}, page=url)
        assert refused.status_code == 400 and "Timer not started: the document asks to wait after step b" in \
            refused.text
        assert "timer_connect" not in w.onboarding(oid).facts
        # Over: once verified (the wait recorded), the card goes on to the connector, whose timer starts.
        fake_clock.advance(10 * 60)
        assert f"/onboardings/{oid}/timers/connect" in web.get(url).text
        w.verify(oid)
        assert w.view(oid).next.title == "Step 8: Connect, and start the 30-minute timer"
        assert start_timer(w, oid, "connect")["until"] == fake_clock.now() + 30 * 60

    def test_no_role_assigned_holds_nothing(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        """The 15 minutes are asked for only once a role was assigned just now."""
        oid = start(w)
        up_to_the_connector(w, oid, sandbox_org)
        start_timer(w, oid, "connect")
        w.attest(oid, "connector_created")

    def test_the_connector_timer_waits_for_the_token(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        """Step 8's timer, the connector's creation time the backfill preview counts from, could be
        started before any token existed, while its attestation said to paste the token first (QA
        walk 10, M6)."""
        oid = start(w)
        w.to_the_token(oid)
        with pytest.raises(ValidationFailed, match=r"^Timer not started: the vendor needs the service account's "
                                                   r"token for this, and no token is verified yet\. Make it as the "
                                                   r"account and paste it on step g \(Copy the token value\) first, "
                                                   r"then start the timer\."):
            start_timer(w, oid, "connect")
        web = Web(w.client)
        assert web.sign_in("ana.admin").status_code == 303
        page = web.get(f"/onboardings/{oid}").text
        assert f"/onboardings/{oid}/timers/connect" not in page
        assert "To start this timer, first paste the service account's token on step g (Copy the token value): " \
               "the vendor needs it for this." in page
        w.activate_and_paste(oid, "Microsoft Sentinel")
        w.apply_ok(oid)
        assert f"/onboardings/{oid}/timers/connect" in web.get(f"/onboardings/{oid}").text
        start_timer(w, oid, "connect")


def _at_the_connector(w: Wizard, sandbox_org: SandboxOrg, *, azure_minutes_ago: int) -> tuple[Any, Web, str]:
    """A Sentinel onboarding signed in on its page, the Azure role's wait declared begun
    ``azure_minutes_ago``, up to the connector made with the token: (onboarding, browser, page)."""
    oid = start(w, azure_roles_just_assigned=True)
    web = Web(w.client)
    assert web.sign_in("ana.admin").status_code == 303
    url = f"/onboardings/{oid}"
    web.post(f"{url}/timers/azure_propagation", {"minutes_ago": str(azure_minutes_ago)}, page=url,
             follow_redirects=True)
    up_to_the_connector(w, oid, sandbox_org)
    return oid, web, url


class TestDeclaredWaits:
    def test_a_wait_declared_begun_earlier_is_a_persons_word_in_the_record(
            self, w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
        """Both timers started "begun N minutes ago": the report, the PDF and checklist.csv said
        "Passed — Waited 30 minutes" with nobody named, of an onboarding done in 2 minutes; and the
        page said "Timer started: 0 minutes left." (QA walk 10, H2 and L2)."""
        oid = start(w, azure_roles_just_assigned=True)
        web = Web(w.client)
        assert web.sign_in("ana.admin").status_code == 303
        url = f"/onboardings/{oid}"
        started = web.post(f"{url}/timers/azure_propagation", {"minutes_ago": "15"}, page=url, follow_redirects=True)
        assert "Timer started, counted from 15 minutes ago: the 15-minute wait is already over." in started.text
        assert "0 minutes left" not in started.text
        up_to_the_connector(w, oid, sandbox_org)
        fake_clock.advance(30 * 60)  # the connector was made with the token half an hour ago
        declared = fake_clock.now()
        web.post(f"{url}/timers/connect", {"minutes_ago": "30"}, page=url, follow_redirects=True)
        w.attest_all(oid)
        make_test_event(w, oid)
        assert w.verify(oid).state == "succeeded"
        assert w.onboarding(oid).status == "completed"
        at = datetime.fromtimestamp(declared, UTC).strftime("%Y-%m-%d %H:%M UTC")
        report = web.get(f"{url}/report").text
        assert "Waited 30 minutes" not in report and "Waited 15 minutes" not in report
        assert re.search(r"Declared begun 30 minutes before by Ana\.Admin \(ana\.admin\) at <time [^>]+>[^<]+</time>; "
                         r"the wizard measured 0 minutes of the 30 \(until <time", report), report
        rows = {r["item"]: r for r in csv.DictReader(io.StringIO(web.get(f"{url}/checklist.csv").text))}
        wait = rows["30 minutes have passed since the connector was created"]
        assert wait["evidence"].startswith(f"Declared begun 30 minutes before by Ana.Admin (ana.admin) at {at}; the "
                                           "wizard measured 0 minutes of the 30"), wait
        assert wait["attested_by"] == "Ana.Admin (ana.admin)" and wait["attested_at"].startswith(
            datetime.fromtimestamp(declared, UTC).strftime("%Y-%m-%dT%H:%M"))
        assert rows["15 minutes have passed since the roles were assigned"]["attested_by"] == "Ana.Admin (ana.admin)"
        pdf = " ".join(pdf_text(web.get(f"{url}/report.pdf").content).split())
        assert "Declared begun 30 minutes before by Ana.Admin (ana.admin)" in pdf and "Waited 30 minutes" not in pdf

    def test_a_wait_cannot_be_declared_begun_before_the_token_it_needs(
            self, w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
        """QA walk 20, M2: the connector, made with the service account's token, was declared made five
        hours before, minutes after the token was: the backfill preview counted from then, and the
        record said the 30 minutes had passed in an onboarding of four."""
        oid, web, url = _at_the_connector(w, sandbox_org, azure_minutes_ago=15)
        fake_clock.advance(4 * 60)
        made = datetime.fromtimestamp(fake_clock.now() - 4 * 60, UTC).strftime("%Y-%m-%d %H:%M UTC")
        refused = web.post(f"{url}/timers/connect", {"minutes_ago": "300"}, page=url)
        assert refused.status_code == 400
        said = re.sub(r"<[^>]+>", "", html.unescape(refused.text))
        assert (f"It cannot have begun before Okta made the service account's token, {made}: give at most 4 "
                "minutes, or leave it empty to start the wait now.") in said, said
        assert "timer_connect" not in (w.onboarding(oid).facts or {})
        started = web.post(f"{url}/timers/connect", {"minutes_ago": "4"}, page=url, follow_redirects=True)
        assert "Timer started: 26 minutes left." in started.text, started.text

    def test_a_wait_started_now_is_never_refused_when_oktas_clock_is_ahead(
            self, w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
        """The token's moment is Okta's clock: ten minutes ahead of this server's, a wait started now
        (or declared begun 0 minutes ago) is still started now; one declared earlier is refused."""
        oid, web, url = _at_the_connector(w, sandbox_org, azure_minutes_ago=60)
        fake_clock.advance(-10 * 60)  # Okta made the token "ten minutes from now", as this server counts
        refused = web.post(f"{url}/timers/connect", {"minutes_ago": "5"}, page=url)
        said = re.sub(r"<[^>]+>", "", html.unescape(refused.text))
        assert refused.status_code == 400 and "give at most 0 minutes" in said, said
        for ago in ("0", ""):
            started = web.post(f"{url}/timers/connect", {"minutes_ago": ago}, page=url, follow_redirects=True)
            assert "Timer started: 30 minutes left." in started.text, started.text
            assert float(w.onboarding(oid).facts["timer_connect"]["started"]) == fake_clock.now()

    def test_the_page_names_who_declared_a_wait_as_it_names_people(self, w: Wizard, settings: Settings) -> None:
        """The page's finding read "Declared begun 15 minutes before by bea.admin" where the report
        read "by Beatriz Lopes (bea.admin)": the page names people by name (its attestations too). A
        wait begun hours before is said in hours ("120 minutes before" read as a count to redo)."""
        add_operator(settings, "bea.admin", "admin", display_name="Beatriz Lopes")
        oid = start(w, azure_roles_just_assigned=True)
        web = Web(w.client)
        assert web.sign_in("bea.admin").status_code == 303
        url = f"/onboardings/{oid}"
        web.post(f"{url}/timers/azure_propagation", {"minutes_ago": "120"}, page=url, follow_redirects=True)
        w.verify(oid)
        page = web.get(url).text
        found = re.search(r"Found: Declared begun 2 hours before by ([^<]+?) at <time", page)
        assert found and found.group(1) == "Beatriz Lopes", page
        assert "bea.admin" not in page
        assert "Declared begun 2 hours before by Beatriz Lopes (bea.admin) at" in web.get(f"{url}/report").text

    def test_the_report_gives_the_name_of_the_token_verified_not_only_the_one_proposed(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        """"Values given" kept the proposed name after the person's token, named otherwise, was
        verified: an auditor read the name of a token that does not exist (QA walk 10, L6)."""
        web = Web(w.client)
        web.sign_in("ana.admin")
        oid = start(w)
        w.plan(oid)
        w.apply_ok(oid)
        w.activate_and_paste(oid, "Sentinel connector key")
        values = web.get(f"/onboardings/{oid}/report").text.split('given-values">', 1)[1].split("</table>", 1)[0]
        assert ('<td data-label="Given">Sentinel connector key (the token verified; the name proposed was Microsoft '
                'Sentinel)</td>') in values


def test_a_workspace_address_is_not_taken_for_its_name(j: Journey) -> None:
    """QA walk 23, L6: a whole Azure portal address was saved as the workspace and offered to paste."""
    assert j.org.demo is not None
    oid = j.start(VENDOR, j.connect(j.org.demo.admin_token))
    [form] = j.forms(j.get(f"/onboardings/{oid}").text, "/inputs")
    refused = j.post_form(form, {"at": "choose_workspace",
                                 "input_workspace_name": "https://portal.azure.com/#@acme/resource/x"})
    assert refused.status_code == 400
    assert "not its address" in refused.text and not j.onboarding(oid).inputs.get("workspace_name")
    j.save_values(oid, "choose_workspace", workspace_name="sentinel-prod")
    assert j.onboarding(oid).inputs["workspace_name"] == "sentinel-prod"


def test_restarting_a_completed_onboardings_wait_asks_first(w: Wizard, sandbox_org: SandboxOrg,
                                                           fake_clock: FakeClock) -> None:
    """"Restart the 30-minute timer" inside the done connector step reopened the completed
    onboarding at one press (QA walk 23, L1): the restart asks for a ticked box, and a refusal opens
    the step with its reason."""
    oid = completed(w, sandbox_org, fake_clock)
    web = Web(w.client)
    assert web.sign_in("ana.admin").status_code == 303
    url = f"/onboardings/{oid}"
    # The Azure wait, no role assigned just now: the auditor's checklist says it was not needed, not
    # that a person did it (QA walk 25, M1).
    rows = list(csv.DictReader(io.StringIO(web.get(f"{url}/checklist.csv").text)))
    wait = next(r for r in rows if r["step"] == "b Wait 15 minutes after assigning a role")
    assert (wait["item"], wait["result"], wait["kind"]) == ("Not needed here", "Not needed", "not_needed"), wait
    page = web.get(url).text
    assert "Reopen the completed onboarding: the checks that count from this wait wait again" in page
    refused: Any = web.post(f"{url}/timers/connect", page=url)
    assert refused.status_code == 400
    assert "Tick the box to restart the wait: this reopens the completed onboarding" in refused.text
    step = refused.text.split('id="step-connect"', 1)[1].split('id="step-', 1)[0]
    assert '<details class="step__fold" open>' in step and 'id="reopen-connect-error"' in step
    assert w.onboarding(oid).status == "completed"
    # Ticked, with minutes refused: the tick is kept for the next press (QA walk 25, L2).
    minutes: Any = web.post(f"{url}/timers/connect", {"reopen": "yes", "minutes_ago": "100000"}, page=url)
    assert minutes.status_code == 400 and 'name="reopen" value="yes" checked' in minutes.text
    restarted: Any = web.post(f"{url}/timers/connect", {"reopen": "yes"}, page=url)
    assert restarted.status_code == 303
    assert w.onboarding(oid).status != "completed"
    # What counted from the old wait is not shown as current till a run (the card read
    # "Waiting until ..." beside "passed: Waited 30 minutes": QA walk 25, M3).
    now = checks(w, oid)
    assert now["ingestion_time_passed"][0] != "passed", now["ingestion_time_passed"]
    assert w.view(oid).run_outdated
    # The report's "Completed" says what it is since (it read as still completed: QA walk 25, M2).
    header = web.get(f"{url}/report").text.split("<dt>Completed</dt>", 1)[1].split("</dd>", 1)[0]
    assert f"(since then: {ONBOARDING_WORDS[w.onboarding(oid).status]})" in header, header

"""Oort, end to end through the engine against the sandbox Okta: both setups (read-only,
read/write), the Identity Engine or Classic advice for the Advanced tab, the User Schema box
proven with the service account's token, the EventBridge log stream (its values given late, its
validation, conflicts, retries after failures), idempotence and undo."""

from __future__ import annotations

import html
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.common.clock import FakeClock
from app.common.validation import ValidationFailed
from app.engine.engine import STALE_CONFIRMED, EngineError
from app.engine.kinds import KINDS
from app.onboardings import service
from app.playbooks.loader import VENDOR_DIR, PlaybookError, load_file
from app.store.models import Onboarding
from okta_sandbox import SandboxOrg, seed_demo_org
from okta_sandbox.domain import roles as sandbox_roles
from tests.harness import Wizard
from tests.support import Web

VENDOR = "oort"
LOGIN = "oort-service-account@acme.example"
ROLE_LABEL = "Oort Remediation"
PRESET = {"okta.users.read", "okta.users.userprofile.manage", "okta.users.lifecycle.suspend",
          "okta.users.lifecycle.unsuspend", "okta.users.lifecycle.clearSessions",
          "okta.users.groupMembership.manage", "okta.groups.members.manage"}
AWS = {"aws_account_id": "123456789012", "event_source_name": "oort-acme-okta_events",
       "aws_region": "us-east-2"}
STREAM_SETTINGS = {"accountId": "123456789012", "eventSourceName": "oort-acme-okta_events",
                   "region": "us-east-2"}


@pytest.fixture
def pipeline() -> str:
    return "idx"


@pytest.fixture
def sandbox_org(fake_clock: FakeClock, pipeline: str) -> SandboxOrg:
    """The demo org, on Identity Engine unless a test parametrises ``pipeline``."""
    org = SandboxOrg(clock=fake_clock, pipeline=pipeline)
    seed_demo_org(org)
    return org


def start(w: Wizard, **inputs: Any) -> uuid.UUID:
    return w.start(VENDOR, w.connect(), **inputs)


def finish(w: Wizard, oid: uuid.UUID, org: SandboxOrg) -> str:
    """Plan, apply, activate, paste the token, apply again, attest, verify."""
    w.plan(oid)
    w.apply_ok(oid)
    w.activate_and_paste(oid, "Oort")
    w.apply_ok(oid)
    w.attest_all(oid)
    assert w.verify(oid).state == "succeeded"
    return str(w.onboarding(oid).facts["service_account_id"])


def steps_shown(w: Wizard, oid: uuid.UUID) -> set[str]:
    return {sv.step.key for _section, steps in w.view(oid).sections for sv in steps}


def checks(w: Wizard, oid: uuid.UUID) -> dict[str, tuple[str | None, str | None]]:
    return {c.spec.key: (c.status, c.found) for _s, steps in w.view(oid).sections for sv in steps for c in sv.checks}


def role_types(org: SandboxOrg, user_id: str) -> list[str]:
    return sorted(r["type"] for r in org.user_roles(user_id))


def snapshot(org: SandboxOrg) -> dict[str, Any]:
    user = org.find_user(LOGIN)
    return {"user": user["status"] if user else None,
            "roles": role_types(org, user["id"]) if user else [],
            "custom_roles": sorted(r.label for r in org.custom_roles),
            "resource_sets": sorted(r.label for r in org.resource_sets),
            "log_streams": sorted((s.name, tuple(sorted(s.settings.items()))) for s in org.log_streams)}


def save_inputs(w: Wizard, oid: uuid.UUID, step: str, values: dict[str, str]) -> None:
    async def go() -> None:
        async with w.state.db.session() as session:
            onboarding = await session.get(Onboarding, oid)
            assert onboarding is not None
            playbook = w.state.library.get(VENDOR)
            await service.save_inputs(session, playbook, onboarding, values, playbook.step(step).inputs, w.actor)

    w.run(go)


class TestReadOnly:
    def test_read_only_setup_ends_with_exactly_read_only_administrator_then_reapply_writes_nothing(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        oid = start(w, **AWS)
        svc = finish(w, oid, sandbox_org)
        assert role_types(sandbox_org, svc) == ["READ_ONLY_ADMIN"]
        user = sandbox_org.find_user(LOGIN)
        assert user is not None
        assert user["profile"]["userType"] == "Service Account"
        assert "Service Account" in f"{user['profile']['firstName']} {user['profile']['lastName']}"
        assert not sandbox_org.custom_roles and not sandbox_org.resource_sets
        [stream] = list(sandbox_org.log_streams)
        assert (stream.name, stream.type, stream.status, stream.settings) == (
            "Oort", "aws_eventbridge", "ACTIVE", STREAM_SETTINGS)
        onboarding = w.onboarding(oid)
        assert onboarding.status == "completed", onboarding.status_note
        # Read-Only Administrator may not read the user schema: proven with the token, box left unticked.
        assert onboarding.facts["service_token_reads_schema"] is False
        shown = steps_shown(w, oid)
        assert "schema_box_leave" in shown and "schema_box_tick" not in shown
        assert checks(w, oid)["token_refused_schema"][0] == "passed"
        # The read/write steps are not part of this setup.
        assert not {"assign_help_desk", "create_custom_role", "copy_token_read_write"} & shown
        # This org runs Identity Engine: tick the four boxes (and the check proves the engine).
        assert "advanced_identity_engine" in shown and "advanced_classic" not in shown
        assert checks(w, oid)["engine_is_identity_engine"][0] == "passed"
        # Applying again writes nothing.
        events = len(sandbox_org.events)
        w.plan(oid)
        w.apply_ok(oid)
        assert sandbox_org.events[events:] == [], [e.body["eventType"] for e in sandbox_org.events[events:]]

    def test_schema_check_adds_organization_administrator_proven_by_the_token(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        oid = start(w, schema_check=True, **AWS)
        svc = finish(w, oid, sandbox_org)
        assert role_types(sandbox_org, svc) == ["ORG_ADMIN", "READ_ONLY_ADMIN"]
        onboarding = w.onboarding(oid)
        assert onboarding.facts["service_token_reads_schema"] is True
        assert onboarding.status == "completed", onboarding.status_note
        found = checks(w, oid)
        assert found["token_reads_schema"] == ("passed", "Okta let the service account's token read the user "
                                                         "schema: tick User Schema.")
        assert found["schema_box_ticked"][0] == "attested"

    def test_a_token_refused_the_schema_blocks_the_user_schema_box(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        oid = start(w, schema_check=True, **AWS)
        w.plan(oid)
        w.apply_ok(oid)
        svc = str(w.onboarding(oid).facts["service_account_id"])
        # Someone removes Organization Administrator before the token is pasted.
        org_admin = next(a for a in sandbox_roles.assignments_of(sandbox_org, svc) if a.type == "ORG_ADMIN")
        sandbox_roles.unassign(sandbox_org, sandbox_org.users[svc], org_admin, None)
        w.activate_and_paste(oid, "Oort")
        assert w.onboarding(oid).facts["service_token_reads_schema"] is False
        # What the paste proved is on step 4.1 at once, not "not checked yet" until Verify (QA walk 3, L1).
        status, text = checks(w, oid)["token_reads_schema"]
        assert status == "failed" and "refused" in (text or "")
        w.attest_all(oid)
        w.verify(oid)
        found = checks(w, oid)
        status, text = found["token_reads_schema"]
        assert status == "failed" and "refused" in (text or "")
        # The box is never offered for attestation while the token cannot read the schema.
        assert "schema_box_ticked" not in found
        assert w.onboarding(oid).status != "completed"


    def test_a_stream_deactivated_since_is_said_in_the_new_plan(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        """The stream the wizard made was deactivated in Okta: the plan made after the verification read
        "unchanged: Done earlier: Created the log stream (ACTIVE)" (QA walk 29, M3)."""
        oid = start(w, **AWS)
        finish(w, oid, sandbox_org)
        [stream] = list(sandbox_org.log_streams)
        stream.status = "INACTIVE"
        w.verify(oid, "reverify")
        assert checks(w, oid)["log_stream_active"][0] == "failed"
        item = next(i for i in w.draft_plan(oid) if i["action_key"] == "log_stream")
        assert item["verdict"] == "unchanged", item
        assert item["summary"] == ("Done earlier: Created the log stream “Oort” (ACTIVE). Differs now: The log "
                                   "stream “Oort” exists with the same AWS settings but is INACTIVE, so it sends the "
                                   "vendor nothing, which applying again does not change"), item
        assert item["detail"] == "Activate it in Reports > Log Streaming, then make the plan again."
        stream.status = "ACTIVE"
        assert next(i for i in w.draft_plan(oid) if i["action_key"] == "log_stream")["verdict"] == "unchanged"


class TestReadWrite:
    def test_read_write_adds_help_desk_and_the_custom_role_then_reapply_writes_nothing_and_undo_removes_it(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        before = snapshot(sandbox_org)
        oid = start(w, access="read_write", schema_check=True, **AWS)
        # The document lists no permissions: the page says so, the preset is an explained setting.
        step = next(sv for _s, steps in w.view(oid).sections for sv in steps if sv.step.key == "create_custom_role")
        assert any("lists no permissions" in note for note in step.step.notes)
        setting = w.state.library.get(VENDOR).settings["custom_role_permissions"]
        assert setting.unsure and set(setting.default) == PRESET
        svc = finish(w, oid, sandbox_org)
        roles = sandbox_org.user_roles(svc)
        assert sorted(r["type"] for r in roles) == ["CUSTOM", "HELP_DESK_ADMIN", "ORG_ADMIN", "READ_ONLY_ADMIN"]
        role = next(r for r in sandbox_org.custom_roles if r.label == ROLE_LABEL)
        rset = next(r for r in sandbox_org.resource_sets if r.label == ROLE_LABEL)
        custom = next(r for r in roles if r["type"] == "CUSTOM")
        assert (custom["role"], custom["resource-set"]) == (role.id, rset.id)
        assert set(role.permissions) == PRESET
        org_id = sandbox_org.org_id
        assert sorted(r.orn for r in rset.resources.values()) == [f"orn:okta:directory:{org_id}:groups",
                                                                  f"orn:okta:directory:{org_id}:users"]
        onboarding = w.onboarding(oid)
        assert onboarding.status == "completed", onboarding.status_note
        shown = steps_shown(w, oid)
        assert {"assign_help_desk", "create_custom_role", "copy_token_read_write"} <= shown
        assert "copy_token_read_only" not in shown
        # Applying again writes nothing.
        after, events = snapshot(sandbox_org), len(sandbox_org.events)
        w.plan(oid)
        w.apply_ok(oid)
        assert snapshot(sandbox_org) == after
        assert sandbox_org.events[events:] == [], [e.body["eventType"] for e in sandbox_org.events[events:]]
        # Undo removes everything this onboarding created, the log stream included.
        assert w.job(oid, "undo").state == "succeeded"
        assert snapshot(sandbox_org) == before
        assert sandbox_org.events_of("system.log_stream.lifecycle.delete")
        assert w.onboarding(oid).status == "undone"


class TestAdvancedTabAdvice:
    @pytest.mark.parametrize("pipeline", ["v1"])
    def test_classic_engine_says_leave_them_unticked_and_a_change_of_engine_is_drift(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        oid = start(w, **AWS)
        finish(w, oid, sandbox_org)
        shown = steps_shown(w, oid)
        assert "advanced_classic" in shown and "advanced_identity_engine" not in shown
        assert checks(w, oid)["engine_is_classic"] == ("passed", "Okta reports Classic Engine (pipeline “v1”)")
        assert w.onboarding(oid).status == "completed"
        # The org moves to Identity Engine: the advice given is no longer right, and verification says so.
        sandbox_org.pipeline = "idx"
        w.verify(oid, "reverify")
        status, found = checks(w, oid)["engine_is_classic"]
        assert status == "failed" and "Identity Engine" in (found or "")


class TestWhoTheConsoleStepsWaitFor:
    def test_every_step_in_oorts_console_waits_for_the_vendors_console(self, w: Wizard) -> None:
        """The onboardings list and the page's header went "Waiting for the vendor's console", then
        "Waiting for you", then back, from one step in Oort's console to the next: only steps 4.3 and
        4.6 said so in the playbook (QA walk 14). Each says the same now."""
        oid = start(w)
        w.plan(oid)
        w.apply_ok(oid)
        w.activate_and_paste(oid, "Oort")
        seen = []
        for key in ("four_boxes_ticked", "schema_box_unticked", "integration_saved", None):
            w.run(lambda: w.state.engine.refresh_status(oid))  # as the attest route does
            onboarding = w.onboarding(oid)
            seen.append((onboarding.status_note, onboarding.waiting_for))
            if key is not None:
                w.attest(oid, key)
        assert seen == [
            ("Waiting for attestation: Advanced tab: tick Devices, Policy Rules, Authenticators, Authenticators to "
             "Users", "vendor_console"),
            ("Waiting for attestation: User Schema box: leave it unticked (no Organization Administrator)",
             "vendor_console"),
            ("Waiting for attestation: Save", "vendor_console"),
            ("Waiting for attestation: Test Connectivity", "vendor_console")]
        web = Web(w.client)
        web.sign_in("ana.admin")
        row = " ".join(html.unescape(web.get("/onboardings").text).split()).split(str(oid), 1)[1].split("</tr>", 1)[0]
        assert '<span class="pill pill--waiting">Waiting for the vendor\'s console</span>' in row, row


class TestLogStreamValues:
    def test_the_stream_waits_for_oorts_values_given_after_the_first_apply(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        oid = start(w)
        item = next(i for i in w.plan(oid) if i["action_key"] == "log_stream")
        assert item["verdict"] == "create" and "once its AWS account" in item["summary"]
        assert "“AWS account id”, “Event source name” and “Region” are given" in item["requires_text"]
        w.apply_ok(oid)
        assert "log_stream" not in w.actions(oid) and not sandbox_org.log_streams
        w.activate_and_paste(oid, "Oort")
        for key in ("four_boxes_ticked", "schema_box_unticked", "integration_saved", "connectivity_tested"):
            w.attest(oid, key)  # steps 4 to 4.3, before Oort's console shows its AWS values (4.4)
        w.run(lambda: w.state.engine.refresh_status(oid))  # as the attest route does
        onboarding = w.onboarding(oid)
        assert (onboarding.status, onboarding.waiting_for) == ("waiting", "operator")
        assert "“AWS account id”, “Event source name” and “Region” are given" in (onboarding.status_note or "")
        # The service account's values are fixed now; Oort's AWS values are not.
        page = w.view(oid)
        locks = {sv.step.key: sv.inputs_locked for _s, steps in page.sections for sv in steps}
        assert locks["create_account"] and not locks["event_streaming_tab"]
        # The page says the way forward for a value that can no longer change (it said only "Fixed").
        web = Web(w.client)
        web.sign_in("ana.admin")
        step = web.get(f"/onboardings/{oid}").text.split('id="step-create_account"', 1)[1].split("</li>", 1)[0]
        assert "Locked: the wizard has acted on these values in Okta. To use other values, undo the onboarding" in step
        with pytest.raises(ValidationFailed) as info:
            save_inputs(w, oid, "create_account", {"service_account_login": "someone.else@acme.example",
                                                   "service_account_email": LOGIN, "first_name": "Oort",
                                                   "last_name": "Service Account"})
        assert "can no longer change" in info.value.errors["service_account_login"]
        # What comes after the stream in the document cannot have happened before it is made: the
        # event source associated (4.5b) and Collect Now (4.6) were accepted with no AWS values yet
        # and stayed in the completed record (QA walk 3, H2).
        for key in ("event_source_associated", "event_streaming_saved", "collection_started"):
            with pytest.raises(ValidationFailed, match=r"comes after step 4\.5a .*which runs once “AWS account id”, "
                                                       r"“Event source name” and “Region” are given"):
                w.attest(oid, key)
        step = web.get(f"/onboardings/{oid}").text.split('id="step-associate_event_bus"', 1)[1]
        assert "To attest this, the wizard first does step 4.5a" in step.split('id="step-', 1)[0]
        save_inputs(w, oid, "event_streaming_tab", {**AWS, "log_stream_name": "Oort"})
        # The confirmed plan did not know these values: it is out of date, and Apply refuses it
        # until a plan made from them is confirmed (issue 14).
        refused = w.apply(oid)
        assert refused.state == "failed" and refused.error == STALE_CONFIRMED
        assert not sandbox_org.log_streams
        item = next(i for i in w.plan(oid) if i["action_key"] == "log_stream")
        assert item["verdict"] == "create" and "once its AWS account" not in item["summary"], item
        w.apply_ok(oid)
        assert [s.settings for s in sandbox_org.log_streams] == [STREAM_SETTINGS]

    def test_each_of_step_4_4s_boxes_says_what_goes_in_it_above_it(self, w: Wizard) -> None:
        """The region's help came below its box, and the log stream's name had none (QA walk 16, L4): a
        person read the box before being told what it was for, and could not tell where the name shows."""
        oid = start(w)
        web = Web(w.client)
        web.sign_in("ana.admin")
        step = web.get(f"/onboardings/{oid}").text.split('id="step-event_streaming_tab"', 1)[1].split("</li>", 1)[0]
        region = step.split('<label for="input_aws_region">', 1)[1]
        assert region.index("The AWS region Oort shows on its Event Streaming tab.") < region.index("<select")
        assert re.search(r'<select id="input_aws_region"[^>]*aria-describedby="input_aws_region-hint ?"', region)
        name = step.split('<label for="input_log_stream_name">', 1)[1]
        assert name.index("Reports › Log Streaming") < name.index("<input")

    def test_the_status_line_names_the_cards_step_before_the_aws_values(self, w: Wizard) -> None:
        """Oort's console shows its AWS values only at 4.4, after the Advanced tab (4), the User Schema
        box (4.1), Save (4.2) and Test Connectivity (4.3): the bold line under the title asked for the
        values while the card below it said step 4 (QA walk 11, M1)."""
        oid = start(w)
        w.plan(oid)
        w.apply_ok(oid)
        w.activate_and_paste(oid, "Oort")
        web = Web(w.client)
        assert web.sign_in("ana.admin").status_code == 303

        def head_and_card() -> tuple[str, str]:
            page = web.get(f"/onboardings/{oid}").text
            note = page.split('class="status-note', 1)[1].split("</p>", 1)[0]
            return note, page.split('id="next-step-title">', 1)[1].split("</h2>", 1)[0]

        steps = [("four_boxes_ticked",
                  "Advanced tab: tick Devices, Policy Rules, Authenticators, Authenticators to Users"),
                 ("schema_box_unticked", "User Schema box: leave it unticked"),
                 ("integration_saved", "Save"), ("connectivity_tested", "Test Connectivity")]
        for number, (key, title) in zip(("4", "4.1", "4.2", "4.3"), steps, strict=True):
            note, card = head_and_card()
            assert f"Waiting for attestation: {title}" in note and "AWS account id" not in note, note
            assert card.startswith(f"Step {number}: {title}"), card
            said = web.post(f"/onboardings/{oid}/attest/{key}", {"note": ""})
            if key == "connectivity_tested":  # it proves Oort connected, but Oort never called Okta here
                assert said.status_code == 409 and "Okta shows no use" in said.text
                said = web.post(f"/onboardings/{oid}/attest/{key}", {"note": "", "despite_no_use": "yes"})
            assert said.status_code == 303
        # Both name 4.4's values at once: no verification in between (Okta's engine is checked with the rest).
        # And the same step: the line named 4.5a, the stream that waits for the values, beside a card at
        # 4.4, the Event Streaming tab that shows them (QA).
        note, card = head_and_card()
        asked = "Edit settings &gt; Event Streaming: copy Oort&#39;s AWS values here"
        assert note.endswith("Waiting until “AWS account id”, “Event source name” and “Region” "
                             f"are given: {asked}"), note
        assert card == f"Step 4.4: {asked}", card

    def test_the_console_steps_read_the_same_before_and_after_the_verification(self, w: Wizard) -> None:
        """Attested, Oort's console steps changed as the page reloaded after the verification the last
        attestation starts, though nothing of them had changed: step 4 went from "to do" to "done", its
        engine check from "not checked yet" to "passed", and "Oort Configuration" from "6 of 7 done" to
        "7 of 7 done" (QA). Done as attested, with the engine as the connection read it, they read the
        same before the verification and after it."""
        oid = start(w, **AWS)
        w.plan(oid)
        w.apply_ok(oid)
        w.activate_and_paste(oid, "Oort")
        w.attest_all(oid)
        web = Web(w.client)
        assert web.sign_in("ana.admin").status_code == 303

        def console_steps() -> tuple[str, list[str], list[str]]:
            page = " ".join(html.unescape(web.get(f"/onboardings/{oid}").text).split())
            count = page.split('Oort Configuration</a> <span class="hint">', 1)[1].split("<", 1)[0]
            section = page.split('id="section-oort_configuration"', 1)[1]
            step_4 = section.split('id="step-advanced_identity_engine"', 1)[1].split('<li class="step ', 1)[0]
            return (count, re.findall(r'class="pill pill--step-[a-z]+">([^<]+)<', section),
                    re.findall(r'class="pill pill--check-[a-z_]+">([^<]+)<', step_4))

        before = console_steps()
        # The section (folded, all done), its steps 1-3, 4-4.3, 4.4 and 4.5a-4.6, and step 4's two checks.
        assert before == ("7 of 7 done", ["all done"] + ["instructions"] * 3 + ["done"] * 4 + ["instructions"]
                          + ["done"] * 3, ["passed", "attested"]), before
        w.verify(oid)
        assert w.onboarding(oid).status == "completed"
        assert console_steps() == before

    @pytest.mark.parametrize(("pipeline", "key", "title", "check"), [
        ("idx", "four_boxes_ticked",
         "Advanced tab: tick Devices, Policy Rules, Authenticators, Authenticators to Users",
         "engine_is_identity_engine"),
        ("v1", "four_boxes_unticked", "Advanced tab: leave the four Identity Engine boxes unticked",
         "engine_is_classic")])
    def test_once_step_4_is_attested_the_card_the_line_the_list_and_the_summary_go_on_to_4_1(
            self, w: Wizard, pipeline: str, key: str, title: str, check: str) -> None:
        """Step 4 attested, the status line (page, hand-off summary) asked for 4.1 while the card stayed
        at step 4 with "Done: check it in Okta", until a verification found the engine: Okta cannot
        show boxes ticked in Oort, and the engine (read when the connection was added) is checked again
        with the rest of the checklist (QA). Step 4 is done: its badge read "to do", its engine check
        "not checked yet" beside the connection's read of it, and its section "0 of 7 done", under
        "Done, as attested" (QA, M4)."""
        oid = start(w)
        w.plan(oid)
        w.apply_ok(oid)
        w.activate_and_paste(oid, "Oort")
        web = Web(w.client)
        assert web.sign_in("ana.admin").status_code == 303
        url = f"/onboardings/{oid}"
        assert web.post(f"{url}/attest/{key}", {"note": ""}).status_code == 303
        page = " ".join(html.unescape(web.get(url).text).split())
        note = page.split('class="status-note', 1)[1].split("</p>", 1)[0]
        card = page.split('id="next-step-title">', 1)[1].split('<nav class="next-step__progress"', 1)[0]
        then = "User Schema box: leave it unticked (no Organization Administrator)"
        assert note.endswith(f"Waiting for attestation: {then}"), note
        assert card.startswith(f"Step 4.1: {then}</h2>"), card
        assert "Done: check it in Okta" not in card and "I confirm: The User Schema box is left unticked" in card
        # Step 4 reads done, counted in its section, its engine as the connection read it (with when:
        # no Okta call was made for it) and its boxes as attested.
        step = page.split('id="step-advanced_', 1)[1].split('<li class="step ', 1)[0]
        engine = {"idx": "Identity Engine (pipeline “idx”)", "v1": "Classic Engine (pipeline “v1”)"}[pipeline]
        assert f'{title} <span class="pill pill--step-done">done</span>' in step, step
        assert re.search(r'<span class="pill pill--check-passed">passed</span> Okta reports [^<]+ for this org '
                         rf'<p class="hint">Found: Okta reported {re.escape(engine)} when the Okta connection was '
                         r'checked, <time datetime="[^"]+"[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d UTC</time></p>', step), step
        assert '<span class="pill pill--check-attested">attested</span>' in step
        assert "not checked yet" not in step and "to do" not in step and "Done, as attested" not in step
        assert 'Oort Configuration</a> <span class="hint">1 of 7 done</span>' in page
        assert checks(w, oid)[check][0] == "passed"
        # The onboardings list: the person's turn, in the vendor's console, as the card says.
        row = " ".join(html.unescape(web.get("/onboardings").text).split()).split(str(oid), 1)[1].split("</tr>", 1)[0]
        assert ('<td data-label="Status"><span class="pill pill--waiting">Waiting for the vendor\'s console</span>'
                in row), row
        # The hand-off summary: the same next step, and step 4 left to the next verification, not as work.
        summary = " ".join(html.unescape(web.get(f"{url}/summary").text).split())
        assert f'<p class="status-note">Next: Waiting for attestation: {then}</p>' in summary
        still = summary.split("Still to do</h2>", 1)[1].split("</ul>", 1)[0]
        confirm = summary.split('<ul class="to-confirm">', 1)[1].split("</ul>", 1)[0]
        assert title not in still and "4.1 User Schema box" in still, still
        assert title not in confirm, confirm  # done: nothing of it is left for the next verification

    def test_bad_aws_values_are_refused_with_a_clear_message(self, w: Wizard) -> None:
        oid = start(w)
        for field, value, message in [
            ("aws_account_id", "12345", "An AWS account id is exactly 12 digits."),
            ("aws_account_id", "12345678901a", "An AWS account id is exactly 12 digits."),
            ("event_source_name", "oort okta stream", "no spaces"),
            ("event_source_name", "x" * 76, "at most 75 characters"),
            ("aws_region", "mars-north-1", "Choose a region from the list."),
        ]:
            with pytest.raises(ValidationFailed) as info:
                save_inputs(w, oid, "event_streaming_tab", {**AWS, "log_stream_name": "Oort", field: value})
            assert message in info.value.errors[field], (field, value)
            assert [key for key in info.value.errors] == [field]
        assert not any(w.onboarding(oid).inputs.get(field) for field in AWS)

    def test_an_account_id_typed_as_aws_shows_it_is_kept_as_its_digits(self, w: Wizard) -> None:
        """QA walk 22, L2: "1234-5678-9012", as AWS's console shows it, read "must be at most 12
        characters"."""
        oid = start(w)
        for typed in ("1234-5678-9012", " 1234 5678 9012 "):
            save_inputs(w, oid, "event_streaming_tab", {**AWS, "log_stream_name": "Oort", "aws_account_id": typed})
            assert w.onboarding(oid).inputs["aws_account_id"] == "123456789012"

    def test_an_existing_stream_with_other_settings_is_a_conflict(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        seeded = sandbox_org.add_log_stream("Oort", {**STREAM_SETTINGS, "region": "eu-west-1"})
        oid = start(w, **AWS)
        item = next(i for i in w.draft_plan(oid) if i["action_key"] == "log_stream")
        assert item["verdict"] == "conflict"
        assert "“eu-west-1”, not “us-east-2”" in item["detail"] and "will not replace it" in item["detail"]
        with pytest.raises(EngineError, match="conflicts"):
            w.plan(oid)
        assert [(s.id, s.settings["region"]) for s in sandbox_org.log_streams] == [(seeded["id"], "eu-west-1")]

    def test_a_conflict_appearing_after_the_plan_stops_the_apply(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        oid = start(w, **AWS)
        w.plan(oid)
        sandbox_org.add_log_stream("oort", {**STREAM_SETTINGS, "accountId": "999999999999"})
        job = w.apply(oid)
        assert job.state == "failed"
        row = w.actions(oid)["log_stream"]
        assert row.state == "failed" and "999999999999" in (row.error or "")
        assert len(sandbox_org.log_streams) == 1

    def test_an_existing_stream_with_the_same_settings_is_adopted_and_kept_by_undo(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        seeded = sandbox_org.add_log_stream("Oort", dict(STREAM_SETTINGS))
        oid = start(w, **AWS)
        item = next(i for i in w.plan(oid) if i["action_key"] == "log_stream")
        assert item["verdict"] == "adopt"
        finish_after_plan(w, oid, sandbox_org)
        row = w.actions(oid)["log_stream"]
        assert (row.outcome, row.created_by_us, row.object_id) == ("adopted", False, seeded["id"])
        assert w.job(oid, "undo").state == "succeeded"
        assert [s.id for s in sandbox_org.log_streams] == [seeded["id"]]

    def test_the_org_holds_at_most_two_streams(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        sandbox_org.add_log_stream("Splunk A", {**STREAM_SETTINGS, "eventSourceName": "a"})
        sandbox_org.add_log_stream("Splunk B", {**STREAM_SETTINGS, "eventSourceName": "b"})
        oid = start(w, **AWS)
        item = next(i for i in w.draft_plan(oid) if i["action_key"] == "log_stream")
        assert item["verdict"] == "conflict"
        assert "already has 2 log streams, the most Okta allows" in item["detail"]


def finish_after_plan(w: Wizard, oid: uuid.UUID, org: SandboxOrg) -> None:
    w.apply_ok(oid)
    w.activate_and_paste(oid, "Oort")
    w.apply_ok(oid)
    w.attest_all(oid)
    w.verify(oid)


class TestRetry:
    @pytest.mark.parametrize("fault", ["server_error", "timeout"])
    def test_a_failed_log_stream_create_is_retried_without_a_duplicate(
            self, w: Wizard, sandbox_org: SandboxOrg, fault: str) -> None:
        oid = start(w, **AWS)
        w.plan(oid)
        # A timeout that Okta processed: the stream exists but the answer was lost.
        sandbox_org.faults.add(fault, method="POST", path="/api/v1/logStreams", times=1,
                               processed=fault == "timeout")
        assert w.apply(oid).state == "failed"
        onboarding = w.onboarding(oid)
        assert onboarding.status == "blocked" and "log stream" in (onboarding.status_note or "").lower()
        assert w.actions(oid)["log_stream"].state == "failed"
        w.apply_ok(oid)
        assert [s.settings for s in sandbox_org.log_streams] == [STREAM_SETTINGS]
        row = w.actions(oid)["log_stream"]
        assert row.state == "done" and row.created_by_us
        assert w.job(oid, "undo").state == "succeeded"
        assert not sandbox_org.log_streams


class TestTokenProbesInPlaybooks:
    def _variant(self, tmp_path: Path, probe: dict[str, str]) -> Path:
        data = yaml.safe_load((VENDOR_DIR / "oort.yaml").read_text())
        for section in data["sections"]:
            for step in section["steps"]:
                if (step.get("task") or {}).get("kind") == "service_token":
                    step["task"]["params"].setdefault("probes", []).append(probe)  # keep the facts used
        path = tmp_path / "oort.yaml"
        path.write_text(yaml.safe_dump(data))
        return path

    @pytest.mark.parametrize("path", ["/api/v1/../admin", "https://evil.example/api/v1/users",
                                      "/api/v1/users/{id}", "/api/v1/logs?since=x"])
    def test_a_probe_outside_a_fixed_api_path_is_refused_at_start_up(self, tmp_path: Path, path: str) -> None:
        with pytest.raises(PlaybookError, match="invalid token task parameters"):
            load_file(self._variant(tmp_path, {"fact": "reads_x", "path": path}), KINDS)

    def test_a_probe_path_loads(self, tmp_path: Path) -> None:
        load_file(self._variant(tmp_path, {"fact": "reads_groups", "path": "/api/v1/groups"}), KINDS)

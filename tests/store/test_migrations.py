"""Migrations: every one goes up and back down on both databases, the migrated schema is exactly
what the models declare, and a migration that converts older rows converts them."""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from app.store.base import Base
from app.store.db import create_sync_engine
from app.store.migrate import alembic_config, current_revision, downgrade, head_revision, upgrade


def test_every_migration_goes_up_and_down(empty_database_factory: Callable[[], str]) -> None:
    url = empty_database_factory()
    script = ScriptDirectory.from_config(alembic_config(url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions, "no migrations found"
    for revision in revisions:
        upgrade(url, revision)
        assert current_revision(url) == revision
    for _ in revisions:
        downgrade(url, "-1")
    assert current_revision(url) is None
    engine = create_sync_engine(url)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url)
    assert current_revision(url) == head_revision()


def test_migrated_schema_matches_the_models(migrated_url: str) -> None:
    engine = create_sync_engine(migrated_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_migration_files_are_date_named_and_import_no_secrets() -> None:
    from app.settings import PROJECT_ROOT

    for path in (PROJECT_ROOT / "migrations" / "versions").glob("*.py"):
        assert path.name[:10].replace("_", "").isdigit(), path.name
        source = path.read_text()
        for forbidden in ("app.vault", "secret_key", "ONBOARD_SECRET_KEY", "from app"):
            assert forbidden not in source, f"{path.name} imports {forbidden}"


def _insert(conn: Any, table: str, **row: Any) -> None:
    """A row as the schema of its revision holds it, in plain SQL: the models are the head's. Ids as
    32 hex digits and moments and JSON as text, which SQLite stores as they are and Postgres casts."""
    columns = ", ".join(row)
    conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in row)})"), row)


def _an_onboarding(conn: Any, ids: dict[str, str], at: str, vendor: str) -> None:
    """An operator, a connection and a completed onboarding of ``vendor`` on it, with ``ids``' ids."""
    _insert(conn, "operators", id=ids["operator"], username="ana.admin", display_name="Ana", role="admin",
            is_active=True, created_at=at, updated_at=at)
    _insert(conn, "okta_connections", id=ids["connection"], label="Acme", org_origin="https://acme.okta.com",
            org_kind="okta", credential_kind="api_token", scopes="[]", preflight="{}", shareable=False,
            created_by_id=ids["operator"], created_at=at, updated_at=at)
    _insert(conn, "onboardings", id=ids["onboarding"], vendor=vendor, playbook_version="1",
            connection_id=ids["connection"], org_origin="https://acme.okta.com", status="completed",
            created_by_id=ids["operator"], inputs="{}", facts="{}", last_activity_at=at, revision=1,
            created_at=at, updated_at=at)


def test_0014_counts_a_result_an_attestation_accepted_apart_from_the_passes(
        empty_database_factory: Callable[[], str]) -> None:
    """Before 0014, Drata's email domains accepted on an attestation were stored "passed" and counted
    among the run's passes (an auditor read "Passed" for an item Okta fails: QA walk 11, M2). 0014
    finds them by the words the check wrote: the result becomes "accepted", its run counts it apart."""
    url = empty_database_factory()
    upgrade(url, "0013")
    ids = {name: uuid.uuid4().hex for name in ("operator", "connection", "onboarding", "run", "other_run",
                                                "accepted", "passed", "failed", "other")}
    at = "2026-12-01 10:00:00"
    syncs = ("At the last verification, the 12 users' addresses were on 3 domains: acme.example (10), "
             "acme-corp.example (1) and contractors.example (1). Drata syncs them all (attested by ana.admin on "
             "2026-12-01 09:58 UTC)")
    engine = create_sync_engine(url)
    with engine.begin() as conn:
        _an_onboarding(conn, ids, at, "drata")
        for run, passed in (("run", 2), ("other_run", 1)):
            _insert(conn, "verification_runs", id=ids[run], onboarding_id=ids["onboarding"], kind="verify",
                    finished_at=at, passed=passed, failed=1 if run == "run" else 0, needs_attestation=0, drift="[]")
        for key, run, status, found in (
                ("accepted", "run", "passed", syncs),  # the one 0014 converts
                ("passed", "run", "passed", "Read-Only Administrator is assigned"),
                ("failed", "run", "failed", syncs),  # only a pass was ever counted as one
                ("other", "other_run", "passed", "Read-Only Administrator is assigned")):
            _insert(conn, "check_results", id=ids[key], run_id=ids[run], onboarding_id=ids["onboarding"],
                    step_key="email_domains", check_key=key, status=status, found=found, evidence="{}")

    def state() -> tuple[dict[str, str], dict[str, tuple[int, ...]]]:
        """Each result's status by its key; each run's passed, failed (and accepted, once there) by its name."""
        names = {hex_id: name for name, hex_id in ids.items()}
        with engine.connect() as conn:
            results = {key: status for key, status in conn.execute(text("SELECT check_key, status FROM check_results"))}
            counted = [c["name"] for c in inspect(conn).get_columns("verification_runs")
                       if c["name"] in ("passed", "failed", "accepted")]
            runs = {names[uuid.UUID(str(row[0])).hex]: tuple(row[1:]) for row in conn.execute(
                text(f"SELECT id, {', '.join(sorted(counted, key=['passed', 'failed', 'accepted'].index))} "
                     "FROM verification_runs"))}
        return results, runs

    try:
        upgrade(url, "0014")
        results, runs = state()
        assert results == {"accepted": "accepted", "passed": "passed", "failed": "failed", "other": "passed"}
        assert runs == {"run": (1, 1, 1), "other_run": (1, 0, 0)}  # passed, failed, accepted
        downgrade(url, "0013")  # the release before counted it as passed: it reads as it did
        results, runs = state()
        assert results == {"accepted": "passed", "passed": "passed", "failed": "failed", "other": "passed"}
        assert runs == {"run": (2, 1), "other_run": (1, 0)}
    finally:
        engine.dispose()


def test_the_owner_mail_migration_keeps_the_operators_and_goes_back(
        empty_database_factory: Callable[[], str]) -> None:
    """0015: an operator's optional e-mail address (and whether an administrator chose it), and the
    addresses an e-mail delivery was queued for; the operators made before keep their rows, with
    no address and none chosen, both ways."""
    from sqlalchemy import text

    url = empty_database_factory()
    upgrade(url, "0014")
    engine = create_sync_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO operators (id, username, display_name, role, is_active, created_at, "
                              "updated_at) VALUES ('00000000000000000000000000000001', 'ana.admin', 'Ana Admin', "
                              "'admin', true, '2026-12-01 00:00:00', '2026-12-01 00:00:00')"))
        upgrade(url, "0015")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT username, email, email_by_admin FROM operators")).one() == \
                ("ana.admin", None, False)
            conn.execute(text("UPDATE operators SET email = 'ana@acme.example', email_by_admin = true"))
            columns = {c["name"]: c for c in inspect(conn).get_columns("notification_deliveries")}
            assert columns["recipients"]["nullable"]
        downgrade(url, "0014")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT username FROM operators")).scalars().all() == ["ana.admin"]
            assert "email" not in {c["name"] for c in inspect(conn).get_columns("operators")}
            assert "recipients" not in {c["name"] for c in inspect(conn).get_columns("notification_deliveries")}
    finally:
        engine.dispose()


def _an_alert_to_a_webhook(conn: Any, ids: dict[str, str], at: str, **alert: Any) -> None:
    """A Drata onboarding with an alert (``ids``: onboarding, alert, channel...), and a webhook channel."""
    _an_onboarding(conn, ids, at, "drata")
    _insert(conn, "alerts", id=ids["alert"], onboarding_id=ids["onboarding"], key="credential", kind="credential",
            summary="The connection's token is refused", details="{}", raised_at=at, last_seen_at=at, **alert)
    _insert(conn, "notification_channels", id=ids["channel"], kind="webhook", label="Hook",
            target="https://hooks.acme.example/…", settings="{}", created_at=at)


def test_the_last_attempt_migration_keeps_a_sent_deliverys_time_and_goes_back(
        empty_database_factory: Callable[[], str]) -> None:
    """0017: a delivery keeps when it was last tried (a channel's row and the Health page read it);
    one sent before has its sending time as its last try, one still failing has none (the pages
    fall back on when it was queued)."""
    url = empty_database_factory()
    upgrade(url, "0016")
    ids = {name: uuid.uuid4().hex for name in ("operator", "connection", "onboarding", "alert", "channel", "sent",
                                                "failing")}
    at, sent_at = "2026-12-01 10:00:00", "2026-12-01 10:00:30"
    engine = create_sync_engine(url)
    try:
        with engine.begin() as conn:
            _an_alert_to_a_webhook(conn, ids, at)
            for name, delivered in (("sent", sent_at), ("failing", None)):
                _insert(conn, "notification_deliveries", id=ids[name], channel_id=ids["channel"],
                        alert_id=ids["alert"], event="raised", payload="{}", created_at=at, attempts=1,
                        next_attempt_at=at, delivered_at=delivered, last_error=None if delivered else "refused")
        upgrade(url, "0017")
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT settings FROM notification_channels")).scalar()
            tried = {uuid.UUID(str(row[0])).hex: row[1] for row in conn.execute(
                text("SELECT id, last_attempt_at FROM notification_deliveries"))}
        assert tried[ids["failing"]] is None
        # A webhook added before the private-network tick existed keeps sending: it is kept as ticked.
        assert (json.loads(kept) if isinstance(kept, str) else kept) == {"private_network": True}
        assert str(tried[ids["sent"]]).startswith("2026-12-01 10:00:30")
        downgrade(url, "0016")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM notification_deliveries")).scalar() == 2
            assert "last_attempt_at" not in {c["name"] for c in inspect(conn).get_columns("notification_deliveries")}
    finally:
        engine.dispose()


def test_the_channel_test_migration_keeps_the_channels_untested_and_goes_back(
        empty_database_factory: Callable[[], str]) -> None:
    """0018: a channel keeps its last test message (when, and why it failed); one added before has
    none on record (its row says "Nothing sent yet." until a delivery or a test)."""
    url = empty_database_factory()
    upgrade(url, "0017")
    channel, at = uuid.uuid4().hex, "2026-12-01 10:00:00"
    engine = create_sync_engine(url)
    try:
        with engine.begin() as conn:
            _insert(conn, "notification_channels", id=channel, kind="email", label="Okta team",
                    target="okta@acme.example", settings="{}", created_at=at)
        upgrade(url, "0018")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT label, tested_at, test_failure FROM notification_channels")).one() == \
                ("Okta team", None, None)
        downgrade(url, "0017")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT label FROM notification_channels")).scalar() == "Okta team"
            assert {"tested_at", "test_failure"}.isdisjoint(
                {c["name"] for c in inspect(conn).get_columns("notification_channels")})
    finally:
        engine.dispose()


def test_0019_keeps_an_actions_summary_whole_and_cuts_it_going_back(
        empty_database_factory: Callable[[], str]) -> None:
    """0019: an action's summary is kept whole (it was cut at 500 characters, mid-word: QA walk 19, M2);
    going back cuts a longer one where it was cut before."""
    url = empty_database_factory()
    upgrade(url, "0018")
    ids = {name: uuid.uuid4().hex for name in ("operator", "connection", "onboarding", "action")}
    at = "2026-12-01 10:00:00"
    engine = create_sync_engine(url)
    summary = "Adopted 'Authomize Identity Security' installed by hand"
    try:
        with engine.begin() as conn:
            _an_onboarding(conn, ids, at, "authomize")
            _insert(conn, "onboarding_actions", id=ids["action"], onboarding_id=ids["onboarding"],
                    step_key="install", action_key="integration", kind="okta_api_service", position=0, state="done",
                    created_by_us=False, summary=summary, details="{}", attempts=1, updated_at=at)
        upgrade(url, "0019")
        whole = summary + ". " + "The client secret Okta showed at the install is still active. " * 12
        with engine.begin() as conn:
            assert conn.execute(text("SELECT summary FROM onboarding_actions")).scalar() == summary
            conn.execute(text("UPDATE onboarding_actions SET summary = :s"), {"s": whole})
        with engine.connect() as conn:
            assert conn.execute(text("SELECT summary FROM onboarding_actions")).scalar() == whole
        downgrade(url, "0018")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT summary FROM onboarding_actions")).scalar() == whole[:500]
    finally:
        engine.dispose()


def test_0021_marks_an_abandoned_clearing_untried_and_leaves_a_failing_delivery(
        empty_database_factory: Callable[[], str]) -> None:
    """0021: a "[Resolved]" given up because its "[Alert]" never got through was kept as a try that
    failed in its own words, which the channel's row showed instead of the receiver's answer: it is
    now not sent, untried; a delivery the receiver refused keeps its try and its words."""
    url = empty_database_factory()
    upgrade(url, "0020")
    ids = {name: uuid.uuid4().hex for name in ("operator", "connection", "onboarding", "alert", "channel", "raised",
                                                "cleared")}
    at, tried = "2026-12-01 10:00:00", "2026-12-01 16:00:00"
    engine = create_sync_engine(url)
    try:
        with engine.begin() as conn:
            _an_alert_to_a_webhook(conn, ids, at, cleared_at=at)
            for name, error in (("raised", "the receiver answered 503"),
                                ("cleared", "Not sent: the alert it resolves never got through to this channel.")):
                _insert(conn, "notification_deliveries", id=ids[name], channel_id=ids["channel"],
                        alert_id=ids["alert"], event=name, payload="{}", created_at=at, attempts=12,
                        next_attempt_at=at, last_attempt_at=tried, last_error=error)
        upgrade(url, "0021")
        with engine.connect() as conn:
            rows = {row[0]: row[1:] for row in conn.execute(text(
                "SELECT event, not_sent, last_error, last_attempt_at FROM notification_deliveries"))}
        assert rows["cleared"] == ("the alert it resolves never got through to this channel", None, None)
        assert rows["raised"][:2] == (None, "the receiver answered 503")
        assert str(rows["raised"][2]).startswith("2026-12-01 16:00:00")
        downgrade(url, "0020")
        with engine.connect() as conn:
            # Read as given up before, in the words they had (a try's own words stay).
            assert dict(conn.execute(text("SELECT event, last_error FROM notification_deliveries")).all()) == {
                "cleared": "Not sent: the alert it resolves never got through to this channel.",
                "raised": "the receiver answered 503"}
            assert "not_sent" not in {c["name"] for c in inspect(conn).get_columns("notification_deliveries")}
    finally:
        engine.dispose()


def test_0022_keeps_the_mail_servers_of_channels_added_before_and_goes_back(
        empty_database_factory: Callable[[], str]) -> None:
    """0022: an e-mail channel's mail server may be at a private address or on this machine only when
    ticked (security review, M1); one added before, when any was taken, is kept as ticked, so it goes
    on sending where it did. A webhook's own tick is left as it is."""
    url = empty_database_factory()
    upgrade(url, "0021")
    ids = {name: uuid.uuid4().hex for name in ("email", "webhook")}
    at = "2026-12-01 10:00:00"
    engine = create_sync_engine(url)
    try:
        with engine.begin() as conn:
            _insert(conn, "notification_channels", id=ids["email"], kind="email", label="Okta team",
                    target="okta@acme.example", settings=json.dumps({"host": "10.1.2.3", "port": 25}), created_at=at)
            _insert(conn, "notification_channels", id=ids["webhook"], kind="webhook", label="Hook",
                    target="https://hooks.acme.example/…", settings=json.dumps({"private_network": False}),
                    created_at=at)

        def kept() -> dict[str, Any]:
            with engine.connect() as conn:
                return {kind: json.loads(value) if isinstance(value, str) else value for kind, value in conn.execute(
                    text("SELECT kind, settings FROM notification_channels"))}
        upgrade(url, "0022")
        assert kept() == {"email": {"host": "10.1.2.3", "port": 25, "private_network": True},
                          "webhook": {"private_network": False}}
        downgrade(url, "0021")
        assert kept() == {"email": {"host": "10.1.2.3", "port": 25}, "webhook": {"private_network": False}}
    finally:
        engine.dispose()


def test_0023_keeps_one_name_in_use_renaming_the_later_ones(empty_database_factory: Callable[[], str]) -> None:
    """0023: one connection in use per name, and one channel, held by a unique index (two people adding a
    name at the same moment both got it: review). Names repeated before are told apart so the index can
    be made: the oldest in use keeps its name; a retired connection or a removed channel keeps its own."""
    url = empty_database_factory()
    upgrade(url, "0022")
    ids = {name: uuid.uuid4().hex for name in ("operator", "connection", "onboarding")}
    engine = create_sync_engine(url)
    try:
        with engine.begin() as conn:
            _an_onboarding(conn, ids, "2026-12-01 10:00:00", "drata")  # "Acme", the oldest
            for n, (label, retired) in enumerate((("ACME ", None), ("Acme", "2026-12-03 10:00:00"), ("acme", None),
                                                  ("Acme (2)", None))):
                _insert(conn, "okta_connections", id=uuid.uuid4().hex, label=label, org_origin="https://acme.okta.com",
                        org_kind="okta", credential_kind="api_token", scopes="[]", preflight="{}", shareable=False,
                        retired_at=retired, created_at=f"2026-12-02 1{n}:00:00", updated_at="2026-12-02 10:00:00")
            long = "Security operations " * 10  # 200 characters: its second is cut to stay within 200
            for n, (label, removed) in enumerate((("Okta team", None), ("okta TEAM", None), ("Okta team", "x"),
                                                  ("Caf\u00e9", None), ("Cafe\u0301", None), (long, None),
                                                  (long, None))):
                _insert(conn, "notification_channels", id=uuid.uuid4().hex, kind="email", label=label,
                        target="okta@acme.example", settings="{}", created_at=f"2026-12-02 1{n}:00:00",
                        removed_at="2026-12-04 10:00:00" if removed else None)
        upgrade(url, "0023")
        with engine.connect() as conn:
            connections = conn.execute(text("SELECT label, name_key, retired_at IS NULL FROM okta_connections "
                                            "ORDER BY created_at")).all()
            channels = conn.execute(text("SELECT label, removed_at IS NULL FROM notification_channels "
                                         "ORDER BY created_at")).all()
        assert [tuple(row) for row in connections] == [
            ("Acme", "acme", True), ("ACME (3)", "acme (3)", True), ("Acme", "acme", False),
            ("acme (4)", "acme (4)", True), ("Acme (2)", "acme (2)", True)]
        assert [tuple(row) for row in channels] == [
            ("Okta team", True), ("okta TEAM (2)", True), ("Okta team", False), ("Caf\u00e9", True),
            ("Cafe\u0301 (2)", True), (long, True), (long.strip()[:190] + " (2)", True)]  # é as one or two: one name
        with engine.connect() as conn:
            keys = conn.execute(text("SELECT label, name_key FROM notification_channels")).all()
        assert all(key == unicodedata.normalize("NFKC", label).strip().casefold() for label, key in keys), keys
        with pytest.raises(IntegrityError), engine.begin() as conn:
            _insert(conn, "notification_channels", id=uuid.uuid4().hex, kind="email", label="OKTA TEAM",
                    name_key="okta team", target="okta@acme.example", settings="{}", created_at="2026-12-05 10:00:00")
        downgrade(url, "0022")
        with engine.connect() as conn:
            assert "name_key" not in {c["name"] for c in inspect(conn).get_columns("okta_connections")}
    finally:
        engine.dispose()


def test_0024_keeps_an_events_summary_whole_and_will_not_cut_it_going_back(
        empty_database_factory: Callable[[], str]) -> None:
    """0024: an audit event's summary is kept whole (QA walk 27, L6). Going back would cut a longer one,
    which the hash chain covers: refused while one is there."""
    url = empty_database_factory()
    upgrade(url, "0024")
    engine = create_sync_engine(url)
    whole = "Applied: " + "word " * 200
    try:
        with engine.begin() as conn:
            _insert(conn, "audit_events", seq=1, occurred_at="2026-12-01 10:00:00", category="operator",
                    action="apply", outcome="ok", summary=whole, details="{}", prev_hash="0" * 64, hash="1" * 64)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT summary FROM audit_events")).scalar() == whole
        with pytest.raises(RuntimeError, match="1 audit events hold a summary of more than 500 characters"):
            downgrade(url, "0023")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events"))
        downgrade(url, "0023")
        assert current_revision(url) == "0023"
    finally:
        engine.dispose()

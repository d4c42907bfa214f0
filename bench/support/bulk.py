"""Bulk seeding for the scale benchmark: thousands of onboardings and a million audit events,
inserted in batches with the hash chain computed as the application computes it (so the audit
chain of the seeded database verifies)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from app.audit.chain import GENESIS_HASH, event_hash
from app.store.db import create_sync_engine
from app.store.models import AuditChainHead, AuditEvent, OktaConnection, Onboarding, Operator

VENDORS = ["defender-for-identity", "oort", "authomize", "sentinel-unified-connector", "drata"]
STATUSES = [("draft", None), ("in_progress", None), ("waiting", "service_token"), ("waiting", "vendor_console"),
            ("blocked", None), ("completed", None), ("completed", None), ("completed", None)]


def seed(database_url: str, *, onboardings: int, events: int, big_onboarding_events: int, rng_seed: int = 7
         ) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Returns the id of one onboarding that holds ``big_onboarding_events`` events, and all ids."""
    rng = random.Random(rng_seed)
    engine = create_sync_engine(database_url)
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    with engine.begin() as conn:
        operator_ids = [uuid.uuid4() for _ in range(40)]
        conn.execute(insert(Operator), [
            {"id": oid, "username": f"op{i:02d}", "display_name": f"Operator {i:02d}", "role": "operator",
             "password_hash": None, "is_active": True, "created_at": now, "updated_at": now}
            for i, oid in enumerate(operator_ids)])
        connection_ids = [uuid.uuid4() for _ in range(20)]
        conn.execute(insert(OktaConnection), [
            {"id": cid, "label": f"Org {i}", "org_origin": f"https://org{i:02d}.okta.com", "org_kind": "okta",
             "credential_kind": "api_token", "scopes": [], "preflight": {}, "shareable": True,
             "created_at": now, "updated_at": now} for i, cid in enumerate(connection_ids)])
        ids: list[uuid.UUID] = []
        batch = []
        for i in range(onboardings):
            status, waiting = STATUSES[i % len(STATUSES)]
            connection = connection_ids[i % len(connection_ids)]
            oid = uuid.uuid4()
            ids.append(oid)
            batch.append({"id": oid, "vendor": VENDORS[i % len(VENDORS)], "playbook_version": "1",
                          "connection_id": connection, "org_origin": f"https://org{i % 20:02d}.okta.com",
                          "status": status, "waiting_for": waiting,
                          "created_by_id": operator_ids[i % 40],
                          "assignee_id": None if i % 11 == 0 else operator_ids[(i * 7) % 40],
                          "inputs": {}, "facts": {}, "revision": 0,
                          "last_activity_at": now - timedelta(minutes=i * 3 + rng.randint(0, 2)),
                          "created_at": now - timedelta(days=30), "updated_at": now})
            if len(batch) == 2000:
                conn.execute(insert(Onboarding), batch)
                batch = []
        if batch:
            conn.execute(insert(Onboarding), batch)
    big = ids[0]
    head = GENESIS_HASH
    seq = 0
    with engine.connect() as conn:
        row = conn.execute(select(AuditChainHead)).first()
        if row is not None:
            seq, head = row.seq, row.hash
    rows = []
    for n in range(events):
        seq += 1
        onboarding = big if n < big_onboarding_events else ids[rng.randrange(len(ids))]
        okta = n % 3 != 0
        event = AuditEvent(seq=seq, occurred_at=now - timedelta(seconds=events - n),
                           category="okta" if okta else "operator",
                           action="okta_call" if okta else "apply_action", outcome="ok",
                           actor_id=operator_ids[n % 40], actor_name=f"op{n % 40:02d}", onboarding_id=onboarding,
                           subject_type="okta_org" if okta else "custom_role", subject_id="org00.okta.com",
                           summary="GET /api/v1/users/{userId} → 200" if okta else "Create the role: created",
                           details={"method": "GET", "path": "/api/v1/users/{userId}", "status": 200,
                                    "duration_ms": 41.5, "attempt": 1} if okta else {"action": "role"},
                           source_ip="10.0.0.5", user_agent="bench", prev_hash=head, hash="")
        event.hash = event_hash(event, head)
        head = event.hash
        rows.append({c.name: getattr(event, c.key) for c in AuditEvent.__table__.columns if c.name != "id"})
        if len(rows) == 10_000:
            with engine.begin() as conn:
                conn.execute(insert(AuditEvent), rows)
            rows = []
    with engine.begin() as conn:
        if rows:
            conn.execute(insert(AuditEvent), rows)
        conn.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=seq, hash=head))
    engine.dispose()
    return big, ids

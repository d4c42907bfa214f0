"""Streaming exports of an onboarding's audit events (JSON and CSV): read in batches by position
in the chain and written as they are read, so a 20,000-event onboarding costs constant memory."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select

from app.store.db import Database
from app.store.models import AuditEvent
from app.vault.redaction import REDACTOR

COLUMNS = ["seq", "occurred_at", "category", "action", "outcome", "actor_name", "actor_id", "subject_type",
           "subject_id", "summary", "source_ip", "user_agent", "details", "prev_hash", "hash"]
BATCH = 1000


# Spreadsheets run a cell that starts with one of these as a formula (a full-width "＝" too, in some).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def defuse(value: Any) -> Any:
    """Every text cell of a CSV export: one that a spreadsheet would run as a formula is prefixed
    with an apostrophe, so it is shown as the text it is."""
    if isinstance(value, str) and value.lstrip(" ")[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def _row(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq, "occurred_at": event.occurred_at.isoformat(), "category": event.category,
        "action": event.action, "outcome": event.outcome, "actor_name": event.actor_name,
        "actor_id": str(event.actor_id) if event.actor_id else None, "subject_type": event.subject_type,
        "subject_id": event.subject_id, "summary": event.summary, "source_ip": event.source_ip,
        "user_agent": event.user_agent, "details": REDACTOR.data(event.details or {}), "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


async def events(db: Database, onboarding_id: uuid.UUID) -> AsyncIterator[dict[str, Any]]:
    after = 0
    while True:
        async with db.sessions() as session:
            batch = (await session.execute(
                select(AuditEvent).where(AuditEvent.onboarding_id == onboarding_id, AuditEvent.seq > after)
                .order_by(AuditEvent.seq).limit(BATCH))).scalars().all()
            rows = [_row(event) for event in batch]
        for row in rows:
            yield row
        if len(rows) < BATCH:
            return
        after = int(rows[-1]["seq"])


async def json_stream(db: Database, onboarding_id: uuid.UUID, header: dict[str, Any]) -> AsyncIterator[bytes]:
    yield (json.dumps(header)[:-1] + ', "events": [\n').encode()
    first = True
    async for row in events(db, onboarding_id):
        yield (("" if first else ",\n") + json.dumps(row, ensure_ascii=False)).encode()
        first = False
    yield b"\n]}\n"


async def csv_stream(db: Database, onboarding_id: uuid.UUID) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    async for row in events(db, onboarding_id):
        row = {**row, "details": json.dumps(row["details"], ensure_ascii=False)}
        writer.writerow({key: defuse(value) for key, value in row.items()})
        if buffer.tell() > 64_000:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()

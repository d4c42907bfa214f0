"""Streaming exports of audit events (JSON and CSV), an onboarding's or the trail's as the audit
page filters it: read in batches by position in the chain and written as they are read, so a
20,000-event onboarding, or the whole trail, costs constant memory. And
the document's checklist, machine-readable (CSV, and in the JSON's header): the events alone do not
say which item of the document passed, so a GRC tool could not show it."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select

from app.reports.checklist import ChecklistOnly
from app.store.db import Database
from app.store.models import AuditEvent
from app.store.statuses import OUTCOME_WORDS
from app.vault.redaction import REDACTOR

# "outcome" is the stored word (not_found), "result" the words the audit page and the report show for
# it ("Not found (expected)"): a person reading the file reads what the page said.
COLUMNS = ["seq", "occurred_at", "category", "action", "outcome", "result", "actor_name", "actor_id", "subject_type",
           "subject_id", "summary", "source_ip", "user_agent", "details", "prev_hash", "hash"]
BATCH = 1000
# ``kind``: "check", or for a step of the document with no check of its own, "action" (the wizard's),
# "instructions" (a person's step it cannot check), "information" or "not_needed" (`ItemKind`).
CHECKLIST_COLUMNS = ["section", "step", "item", "result", "evidence", "attested_by", "attested_at",
                     "attestation_note", "attestation_warning", "kind"]


# Spreadsheets run a cell that starts with one of these as a formula (a full-width "＝" too, in some).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def defuse(value: Any) -> Any:
    """Every text cell of a CSV export: one that a spreadsheet would run as a formula is prefixed
    with an apostrophe, so it is shown as the text it is."""
    if isinstance(value, str) and value.lstrip(" ")[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def _row(event: AuditEvent) -> dict[str, Any]:
    """An event as exported. Its description and details were masked when it was written; they are
    masked again for a secret this process has handled since."""
    return {
        "seq": event.seq, "occurred_at": event.occurred_at.isoformat(), "category": event.category,
        "action": event.action, "outcome": event.outcome,
        "result": OUTCOME_WORDS.get(event.outcome, event.outcome), "actor_name": event.actor_name,
        "actor_id": str(event.actor_id) if event.actor_id else None, "subject_type": event.subject_type,
        "subject_id": event.subject_id, "summary": REDACTOR.text(event.summary), "source_ip": event.source_ip,
        "user_agent": event.user_agent, "details": REDACTOR.data(event.details or {}), "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def of_onboarding(onboarding_id: uuid.UUID) -> list[ColumnElement[bool]]:
    """The events of one onboarding (the index on onboarding_id and seq serves each batch)."""
    return [AuditEvent.onboarding_id == onboarding_id]


async def events(db: Database, where: Sequence[ColumnElement[bool]]) -> AsyncIterator[dict[str, Any]]:
    """The events that meet every condition of ``where``, oldest first, as export rows."""
    after = 0
    while True:
        async with db.sessions() as session:
            batch = (await session.execute(
                select(AuditEvent).where(*where, AuditEvent.seq > after)
                .order_by(AuditEvent.seq).limit(BATCH))).scalars().all()
            rows = [_row(event) for event in batch]
        for row in rows:
            yield row
        if len(rows) < BATCH:
            return
        after = int(rows[-1]["seq"])


async def json_stream(db: Database, where: Sequence[ColumnElement[bool]], header: dict[str, Any]
                      ) -> AsyncIterator[bytes]:
    yield (json.dumps(header)[:-1] + ', "events": [\n').encode()
    first = True
    async for row in events(db, where):
        yield (("" if first else ",\n") + json.dumps(row, ensure_ascii=False)).encode()
        first = False
    yield b"\n]}\n"


async def csv_stream(db: Database, where: Sequence[ColumnElement[bool]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    async for row in events(db, where):
        row = {**row, "details": json.dumps(row["details"], ensure_ascii=False)}
        writer.writerow({key: defuse(value) for key, value in row.items()})
        if buffer.tell() > 64_000:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def checklist_rows(checklist: ChecklistOnly) -> list[dict[str, Any]]:
    """The document's checklist as the report gives it: one row an item, section by section."""
    rows = []
    for item in checklist.items:
        # A wait declared begun earlier, or an attestation accepting what Okta fails, is a person's
        # word too: who and when, in the same columns.
        moment = item.attested_at
        attested_at = moment.isoformat() if moment else None
        rows.append(REDACTOR.data({
            "section": item.section, "step": item.step, "item": item.label, "result": item.result,
            "evidence": item.evidence_words(), "attested_by": item.attested_by or None,
            "attested_at": attested_at, "attestation_note": item.attestation.note if item.attestation else None,
            "attestation_warning": item.attestation.warning if item.attestation else None,
            "kind": str(item.kind)}))
    return rows


def checklist_csv(checklist: ChecklistOnly) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CHECKLIST_COLUMNS)
    writer.writeheader()
    for row in checklist_rows(checklist):
        writer.writerow({key: defuse(value) for key, value in row.items()})
    return buffer.getvalue().encode()

"""The audit chain: appends are gap-free and linked; editing, deleting or reordering rows
directly in the database is detected and the first broken event is named."""

from __future__ import annotations

import asyncio

from sqlalchemy import delete, select, text, update

from app.audit import Actor, record, verify_chain
from app.audit.chain import ChainReport
from app.settings import Settings
from app.store.db import Database, create_sync_engine
from app.store.models import AuditEvent


def _append(settings: Settings, n: int) -> None:
    async def go() -> None:
        db = Database(settings.resolved_database_url)
        try:
            for i in range(n):
                async with db.session() as session:
                    await record(session, action="test", summary=f"event {i}", actor=Actor.system(),
                                 details={"i": i, "nested": {"ok": True}})
        finally:
            await db.dispose()

    asyncio.run(go())


def _verify(settings: Settings) -> ChainReport:
    async def go() -> ChainReport:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                return await verify_chain(session, batch_size=3)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _execute(settings: Settings, statement: object) -> None:
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.begin() as conn:
        conn.execute(statement)  # type: ignore[arg-type]
    engine.dispose()


class TestChain:
    def test_intact_chain_verifies(self, settings: Settings) -> None:
        _append(settings, 8)
        report = _verify(settings)
        assert report.ok and report.events_checked == 8
        assert report.message == "Audit chain intact: 8 events verified."

    def test_empty_chain_verifies(self, settings: Settings) -> None:
        assert _verify(settings).ok

    def test_edited_event_is_detected(self, settings: Settings) -> None:
        _append(settings, 8)
        _execute(settings, update(AuditEvent).where(AuditEvent.seq == 5).values(summary="nothing happened"))
        report = _verify(settings)
        assert not report.ok and report.first_broken_seq == 5
        assert "contents were changed" in report.message

    def test_edited_details_are_detected(self, settings: Settings) -> None:
        _append(settings, 4)
        _execute(settings, update(AuditEvent).where(AuditEvent.seq == 2).values(details={"i": 99}))
        assert _verify(settings).first_broken_seq == 2

    def test_deleted_event_is_detected(self, settings: Settings) -> None:
        _append(settings, 8)
        _execute(settings, delete(AuditEvent).where(AuditEvent.seq == 4))
        report = _verify(settings)
        assert not report.ok and report.first_broken_seq == 4
        assert "missing" in report.message

    def test_deleted_newest_events_are_detected(self, settings: Settings) -> None:
        _append(settings, 8)
        _execute(settings, delete(AuditEvent).where(AuditEvent.seq >= 7))
        report = _verify(settings)
        assert not report.ok and report.first_broken_seq == 7
        assert "deleted" in report.message

    def test_reordered_events_are_detected(self, settings: Settings) -> None:
        _append(settings, 8)
        # Swap the positions of events 3 and 6 (through a free number, for the unique constraint).
        _execute(settings, update(AuditEvent).where(AuditEvent.seq == 3).values(seq=1000))
        _execute(settings, update(AuditEvent).where(AuditEvent.seq == 6).values(seq=3))
        _execute(settings, update(AuditEvent).where(AuditEvent.seq == 1000).values(seq=6))
        report = _verify(settings)
        assert not report.ok and report.first_broken_seq == 3

    def test_rehashed_forgery_is_still_caught_by_the_next_link(self, settings: Settings) -> None:
        """Someone who edits an event and recomputes its hash breaks the link from the next one."""
        from app.audit.chain import event_hash

        _append(settings, 5)
        engine = create_sync_engine(settings.resolved_database_url)
        with engine.begin() as conn:
            row = conn.execute(select(AuditEvent).where(AuditEvent.seq == 2)).one()
            forged = AuditEvent(**{c: getattr(row, c) for c in row._fields})
            forged.summary = "forged"
            conn.execute(update(AuditEvent).where(AuditEvent.seq == 2)
                         .values(summary="forged", hash=event_hash(forged, row.prev_hash)))
        engine.dispose()
        report = _verify(settings)
        assert not report.ok and report.first_broken_seq == 3

    def test_sequence_has_no_gaps_after_a_rolled_back_append(self, settings: Settings) -> None:
        async def go() -> None:
            db = Database(settings.resolved_database_url)
            try:
                try:
                    async with db.session() as session:
                        await record(session, action="test", summary="rolled back", actor=Actor.system())
                        raise RuntimeError("abort")
                except RuntimeError:
                    pass
            finally:
                await db.dispose()

        _append(settings, 1)
        asyncio.run(go())
        _append(settings, 1)
        engine = create_sync_engine(settings.resolved_database_url)
        with engine.connect() as conn:
            seqs = conn.execute(text("SELECT seq FROM audit_events ORDER BY seq")).scalars().all()
        engine.dispose()
        assert seqs == [1, 2]
        assert _verify(settings).ok

"""The audit chain: appends are gap-free and linked; editing, deleting or reordering rows
directly in the database is detected and the first broken event is named. The chain is keyed
(HMAC under a key derived from the vault's key ring), so someone with write access to the
database cannot recompute it; an anchor kept outside the database catches a shortened chain."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update

from app.audit import Actor, record, use_keys, verify_chain
from app.audit.anchor import AnchorError, make_anchor, read_anchor, sign_anchor, verify_with_anchor
from app.audit.chain import GENESIS_HASH, ChainReport, event_hash, keyed_hash
from app.audit.keys import chain_key, current_ring
from app.settings import Settings
from app.store.db import Database, create_sync_engine
from app.store.models import AuditChainHead, AuditEvent
from app.vault.keyring import Key, KeySource
from tests.support import add_operator, in_database


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


def _anchor(settings: Settings) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                report, statement = await make_anchor(session)
                assert report.ok, report.message
                return statement
        finally:
            await db.dispose()

    return asyncio.run(go())


def _verify_anchor(settings: Settings, statement: dict[str, Any]) -> ChainReport:
    async def go() -> ChainReport:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                return await verify_with_anchor(session, read_anchor(json.dumps(statement), current_ring()))
        finally:
            await db.dispose()

    return asyncio.run(go())


def _rows(settings: Settings) -> list[Any]:
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.connect() as conn:
        rows = list(conn.execute(select(AuditEvent).order_by(AuditEvent.seq)).all())
    engine.dispose()
    return rows


def _rechain_from(settings: Settings, first_seq: int, edit: dict[str, Any], hasher: Any, key_id: str | None) -> None:
    """What an attacker with write access to the database does: edit an event, then recompute its
    hash and every later one (and the head) with the app's own function."""
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.begin() as conn:
        rows = conn.execute(select(AuditEvent).order_by(AuditEvent.seq)).all()
        prev = GENESIS_HASH if first_seq == 1 else rows[first_seq - 2].hash
        for row in rows[first_seq - 1:]:
            forged = AuditEvent(**{c: getattr(row, c) for c in row._fields})
            if row.seq == first_seq:
                for name, value in edit.items():
                    setattr(forged, name, value)
            forged.key_id = key_id
            forged.hash = hasher(forged, prev)
            conn.execute(update(AuditEvent).where(AuditEvent.seq == row.seq)
                         .values(**edit if row.seq == first_seq else {}, prev_hash=prev, hash=forged.hash,
                                 key_id=key_id))
            prev = forged.hash
        conn.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(hash=prev))
    engine.dispose()


class TestAttacks:
    """The three rewrites of issue 12, each by someone with write access to the database only."""

    def test_edited_event_with_every_later_hash_recomputed_is_detected(self, settings: Settings) -> None:
        _append(settings, 6)
        attacker_key = Key.generate()  # the vault's key is not in the database: the attacker has to guess
        _rechain_from(settings, 3, {"summary": "nothing happened"},
                      lambda e, prev: keyed_hash(e, prev, chain_key(attacker_key)), attacker_key.id_hex)
        report = _verify(settings)
        assert not report.ok and report.first_broken_seq == 3
        assert "not in the vault's key ring" in report.message
        # ...claiming the vault's key id does not help either.
        _rechain_from(settings, 3, {"summary": "nothing happened"},
                      lambda e, prev: keyed_hash(e, prev, chain_key(attacker_key)), current_ring().primary.id_hex)
        report = _verify(settings)
        assert not report.ok and report.first_broken_seq == 3
        assert "contents were changed" in report.message

    def test_rewriting_with_the_old_unkeyed_function_is_detected(self, settings: Settings) -> None:
        _append(settings, 6)
        _rechain_from(settings, 3, {"summary": "nothing happened"}, event_hash, None)
        report = _verify(settings)
        assert not report.ok and report.first_broken_seq == 3
        assert "unkeyed but follows keyed events" in report.message

    def test_downgrading_the_whole_trail_is_caught_by_an_anchor(self, settings: Settings) -> None:
        """Rewritten from the first event with the old unkeyed function, the trail looks like one
        from before the upgrade: verification says so, and the anchor taken earlier refutes it."""
        _append(settings, 4)
        anchor = _anchor(settings)
        _rechain_from(settings, 1, {"summary": "nothing happened"}, event_hash, None)
        plain = _verify(settings)
        assert plain.ok and plain.legacy_events == 4
        assert "before the chain was keyed" in plain.message
        report = _verify_anchor(settings, anchor)
        assert not report.ok and report.first_broken_seq == 4
        assert "does not have the hash the anchor" in report.message

    def test_deleted_newest_events_with_the_head_moved_are_caught_by_an_anchor(self, settings: Settings) -> None:
        _append(settings, 8)
        anchor = _anchor(settings)
        assert anchor["sequence"] == 8
        rows = _rows(settings)
        _execute(settings, delete(AuditEvent).where(AuditEvent.seq >= 6))
        _execute(settings, update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=5, hash=rows[4].hash))
        assert _verify(settings).ok  # inside the database alone, a clean cut cannot be told from a shorter trail
        report = _verify_anchor(settings, anchor)
        assert not report.ok and report.first_broken_seq == 6
        assert "the chain ends at event 5 but the anchor" in report.message

    def test_wiped_trail_and_head_on_a_database_with_operators_is_not_intact(self, settings: Settings) -> None:
        add_operator(settings, "someone")
        _append(settings, 3)
        anchor = _anchor(settings)
        _execute(settings, delete(AuditEvent))
        _execute(settings, update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=0, hash=GENESIS_HASH))
        report = _verify(settings)
        assert not report.ok and report.events_checked == 0
        assert "the trail is empty but the database has 1 operator and 0 onboardings" in report.message
        _execute(settings, delete(AuditChainHead))
        assert not _verify(settings).ok
        assert not _verify_anchor(settings, anchor).ok


class TestAnchor:
    def test_anchor_verifies_and_later_appends_keep_it_valid(self, settings: Settings) -> None:
        empty = _anchor(settings)
        assert empty["sequence"] == 0 and _verify_anchor(settings, empty).ok
        _append(settings, 3)
        anchor = _anchor(settings)
        assert anchor["key_id"] == current_ring().primary.id_hex
        _append(settings, 2)
        report = _verify_anchor(settings, anchor)
        assert report.ok and report.events_checked == 5 and report.anchor_seq == 3
        assert "matches the anchor at event 3" in report.message

    def test_an_altered_or_foreign_anchor_is_refused(self, settings: Settings) -> None:
        _append(settings, 3)
        anchor = _anchor(settings)
        with pytest.raises(AnchorError, match="signature does not match"):
            read_anchor(json.dumps({**anchor, "sequence": 2}), current_ring())
        foreign = sign_anchor(3, anchor["hash"], KeySource(env_key=Key.generate().encoded(), env_previous=None,
                                                            key_file=None, create_file=False).ring())
        with pytest.raises(AnchorError, match="not in the vault's key ring"):
            read_anchor(json.dumps(foreign), current_ring())
        with pytest.raises(AnchorError, match="not an onboard-audit-anchor"):
            read_anchor("{}", current_ring())


class TestKeys:
    def test_events_before_a_rotation_verify_with_the_old_key(self, settings: Settings, vault_key: str) -> None:
        _append(settings, 3)
        new = Key.generate()
        use_keys(KeySource(env_key=new.encoded(), env_previous=vault_key, key_file=None, create_file=False))
        _append(settings, 2)
        assert {r.key_id for r in _rows(settings)} == {Key.decode(vault_key, where="test").id_hex, new.id_hex}
        assert _verify(settings).ok
        # Without the old key the old events cannot be checked, and verification says so.
        use_keys(KeySource(env_key=new.encoded(), env_previous=None, key_file=None, create_file=False))
        report = _verify(settings)
        assert not report.ok and report.first_broken_seq == 1 and "not in the vault's key ring" in report.message

    def test_retiring_keeps_a_key_the_trail_needs(self, settings: Settings, tmp_path: Path) -> None:
        from app.store.rotation import rotate

        source = KeySource(env_key=None, env_previous=None, key_file=tmp_path / "vault.key", create_file=True)
        use_keys(source)
        _append(settings, 2)
        old = source.ring().primary.id_hex

        async def go() -> Any:
            db = Database(settings.resolved_database_url)
            try:
                await rotate(db, source)
                return await rotate(db, source, new_key=False, retire=True)
            finally:
                await db.dispose()

        report = asyncio.run(go())
        assert report.retired_key_ids == [] and report.kept_key_ids == [old]
        _append(settings, 1)
        assert _verify(settings).ok

    def test_legacy_unkeyed_events_verify_before_the_keyed_chain(self, settings: Settings) -> None:
        """Events written before the upgrade keep their unkeyed hash; the keyed chain continues them."""
        _append(settings, 3)
        _rechain_from(settings, 1, {}, event_hash, None)  # as the events of an older version were written
        _append(settings, 2)
        report = _verify(settings)
        assert report.ok and report.events_checked == 5 and report.legacy_events == 3
        assert "The first 3 were written before the chain was keyed" in report.message

    def test_recording_without_a_key_fails_before_writing(self, settings: Settings) -> None:
        import app.audit.keys as keys

        saved = keys.key_source()
        keys._source = None
        try:
            with pytest.raises(keys.AuditKeyError):
                _append(settings, 1)
        finally:
            use_keys(saved)
        assert _rows(settings) == []


def test_a_long_summary_is_kept_whole_and_a_huge_one_cut_between_words(settings: Settings) -> None:
    """An action's record saying what the person must still do ended mid-sentence at 500 characters in
    the report's timeline and the audit trail (QA walk 27, L6)."""
    from app.audit.recorder import SUMMARY_LIMIT

    long, huge = "Applied: " + "word " * 300 + "the end.", "Applied: " + "word " * 1000

    async def write(session: Any) -> None:
        for summary in (long, huge):
            await record(session, action="apply", summary=summary, actor=Actor.system("engine"))

    in_database(settings, write)
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.connect() as conn:
        kept = [row[0] for row in conn.execute(text("SELECT summary FROM audit_events ORDER BY seq"))]
    engine.dispose()
    assert kept[0] == long
    assert len(kept[1]) <= SUMMARY_LIMIT and kept[1].endswith("word…"), kept[1][-20:]

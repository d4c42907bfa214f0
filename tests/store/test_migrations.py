"""Migrations: every one goes up and back down on both databases, and the migrated schema is
exactly what the models declare."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

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

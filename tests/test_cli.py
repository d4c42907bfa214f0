"""The `onboard` command line, run as a user would run it: each command in a process of its own, with
its own environment, arguments and standard streams. One test starts the installed `onboard` script
as a shell does; the others fork a process that has the wizard imported already (tests/launch.py),
which skips the second of imports each new interpreter would spend first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.settings import Settings
from app.vault.keyring import Key
from tests.launch import run
from tests.support import web_client


def onboard(settings: Settings, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return run(list(args), environment(settings, env), input=stdin)


def environment(settings: Settings, env: dict[str, str] | None = None) -> dict[str, str]:
    """What a deployment of ``settings`` sets in the environment, with ``env`` on top."""
    found = {
        **os.environ,
        "DATABASE_URL": settings.resolved_database_url,
        "ONBOARD_DATA_DIR": str(settings.data_dir),
        "ONBOARD_ENVIRONMENT": "test",
        **(env or {}),
    }
    if settings.secret_key and "ONBOARD_SECRET_KEY" not in (env or {}) and "ONBOARD_KEY_FILE" not in (env or {}):
        found["ONBOARD_SECRET_KEY"] = settings.secret_key.get_secret_value()
    return found


class TestCommandLine:
    def test_generate_key_prints_a_usable_key(self, settings: Settings) -> None:
        """The installed command, started the way a shell starts it (a new interpreter)."""
        script = Path(sys.executable).with_name("onboard")
        result = subprocess.run([str(script), "generate-key"], env=environment(settings), capture_output=True,
                                text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        Key.decode(result.stdout.strip(), where="output")

    def test_create_operator_from_stdin(self, settings: Settings) -> None:
        result = onboard(settings, "create-operator", "--username", "cli.admin", "--role", "admin",
                         "--password-stdin", stdin="a password from the cli\n")
        assert result.returncode == 0, result.stderr
        assert "Created cli.admin (Administrator)." in result.stdout
        with web_client(settings) as web:
            assert web.sign_in("cli.admin", "a password from the cli").status_code == 303

    def test_create_operator_explains_a_bad_password(self, settings: Settings) -> None:
        result = onboard(settings, "create-operator", "--username", "x1", "--password-stdin", stdin="short\n")
        assert result.returncode == 1
        assert "Use at least 12 characters." in result.stderr

    def test_setup_link_only_before_the_first_operator(self, settings: Settings) -> None:
        first = onboard(settings, "setup-link")
        assert first.returncode == 0
        assert "/setup?token=" in first.stdout
        onboard(settings, "create-operator", "--username", "someone", "--password-stdin",
                stdin="a password from the cli\n")
        again = onboard(settings, "setup-link")
        assert again.returncode == 1
        assert "Setup is already complete" in again.stderr

    def test_rotate_key_with_a_key_file(self, settings: Settings, tmp_path: Path) -> None:
        key_file = tmp_path / "keys" / "vault.key"
        env = {"ONBOARD_KEY_FILE": str(key_file), "ONBOARD_SECRET_KEY": ""}
        result = onboard(settings, "rotate-key", env=env)
        assert result.returncode == 0, result.stderr
        assert "New primary key" in result.stdout and "Re-encrypted 0 secrets." in result.stdout

    def test_commands_refuse_an_unmigrated_database(self, tmp_path: Path) -> None:
        settings = Settings(database_url=f"sqlite:///{tmp_path}/empty.db", data_dir=tmp_path,
                            secret_key=Key.generate().encoded())  # type: ignore[arg-type]
        result = onboard(settings, "setup-link")
        assert result.returncode == 1
        assert "Run `onboard db upgrade` first." in result.stderr

    def test_production_refuses_to_start_without_a_key(self, settings: Settings, tmp_path: Path) -> None:
        result = onboard(settings, "setup-link", env={"ONBOARD_ENVIRONMENT": "production", "ONBOARD_SECRET_KEY": "",
                                                     "ONBOARD_DATA_DIR": str(tmp_path / "fresh")})
        assert result.returncode == 1
        assert "never generates a key" in result.stderr


def test_data_files_are_private_to_the_service(tmp_path: Path) -> None:
    data = tmp_path / "private"
    settings = Settings(database_url=f"sqlite:///{data}/onboard.db", data_dir=data)
    result = onboard(settings, "db", "upgrade", env={"ONBOARD_SECRET_KEY": ""})
    assert result.returncode == 0, result.stderr
    assert oct((data / "onboard.db").stat().st_mode & 0o777) == oct(0o600)
    assert oct(data.stat().st_mode & 0o777) == oct(0o700)


def test_audit_verify_command_names_the_broken_event(settings: Settings) -> None:
    from sqlalchemy import update

    from app.store.db import create_sync_engine
    from app.store.models import AuditEvent

    for name in ("one", "two", "three"):
        onboard(settings, "create-operator", "--username", f"user.{name}", "--password-stdin",
                stdin="a password from the cli\n")
    intact = onboard(settings, "audit", "verify")
    assert intact.returncode == 0
    assert "Audit chain intact: 3 events verified." in intact.stdout
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(summary="edited"))
    engine.dispose()
    broken = onboard(settings, "audit", "verify")
    assert broken.returncode == 1
    assert "Audit chain broken at event 2: its contents were changed" in broken.stdout


def test_audit_verify_says_its_answer_and_nothing_else(settings: Settings) -> None:
    """It printed alembic's "Context impl SQLiteImpl." and "Will assume non-transactional DDL." on
    stderr before the answer, from the check that the database is migrated (QA walk 13, L6)."""
    onboard(settings, "create-operator", "--username", "user.one", "--password-stdin",
            stdin="a password from the cli\n")
    result = onboard(settings, "audit", "verify")
    assert (result.returncode, result.stdout, result.stderr) == (0, "Audit chain intact: 1 events verified.\n", "")
    anchored = onboard(settings, "audit", "anchor")
    assert anchored.returncode == 0 and anchored.stderr == ""


def test_a_migration_still_says_what_it_ran(tmp_path: Path) -> None:
    """Quiet checks, not a quiet upgrade: the person who migrates sees each step run."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/fresh.db", data_dir=tmp_path)
    result = onboard(settings, "db", "upgrade", env={"ONBOARD_SECRET_KEY": ""})
    assert result.returncode == 0, result.stderr
    assert "Running upgrade  -> 0001" in result.stderr
    assert result.stdout == "Database is at head.\n"


def test_audit_anchor_and_verify_with_it_catch_a_shortened_chain(settings: Settings, tmp_path: Path) -> None:
    """`onboard audit anchor` prints a signed statement of the head; kept outside the database, it
    proves with `verify --anchor` that the newest events were deleted even when the head was moved."""
    from sqlalchemy import delete, select, update

    from app.store.db import create_sync_engine
    from app.store.models import AuditChainHead, AuditEvent

    for name in ("one", "two", "three"):
        onboard(settings, "create-operator", "--username", f"user.{name}", "--password-stdin",
                stdin="a password from the cli\n")
    anchored = onboard(settings, "audit", "anchor")
    assert anchored.returncode == 0, anchored.stderr
    anchor = tmp_path / "anchor.json"
    anchor.write_text(anchored.stdout)
    intact = onboard(settings, "audit", "verify", "--anchor", str(anchor))
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "Audit chain intact: 3 events verified." in intact.stdout
    assert "matches the anchor at event 3" in intact.stdout
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.begin() as conn:
        second = conn.execute(select(AuditEvent.hash).where(AuditEvent.seq == 2)).scalar_one()
        conn.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
        conn.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=2, hash=second))
    engine.dispose()
    broken = onboard(settings, "audit", "verify", "--anchor", str(anchor))
    assert broken.returncode == 1
    assert "Audit chain broken at event 3: the chain ends at event 2 but the anchor" in broken.stdout
    anchor.write_text(anchored.stdout.replace('"sequence": 3', '"sequence": 2'))
    forged = onboard(settings, "audit", "verify", "--anchor", str(anchor))
    assert forged.returncode == 1
    assert "signature does not match" in forged.stderr


def test_audit_verify_reports_a_wiped_trail(settings: Settings) -> None:
    from sqlalchemy import delete

    from app.store.db import create_sync_engine
    from app.store.models import AuditChainHead, AuditEvent

    onboard(settings, "create-operator", "--username", "user.one", "--password-stdin",
            stdin="a password from the cli\n")
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.begin() as conn:
        conn.execute(delete(AuditEvent))
        conn.execute(delete(AuditChainHead))
    engine.dispose()
    result = onboard(settings, "audit", "verify")
    assert result.returncode == 1
    assert ("Audit chain broken at event 1: the trail is empty but the database has 1 operator and 0 onboardings"
            in result.stdout)

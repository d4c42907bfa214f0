"""The ``onboard`` command line: run the server, migrate, manage operators and the vault key."""

from __future__ import annotations

import asyncio
import gc
import getpass
import os
import sys
from typing import Annotated, Any

import typer

from app.common.text import counted
from app.settings import Settings, load_settings

cli = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Okta onboarding wizard: server, database and key management.")
db_cli = typer.Typer(no_args_is_help=True, help="Database migrations.")
cli.add_typer(db_cli, name="db")
audit_cli = typer.Typer(no_args_is_help=True, help="The audit trail.")
cli.add_typer(audit_cli, name="audit")


def _settings(*, migrating: bool = False) -> Settings:
    """The settings, with logging configured. Only a command that migrates says what alembic does:
    every other one checks the database's revision first, and alembic's INFO lines about it
    ("Context impl SQLiteImpl.") came on stderr before the command's answer. Its warnings and
    errors are still shown."""
    import logging

    from app.observability import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level)
    if not migrating:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    return settings


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from app.store.migrate import upgrade

    settings = _settings(migrating=True)
    upgrade(settings.resolved_database_url, revision)
    typer.echo(f"Database is at {revision}.")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base")]) -> None:
    """Undo migrations down to REVISION."""
    from app.store.migrate import downgrade

    settings = _settings(migrating=True)
    downgrade(settings.resolved_database_url, revision)
    typer.echo(f"Database is at {revision}.")


@db_cli.command("current")
def db_current() -> None:
    """Print the database's revision and the newest one."""
    from app.store.migrate import current_revision, head_revision

    settings = _settings()
    typer.echo(f"current: {current_revision(settings.resolved_database_url)}  head: {head_revision()}")


async def _issue_setup_link(settings: Settings) -> str | None:
    from app.auth.setup import issue_setup_token
    from app.store.db import Database

    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as session:
            token = await issue_setup_token(session, settings)
    finally:
        await db.dispose()
    if token is None:
        return None
    return f"{settings.resolved_public_url}/setup?token={token}"


def _check_ready(settings: Settings) -> None:
    from app.audit.keys import use_keys
    from app.store.migrate import is_up_to_date
    from app.vault import KeyRingError, key_source_for

    try:
        use_keys(key_source_for(settings))  # the audit chain is keyed from the vault's key ring
    except KeyRingError as exc:
        _fail(f"Cannot start: {exc}.")
    if not is_up_to_date(settings.resolved_database_url):
        _fail("The database is not migrated to the newest revision. Run `onboard db upgrade` first.")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Run the web server."""
    import uvicorn

    from app.main import create_app

    overrides: dict[str, object] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    settings = load_settings(**overrides) if overrides else _settings()
    if overrides:
        from app.observability import configure_logging

        configure_logging(settings.log_level)
    _check_ready(settings)
    link = asyncio.run(_issue_setup_link(settings))
    demo = None
    sandbox_app = None
    if settings.run_demo:
        from urllib.parse import urlsplit

        from okta_sandbox.server import build

        _org, sandbox_app, demo = build(base_url=settings.sandbox_url, pipeline="idx", seed="demo",
                                        wizard_url=settings.resolved_public_url)
    typer.echo("")
    typer.secho(f"  Okta onboarding wizard: {settings.resolved_public_url}/", bold=True)
    if link:
        typer.echo("  No operator exists yet. Open this one-time link to choose the first administrator's")
        typer.echo("  password (it is valid for "
                   f"{settings.setup_token_hours} hours, and a new one is printed at every start):")
        typer.secho(f"  {link}", fg=typer.colors.GREEN)
    if demo is not None:
        typer.echo(f"  Sandbox Okta org (demo): {settings.sandbox_url}  (Okta connections > Use the sandbox org;")
        typer.echo(f"  its Admin Console, for the steps a person does: {settings.sandbox_url}/__sandbox__/console)")
        typer.echo(f"  Its sign-in app, to try Settings > identity provider: {settings.sandbox_url}/__sandbox__/oidc")
    typer.echo("")
    sys.stdout.flush()
    app = create_app(settings, sandbox=demo)
    # What start-up built (playbooks, templates, the ORM's mappings) lives as long as the process:
    # keep it out of the garbage collector's full passes, which would otherwise walk it again and
    # again and stall requests while they do.
    gc.collect()
    gc.freeze()
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                            proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
                            server_header=False)
    if sandbox_app is None:
        uvicorn.Server(config).run()
        return
    parts = urlsplit(settings.sandbox_url)
    sandbox_config = uvicorn.Config(sandbox_app, host=parts.hostname or "127.0.0.1", port=parts.port or 8010,
                                    log_config=None, access_log=False, server_header=False, date_header=False)
    asyncio.run(_serve_together([uvicorn.Server(config), uvicorn.Server(sandbox_config)]))


async def _serve_together(servers: list[Any]) -> None:
    """Run the wizard and the demo sandbox in one process; when one stops (Ctrl-C), stop both."""
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    _done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*pending, return_exceptions=True)


@cli.command("setup-link")
def setup_link() -> None:
    """Print a new one-time setup link (only while no operator exists)."""
    settings = _settings()
    _check_ready(settings)
    link = asyncio.run(_issue_setup_link(settings))
    if link is None:
        _fail("Setup is already complete: operators exist. Sign in, or use `onboard create-operator`.")
    typer.echo(link)


@cli.command("create-operator")
def create_operator(
    username: Annotated[str, typer.Option(help="Sign-in name")],
    role: Annotated[str, typer.Option(help="admin, operator or auditor")] = "operator",
    display_name: Annotated[str | None, typer.Option(help="Name shown in the app")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input")] = False,
) -> None:
    """Create an operator account (asks for the password without echoing it)."""
    from app.audit import Actor
    from app.auth.operators import NewOperator
    from app.auth.operators import create_operator as create
    from app.common.validation import ValidationFailed
    from app.store.db import Database

    settings = _settings()
    _check_ready(settings)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            _fail("The two passwords do not match.")
    new = NewOperator(username=username, display_name=display_name or username, role=role, password=password)

    async def run() -> str:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                operator = await create(session, new, Actor.system("command line"))
                return f"Created {operator.username} ({operator.role_enum.label})."
        finally:
            await db.dispose()

    try:
        typer.echo(asyncio.run(run()))
    except ValidationFailed as exc:
        _fail("; ".join(f"{k}: {v}" for k, v in exc.errors.items()) or exc.message)


@cli.command("generate-key")
def generate_key() -> None:
    """Print a new random vault key, for ONBOARD_SECRET_KEY."""
    from app.vault.keyring import Key

    typer.echo(Key.generate().encoded())


@cli.command("rotate-key")
def rotate_key(
    retire: Annotated[bool, typer.Option(help="Also remove old keys that no stored secret uses any more")] = False,
) -> None:
    """Make a new vault key and re-encrypt every stored secret with it.

    With a key file, the new key is generated and written there (old keys stay for reading).
    With ONBOARD_SECRET_KEY, put the new key there and the old one in ONBOARD_SECRET_KEY_PREVIOUS,
    restart the servers, then run this to re-encrypt."""
    from app.store.db import Database
    from app.store.rotation import rotate
    from app.vault import key_source_for

    settings = _settings()
    _check_ready(settings)
    source = key_source_for(settings)

    async def run() -> None:
        db = Database(settings.resolved_database_url)
        try:
            report = await rotate(db, source, retire=retire)
        finally:
            await db.dispose()
        if report.new_key_id:
            typer.echo(f"New primary key {report.new_key_id} written to {source.key_file}.")
        else:
            typer.echo(f"Primary key {source.ring().primary.id_hex} (from the environment).")
        typer.echo(f"Re-encrypted {counted(report.resealed, 'secret')}.")
        if report.retired_key_ids:
            typer.echo(f"Retired {'key' if len(report.retired_key_ids) == 1 else 'keys'} no secret uses: "
                       f"{', '.join(report.retired_key_ids)}.")
        if report.kept_key_ids:
            typer.echo(f"Old {'key' if len(report.kept_key_ids) == 1 else 'keys'} still kept for reading: "
                       f"{', '.join(report.kept_key_ids)}"
                       " (run again with --retire once every server has picked up the new key).")

    asyncio.run(run())


@cli.command()
def sandbox(
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8010,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    seed: Annotated[str | None, typer.Option(help="Seed the org: 'demo' for the demo org")] = None,
    pipeline: Annotated[str, typer.Option(help="idx (Identity Engine) or v1 (Classic Engine)")] = "idx",
) -> None:
    """Run the sandbox Okta org on its own; prints its address (and with --seed demo the admin token)."""
    from okta_sandbox.server import serve as serve_sandbox

    if seed not in (None, "demo"):
        _fail("--seed takes 'demo' (or nothing for an empty org).")
    if pipeline not in ("idx", "v1"):
        _fail("--pipeline is idx (Identity Engine) or v1 (Classic Engine).")
    if not load_settings().sandbox:
        _fail("The sandbox is turned off here (ONBOARD_SANDBOX_ENABLED, or production). It is a fake Okta org"
              " for development and tests only.")
    serve_sandbox(host=host, port=port, pipeline=pipeline, seed=seed)


@audit_cli.command("verify")
def audit_verify(
    anchor: Annotated[str | None, typer.Option(
        help="An anchor file from `onboard audit anchor`: also prove nothing up to it was removed or changed")] = None,
) -> None:
    """Check the audit trail's keyed hash chain; exits 1 and names the first broken event if it is broken."""
    from pathlib import Path

    from app.audit.anchor import AnchorError, read_anchor, verify_with_anchor
    from app.audit.chain import ChainReport, verify_chain
    from app.audit.keys import current_ring
    from app.store.db import Database

    settings = _settings()
    _check_ready(settings)
    statement = None
    if anchor is not None:
        try:
            statement = read_anchor(Path(anchor).read_text(), current_ring())
        except OSError as exc:
            _fail(f"Cannot read the anchor {anchor}: {exc.strerror or exc}.")
        except AnchorError as exc:
            _fail(f"Audit chain not verified: {exc}.")

    async def run() -> ChainReport:
        db = Database(settings.resolved_database_url)
        try:
            async with db.sessions() as session:
                if statement is not None:
                    return await verify_with_anchor(session, statement)
                return await verify_chain(session)
        finally:
            await db.dispose()

    report = asyncio.run(run())
    typer.echo(report.message)
    if not report.ok:
        raise typer.Exit(code=1)


@audit_cli.command("anchor")
def audit_anchor() -> None:
    """Print a signed statement of the chain head (sequence, keyed hash, time) to keep outside the database;
    `onboard audit verify --anchor FILE` later proves nothing up to it was removed or changed."""
    import json

    from app.audit.anchor import make_anchor
    from app.store.db import Database

    settings = _settings()
    _check_ready(settings)

    async def run() -> tuple[Any, dict[str, Any]]:
        db = Database(settings.resolved_database_url)
        try:
            async with db.sessions() as session:
                return await make_anchor(session)
        finally:
            await db.dispose()

    report, statement = asyncio.run(run())
    if not report.ok:
        _fail(f"No anchor: {report.message}")
    typer.echo(json.dumps(statement, indent=2))


@cli.command()
def coverage(check: Annotated[bool, typer.Option(help="Only check that docs/coverage.md is current")] = False) -> None:
    """Write docs/coverage.md: every document step and the playbook step that covers it."""
    from app.engine.kinds import KINDS
    from app.playbooks import coverage as cov
    from app.playbooks.loader import PlaybookLibrary

    library = PlaybookLibrary.load(KINDS)
    text = cov.render(library)
    if check:
        current = cov.COVERAGE_FILE.read_text() if cov.COVERAGE_FILE.exists() else ""
        if current != text:
            _fail("docs/coverage.md is out of date: run `onboard coverage`.")
        typer.echo("docs/coverage.md is current.")
        return
    cov.write(library)
    typer.echo(f"Wrote {cov.COVERAGE_FILE}.")


def main() -> None:
    # Files this process creates (the SQLite database, its journal, the key file) are the
    # service's alone.
    os.umask(0o077)
    cli()


if __name__ == "__main__":
    main()

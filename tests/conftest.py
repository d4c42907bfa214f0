"""Test fixtures. Database tests run on the migrated schema, once on SQLite and once on Postgres;
each test starts from empty tables. Postgres is not optional: if it cannot be reached the run
fails (pass ``--db=sqlite`` to run only SQLite on a machine without it)."""

from __future__ import annotations

import asyncio
import gc
import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.audit.keys import use_keys as use_audit_keys
from app.auth.passwords import PasswordHasherChoice
from app.settings import Environment, Settings
from app.store.base import Base
from app.store.db import create_sync_engine
from app.store.migrate import upgrade
from app.vault.keyring import Key, KeySource
from app.vault.redaction import REDACTOR

PasswordHasherChoice.use_fast_hashing()

pytest_plugins = ["tests.okta_fixtures", "tests.state_owner"]

POSTGRES_ADMIN_URL = os.environ.get(
    "ONBOARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _fresh_redactor() -> Iterator[None]:
    """The redactor remembers every secret the process handled: a hostile payload another test used
    as a token would otherwise be masked inside this test's Okta values."""
    REDACTOR.forget_all()
    yield
    REDACTOR.forget_all()


# The garbage collector's share of the suite: every test builds an application (routes, templates,
# an engine, a sandbox org), and when the test ends that graph is cyclic garbage, found by the full
# collections that also walk every module, class and function imported. Measured on
# tests/web/test_access.py: a quarter of the run in the collector by default, under a tenth with
# what is imported frozen out of its walks (after collection) and younger garbage collected less
# often, so each graph is mostly freed young (docs/benchmarks.md, the test suite). The test process
# only: the servers the suite starts keep Python's defaults.
GC_THRESHOLDS = (10_000, 50, 50)


def pytest_configure(config: pytest.Config) -> None:
    gc.set_threshold(*GC_THRESHOLDS)


# The tests that take longest (a server killed 20 times, two servers at once, a browser journey:
# 10 to 30 s apiece) run first. The parallel workers share out the rest as they go, taking over half
# of a busy worker's queue from its end, but cannot split one test: where pytest collected them, the
# longest ended the run on one worker while the other had been idle for half a minute
# (docs/benchmarks.md). At the front, they are done before the queues run down.
LONGEST_FIRST = ("slow", "browser")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first, those of each database together (each database's session set-up is
    then made twice, not once per switch); otherwise the order stays."""
    def rank(item: pytest.Item) -> int:
        return next((i for i, name in enumerate(LONGEST_FIRST) if item.get_closest_marker(name)), len(LONGEST_FIRST))

    backends = list(dict.fromkeys(_backend(item) for item in items))
    longest = sorted((item for item in items if rank(item) < len(LONGEST_FIRST)),
                     key=lambda item: (backends.index(_backend(item)), rank(item)))
    chosen = set(longest)
    items[:] = longest + [item for item in items if item not in chosen]


def _backend(item: pytest.Item) -> object:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("db_backend") if callspec is not None else None


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", default="sqlite,postgres",
                     help="comma-separated database backends to run database tests on")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_backend" in metafunc.fixturenames:
        backends = [b.strip() for b in metafunc.config.getoption("--db").split(",") if b.strip()]
        metafunc.parametrize("db_backend", backends, indirect=True, scope="session")


@pytest.fixture(scope="session")
def db_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _create_postgres_database() -> str:
    name = f"onboard_test_{_worker()}_{secrets.token_hex(3)}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # Commits not waiting for the disk: a test's database is thrown away, never recovered
            # after a crash of Postgres, and what a commit makes visible to every other connection
            # (the servers and workers the tests start) is the same either way. Each commit waited
            # 1.5 to 2 ms on fsync here, and a test commits tens to hundreds of times.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except Exception as exc:
        pytest.fail(
            f"Postgres at {make_url(POSTGRES_ADMIN_URL).render_as_string()} is unreachable ({exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]}). The Postgres run is mandatory; start the server, or pass --db=sqlite "
            "to run only the SQLite half locally.",
            pytrace=False,
        )
    finally:
        admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def empty_database_factory(db_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Makes new, empty (unmigrated) databases of the backend under test; drops them at the end."""
    created: list[str] = []

    def make() -> str:
        if db_backend == "sqlite":
            path = tmp_path_factory.mktemp("sqlite") / f"{uuid.uuid4().hex}.db"
            url = f"sqlite:///{path}"
        else:
            url = _create_postgres_database()
        created.append(url)
        return url

    yield make
    for url in created:
        if not url.startswith("sqlite"):
            engine = _POSTGRES_ENGINES.pop(url, None)
            if engine is not None:
                engine.dispose()
            _drop_postgres_database(url)


@pytest.fixture(scope="session")
def migrated_url(empty_database_factory: object) -> str:
    url: str = empty_database_factory()  # type: ignore[operator]
    upgrade(url)
    return url


# One engine per Postgres test database, kept for the session: connecting costs more than emptying.
_POSTGRES_ENGINES: dict[str, Engine] = {}


def _reset_postgres(url: str, tables: list[str]) -> None:
    """Empty the tables with DELETE, children first, and restart the id sequences: as clean as
    TRUNCATE ... RESTART IDENTITY, but TRUNCATE rewrites every table's files and costs 60 to 400
    ms a test where DELETE of a test's few rows costs 3 to 8 (docs/benchmarks.md, the test suite)."""
    engine = _POSTGRES_ENGINES.get(url)
    if engine is None:
        engine = _POSTGRES_ENGINES[url] = create_sync_engine(url, pool_size=1)
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f'DELETE FROM "{table}"'))
        for (sequence,) in conn.execute(text("SELECT sequence_name FROM information_schema.sequences")):
            conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
        conn.execute(text("INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64})


def reset_database(url: str) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    if make_url(url).get_backend_name() == "postgresql":
        _reset_postgres(url, tables)
        return
    engine = create_sync_engine(url)
    try:
        with engine.begin() as conn:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(text("DELETE FROM sqlite_sequence")) if conn.execute(
                text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first() else None
            conn.execute(text("INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64})
    finally:
        engine.dispose()


@pytest.fixture
def database_url(migrated_url: str) -> Iterator[str]:
    """A migrated database with empty tables, the same for every test."""
    reset_database(migrated_url)
    yield migrated_url


@pytest.fixture
def vault_key() -> str:
    return Key.generate().encoded()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, vault_key: str) -> Settings:
    # The audit chain is keyed from the vault's keys; a test that records before it builds an app
    # uses this test's key (as the server and the command line would).
    use_audit_keys(KeySource(env_key=vault_key, env_previous=None, key_file=None, create_file=False))
    return Settings(
        environment=Environment.TEST,
        database_url=database_url,
        data_dir=tmp_path / "data",
        secret_key=vault_key,  # type: ignore[arg-type]
        sandbox_enabled=True,
    )


def run(coro: object) -> object:
    """Run a coroutine from a synchronous test."""
    return asyncio.run(coro)  # type: ignore[arg-type]

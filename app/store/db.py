"""Engines and sessions. The application talks to the database asynchronously; migrations and
the command line use a synchronous engine on the same URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _with_driver(url: str, drivers: dict[str, str]) -> str:
    parsed = make_url(url)
    driver = drivers.get(parsed.get_backend_name())
    return parsed.set(drivername=driver).render_as_string(hide_password=False) if driver else url


def async_url(url: str) -> str:
    """The URL with the driver the server uses (aiosqlite, psycopg's async mode)."""
    return _with_driver(url, {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"})


def sync_url(url: str) -> str:
    """The URL with the driver migrations and the command line use."""
    return _with_driver(url, {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"})


@asynccontextmanager
async def unit_of_work(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session that commits if the block finishes and rolls back if it raises."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def ensure_sqlite_directory(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    """WAL so readers never wait for a writer. A unit of work that will write starts with
    BEGIN IMMEDIATE (execution option ``sqlite_begin``), so two writers queue on the busy timeout
    instead of one failing at once when it upgrades a read lock; reads start DEFERRED and never
    block anyone."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {'IMMEDIATE' if mode == 'IMMEDIATE' else 'DEFERRED'}")


def create_sync_engine(url: str, **kwargs: Any) -> Engine:
    url = sync_url(url)
    ensure_sqlite_directory(url)
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    if is_sqlite(url):
        _configure_sqlite(engine)
        engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    return engine


class Database:
    """The application's handle on its database: one async engine and its session factory."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 20, pool_timeout: float = 30) -> None:
        self.url = url
        aurl = async_url(url)
        ensure_sqlite_directory(aurl)
        # A server database may drop a pooled connection (restart, failover, idle timeout): ping it
        # before use. A SQLite file cannot, and the ping would cost each request two more hops to
        # the connection's thread.
        kwargs: dict[str, Any] = {}
        if not is_sqlite(url):
            kwargs.update(pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow,
                          pool_timeout=pool_timeout)
        self.engine: AsyncEngine = create_async_engine(aurl, **kwargs)
        if is_sqlite(url):
            _configure_sqlite(self.engine.sync_engine)
        # Reads; and writes, for units of work that will write (IMMEDIATE on SQLite).
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self.write_sessions = async_sessionmaker(self.engine.execution_options(sqlite_begin="IMMEDIATE"),
                                                 expire_on_commit=False, autoflush=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that writes: commits if the block finishes, rolls back if it raises."""
        async with unit_of_work(self.write_sessions) as session:
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name

"""Looking for canary secrets everywhere they must not be: every table of the database (and the
SQLite file itself, WAL included), captured logs, rendered pages, exports."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from app.store.db import create_sync_engine


def database_bytes(url: str) -> bytes:
    """Everything the database holds, as bytes: each row of each table, and for SQLite the
    database file and its write-ahead log as they sit on disk."""
    chunks: list[bytes] = []
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        for suffix in ("", "-wal", "-journal"):
            path = Path(parsed.database + suffix)
            if path.exists():
                chunks.append(path.read_bytes())
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        if isinstance(value, bytes | memoryview):
                            chunks.append(bytes(value))
                        elif value is not None:
                            chunks.append(str(value).encode())
    finally:
        engine.dispose()
    return b"\n".join(chunks)


def forms_of(canary: str) -> list[bytes]:
    """The plaintext as it could appear: raw, and base64/hex encoded."""
    raw = canary.encode()
    return [raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw).rstrip(b"="), raw.hex().encode()]


def assert_no_canary(canaries: Iterable[str], haystacks: dict[str, bytes | str]) -> None:
    for canary in canaries:
        for where, haystack in haystacks.items():
            data = haystack.encode() if isinstance(haystack, str) else haystack
            for form in forms_of(canary):
                assert form not in data, f"canary {canary[:6]}… found in {where}"

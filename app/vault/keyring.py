"""Where the vault's keys come from: the environment or a key file, and how a key is rotated.

A key is 32 random bytes, written base64url. Its id is derived from the key itself, so a
ciphertext names the key that sealed it without any table of ids.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from app.settings import Settings

KEY_BYTES = 32
KEY_ID_BYTES = 8
KEY_FILE_MODE = 0o600

# Keys that appear in documentation or examples; a production server refuses them.
_KNOWN_EXAMPLE_KEYS = frozenset(
    {
        "change-me",
        "changeme",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "replace-with-output-of-onboard-generate-key",
    }
)


class KeyRingError(Exception):
    """The key material is missing, malformed or unsafe; the message says how to fix it."""


@dataclass(frozen=True)
class Key:
    material: bytes = field(repr=False)

    @property
    def id(self) -> bytes:
        return hashlib.sha256(b"onboard-vault-key-id\x00" + self.material).digest()[:KEY_ID_BYTES]

    @property
    def id_hex(self) -> str:
        return self.id.hex()

    def encoded(self) -> str:
        return base64.urlsafe_b64encode(self.material).decode().rstrip("=")

    def derive(self, label: str) -> bytes:
        """A separate 32-byte key for another use (``label`` names it), derived with HKDF-SHA256:
        knowing a derived key reveals neither this key nor any other derived key."""
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                    info=b"onboard-derived-key\x00" + label.encode()).derive(self.material)

    @classmethod
    def generate(cls) -> Key:
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def decode(cls, text: str, *, where: str) -> Key:
        text = text.strip()
        if text in _KNOWN_EXAMPLE_KEYS:
            raise KeyRingError(f"{where} holds an example key; generate one with `onboard generate-key`")
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError) as exc:
            raise KeyRingError(f"{where} is not base64url text; generate one with `onboard generate-key`") from exc
        if len(raw) != KEY_BYTES:
            raise KeyRingError(
                f"{where} must decode to {KEY_BYTES} bytes (it has {len(raw)}); "
                "generate one with `onboard generate-key`"
            )
        if len(set(raw)) < 8:
            raise KeyRingError(f"{where} is not random enough; generate one with `onboard generate-key`")
        return cls(raw)


@dataclass(frozen=True)
class KeyRing:
    """The primary key seals; every key in the ring opens."""

    primary: Key
    previous: tuple[Key, ...] = ()

    def find(self, key_id: bytes) -> Key | None:
        for key in (self.primary, *self.previous):
            if key.id == key_id:
                return key
        return None

    @property
    def ids(self) -> list[str]:
        return [k.id_hex for k in (self.primary, *self.previous)]


class KeySource:
    """Loads the key ring and notices when the key file changes underneath a running server
    (after ``onboard rotate-key``), so every process picks up a new primary key."""

    def __init__(self, *, env_key: str | None, env_previous: str | None, key_file: Path | None,
                 create_file: bool) -> None:
        self._env_key = env_key
        self._env_previous = env_previous
        self._key_file = key_file
        self._create_file = create_file
        self._lock = threading.Lock()
        self._ring: KeyRing | None = None
        self._file_stamp: tuple[int, int] | None = None

    @property
    def from_environment(self) -> bool:
        return self._env_key is not None

    @property
    def key_file(self) -> Path | None:
        return None if self.from_environment else self._key_file

    def ring(self) -> KeyRing:
        with self._lock:
            if self._ring is None or self._file_changed():
                self._ring = self._load()
            return self._ring

    def reload(self) -> KeyRing:
        with self._lock:
            self._ring = self._load()
            return self._ring

    def _file_changed(self) -> bool:
        if self.from_environment or self._key_file is None:
            return False
        try:
            st = self._key_file.stat()
        except FileNotFoundError:
            return False
        return (st.st_mtime_ns, st.st_ino) != self._file_stamp

    def _load(self) -> KeyRing:
        if self._env_key is not None:
            primary = Key.decode(self._env_key, where="ONBOARD_SECRET_KEY")
            previous = tuple(
                Key.decode(part, where="ONBOARD_SECRET_KEY_PREVIOUS")
                for part in (self._env_previous or "").split(",")
                if part.strip()
            )
            return KeyRing(primary, previous)
        if self._key_file is None:
            raise KeyRingError("no vault key: set ONBOARD_SECRET_KEY or ONBOARD_KEY_FILE")
        if not self._key_file.exists():
            if not self._create_file:
                raise KeyRingError(
                    f"no vault key: {self._key_file} does not exist and ONBOARD_SECRET_KEY is not set. "
                    "In production the server never generates a key; create one with "
                    "`onboard generate-key` and supply it"
                )
            write_key_file(self._key_file, KeyRing(Key.generate()))
        ring = read_key_file(self._key_file)
        st = self._key_file.stat()
        self._file_stamp = (st.st_mtime_ns, st.st_ino)
        return ring


def read_key_file(path: Path) -> KeyRing:
    st = path.stat()
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise KeyRingError(
            f"{path} is readable by other users (mode {stat.S_IMODE(st.st_mode):o}); run `chmod 600 {path}`"
        )
    try:
        data = json.loads(path.read_text())
        primary = Key.decode(data["primary"], where=f"{path} (primary)")
        previous = tuple(Key.decode(k, where=f"{path} (previous)") for k in data.get("previous", []))
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyRingError(f"{path} is not a vault key file") from exc
    return KeyRing(primary, previous)


def write_key_file(path: Path, ring: KeyRing) -> None:
    """Write atomically with mode 0600 from the first byte: a temporary file, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(
        {
            "format": "onboard-vault-keys/1",
            "primary": ring.primary.encoded(),
            "previous": [k.encoded() for k in ring.previous],
        },
        indent=2,
    )
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(body + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_key_source(*, env_key: str | None, env_previous: str | None, key_file: Path,
                    production: bool) -> KeySource:
    source = KeySource(env_key=env_key, env_previous=env_previous, key_file=key_file,
                       create_file=not production)
    source.ring()  # fail now, at start-up, with the message, rather than at the first secret
    return source


def key_source_for(settings: Settings) -> KeySource:
    """The key ring the settings name: the key (and previous key) from the environment, or the key
    file; outside production a missing file is created."""
    return load_key_source(
        env_key=settings.secret_key.get_secret_value() if settings.secret_key else None,
        env_previous=settings.secret_key_previous.get_secret_value() if settings.secret_key_previous else None,
        key_file=settings.resolved_key_file,
        production=settings.is_production,
    )
